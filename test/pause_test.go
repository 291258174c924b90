package test

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A pod whose containers share its PID namespace: sexton --pause is PID 1,
// and the application enters the namespace from outside (nsenter for
// unshare, runc exec for runc), as another container of the pod does. Its
// parent stays outside, so it is not sexton's child.

// joinNamespace starts the fixture with args inside p's PID namespace and
// waits for its ready line.
func joinNamespace(t *testing.T, p *proc, args ...string) *proc {
	t.Helper()
	var cmd *exec.Cmd
	if p.id != "" {
		cmd = exec.Command("runc", append([]string{"--root", p.runcRT, "exec", p.id, "/fixture"}, args...)...)
	} else {
		cmd = exec.Command("nsenter", append([]string{"-t", strconv.Itoa(p.initPID()), "-p", "-m", fixture}, args...)...)
	}
	app := startProc(t, p.env, cmd)
	app.out.expectPrefix(t, "main ready")
	return app
}

// stillRunning fails the test if sexton exits within d.
func stillRunning(t *testing.T, p *proc, d time.Duration, when string) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("sexton exited %s (code %d); want it to wait\nstderr:\n%s", when, p.code, p.errs.dump())
	case <-time.After(d):
	}
}

// exitedWithin waits for sexton's exit, expects 0, and returns how long
// after since it came.
func exitedWithin(t *testing.T, p *proc, since time.Time) time.Duration {
	t.Helper()
	p.finish(0)
	return time.Since(since)
}

// TERM to PID 1: the application gets it, takes its time (half a second
// here) to exit 7, and sexton exits 0 after it, not before.
func TestPauseStopsSharedNamespace(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "10")
		p.errs.expectPrefix(t, "sexton: pausing")
		app := joinNamespace(t, p, "trap")
		p.signal(syscall.SIGTERM)
		app.out.expectPrefix(t, "main sig 15")
		p.errs.expectPrefix(t, "sexton: SIGTERM: sent SIGTERM to 1 process")
		stillRunning(t, p, 500*time.Millisecond, "while the application was stopping")
		app.send("exit 7")
		app.finish(7)
		p.finish(0)
		p.errs.expectPrefix(t, "sexton: every other process exited after ")
	})
}

// An application that ignores TERM is SIGKILLed --kill-after later, and
// sexton exits 0.
func TestPauseKillsAfterGrace(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "1")
		p.errs.expectPrefix(t, "sexton: pausing")
		app := joinNamespace(t, p, "trap")
		start := time.Now()
		p.signal(syscall.SIGTERM)
		app.out.expectPrefix(t, "main sig 15")
		app.finish(137)
		took := exitedWithin(t, p, start)
		if took < time.Second || took > 5*time.Second {
			t.Errorf("sexton exited %v after TERM; want about --kill-after 1s", took)
		}
		p.errs.expectPrefix(t, "sexton: processes still running 1s after SIGTERM: sending SIGKILL")
	})
}

// A second TERM or INT during the wait, or --kill-after 0, ends it at once:
// SIGKILL to what is left, exit 0.
func TestPauseStopNow(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, second := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			p := e.start(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "20")
			p.errs.expectPrefix(t, "sexton: pausing")
			app := joinNamespace(t, p, "trap")
			p.signal(syscall.SIGTERM)
			app.out.expectPrefix(t, "main sig 15")
			start := time.Now()
			p.signal(second)
			app.finish(137)
			if took := exitedWithin(t, p, start); took > 5*time.Second {
				t.Errorf("after a second signal %d sexton took %v to exit; want at once", second, took)
			}
			p.errs.expectPrefix(t, "sexton: second ")
		}

		p := e.start(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "0")
		p.errs.expectPrefix(t, "sexton: pausing")
		app := joinNamespace(t, p, "trap")
		start := time.Now()
		p.signal(syscall.SIGTERM)
		app.finish(137)
		if took := exitedWithin(t, p, start); took > 5*time.Second {
			t.Errorf("with --kill-after 0 sexton took %v to exit; want at once", took)
		}
		p.errs.expectPrefix(t, "sexton: SIGTERM: sent SIGKILL to 1 process (--kill-after 0)")
		if got := app.out.seen(); strings.Contains(strings.Join(got, "\n"), "main sig 15") {
			t.Errorf("with --kill-after 0 the application got TERM first: %q", got)
		}
	})
}

// With nothing else alive TERM ends the pause at once, as it always did:
// no wait for the grace.
func TestPauseAloneExitsAtOnce(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "20")
		p.errs.expectPrefix(t, "sexton: pausing")
		// One that came and went: nothing is left of it.
		app := joinNamespace(t, p, "trap")
		app.send("exit 0")
		app.finish(0)
		start := time.Now()
		p.signal(syscall.SIGTERM)
		if took := exitedWithin(t, p, start); took > 2*time.Second {
			t.Errorf("sexton alone took %v to exit on TERM; want at once", took)
		}
		p.errs.expectPrefix(t, "sexton: SIGTERM: exiting")
	})
}

// Not PID 1: sexton --pause exec'd by a shell that left a child behind is
// that child's parent, and a subreaper. TERM reaches the child, and sexton
// exits 0 once it is gone.
func TestPauseStopsDescendants(t *testing.T) {
	// The pipe goes to the child through fd 3: sh gives a background
	// job /dev/null as stdin, even with <&0.
	sh := exec.Command("sh", "-c", `exec 3<&0; "$0" trap <&3 3<&- & exec "$1" -v --pause --kill-after 10 3<&-`, fixture, bin)
	p := startProc(t, envHost, sh)
	p.out.expectPrefix(t, "main ready")
	p.errs.expectPrefix(t, "sexton: pausing")
	if err := syscall.Kill(sh.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.out.expectPrefix(t, "main sig 15")
	p.errs.expectPrefix(t, "sexton: SIGTERM: sent SIGTERM to 1 process")
	stillRunning(t, p, 500*time.Millisecond, "while its child was stopping")
	p.send("exit 7")
	p.finish(0)
	p.errs.expectPrefix(t, "sexton: reaped orphan #1: ")
	p.errs.expectPrefix(t, "sexton: every other process exited after ")
}

// The same with a shell from the host (unshare shares its filesystem),
// whose trap does the work on its own: it writes a line and exits 7
// half a second later, or exits at once and leaves a process behind that
// was started after the TERM, and which sexton must wait for too.
func TestPauseStopsSharedNamespaceShell(t *testing.T) {
	needRoot(t)
	for _, tt := range []struct {
		name, trap string
		code       int
		last       string // the last line the shell's processes write
	}{
		{"trap", `echo term; sleep 0.5; echo bye; exit 7`, 7, "bye"},
		{"leftover", `echo term; (sleep 0.5; echo late) & exit 7`, 7, "late"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startUnshare(t, runOpts{}, "/sexton", "-v", "--pause", "--kill-after", "10")
			p.errs.expectPrefix(t, "sexton: pausing")
			// The loop's sleep is a process of its own that gets TERM
			// too; the shell runs its trap once that sleep is gone.
			app := startProc(t, envUnshare, exec.Command("nsenter", "-t", strconv.Itoa(p.initPID()), "-p", "-m",
				"sh", "-c", `trap '`+tt.trap+`' TERM; echo ready; while :; do sleep 1; done`))
			app.out.expectPrefix(t, "ready")
			start := time.Now()
			p.signal(syscall.SIGTERM)
			app.out.expectPrefix(t, "term")
			stillRunning(t, p, 300*time.Millisecond, "while the shell's trap ran")
			app.out.expectPrefix(t, tt.last)
			if took := exitedWithin(t, p, start); took < 500*time.Millisecond {
				t.Errorf("sexton exited %v after TERM; want after the trap's half second", took)
			}
			app.finish(tt.code)
			p.errs.expectPrefix(t, "sexton: every other process exited after ")
		})
	}
}
