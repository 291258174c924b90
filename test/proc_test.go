package test

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/test/internal/procfs"
)

// proc is a running sexton and its workload as seen from outside.
type proc struct {
	t      *testing.T
	env    envKind
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *lines // the workload's stdout (and sexton's, which is the same)
	errs   *lines // stderr: sexton's log and errors
	done   chan struct{}
	code   int
	id     string // runc container id
	runcRT string // runc --root
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
func startProc(t *testing.T, kind envKind, cmd *exec.Cmd) *proc {
	t.Helper()
	return startProcStderr(t, kind, cmd, nil)
}

// startProcStderr is startProc with stderr the given file (nil: a pipe
// of the test's, as startProc has); the proc's errs then reads nothing.
func startProcStderr(t *testing.T, kind envKind, cmd *exec.Cmd, stderr *os.File) *proc {
	t.Helper()
	p := &proc{t: t, env: kind, cmd: cmd, done: make(chan struct{})}
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
	var errR, errW *os.File
	if stderr == nil {
		if errR, errW, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		stderr = errW
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if errW != nil {
		errW.Close()
	}
	if err != nil {
		outR.Close()
		if errR != nil {
			errR.Close()
		}
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	p.out = newLines(outR)
	if errR != nil {
		p.errs = newLines(errR)
	} else {
		p.errs = newLines(strings.NewReader("")) // not ours to read
	}
	p.watch()
	return p
}

// startOnPty starts cmd with a pty's slave end as its stdin, stdout and
// stderr (cmd.SysProcAttr says how it gets its session), and returns the
// proc that reads and writes the master end.
func startOnPty(t *testing.T, kind envKind, cmd *exec.Cmd, master, slave *os.File) *proc {
	t.Helper()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	p := &proc{t: t, env: kind, cmd: cmd, done: make(chan struct{}), stdin: master}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	p.out = newLines(master)
	p.errs = p.out
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

// kill ends sexton and everything under it.
func (p *proc) kill() {
	if p.id != "" {
		exec.Command("runc", "--root", p.runcRT, "kill", p.id, "KILL").Run()
	}
	if p.env == envHost {
		// Not in a namespace of its own: kill the tree from the leaves
		// up by pid, so nothing it started outlives the test.
		killTree(p.cmd.Process.Pid)
	}
	// For unshare, killing unshare kills sexton through --kill-child.
	p.cmd.Process.Kill()
}

// killTree SIGKILLs pid's descendants, found through /proc, from the
// leaves up. A process that is gone has no children left to find.
func killTree(pid int) {
	kids, _ := procfs.Children(pid)
	for _, kid := range kids {
		killTree(kid)
		syscall.Kill(kid, syscall.SIGKILL)
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

// logged reports whether sexton's stderr has a line containing s.
func logged(p *proc, s string) bool {
	for _, l := range p.errs.seen() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
