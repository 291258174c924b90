package test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A command that hangs (here: waits forever, TERM at its default) is
// ended by --timeout: killed, reaped, exit 124, nothing left.
func TestTimeoutEndsHungCommand(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--timeout", "1s", "--", "/fixture", "trap", "--default", "15")
		p.out.expectPrefix(t, "main ready")
		ns := pidNS(t, p.initPID())
		p.finish(124)
		if !logged(p, "timed out after 1s: sending SIGTERM") {
			t.Errorf("no log of the timeout:\n%s", p.errs.dump())
		}
		afterExit(t, ns)
	})
}

// A command that traps the timeout signal gets it, then SIGKILL
// --kill-after later; still exit 124.
func TestTimeoutEscalatesToKill(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "-t", "0.5", "-k", "1s", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		ns := pidNS(t, p.initPID())
		p.out.expectPrefix(t, "main sig 15")
		p.finish(124)
		if !logged(p, "still running 1s after SIGTERM: sending SIGKILL") || !logged(p, "killed by SIGKILL") {
			t.Errorf("no log of the escalation to SIGKILL:\n%s", p.errs.dump())
		}
		afterExit(t, ns)
	})
}

// --timeout-signal INT: the command gets INT (then CONT, as from coreutils
// timeout), not TERM.
func TestTimeoutSignal(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--timeout-signal", "INT", "-t", "0.5", "-k", "0.5", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		if got := p.out.expectPrefix(t, "main sig "); got != "main sig 2" {
			t.Errorf("at the timeout the command got %q first; want main sig 2", got)
		}
		p.finish(124)
		for _, l := range p.out.seen() {
			if l == "main sig 15" {
				t.Errorf("the command got SIGTERM; want only the timeout signal INT")
			}
		}
	})
}

// A command that exits before the timeout: its status at once, no signal
// sent, nothing logged about a timeout or a shutdown.
func TestExitBeforeTimeout(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "-t", "1h", "--", "/fixture", "exit", "7")
		p.finish(7)
		if logged(p, "timed out") || logged(p, "sent SIGTERM") {
			t.Errorf("sexton signalled something:\n%s", p.errs.dump())
		}
	})
}

// --stop-delay: the first TERM reaches the command about the delay later,
// while other signals pass at once; a second TERM during the delay is
// relayed at once.
func TestStopDelay(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--stop-delay", "1s", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		sent := time.Now()
		p.signal(syscall.SIGTERM)
		p.errs.expectPrefix(t, "sexton: holding SIGTERM for 1s")
		p.signal(syscall.SIGUSR1)
		if got := p.out.expectPrefix(t, "main sig "); got != "main sig 10" {
			t.Errorf("during the delay the command first got %q; want main sig 10 (USR1 is not held)", got)
		}
		p.out.expectPrefix(t, "main sig 15")
		// A lower bound only: sexton holds TERM for at least the delay.
		// (The upper bound is the test's timeout.)
		if held := time.Since(sent); held < 900*time.Millisecond {
			t.Errorf("TERM reached the command %v after it was sent; want about 1s", held)
		}
		p.send("exit 0")
		p.finish(0)

		// A delay longer than the test: only a second TERM can reach the
		// command.
		p = e.start(t, runOpts{env: []string{"SEXTON_STOP_DELAY=1h"}}, "/sexton", "-v", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		p.signal(syscall.SIGTERM)
		p.errs.expectPrefix(t, "sexton: holding SIGTERM for 1h0m0s")
		p.signal(syscall.SIGTERM)
		p.out.expectPrefix(t, "main sig 15")
		p.send("exit 0")
		p.finish(0)
	})
}

// When the command exits, what it left behind gets SIGTERM: four
// background processes that end cleanly on TERM each see it before sexton
// exits with the command's status; four that ignore it are killed
// --kill-after later. Nothing is left either way.
func TestShutdownOfLeftovers(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, clean := range []bool{true, false} {
			args := []string{"/sexton", "-v", "-k", "1s", "--", "/fixture", "trap", "--bg", "4"}
			if clean {
				args = append(args, "--exit-on", "15")
			}
			p := e.start(t, runOpts{}, args...)
			p.out.expectPrefix(t, "main ready")
			ns := pidNS(t, p.initPID())
			p.send("exit 3")
			p.finish(3)
			out := strings.Join(p.out.seen(), "\n")
			for i := 1; i <= 4; i++ {
				if !strings.Contains(out, fmt.Sprintf("bg%d sig 15", i)) {
					t.Errorf("clean=%v: bg%d never got SIGTERM:\n%s", clean, i, out)
				}
			}
			if got := logged(p, "sending SIGKILL"); got == clean {
				t.Errorf("clean=%v: SIGKILL needed = %v; want %v\n%s", clean, got, !clean, p.errs.dump())
			}
			afterExit(t, ns)
		}
	})
}

// bgPIDs reads the pids of the fixture's background processes from their
// ready lines (host pids when not in a namespace).
func bgPIDs(t *testing.T, p *proc, n int) []int {
	t.Helper()
	var pids []int
	for i := 1; i <= n; i++ {
		line := p.out.expectPrefix(t, fmt.Sprintf("bg%d ready", i))
		pid, err := strconv.Atoi(fields(line)["pid"])
		if err != nil {
			t.Fatalf("no pid in %q", line)
		}
		pids = append(pids, pid)
	}
	return pids
}

// gone checks that none of pids is left, running or zombie. (A pid reused
// by an unrelated process would not run our fixture.)
func gone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.Contains(string(b), "fixture") {
			t.Errorf("pid %d is still there after sexton exited", pid)
		}
	}
}

// Not PID 1, sexton cannot kill(-1): it finds the command's descendants in
// /proc. A timeout ends a tree whose members ignore TERM, and a command
// that exits leaves nothing behind.
func TestShutdownAsSubreaper(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "-v", "-t", "0.5s", "-k", "0.5s", "--", fixture, "trap", "--bg", "3"))
	pids := bgPIDs(t, p, 3)
	p.finish(124)
	gone(t, pids)

	p = startProc(t, envHost, exec.Command(bin, "-k", "0.5s", "--", fixture, "trap", "--bg", "3"))
	pids = bgPIDs(t, p, 3)
	p.out.expectPrefix(t, "main ready")
	p.send("exit 0")
	p.finish(0)
	gone(t, pids)
}
