// Package test runs the real static sexton binary as PID 1, in a fresh PID
// namespace (unshare) and in an OCI container (runc), with a static C
// workload of ours (fixture/fixture.c), and checks what the workload and
// the outside world see. Tests that need root or runc skip without them,
// except under CI=true, where a skip of that kind is a failure.
package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	bin     string // the static sexton binary, built by `make build`
	fixture string // the static C workload, built by `make fixture`
	rootfs  string // a read-only container rootfs: /sexton, /fixture, /notexec
	tmpRoot string
)

// timeout bounds every wait in these tests. It is generous: a wait only
// reaches it when something is broken.
const timeout = 20 * time.Second

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// Whatever started the tests may have left fds open without
	// close-on-exec; they would reach sexton's command and spoil the fd
	// checks. Mark them all close-on-exec.
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range ents {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	}
	var err error
	tmpRoot, err = os.MkdirTemp("", "sexton-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)
	bin = filepath.Join(tmpRoot, "sexton")
	fixture = filepath.Join(tmpRoot, "fixture")
	if err := makeTarget("build", "BIN="+bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := makeTarget("fixture", "FIXTURE="+fixture); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rootfs = filepath.Join(tmpRoot, "rootfs")
	for _, d := range []string{"proc", "dev", "work"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	for dst, src := range map[string]string{"sexton": bin, "fixture": fixture} {
		if err := copyFile(src, filepath.Join(rootfs, dst), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "notexec"), []byte("#!/fixture\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// makeTarget builds with the project's Makefile, so the tests run the
// release build and not one of their own.
func makeTarget(target string, vars ...string) error {
	args := append([]string{"-s", "-C", "..", target}, vars...)
	out, err := exec.Command("make", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("make %s: %v\n%s", target, err, out)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// need skips the test when the machine lacks what it needs, except under
// CI=true, where CI promised to provide it and a skip would hide a failure.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true", what)
	}
	t.Skipf("skipped: needs %s", what)
}

func needRoot(t *testing.T) { need(t, "root (for PID namespaces)", os.Geteuid() == 0) }

func needRunc(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("runc")
	need(t, "runc in PATH", err == nil)
}

// env is a place to run sexton as PID 1.
type env struct {
	name string
	// start runs sexton with args (paths inside the rootfs: /sexton,
	// /fixture) as PID 1.
	start func(t *testing.T, o runOpts, args ...string) *proc
}

// runOpts are the knobs a test may turn; the zero value is a plain run.
type runOpts struct {
	dir   string     // cwd for sexton (unshare) ; "" means a fresh temp dir
	extra []*os.File // fds 3... for sexton (unshare only)
	env   []string   // added to sexton's environment
	uid   int        // runc only: the container's user (and group)
	pids  int        // runc only: the container's pids.max (threads count too); 0: none
}

// envs lists the two PID-1 environments; each test runs in both.
var envs = []env{
	{name: "unshare", start: startUnshare},
	{name: "runc", start: startRunc},
}

// forEachEnv runs f as a subtest in each environment.
func forEachEnv(t *testing.T, f func(t *testing.T, e env)) {
	for _, e := range envs {
		t.Run(e.name, func(t *testing.T) {
			needRoot(t)
			if e.name == "runc" {
				needRunc(t)
			}
			f(t, e)
		})
	}
}

// proc is a running sexton and its workload as seen from outside.
type proc struct {
	t      *testing.T
	env    string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *lines // the workload's stdout (and sexton's, which is the same)
	errs   *lines // stderr: sexton's log and errors
	done   chan struct{}
	code   int
	id     string // runc container id
	runcRT string // runc --root
}

// lines collects a stream line by line, so a test can wait for one.
type lines struct {
	mu   sync.Mutex
	all  []string
	next int
	more chan struct{} // gets a token whenever a line arrives or the stream ends
	eof  bool
	done chan struct{} // closed at the end of the stream
}

func newLines(r io.Reader) *lines {
	l := &lines{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		// Exits when the stream ends, which Cleanup guarantees.
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l.mu.Lock()
			l.all = append(l.all, strings.TrimRight(sc.Text(), "\r"))
			l.mu.Unlock()
			l.poke()
		}
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		l.mu.Lock()
		l.eof = true
		l.mu.Unlock()
		close(l.done)
		l.poke()
	}()
	return l
}

func (l *lines) poke() {
	select {
	case l.more <- struct{}{}:
	default:
	}
}

// expect returns the next line for which match is true, failing the test if
// none comes within the timeout. Lines it passes over are consumed.
func (l *lines) expect(t *testing.T, what string, match func(string) bool) string {
	t.Helper()
	return l.expectWithin(t, timeout, what, match)
}

// expectWithin is expect with its own bound, for waits that scale with the
// work (a soak run's million orphans).
func (l *lines) expectWithin(t *testing.T, timeout time.Duration, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for l.next < len(l.all) {
			s := l.all[l.next]
			l.next++
			if match(s) {
				l.mu.Unlock()
				return s
			}
		}
		eof := l.eof
		l.mu.Unlock()
		if eof {
			t.Fatalf("stream ended before %s; lines so far:\n%s", what, l.dump())
		}
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("no %s within %v; lines so far:\n%s", what, timeout, l.dump())
		}
	}
}

// expectPrefix waits for a line that starts with prefix.
func (l *lines) expectPrefix(t *testing.T, prefix string) string {
	t.Helper()
	return l.expect(t, fmt.Sprintf("line starting %q", prefix), func(s string) bool {
		return strings.HasPrefix(s, prefix)
	})
}

// nextLine returns the next line, whatever it is.
func (l *lines) nextLine(t *testing.T, what string) string {
	t.Helper()
	return l.expect(t, what, func(string) bool { return true })
}

// seen returns every line so far (consumed or not).
func (l *lines) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

func (l *lines) dump() string {
	all := l.seen()
	if len(all) > 60 {
		all = append(all[:30:30], append([]string{"..."}, all[len(all)-30:]...)...)
	}
	return "  " + strings.Join(all, "\n  ")
}

// send writes a line to the workload's stdin.
func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("writing %q to stdin: %v", line, err)
	}
}

// ping is a barrier: every line the workload wrote before it answers comes
// before the pong.
func (p *proc) ping(tag string) []string {
	p.t.Helper()
	p.send("ping " + tag)
	var before []string
	p.out.expect(p.t, "pong "+tag, func(s string) bool {
		if s == "main pong "+tag {
			return true
		}
		before = append(before, s)
		return false
	})
	return before
}

// wait waits for sexton (through unshare or runc) to exit and returns its
// exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.t.Fatalf("sexton did not exit within %v; stdout:\n%s\nstderr:\n%s", timeout, p.out.dump(), p.errs.dump())
		return -1
	}
}

// finish expects exit code want.
func (p *proc) finish(want int) {
	p.t.Helper()
	if got := p.wait(); got != want {
		p.t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", got, want, p.out.dump(), p.errs.dump())
	}
}

// startProc starts cmd with pipes on its stdio and cleans it up at the end
// of the test.
func startProc(t *testing.T, envName string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, env: envName, cmd: cmd, done: make(chan struct{})}
	// Our own pipes rather than StdinPipe and StdoutPipe: Wait closes
	// those when the process exits, while lines may still be in them, and
	// while what it started may still read its stdin. These end when the
	// last process holding the other end does.
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = inW
	t.Cleanup(func() { inW.Close() })
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	p.out, p.errs = newLines(outR), newLines(errR)
	p.watch()
	return p
}

// watch waits for the started process in the background, and makes sure
// the test's end stops it if it still runs.
func (p *proc) watch() {
	go func() {
		// Exits when the process does and its output has been read (or
		// a while after, if something it left behind holds the pipes).
		err := p.cmd.Wait()
		p.code = codeOf(p.cmd.ProcessState, err)
		for _, l := range []*lines{p.out, p.errs} {
			select {
			case <-l.done:
			case <-time.After(5 * time.Second):
			}
		}
		close(p.done)
	}()
	p.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.kill()
			select {
			case <-p.done:
			case <-time.After(timeout):
				p.t.Errorf("could not stop %v (pid %d)", p.cmd.Args, p.cmd.Process.Pid)
			}
		}
	})
}

// codeOf maps a finished process to a shell-style exit code.
func codeOf(ps *os.ProcessState, err error) int {
	if ps == nil {
		return -1
	}
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// startUnshare runs sexton as PID 1 of a fresh PID namespace. unshare
// forks sexton and waits for it; --kill-child makes the kernel SIGKILL
// sexton (and so the namespace) if unshare dies, so nothing outlives a test.
func startUnshare(t *testing.T, o runOpts, args ...string) *proc {
	t.Helper()
	cmdline := append([]string{"--pid", "--fork", "--mount-proc", "--kill-child"}, hostPaths(args)...)
	cmd := exec.Command("unshare", cmdline...)
	cmd.Dir = o.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.ExtraFiles = o.extra
	if o.env != nil {
		cmd.Env = append(os.Environ(), o.env...)
	}
	return startProc(t, "unshare", cmd)
}

// hostPaths turns the rootfs paths /sexton and /fixture (and /notexec) into
// the built files, for runs outside a container.
func hostPaths(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch a {
		case "/sexton":
			a = bin
		case "/fixture":
			a = fixture
		case "/notexec":
			a = filepath.Join(rootfs, "notexec")
		}
		out[i] = a
	}
	return out
}

var containerSeq int

// startRunc runs sexton as PID 1 of a runc container whose read-only rootfs
// holds only /sexton, /fixture and /notexec. runc run stays in the
// foreground and passes its stdio to the container (no terminal), and exits
// with sexton's exit code.
func startRunc(t *testing.T, o runOpts, args ...string) *proc {
	t.Helper()
	containerSeq++
	id := fmt.Sprintf("sexton-test-%d-%d", os.Getpid(), containerSeq)
	bundle := t.TempDir()
	state := filepath.Join(tmpRoot, "runc-state")
	cwd := "/work"
	if o.dir != "" {
		cwd = o.dir
	}
	cfg := ociConfig(args, cwd, o.env, o.uid)
	if o.pids > 0 {
		cfg["linux"].(map[string]any)["resources"] = map[string]any{"pids": map[string]any{"limit": o.pids}}
	}
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("runc", "--root", state, "run", "--bundle", bundle, id)
	// runc run relays the signals it gets to the container, and Debian's
	// runc 1.1.5 relays its own Go runtime's preemption SIGURGs too (we saw
	// them reach sexton, sent from outside the namespace). Turn them off
	// in runc, or the container gets SIGURGs that no test sent.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	p := startProc(t, "runc", cmd)
	p.id, p.runcRT = id, state
	t.Cleanup(func() {
		// runc delete -f kills and removes the container if it is still
		// there; it fails harmlessly when runc run already removed it.
		exec.Command("runc", "--root", state, "delete", "-f", id).Run()
	})
	return p
}

// ociConfig is a minimal OCI runtime spec: new PID, mount, IPC and UTS
// namespaces, a read-only rootfs, /proc, a tmpfs /dev, no capabilities.
func ociConfig(args []string, cwd string, env []string, uid int) map[string]any {
	return map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]any{"uid": uid, "gid": uid},
			"args":            args,
			"env":             append([]string{"PATH=/", "HOME=/"}, env...),
			"cwd":             cwd,
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": rootfs, "readonly": true},
		"hostname": "sexton-test",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "mode=755", "size=1m"}},
		},
		"linux": map[string]any{
			"namespaces": []map[string]any{
				{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"},
			},
		},
	}
}

// kill ends sexton and everything under it.
func (p *proc) kill() {
	if p.id != "" {
		exec.Command("runc", "--root", p.runcRT, "kill", p.id, "KILL").Run()
	}
	if p.env == "host" {
		// Not in a namespace of its own: kill the tree from the leaves
		// up by pid, so nothing it started outlives the test.
		killTree(p.cmd.Process.Pid)
	}
	// For unshare, killing unshare kills sexton through --kill-child.
	p.cmd.Process.Kill()
}

// killTree SIGKILLs pid's descendants, found through /proc.
func killTree(pid int) {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(b)) {
			if kid, err := strconv.Atoi(w); err == nil {
				killTree(kid)
				syscall.Kill(kid, syscall.SIGKILL)
			}
		}
	}
}

// signal sends sig to sexton, PID 1, from outside its namespace: as
// `docker kill` does through runc, or with kill(2) on its host pid.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if p.id != "" {
		out, err := exec.Command("runc", "--root", p.runcRT, "kill", p.id, strconv.Itoa(int(sig))).CombinedOutput()
		if err != nil {
			p.t.Fatalf("runc kill %s %d: %v %s", p.id, sig, err, out)
		}
		return
	}
	if err := syscall.Kill(p.initPID(), sig); err != nil {
		p.t.Fatalf("kill(%d, %d): %v", p.initPID(), sig, err)
	}
}

// initPID is sexton's pid in the host's namespace. Call it only once sexton
// runs (after the workload said something).
func (p *proc) initPID() int {
	p.t.Helper()
	if p.id != "" {
		out, err := exec.Command("runc", "--root", p.runcRT, "state", p.id).Output()
		if err != nil {
			p.t.Fatalf("runc state %s: %v", p.id, err)
		}
		var st struct{ Pid int }
		if err := json.Unmarshal(out, &st); err != nil {
			p.t.Fatalf("runc state %s: %v", p.id, err)
		}
		return st.Pid
	}
	kids := childrenOf(p.t, p.cmd.Process.Pid)
	if len(kids) != 1 {
		p.t.Fatalf("unshare (pid %d) has children %v; want exactly sexton", p.cmd.Process.Pid, kids)
	}
	return kids[0]
}

// commandPID is the host pid of sexton's one child, the command.
func (p *proc) commandPID() int {
	p.t.Helper()
	kids := childrenOf(p.t, p.initPID())
	if len(kids) != 1 {
		p.t.Fatalf("sexton has children %v; want exactly the command", kids)
	}
	return kids[0]
}

// childrenOf lists pid's children. Each thread has its own list (a child
// belongs to the thread that forked it), so read them all.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(files) == 0 {
		t.Fatalf("children of %d: no /proc/%d/task/*/children", pid, pid)
	}
	var kids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		for _, w := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(w)
			kids = append(kids, n)
		}
	}
	return kids
}

// procState is the one-letter state of pid (R, S, T, Z, ...).
func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("state of %d: %v", pid, err)
	}
	// The command name in parentheses may hold spaces; the state follows
	// the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	return strings.Fields(rest)[0]
}

// pidNS names the PID namespace of pid (the target of /proc/pid/ns/pid).
func pidNS(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatalf("pid namespace of %d: %v", pid, err)
	}
	return ns
}

// namespaceProcs lists the host pids of every process in the PID namespace
// ns, with their states.
func namespaceProcs(t *testing.T, ns string) map[int]string {
	t.Helper()
	procs, err := procsIn(ns)
	if err != nil {
		t.Fatal(err)
	}
	return procs
}

// procsIn is namespaceProcs for a goroutine that cannot fail the test.
func procsIn(ns string) (map[int]string, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	procs := map[int]string{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// A process can exit while we look: skip what vanished.
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || other != ns {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		procs[pid] = strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))[0]
	}
	return procs, nil
}

// fields parses "k=v k=v" words of a fixture line into a map.
func fields(line string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			m[k] = v
		}
	}
	return m
}
