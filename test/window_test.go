package test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A signal that reaches sexton, PID 1, before its command exists: sexton's
// handler is in place before anything that takes time (here a PATH of
// 40,000 missing directories, which makes the command's lookup take about
// 100 ms), so TERM, INT and HUP are queued for the command, which dies of
// it: sexton exits 128+N with nothing left; QUIT gives 131 and no
// goroutine dump. (Before, the runtime's handlers were in charge during
// the lookup: status 2, and a dump for QUIT.)
func TestSignalBeforeCommand(t *testing.T) {
	needRoot(t)
	path := strings.Repeat("/n:", 40000) + "/bin:/usr/bin"
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		// sexton as PID 1 of a new PID namespace, started by us, so that
		// its pid is known the moment it runs.
		cmd := exec.Command(bin, "--", "sleep", "5")
		cmd.Env = append(os.Environ(), "PATH="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Aimed into the lookup: past the runtime's start (well under
		// a millisecond), well before the command starts.
		time.Sleep(20 * time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(timeout):
			cmd.Process.Kill()
			<-done
			t.Fatalf("signal %d: sexton did not exit", sig)
		}
		if got, want := codeOf(cmd.ProcessState, nil), 128+int(sig); got != want {
			t.Errorf("signal %d before the command started: sexton exited %d; want %d\n%s", sig, got, want, stderr.String())
		}
		if strings.Contains(stderr.String(), "goroutine") {
			t.Errorf("signal %d: sexton printed a goroutine dump:\n%s", sig, stderr.String())
		}
	}
}
