package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// startLogTo runs sexton as PID 1 (unshare) with stderr, sexton's log, on
// the given file; stdin and stdout are the test's pipes as usual.
func startLogTo(t *testing.T, stderr *os.File, args ...string) *proc {
	t.Helper()
	cmdline := append([]string{"--pid", "--fork", "--mount-proc", "--kill-child"}, hostPaths(args)...)
	cmd := exec.Command("unshare", cmdline...)
	cmd.Dir = t.TempDir()
	return startProcStderr(t, envUnshare, cmd, stderr)
}

// noSignal fails the test if the command reported signal sig.
func noSignal(t *testing.T, p *proc, sig syscall.Signal, why string) {
	t.Helper()
	for _, l := range p.out.seen() {
		if l == "main sig "+strconv.Itoa(int(sig)) {
			t.Errorf("the command got signal %d, which sexton raised at itself %s; lines:\n%s", sig, why, p.out.dump())
		}
	}
}

// -v with stderr a pipe whose reader has exited (`sexton -v ... 2>&1 |
// head` once head is done): each log write fails with EPIPE and the
// kernel raises SIGPIPE at sexton. sexton, PID 1, neither dies of it nor
// relays it: the command runs on, gets the signals sent to sexton, a
// SIGPIPE that another process sends included, and its status is sexton's.
func TestLogToDeadPipe(t *testing.T) {
	needRoot(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	p := startLogTo(t, w, "/sexton", "-v", "--", "/fixture", "trap")
	w.Close()
	p.out.expectPrefix(t, "main ready")
	p.signal(syscall.SIGUSR1)
	if got := p.out.expectPrefix(t, "main sig "); got != "main sig 10" {
		t.Errorf("after USR1 the command first got %q; want main sig 10", got)
	}
	p.signal(syscall.SIGPIPE)
	if got := p.out.expectPrefix(t, "main sig "); got != "main sig 13" {
		t.Errorf("after a SIGPIPE sent to sexton the command got %q; want main sig 13", got)
	}
	p.ping("end")
	p.send("exit 7")
	p.finish(7)
	if n := strings.Count(strings.Join(p.out.seen(), "\n"), "main sig 13"); n != 1 {
		t.Errorf("the command got %d SIGPIPEs; want the 1 sent:\n%s", n, p.out.dump())
	}
}

// -v with stderr a file under RLIMIT_FSIZE: once the log reaches the limit
// the write fails with EFBIG and the kernel raises SIGXFSZ at sexton. The
// command never gets that SIGXFSZ (before, each relayed SIGXFSZ was logged,
// failed, and raised another: a loop at full CPU), and still gets one that
// another process sends.
func TestLogPastFileSizeLimit(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("prlimit")
	need(t, "prlimit (util-linux)", err == nil)
	logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// 300 bytes: the start line and a few "relayed SIGUSR1" lines fit.
	p := startLogTo(t, logf, "prlimit", "--fsize=300", "/sexton", "-v", "--", "/fixture", "trap")
	p.out.expectPrefix(t, "main ready")
	for range 30 { // 30 lines of ~26 bytes: well past the limit
		p.signal(syscall.SIGUSR1)
		if got := p.out.expectPrefix(t, "main sig "); got != "main sig 10" {
			t.Fatalf("after USR1 the command got %q; want main sig 10", got)
		}
	}
	p.ping("full")
	noSignal(t, p, syscall.SIGXFSZ, "when its log passed RLIMIT_FSIZE")
	p.signal(syscall.SIGXFSZ)
	if got := p.out.expectPrefix(t, "main sig "); got != "main sig 25" {
		t.Errorf("after a SIGXFSZ sent to sexton the command got %q; want main sig 25", got)
	}
	p.send("exit 7")
	p.finish(7)
	st, err := logf.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() == 0 || st.Size() > 300 {
		t.Errorf("the log has %d bytes; want some, at most the limit of 300", st.Size())
	}
	b, _ := os.ReadFile(logf.Name())
	if !strings.HasPrefix(string(b), "sexton: started ") {
		t.Errorf("the log starts %q; want the start line", b)
	}
}

// -v on a terminal under `stty tostop`, sexton started as a job by a shell
// with job control: once the command has the terminal's foreground, sexton
// is a background job, and the kernel would answer each of its log writes
// with SIGTTOU and a restart of the write (before: a livelock at full CPU
// in the first log line, with nothing relayed ever again). sexton is not
// stopped, not busy and not stuck: it relays, and exits with the command's
// status. (Not PID 1: the job needs a parent in its session.)
func TestLogToTostopTerminal(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("setsid")
	need(t, "setsid (util-linux)", err == nil)
	_, err = exec.LookPath("bash")
	need(t, "bash", err == nil)
	master, slave := openPty(t)
	defer master.Close()
	// In the namespace, bash (PID 1, session leader with the pty as its
	// terminal) runs sexton as a job in a group of its own.
	script := "stty tostop; set -m; " + bin + " -v -- " + fixture + " trap; echo rc=$?"
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
		"setsid", "-c", "bash", "--norc", "--noprofile", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = t.TempDir()
	p := startOnPty(t, envUnshare, cmd, master, slave)

	ready := fields(p.out.expectPrefix(t, "main ready"))
	if ready["fg"] != ready["pgid"] {
		t.Fatalf("the command is not the terminal's foreground group: %v", ready)
	}
	// unshare -> bash -> sexton, each the only child of the one before.
	shell := childrenOf(t, cmd.Process.Pid)
	if len(shell) != 1 {
		t.Fatalf("unshare has children %v; want bash alone", shell)
	}
	sx := childrenOf(t, shell[0])
	if len(sx) != 1 {
		t.Fatalf("bash has children %v; want sexton alone", sx)
	}
	if err := unix.Kill(sx[0], syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	p.out.expectPrefix(t, "main sig 10")
	p.send("exit 7")
	p.out.expectPrefix(t, "rc=7")
	p.finish(0)
}

// -v with stderr a pipe whose reader is alive but has stopped reading (a
// stuck log shipper): once the pipe is full, a log write would block, and
// with it reaping and relaying. sexton, PID 1, drops those lines instead:
// it reaps 5,000 orphans (a line each, far more than the pipe holds),
// relays TERM, and exits with the command's status.
func TestLogToStalledPipe(t *testing.T) {
	needRoot(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() // never read
	p := startLogTo(t, w, "/sexton", "-v", "--", "/fixture", "orphans", "5000", "100")
	w.Close()
	p.out.expectPrefix(t, "main orphans done 5000")
	p.out.expectPrefix(t, "main ready")
	p.signal(syscall.SIGTERM)
	p.out.expectPrefix(t, "main sig 15")
	p.send("exit 7")
	p.finish(7)
	buf := make([]byte, 64)
	if n, _ := r.Read(buf); !strings.HasPrefix(string(buf[:n]), "sexton: started ") {
		t.Errorf("the log starts %q; want the start line", buf[:n])
	}
}
