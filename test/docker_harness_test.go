package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Docker tests drive a real Docker Engine through the docker CLI, with
// DOCKER_HOST as the caller set it (.ci/run starts a private dockerd whose
// --init-path is a `make build` of this tree). No registry is reachable, so
// every image is built FROM scratch out of files this package builds.

// dockerCmd is the docker CLI with args, killed if it outlives timeout.
// The legacy builder is asked for by name: it is the only one that needs
// no buildx plugin, whichever docker CLI is first in PATH.
func dockerCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	return cmd
}

// docker runs the docker CLI, fails the test if it fails or takes longer
// than timeout, and returns its stdout without the final newline.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dockerErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dockerErr is docker for a caller that expects a failure, or runs in
// Cleanup.
func dockerErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stderr strings.Builder
	cmd := dockerCmd(ctx, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

var (
	daemonOnce sync.Once
	daemonErr  error
)

// needDocker skips the test (fails it under CI=true) when no Docker daemon
// answers.
func needDocker(t *testing.T) {
	t.Helper()
	daemonOnce.Do(func() {
		if _, err := exec.LookPath("docker"); err != nil {
			daemonErr = err
			return
		}
		_, daemonErr = dockerErr("version", "--format", "{{.Server.Version}}")
	})
	msg := "a Docker daemon (docker version must answer; .ci/run starts one)"
	if daemonErr != nil {
		msg += ": " + daemonErr.Error()
	}
	need(t, msg, daemonErr == nil)
}

// dockerImages are the two images every Docker test runs: files holds
// /sexton, /fixture and /bin/busybox with no entrypoint (for docker run
// --init), entry is files with ENTRYPOINT ["/sexton", "--"], as README's
// recipe has it.
type dockerImages struct {
	files, entry string
}

// buildImages builds both images, and removes them, by id, when t ends.
func buildImages(t *testing.T) dockerImages {
	t.Helper()
	busybox := staticBusybox(t)
	ctx := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ctx, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for dst, src := range map[string]string{"sexton": bin, "fixture": fixture, "bin/busybox": busybox} {
		if err := copyFile(src, filepath.Join(ctx, dst), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var imgs dockerImages
	imgs.files = buildImage(t, ctx, "FROM scratch\nCOPY sexton fixture /\nCOPY bin/busybox /bin/busybox\n")
	imgs.entry = buildImage(t, ctx, "FROM "+imgs.files+"\nENTRYPOINT [\"/sexton\", \"--\"]\n")
	return imgs
}

// buildImage runs docker build on dir with dockerfile as its Dockerfile and
// returns the image's id; the image is removed when t ends.
func buildImage(t *testing.T, dir, dockerfile string) string {
	t.Helper()
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	// --iidfile rather than -q: the legacy builder of a newer CLI prints a
	// deprecation notice that -q does not silence.
	iid := filepath.Join(t.TempDir(), "iid")
	docker(t, "build", "-q", "--iidfile", iid, "-f", df, dir)
	b, err := os.ReadFile(iid)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(b))
	t.Cleanup(func() {
		if _, err := dockerErr("rmi", "-f", id); err != nil {
			t.Errorf("removing image: %v", err)
		}
	})
	return id
}

// staticBusybox is Debian's busybox-static: a shell, ps and cat inside
// scratch images.
func staticBusybox(t *testing.T) string {
	t.Helper()
	const path = "/bin/busybox"
	ok := false
	if b, err := os.ReadFile(path); err == nil {
		// A static ELF has no PT_INTERP; the dynamic busybox package names
		// its loader in the binary.
		ok = !strings.Contains(string(b), "/lib64/ld-linux") && !strings.Contains(string(b), "/lib/ld-")
	}
	need(t, "a static /bin/busybox (Debian's busybox-static)", ok)
	return path
}

// sha256File is the hex SHA-256 of a file.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var (
	initOnce sync.Once
	initSum  string
	initErr  error
)

// needDockerInit checks that docker run --init runs this tree's sexton:
// the file the daemon bind-mounts at /sbin/docker-init must be byte for
// byte the tests' own `make build`. The build is reproducible (-trimpath,
// the same version stamps), so .ci/run's build of the same tree matches;
// a daemon pointed at tini or at an older sexton does not, and the --init
// tests skip (fail under CI=true) instead of testing the wrong binary.
func needDockerInit(t *testing.T, files string) {
	t.Helper()
	initOnce.Do(func() {
		out, err := dockerErr("run", "--rm", "--init", "--network", "none", files,
			"/bin/busybox", "sha256sum", "/sbin/docker-init")
		if err != nil {
			initErr = err
			return
		}
		initSum, _, _ = strings.Cut(out, " ")
	})
	if initErr != nil {
		t.Fatalf("reading docker's init: %v", initErr)
	}
	want := sha256File(t, bin)
	need(t, fmt.Sprintf("dockerd --init-path to be this tree's make build (its sha256 %.12s; docker's init has %.12s)", want, initSum),
		initSum == want)
}

// dockerMode is one way sexton becomes PID 1 of a container: the daemon's
// init (docker run --init) or the image's ENTRYPOINT.
type dockerMode struct {
	name  string
	image string
	flags []string // added to docker create
}

func dockerModes(imgs dockerImages) []dockerMode {
	return []dockerMode{
		{name: "init", image: imgs.files, flags: []string{"--init"}},
		{name: "entrypoint", image: imgs.entry},
	}
}

// container is a created container, attached (docker start -a -i) when it
// was started through startContainer.
type container struct {
	*proc
	id string
}

// createContainer runs docker create with the mode's image and flags, no
// network, then flags and args; the container is removed when t ends.
func createContainer(t *testing.T, m dockerMode, flags []string, args ...string) string {
	t.Helper()
	cargs := append([]string{"create", "--network", "none"}, m.flags...)
	cargs = append(cargs, flags...)
	cargs = append(cargs, m.image)
	cargs = append(cargs, args...)
	id := docker(t, cargs...)
	t.Cleanup(func() {
		if _, err := dockerErr("rm", "-f", id); err != nil {
			t.Errorf("removing container: %v", err)
		}
	})
	return id
}

// startContainer creates a container with stdin open and starts it
// attached: the proc's stdin, stdout and stderr are the container's, and it
// ends when the container does. The attach comes before the start, so no
// line is lost.
func startContainer(t *testing.T, m dockerMode, flags []string, args ...string) *container {
	t.Helper()
	id := createContainer(t, m, append([]string{"-i"}, flags...), args...)
	p := startProc(t, envDocker, exec.Command("docker", "start", "-a", "-i", id))
	return &container{proc: p, id: id}
}

// kill sends sig (a name as docker kill takes it) to the container's PID 1.
func (c *container) kill(sig string) {
	c.t.Helper()
	docker(c.t, "kill", "-s", sig, c.id)
}

// exitCode waits for the container to stop and returns its exit code as
// the daemon recorded it.
func exitCode(t *testing.T, id string) int {
	t.Helper()
	out := docker(t, "wait", id)
	code, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("docker wait %s: %q", id, out)
	}
	return code
}

// finish waits for the attached client and checks the container's exit
// code, and that the client reported the same.
func (c *container) finish(want int) {
	c.t.Helper()
	cli := c.proc.wait()
	if got := exitCode(c.t, c.id); got != want || cli != want {
		c.t.Fatalf("container exit code = %d (docker start -a: %d); want %d\nstdout:\n%s\nstderr:\n%s",
			got, cli, want, c.out.dump(), c.errs.dump())
	}
}

// containerZombies lists the processes in the container's PID namespace that are
// zombies, read from /proc inside it with busybox (docker exec); a process
// that exits while cat runs is skipped.
func containerZombies(t *testing.T, id string) []string {
	t.Helper()
	out := docker(t, "exec", id, "/bin/busybox", "sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null; exit 0")
	var z []string
	for _, line := range strings.Split(out, "\n") {
		i := strings.LastIndexByte(line, ')')
		if i < 0 {
			continue
		}
		if f := strings.Fields(line[i+1:]); len(f) > 0 && f[0] == "Z" {
			z = append(z, line)
		}
	}
	return z
}

// timed runs f and returns how long it took.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// dockerLogs is docker logs: the container's stdout and stderr, apart.
func dockerLogs(t *testing.T, id string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var o, e strings.Builder
	cmd := dockerCmd(ctx, "logs", id)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker logs %s: %v: %s", id, err, e.String())
	}
	return o.String(), e.String()
}

// followLogs streams docker logs -f: every line the container wrote,
// from its first start on, and what it writes next.
func followLogs(t *testing.T, id string) *proc {
	t.Helper()
	return startProc(t, envDocker, exec.Command("docker", "logs", "-f", id))
}
