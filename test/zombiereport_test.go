package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quiet fails the test if l gets a line within d: the only way to show that
// something does not happen is to give it the time to.
func quiet(t *testing.T, l *lines, d time.Duration, what string) {
	t.Helper()
	before := len(l.seen())
	deadline := time.After(d)
	for {
		select {
		case <-l.more:
			if all := l.seen(); len(all) > before {
				t.Fatalf("%s: got %q; want no line", what, all[before:])
			}
		case <-deadline:
			return
		}
	}
}

// makeZombies has the fixture behind p start a holder that makes n
// zombies and never waits for them; it returns the holder's pid and the
// start of the line that names it in sexton's report.
func makeZombies(t *testing.T, p *proc, n int) (holder, who string) {
	t.Helper()
	p.send("zombies " + strconv.Itoa(n))
	holder = fields(p.out.expectPrefix(t, "holder pid="))["pid"]
	return holder, "sexton: zombies: pid " + holder + " (fixture) "
}

// expectReport waits up to 3 s for the report line who+what... on errs.
func expectReport(t *testing.T, errs *lines, who, what string) string {
	t.Helper()
	return errs.expectWithin(t, 3*time.Second, "the report of the holder", func(s string) bool {
		return strings.HasPrefix(s, who+what)
	})
}

// releaseZombies ends the holder behind p; sexton reaps its zombies and
// says, within 3 s, that the holder is done.
func releaseZombies(t *testing.T, p *proc, errs *lines, who string) {
	t.Helper()
	p.send("release")
	errs.expectWithin(t, 3*time.Second, "the end of the report", func(s string) bool {
		return s == who+"holds no zombie children any more"
	})
}

// A parent that kills its children and never waits for them holds zombies
// that no init can reap. With --zombie-report 1s, sexton names it once
// (pid, name, count) within 3 s, says nothing more while nothing changes,
// and says it is over once the parent exits and sexton reaps the zombies.
func TestZombieReport(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--zombie-report", "1s", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		holder, who := makeZombies(t, p, 2)
		start := time.Now()
		line := expectReport(t, p.errs, who, "holds 2 zombie children (one of them for at least ")
		if !strings.Contains(line, "it must call wait or waitpid after kill, or handle or ignore SIGCHLD") {
			t.Errorf("report %q does not say what the parent must do", line)
		}
		t.Logf("reported %v after the zombies were made", time.Since(start).Round(time.Millisecond))
		quiet(t, p.errs, 2500*time.Millisecond, "zombies unchanged for two more looks")

		releaseZombies(t, p, p.errs, who)
		p.out.expectPrefix(t, "main released pid="+holder)
		p.send("exit 0")
		p.finish(0)
		if errs := p.errs.seen(); len(errs) != 2 {
			t.Errorf("stderr = %q; want the two report lines only", errs)
		}
	})
}

// Not PID 1: the subreaper names a neglectful parent among its
// descendants, by its host pid.
func TestZombieReportAsSubreaper(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "--zombie-report", "1s", "--", fixture, "trap"))
	p.out.expectPrefix(t, "main ready")
	_, who := makeZombies(t, p, 1)
	expectReport(t, p.errs, who, "holds 1 zombie child (for at least ")
	releaseZombies(t, p, p.errs, who)
	p.send("exit 0")
	p.finish(0)
}

// --pause: the neglectful parent is in another container of the pod,
// entering the namespace from outside; the pause container names it.
func TestZombieReportInPause(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--zombie-report", "1s", "--pause")
		p.errs.expectPrefix(t, "sexton: pausing")
		var cmd *exec.Cmd
		if p.id != "" {
			cmd = exec.Command("runc", "--root", p.runcRT, "exec", p.id, "/fixture", "trap")
		} else {
			cmd = exec.Command("nsenter", "-t", strconv.Itoa(p.initPID()), "-p", "-m", fixture, "trap")
		}
		visitor := startProc(t, p.env, cmd)
		visitor.out.expectPrefix(t, "main ready")
		_, who := makeZombies(t, visitor, 3)
		expectReport(t, p.errs, who, "holds 3 zombie children")
		releaseZombies(t, visitor, p.errs, who)
		visitor.send("exit 0")
		visitor.finish(0)
		p.signal(syscall.SIGTERM)
		p.finish(0)
	})
}

// No line for a parent that waits (after the kill, as a correct program
// does), nor for the orphans that sexton reaps itself, nor for the
// intermediate children that the orphan maker reaps a moment after they
// exit: looking every 100 ms, sexton sees such zombies, but never the same
// one twice.
func TestZombieReportQuiet(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--zombie-report", "0.1s", "--", "/fixture", "orphans", "20000", "100")
		p.out.expectPrefix(t, "main ready")
		p.send("zombies 5 --wait")
		p.out.expectPrefix(t, "holder pid=")
		quiet(t, p.errs, time.Second, "a holder that waited, after 20000 orphans")
		p.send("release")
		p.out.expectPrefix(t, "main released pid=")
		p.send("exit 0")
		p.finish(0)
		if errs := p.errs.seen(); len(errs) != 0 {
			t.Errorf("stderr = %q; want nothing", errs)
		}
	})
}

// ctxtSwitches is how many times every thread of pid gave up the CPU so
// far: a timer, however idle, wakes a thread and adds to it.
func ctxtSwitches(t *testing.T, pid int) int {
	t.Helper()
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if len(files) == 0 {
		t.Fatalf("no threads of pid %d", pid)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
}

// Off by default: an idle sexton without the option writes nothing and,
// once started, wakes up 0 times in 3 s (no timer runs), while the same sexton with
// --zombie-report 1s wakes up for its looks (so the measure can see them).
func TestZombieReportOffByDefault(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, c := range []struct {
			args []string
			wake bool
		}{
			{nil, false},
			{[]string{"--zombie-report", "1s"}, true},
		} {
			args := append(append([]string{"/sexton"}, c.args...), "--", "/fixture", "trap")
			p := e.start(t, runOpts{}, args...)
			p.out.expectPrefix(t, "main ready")
			p.send("zombies 1 --wait")
			p.out.expectPrefix(t, "holder pid=")
			p.ping("settled")
			pid := p.initPID()
			// The Go runtime's start-up tail (a thread parking, a
			// first GC) can still wake it once within a second.
			quiet(t, p.errs, time.Second, fmt.Sprintf("sexton %v starting", c.args))
			before := ctxtSwitches(t, pid)
			quiet(t, p.errs, 3*time.Second, fmt.Sprintf("sexton %v idle", c.args))
			after := ctxtSwitches(t, pid)
			t.Logf("sexton %v: %d context switches in 3 s", c.args, after-before)
			if woke := after != before; woke != c.wake {
				t.Errorf("sexton %v: %d context switches in 3 s; want them only with the option", c.args, after-before)
			}
			p.send("release")
			p.out.expectPrefix(t, "main released pid=")
			p.send("exit 0")
			p.finish(0)
		}
	})
}

// A bad DUR, on the command line or in the variable: one line on stderr
// naming it, exit 125, the command never started.
func TestZombieReportBadDuration(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		flags []string
		env   []string
		names string
	}{
		{[]string{"--zombie-report", "often"}, nil, `"often" for --zombie-report`},
		{[]string{"--zombie-report", "10ms"}, nil, "use 100ms or more"},
		{nil, []string{"SEXTON_ZOMBIE_REPORT=-1s"}, `"-1s" for SEXTON_ZOMBIE_REPORT`},
	} {
		marker := filepath.Join(t.TempDir(), "ran")
		args := append(append([]string{"/sexton"}, c.flags...), "--", "/fixture", "touch", marker)
		p := startUnshare(t, runOpts{env: c.env}, args...)
		p.finish(125)
		errs := p.errs.seen()
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "sexton: ") || !strings.Contains(errs[0], c.names) {
			t.Errorf("sexton %v %v: stderr = %q; want one line naming %s", c.env, c.flags, errs, c.names)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("sexton %v %v ran the command", c.env, c.flags)
		}
	}
}
