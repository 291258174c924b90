package test

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// --wait-all: a launcher that starts two workers (one double-forked, so
// re-parented to sexton) and exits 0. sexton exits 0 only once both have
// finished, and neither was signalled (each prints "done" only if it ran
// to the end).
func TestWaitAllWaitsForWorkers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, double := range []bool{false, true} {
			args := []string{"/sexton", "-v", "--wait-all", "--", "/fixture", "workers", "2", "500"}
			if double {
				args = append(args, "--double")
			}
			p := e.start(t, runOpts{}, args...)
			p.out.expectPrefix(t, "main workers started")
			p.errs.expectPrefix(t, "sexton: command exited 0, waiting for 2 processes")
			p.finish(0)
			out := strings.Join(p.out.seen(), "\n")
			if !strings.Contains(out, "main w1 done") || !strings.Contains(out, "main w2 done") {
				t.Errorf("double=%v: sexton exited before both workers finished:\n%s", double, out)
			}
			if logged(p, "SIGTERM") {
				t.Errorf("double=%v: a worker was signalled:\n%s", double, p.errs.dump())
			}
		}
	})
}

// With only the workers left, a signal to sexton reaches each of them, and
// SIGTERM starts the usual shutdown: TERM, then KILL --kill-after later for
// those that ignore it; the exit code is still the command's.
func TestWaitAllSignalsAndTerm(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--wait-all", "-k", "0.5", "--", "/fixture", "trap", "--bg", "2")
		p.out.expectPrefix(t, "main ready")
		p.send("exit 3")
		p.errs.expectPrefix(t, "sexton: command exited 3, waiting for 2 processes")
		p.signal(syscall.SIGUSR1)
		p.out.expectEach(t, "USR1 at both workers", "bg1 sig 10", "bg2 sig 10")
		p.signal(syscall.SIGTERM)
		p.finish(3)
		out := strings.Join(p.out.seen(), "\n")
		for _, bg := range []string{"bg1", "bg2"} {
			if !strings.Contains(out, bg+" sig 15") {
				t.Errorf("%s never got SIGTERM:\n%s", bg, out)
			}
		}
		if !logged(p, "sending SIGKILL") {
			t.Errorf("the workers that ignore TERM were not killed:\n%s", p.errs.dump())
		}
	})
}

// --wait-all --timeout: the deadline covers the whole tree.
func TestWaitAllTimeout(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--wait-all", "-t", "1s", "-k", "0.5s", "--", "/fixture", "workers", "2", "30000")
		p.out.expectPrefix(t, "main workers started")
		ns := pidNS(t, p.initPID())
		p.finish(124)
		if out := strings.Join(p.out.seen(), "\n"); strings.Contains(out, " done") {
			t.Errorf("a worker ran to its end despite the timeout:\n%s", out)
		}
		afterExit(t, ns)
	})
}

// Host mode: --wait-all as a subreaper waits for the double-forked worker
// too (it is re-parented to sexton, not to the host's init).
func TestWaitAllAsSubreaper(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "--wait-all", "--", fixture, "workers", "1", "300", "--double"))
	p.finish(0)
	if out := strings.Join(p.out.seen(), "\n"); !strings.Contains(out, "main w1 done") {
		t.Errorf("sexton exited before the worker finished:\n%s", out)
	}
}
