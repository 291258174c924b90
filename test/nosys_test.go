package test

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// sysPidfdSendSignal is pidfd_send_signal's number on x86-64.
const sysPidfdSendSignal = "424"

// Under a seccomp profile that lacks pidfd_send_signal (it answers ENOSYS,
// though clone still gives a pidfd; valgrind does the same), signals still
// reach the command, by pid, and so does the shutdown's SIGTERM to what it
// left behind. As PID 1, with the handler's relay and the loop's; not as
// PID 1, where the shutdown signals each descendant through a pidfd: -k
// 30s, so a shutdown that signalled nobody would outlast the harness's
// 20 s wait. And --pause still waits for a process that joined its
// namespace, though it cannot check through the pidfd that it may signal
// it.
func TestWithoutPidfdSendSignal(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture's seccomp filter is x86-64's")
	}
	run := func(t *testing.T, p *proc, sexton int) {
		p.out.expectPrefix(t, "main ready")
		for range 3 {
			if err := syscall.Kill(sexton, syscall.SIGUSR1); err != nil {
				t.Fatalf("kill(sexton, USR1): %v", err)
			}
			p.out.expectPrefix(t, "main sig 10")
		}
		p.send("exit 0")
		p.out.expectEach(t, "SIGTERM at both bgs", "bg1 sig 15", "bg2 sig 15")
		p.finish(0)
	}
	t.Run("PID 1", func(t *testing.T) {
		p := startUnshare(t, runOpts{}, "/fixture", "exec-with", "--nosys", sysPidfdSendSignal, "--",
			"/sexton", "-k", "30s", "--", "/fixture", "trap", "--bg", "2", "--exit-on", "15")
		p.out.expectPrefix(t, "main start")
		run(t, p, p.initPID())
	})
	t.Run("subreaper", func(t *testing.T) {
		p := startProc(t, envHost, exec.Command(fixture, "exec-with", "--nosys", sysPidfdSendSignal, "--",
			bin, "-k", "30s", "--", fixture, "trap", "--bg", "2", "--exit-on", "15"))
		p.out.expectPrefix(t, "main start")
		run(t, p, p.cmd.Process.Pid)
	})
	t.Run("pause", func(t *testing.T) {
		p := startUnshare(t, runOpts{}, "/fixture", "exec-with", "--nosys", sysPidfdSendSignal, "--",
			"/sexton", "-v", "--pause", "--kill-after", "10")
		p.errs.expectPrefix(t, "sexton: pausing")
		app := joinNamespace(t, p, "trap")
		p.signal(syscall.SIGTERM)
		app.out.expectPrefix(t, "main sig 15")
		stillRunning(t, p, 500*time.Millisecond, "while the application was stopping")
		app.send("exit 7")
		app.finish(7)
		p.finish(0)
	})
}
