package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sexton under a real Docker Engine, in both places Docker users put it:
// the daemon's init (docker run --init, whose /sbin/docker-init is the
// daemon's --init-path) and the image's ENTRYPOINT ["/sexton", "--"]. Each
// case runs in both, as root and as an unprivileged, read-only container.
func TestDocker(t *testing.T) {
	needDocker(t)
	imgs := buildImages(t)
	for _, m := range dockerModes(imgs) {
		t.Run(m.name, func(t *testing.T) {
			if m.name == "init" {
				needDockerInit(t, imgs.files)
				t.Run("version", testDockerVersion)
			}
			for _, u := range []struct {
				name  string
				flags []string
			}{
				{"root", nil},
				{"unprivileged", []string{"--user", "1000:1000", "--read-only", "--cap-drop", "ALL",
					"--security-opt", "no-new-privileges"}},
			} {
				t.Run(u.name, func(t *testing.T) {
					t.Run("exit", func(t *testing.T) { t.Parallel(); dockerExitCodes(t, m, u.flags) })
					t.Run("reap", func(t *testing.T) { t.Parallel(); dockerReap(t, m, u.flags) })
					t.Run("kill", func(t *testing.T) { t.Parallel(); dockerKill(t, m, u.flags) })
				})
			}
			t.Run("stop", func(t *testing.T) { dockerStop(t, m) })
			t.Run("tty", func(t *testing.T) { t.Parallel(); dockerTTY(t, m) })
			t.Run("timeout", func(t *testing.T) { t.Parallel(); dockerTimeout(t, m) })
			t.Run("restart", func(t *testing.T) { t.Parallel(); dockerRestart(t, m) })
			t.Run("pause", func(t *testing.T) { t.Parallel(); dockerPause(t, m) })
		})
	}
}

// The container's exit code is the command's; death by signal N is 128+N.
func dockerExitCodes(t *testing.T, m dockerMode, flags []string) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"exit", "0"}, 0},
		{[]string{"exit", "3"}, 3},
		{[]string{"raise", "9"}, 128 + 9},
		{[]string{"raise", "15"}, 128 + 15},
	} {
		c := startContainer(t, m, flags, append([]string{"/fixture"}, tc.args...)...)
		c.finish(tc.want)
	}
}

// The command's orphans, and the orphans of a process that docker exec
// started (the kernel re-parents those to the container's PID 1 too), are
// all reaped: no zombie is left in the container.
func dockerReap(t *testing.T, m dockerMode, flags []string) {
	const n = 1000
	c := startContainer(t, m, append([]string{"-e", "SEXTON_VERBOSE=1"}, flags...),
		"/fixture", "orphans", strconv.Itoa(n), "100")
	c.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", n))
	c.out.expectPrefix(t, "main ready")
	// sexton logs each reap; the last one makes the state final.
	c.errs.expectPrefix(t, fmt.Sprintf("sexton: reaped orphan #%d: ", n))
	if z := containerZombies(t, c.id); len(z) != 0 {
		t.Errorf("zombies after the command's %d orphans: %q", n, z)
	}

	// Three workers whose parent, the exec'd process, exits at once.
	out := docker(t, "exec", c.id, "/fixture", "workers", "3", "100")
	if want := "main workers started"; !strings.Contains(out, want) {
		t.Fatalf("docker exec /fixture workers: %q; want %q", out, want)
	}
	c.errs.expectPrefix(t, fmt.Sprintf("sexton: reaped orphan #%d: ", n+3))
	if z := containerZombies(t, c.id); len(z) != 0 {
		t.Errorf("zombies after docker exec's orphans: %q", z)
	}
	c.send("exit 0")
	c.finish(0)
}

// docker kill reaches the command once per kill: USR1, HUP and RTMIN+3
// once each, then 100 RTMIN+3 in a row, 100 times.
func dockerKill(t *testing.T, m dockerMode, flags []string) {
	c := startContainer(t, m, flags, "/fixture", "trap")
	c.out.expectPrefix(t, "main ready")
	for _, s := range []struct {
		name string
		num  int
	}{{"USR1", 10}, {"HUP", 1}, {"RTMIN+3", 37}} {
		c.kill(s.name)
		want := fmt.Sprintf("main sig %d", s.num)
		if got := c.out.expectPrefix(t, "main sig "); got != want {
			t.Fatalf("after docker kill -s %s the command got %q; want %q", s.name, got, want)
		}
	}
	const each = 100
	start := time.Now()
	for range each {
		c.kill("RTMIN+3")
	}
	for range each {
		if got := c.out.expectPrefix(t, "main sig "); got != "main sig 37" {
			t.Fatalf("after docker kill -s RTMIN+3 the command got %q", got)
		}
	}
	t.Logf("%d docker kill -s RTMIN+3: %v", each, time.Since(start).Round(time.Millisecond))
	// A last, different signal: sexton relays in the order it receives,
	// and every signal relayed before it is pending at the command when it
	// reads this one and is printed in the same batch, so a 101st RTMIN+3
	// would show before the pong that follows. (The ping alone is no
	// barrier: stdin through docker attach may overtake sexton's relay.)
	c.kill("USR2")
	var extra []string
	c.out.expect(t, "main sig 12", func(s string) bool {
		if s == "main sig 12" {
			return true
		}
		extra = append(extra, s)
		return false
	})
	extra = append(extra, c.ping("counted")...)
	if len(extra) != 0 {
		t.Errorf("after %d RTMIN+3 then USR2 the command also got %q", each, extra)
	}
	c.send("exit 0")
	c.finish(0)
}

// docker stop sends SIGTERM to PID 1, waits -t seconds, then SIGKILLs it.
// sexton relays the TERM, so a command at TERM's default dies at once
// (143), one that exits on TERM gives its own status, and only one that
// ignores TERM waits for the limit (137, from the SIGKILL).
func dockerStop(t *testing.T, m dockerMode) {
	for _, tc := range []struct {
		name  string
		args  []string
		limit string
		want  int
		min   time.Duration
		max   time.Duration
	}{
		{"default", []string{"trap", "--default", "15"}, "10", 143, 0, 2 * time.Second},
		{"exits", []string{"trap", "--exit-on", "15"}, "10", 0, 0, 2 * time.Second},
		{"ignores", []string{"trap"}, "2", 137, 2 * time.Second, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startContainer(t, m, nil, append([]string{"/fixture"}, tc.args...)...)
			c.out.expectPrefix(t, "main ready")
			took := timed(func() { docker(t, "stop", "-t", tc.limit, c.id) })
			c.finish(tc.want)
			if took < tc.min || took > tc.max {
				t.Errorf("docker stop -t %s took %v; want %v to %v", tc.limit, took, tc.min, tc.max)
			}
			if tc.name == "ignores" && !strings.Contains(strings.Join(c.out.seen(), "\n"), "main sig 15") {
				t.Errorf("the command never got the TERM: %q", c.out.seen())
			}
			t.Logf("docker stop -t %s: %v, exit %d", tc.limit, took.Round(time.Millisecond), tc.want)
		})
	}
}

// docker run -it: the command is in the terminal's foreground group, reads
// a line from it, and Ctrl-C reaches it once, from the container's
// terminal; sexton relays no second SIGINT.
func dockerTTY(t *testing.T, m dockerMode) {
	id := createContainer(t, m, []string{"-i", "-t"}, "/fixture", "trap")
	master, slave := openPty(t)
	defer master.Close()
	cmd := exec.Command("docker", "start", "-a", "-i", id)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	p := startOnPty(t, envDocker, cmd, master, slave)
	c := &container{proc: p, id: id}

	ready := fields(c.out.expectPrefix(t, "main ready"))
	if ready["fg"] != ready["pgid"] || ready["pgid"] != ready["pid"] {
		t.Errorf("command pid=%s pgid=%s, terminal's foreground group %s; want all equal",
			ready["pid"], ready["pgid"], ready["fg"])
	}
	c.send("hello")
	c.out.expectPrefix(t, "main line hello")
	master.Write([]byte{0x03}) // Ctrl-C
	// The container's terminal echoes ^C on the same line.
	c.out.expect(t, "main sig 2", func(s string) bool { return strings.HasSuffix(s, "main sig 2") })
	// A USR1 sent to PID 1 after the Ctrl-C is relayed after any SIGINT
	// sexton might have got: the next signal the command sees must be it.
	c.kill("USR1")
	got := c.out.expect(t, "a main sig line", func(s string) bool { return strings.Contains(s, "main sig ") })
	if got != "main sig 10" {
		t.Errorf("after Ctrl-C then USR1, the command got %q; want main sig 10 (one SIGINT only)", got)
	}
	c.send("raise 2")
	c.finish(130)
}

// SEXTON_TIMEOUT through -e: after 1 s the command gets TERM; when it has
// exited, so has everything it left (here two background children that
// exit on TERM), and the container exits 124. SEXTON_VERBOSE=1 puts
// sexton's log in docker logs.
func dockerTimeout(t *testing.T, m dockerMode) {
	c := startContainer(t, m, []string{"-e", "SEXTON_TIMEOUT=1s", "-e", "SEXTON_VERBOSE=1"},
		"/fixture", "trap", "--bg", "2", "--exit-on", "15")
	c.out.expectPrefix(t, "main ready")
	took := timed(func() { c.finish(124) })
	out, errs := dockerLogs(t, c.id)
	for _, tag := range []string{"main", "bg1", "bg2"} {
		if want := tag + " sig 15"; !strings.Contains(out, want+"\n") {
			t.Errorf("%s never got TERM before sexton exited; stdout:\n%s", tag, out)
		}
	}
	// Under 1 s plus --kill-after (5 s): nothing needed the SIGKILL.
	if took > 5*time.Second {
		t.Errorf("the timeout took %v to end a command that exits on TERM", took)
	}
	var logged int
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		if !strings.HasPrefix(line, "sexton: ") {
			t.Errorf("docker logs stderr has %q; want only sexton: lines", line)
		}
		logged++
	}
	if logged < 2 {
		t.Errorf("docker logs stderr has %d sexton: lines; want the start, the timeout, the exit:\n%s", logged, errs)
	}
	t.Logf("docker logs (stderr):\n%s", errs)
}

// docker restart stops the container (TERM, relayed) and starts it again:
// twice over, sexton starts, reaps every orphan of its command, and each
// stop ends it at once with the command's clean exit.
func dockerRestart(t *testing.T, m dockerMode) {
	const n = 500
	id := createContainer(t, m, []string{"-e", "SEXTON_VERBOSE=1"},
		"/fixture", "orphans", strconv.Itoa(n), "100", "--exit-on", "15")
	docker(t, "start", id)
	for run := 1; run <= 3; run++ {
		logs := followLogs(t, id)
		// The log holds every earlier run too: skip to this one's lines.
		for range run {
			logs.out.expectPrefix(t, "main ready")
			logs.errs.expectPrefix(t, fmt.Sprintf("sexton: reaped orphan #%d: ", n))
		}
		if z := containerZombies(t, id); len(z) != 0 {
			t.Errorf("run %d: zombies: %q", run, z)
		}
		verb := "restart"
		if run == 3 {
			verb = "stop"
		}
		took := timed(func() { docker(t, verb, "-t", "10", id) })
		if took > 5*time.Second {
			t.Errorf("run %d: docker %s took %v; want the TERM relayed and the command gone at once", run, verb, took)
		}
	}
	if code := exitCode(t, id); code != 0 {
		t.Errorf("exit code after docker stop = %d; want 0 (the command exits 0 on TERM)", code)
	}
}

// docker pause freezes the container's cgroup in the middle of an orphan
// burst; after unpause sexton reaps every orphan, and docker stop ends the
// container cleanly.
func dockerPause(t *testing.T, m dockerMode) {
	const n = 20000
	c := startContainer(t, m, []string{"-e", "SEXTON_VERBOSE=1"},
		"/fixture", "orphans", strconv.Itoa(n), "100", "--wait", "--exit-on", "15")
	c.out.expectPrefix(t, "main orphans waiting")
	c.send("go")
	docker(t, "pause", c.id)
	reaped := 0
	for _, l := range c.errs.seen() {
		if strings.HasPrefix(l, "sexton: reaped orphan #") {
			reaped++
		}
	}
	docker(t, "unpause", c.id)
	t.Logf("paused after %d of %d orphans were reaped", reaped, n)
	c.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", n))
	c.errs.expectPrefix(t, fmt.Sprintf("sexton: reaped orphan #%d: ", n))
	if z := containerZombies(t, c.id); len(z) != 0 {
		t.Errorf("zombies after the burst: %q", z)
	}
	took := timed(func() { docker(t, "stop", "-t", "10", c.id) })
	c.finish(0)
	if took > 5*time.Second {
		t.Errorf("docker stop took %v after pause/unpause; want the TERM relayed, not the 10 s limit", took)
	}
}

// What docker version and docker info show for sexton as the daemon's
// init. moby runs `INIT_PATH --version` and parses the output as tini's
// "tini version V - git.C": the commit is whatever follows " - git.", the
// version only what follows a leading "tini version ". Named docker-init,
// as .ci/run names it (and README's host install), sexton answers in that
// form: docker must show this build's commit, and a version that names
// sexton.
func testDockerVersion(t *testing.T) {
	var info struct {
		InitBinary string
		InitCommit struct{ ID, Expected string }
	}
	if err := json.Unmarshal([]byte(docker(t, "info", "--format", "{{json .}}")), &info); err != nil {
		t.Fatal(err)
	}
	// This build, run under the daemon's init-path name.
	cmd := exec.Command(bin, "--version")
	cmd.Args[0] = info.InitBinary
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	wantVersion, wantCommit := mobyInitVersion(string(out))
	if wantCommit == "" || !strings.HasSuffix(wantVersion, "_sexton") {
		t.Fatalf("%s --version = %q: want \"tini version V_sexton - git.C\" for docker to read", info.InitBinary, out)
	}

	if info.InitCommit.ID != wantCommit || info.InitCommit.Expected != wantCommit {
		t.Errorf("docker info: init commit %+v; want ID and Expected %q", info.InitCommit, wantCommit)
	}

	var comps []struct {
		Name, Version string
		Details       map[string]string
	}
	if err := json.Unmarshal([]byte(docker(t, "version", "--format", "{{json .Server.Components}}")), &comps); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(info.InitBinary)
	found := false
	for _, c := range comps {
		if c.Name != name {
			continue
		}
		found = true
		if c.Details["GitCommit"] != wantCommit {
			t.Errorf("docker version: %s GitCommit %q; want %q", name, c.Details["GitCommit"], wantCommit)
		}
		if c.Version != wantVersion {
			t.Errorf("docker version: %s Version %q; want %q", name, c.Version, wantVersion)
		}
		t.Logf("sexton --version: %q; docker version shows %s: Version %q, GitCommit %q; docker info: init version %s",
			strings.TrimSpace(string(out)), c.Name, c.Version, c.Details["GitCommit"], info.InitCommit.ID)
	}
	if !found {
		t.Errorf("docker version lists no component %q (the init, %s): %+v", name, info.InitBinary, comps)
	}
}

// mobyInitVersion reads an init's --version output as moby's
// parseInitVersion does (daemon/info_unix.go).
func mobyInitVersion(out string) (version, commit string) {
	parts := strings.Split(out, " - ")
	if len(parts) >= 2 {
		if git := strings.Split(strings.TrimSpace(parts[1]), "."); len(git) == 2 && git[0] == "git" {
			commit = git[1]
		}
	}
	if v, ok := strings.CutPrefix(strings.TrimSpace(parts[0]), "tini version "); ok {
		version = v
	}
	return version, commit
}

// README's Dockerfile recipe runs as written: the sexton image is the
// repository Dockerfile's final stage (its binary from `make build` here,
// not from a golang image: no registry), and the recipe's lines, with
// `--from=sexton` naming that image, go on an application image whose
// myapp is a shell script.
func TestDockerReadmeRecipe(t *testing.T) {
	needDocker(t)
	busybox := staticBusybox(t)

	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	final := string(df)[strings.LastIndex(string(df), "\nFROM scratch")+1:]
	const copyBuild = "COPY --from=build /sexton /sexton"
	if !strings.HasPrefix(final, "FROM scratch") || !strings.Contains(final, copyBuild) {
		t.Fatalf("Dockerfile's final stage is not FROM scratch with %q:\n%s", copyBuild, final)
	}
	ctx := t.TempDir()
	if err := copyFile(bin, filepath.Join(ctx, "sexton"), 0o755); err != nil {
		t.Fatal(err)
	}
	sexton := buildImage(t, ctx, strings.Replace(final, copyBuild, "COPY sexton /sexton", 1))
	// COPY --from takes an image name, not an id: tag it for the build.
	// Removing the image by id (buildImage's cleanup) removes the tag.
	tag := fmt.Sprintf("sexton-readme-test:%d", os.Getpid())
	docker(t, "tag", sexton, tag)

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	recipe := readmeBlock(t, string(readme), "In an image, sexton in front of the command", "```dockerfile")
	if !strings.Contains(recipe, "COPY --from=sexton ") {
		t.Fatalf("README's recipe does not copy from the sexton image:\n%s", recipe)
	}

	app := t.TempDir()
	if err := os.MkdirAll(filepath.Join(app, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(busybox, filepath.Join(app, "bin", "busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/busybox sh\necho \"myapp $* under $(/bin/busybox cat /proc/1/cmdline | /bin/busybox tr '\\0' ' ')\"\n"
	if err := os.WriteFile(filepath.Join(app, "myapp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	img := buildImage(t, app, "FROM scratch\nCOPY bin/busybox /bin/busybox\nCOPY myapp /usr/local/bin/myapp\n"+
		strings.ReplaceAll(recipe, "--from=sexton ", "--from="+tag+" "))

	out, err := dockerErr("run", "--rm", "--network", "none", img)
	if err != nil {
		t.Fatal(err)
	}
	if want := "myapp --serve under /sexton -- myapp --serve "; out != want {
		t.Errorf("the recipe's image printed %q; want %q", out, want)
	}
}

// readmeBlock returns the first fenced block of kind fence after the line
// that starts with intro.
func readmeBlock(t *testing.T, readme, intro, fence string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n"+intro)
	if !ok {
		t.Fatalf("README has no line starting %q", intro)
	}
	_, rest, ok = strings.Cut(rest, "\n"+fence+"\n")
	if !ok {
		t.Fatalf("README has no %s block after %q", fence, intro)
	}
	block, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("README's %s block after %q does not end", fence, intro)
	}
	return block + "\n"
}
