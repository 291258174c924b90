package test

import (
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// barrierSig is a real-time signal sent last, once every other signal has
// arrived: the kernel hands a process its pending standard signals before
// any real-time one, so once a process prints it, any second copy of an
// earlier signal that sexton sent has been printed too. (Signals are sent
// one at a time: sexton's threads may catch signals that arrive together
// in any order.)
const barrierSig = syscall.Signal(40)

// countLines counts the lines of s equal to line.
func countLines(s []string, line string) int {
	n := 0
	for _, l := range s {
		if l == line {
			n++
		}
	}
	return n
}

// expectBoth waits for "main sig N" and "daemon sig N", in either order.
func expectBoth(t *testing.T, p *proc, sig syscall.Signal) {
	t.Helper()
	want := map[string]bool{"main sig " + strconv.Itoa(int(sig)): true, "daemon sig " + strconv.Itoa(int(sig)): true}
	p.out.expect(t, "signal "+strconv.Itoa(int(sig))+" at the command and at the daemon", func(s string) bool {
		delete(want, s)
		return len(want) == 0
	})
}

// --signal-all: a daemon that left the command's session (fork, setsid,
// fork) gets each signal sent to PID 1 exactly once, as the command does,
// while the command runs.
func TestSignalAllReachesDaemon(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--signal-all", "-k", "0.2", "--", "/fixture", "trap", "--daemon")
		checkSignalAll(t, p, p.signal)
	})
}

// The same with sexton as a subreaper, not PID 1: its descendants, the
// daemon re-parented to it included, get each signal.
func TestSignalAllAsSubreaper(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "-v", "--signal-all", "-k", "0.2", "--", fixture, "trap", "--daemon"))
	checkSignalAll(t, p, func(sig syscall.Signal) {
		if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
			t.Fatalf("kill(%d, %d): %v", p.cmd.Process.Pid, sig, err)
		}
	})
}

func checkSignalAll(t *testing.T, p *proc, signal func(syscall.Signal)) {
	t.Helper()
	p.out.expectPrefix(t, "daemon ready")
	p.out.expectPrefix(t, "main ready")
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM, barrierSig} {
		signal(sig)
		expectBoth(t, p, sig)
	}
	seen := p.out.seen()
	for _, who := range []string{"main", "daemon"} {
		for _, sig := range []string{"10", "15", "40"} {
			if n := countLines(seen, who+" sig "+sig); n != 1 {
				t.Errorf("%s got signal %s %d times; want 1\nstdout:\n%s\nstderr:\n%s", who, sig, n, p.out.dump(), p.errs.dump())
			}
		}
	}
	p.send("exit 0")
	p.finish(0)
}

// Without --signal-all the daemon gets nothing while the command runs: its
// first signal is the SIGTERM of the shutdown once the command exited.
func TestNoSignalAllLeavesDaemon(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "-k", "0.2", "--", "/fixture", "trap", "--daemon")
		p.out.expectPrefix(t, "daemon ready")
		p.out.expectPrefix(t, "main ready")
		for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM, barrierSig} {
			p.signal(sig)
			p.out.expectPrefix(t, "main sig "+strconv.Itoa(int(sig)))
		}
		p.send("exit 0")
		p.errs.expectPrefix(t, "sexton: command gone: sent SIGTERM to every process left")
		if got := p.out.expectPrefix(t, "daemon sig "); got != "daemon sig 15" {
			t.Errorf("the daemon's first signal was %q; want daemon sig 15, from the shutdown\n%s", got, p.out.dump())
		}
		p.finish(0)
		for _, sig := range []string{"10", "40"} {
			if n := countLines(p.out.seen(), "daemon sig "+sig); n != 0 {
				t.Errorf("the daemon got signal %s %d times; want 0 without --signal-all", sig, n)
			}
		}
	})
}

// --signal-all --stop-delay: the first TERM is held for every process
// alike, while other signals pass at once.
func TestSignalAllStopDelay(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--signal-all", "--stop-delay", "1s", "-k", "0.2", "--", "/fixture", "trap", "--daemon")
		p.out.expectPrefix(t, "daemon ready")
		p.out.expectPrefix(t, "main ready")
		sent := time.Now()
		p.signal(syscall.SIGTERM)
		p.errs.expectPrefix(t, "sexton: holding SIGTERM for 1s")
		p.signal(syscall.SIGUSR1)
		expectBoth(t, p, syscall.SIGUSR1)
		expectBoth(t, p, syscall.SIGTERM)
		if held := time.Since(sent); held < 900*time.Millisecond {
			t.Errorf("TERM reached them %v after it was sent; want about 1s", held)
		}
		p.send("exit 0")
		p.finish(0)
	})
}
