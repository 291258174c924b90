package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The command's exit code is sexton's; death by signal N is 128+N.
func TestExitCodes(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, code := range []int{0, 1, 42, 255} {
			p := e.start(t, runOpts{}, "/sexton", "--", "/fixture", "exit", strconv.Itoa(code))
			p.finish(code)
		}
		for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGKILL, syscall.SIGUSR1, syscall.SIGTERM} {
			p := e.start(t, runOpts{}, "/sexton", "/fixture", "raise", strconv.Itoa(int(sig)))
			p.finish(128 + int(sig))
		}
	})
}

// relayable is every signal sexton relays: 1..64 but KILL and STOP
// (uncatchable), CHLD (sexton's own), 32 and 33 (glibc's, and 33 the Go
// runtime's). PROF and 34 (glibc's SIGRTMIN) are among them: sexton's own
// handler catches them, where os/signal never delivered them. URG is too: the release build turns off the runtime's
// own SIGURGs, so a sent one is relayed.
func relayable() []syscall.Signal {
	var sigs []syscall.Signal
	for s := syscall.Signal(1); s <= 64; s++ {
		switch s {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, 32, 33:
			continue
		}
		sigs = append(sigs, s)
	}
	return sigs
}

// Every relayable signal sent to PID 1 reaches the command exactly once,
// and nothing that was not sent reaches it: no SIGURG the runtime raised,
// no SIGCHLD, nothing twice.
func TestRelayEverySignalOnce(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		for _, sig := range relayable() {
			p.signal(sig)
			want := fmt.Sprintf("main sig %d", sig)
			if got := p.out.nextLine(t, want); got != want {
				t.Fatalf("after sending %d to PID 1 the command printed %q; want %q", sig, got, want)
			}
		}
		// Sent but never relayed: CHLD is sexton's own.
		p.signal(syscall.SIGCHLD)
		if extra := p.ping("end"); len(extra) != 0 {
			t.Fatalf("the command got signals nobody relayed: %q", extra)
		}
		p.send("exit 0")
		p.finish(0)
	})
}

// docker stop: TERM to PID 1, the command dies of it, sexton reports 143.
func TestTermToInit(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--", "/fixture", "trap", "--default", "15")
		p.out.expectPrefix(t, "main ready")
		p.signal(syscall.SIGTERM)
		p.finish(143)
	})
}

// 10,000 double-forked orphans dying in bursts of 100 (so SIGCHLDs merge)
// are all reaped by sexton as PID 1; no zombie is left and the command
// lives on.
func TestReapOrphanBursts(t *testing.T) {
	const n = 10000
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--", "/fixture", "orphans", strconv.Itoa(n), "100")
		p.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", n))
		// sexton logs each reap; the last one makes the state final.
		p.out.expectPrefix(t, "main ready")
		p.errs.expectPrefix(t, fmt.Sprintf("sexton: reaped orphan #%d: ", n))
		for pid, state := range namespaceProcs(t, pidNS(t, p.initPID())) {
			if state == "Z" {
				t.Errorf("pid %d is a zombie after every orphan was reaped", pid)
			}
		}
		if extra := p.ping("alive"); len(extra) != 0 {
			t.Errorf("unexpected output from the command: %q", extra)
		}
		p.send("exit 0")
		p.finish(0)
	})
}

// -g relays to the command's process group (its background children too);
// by default only the command gets the signal.
func TestPgroup(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, group := range []bool{false, true} {
			args := []string{"/sexton"}
			if group {
				args = append(args, "-g")
			}
			// --exit-on 15: the bgs end on the SIGTERM sexton sends
			// to what the command leaves behind.
			args = append(args, "--", "/fixture", "trap", "--bg", "2", "--exit-on", "15")
			p := e.start(t, runOpts{}, args...)
			p.out.expectPrefix(t, "main ready")
			p.signal(syscall.SIGUSR1)
			p.out.expectPrefix(t, "main sig 10")
			// The workload signals its own group with USR2: every member
			// prints it after any USR1 it got (signalfd gives the lower
			// number first), so each bg's first line tells.
			p.send("group 12")
			p.out.expectEach(t, "USR2 at both bgs", "bg1 sig 12", "bg2 sig 12")
			first := map[string]string{} // each bg's first signal line
			for _, line := range p.out.seen() {
				if bg, _, ok := strings.Cut(line, " sig "); ok && first[bg] == "" {
					first[bg] = line
				}
			}
			for _, bg := range []string{"bg1", "bg2"} {
				want := bg + " sig 12"
				if group {
					want = bg + " sig 10"
				}
				if first[bg] != want {
					t.Errorf("-g=%v: %s printed %q first; want %q", group, bg, first[bg], want)
				}
			}
			p.send("exit 0")
			p.finish(0)
		}
	})
}

// TSTP stops the command (not sexton), CONT resumes it.
func TestStopContinue(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--", "/fixture", "trap", "--default", "20,18")
		p.out.expectPrefix(t, "main ready")
		p.signal(syscall.SIGTSTP)
		// sexton's waiter sees the stop (WUNTRACED) and logs it.
		p.errs.expect(t, "the command's stop", func(s string) bool {
			return strings.HasPrefix(s, "sexton: command pid ") && strings.HasSuffix(s, "stopped by SIGTSTP")
		})
		if st := procState(t, p.commandPID()); st != "T" {
			t.Errorf("command state = %s after TSTP; want T", st)
		}
		if st := procState(t, p.initPID()); st == "T" {
			t.Errorf("sexton itself stopped")
		}
		p.signal(syscall.SIGCONT)
		p.errs.expect(t, "the command's continue", func(s string) bool {
			return strings.HasPrefix(s, "sexton: command pid ") && strings.HasSuffix(s, " continued")
		})
		p.ping("running")
		p.send("exit 5")
		p.finish(5)
	})
}

// The command inherits sexton's signal state, not the Go runtime's: an
// inherited SIG_IGN for HUP (nohup) and a blocked USR2 reach it, and
// nothing else is ignored or blocked that sexton was not given. What
// "given" is depends on the machine (GNU make, for one, starts its
// recipes with 32 and 33 ignored), so each case is compared with the
// fixture started the same way without sexton.
func TestInheritedSignalState(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		startState := func(args ...string) map[string]string {
			t.Helper()
			p := e.start(t, runOpts{}, args...)
			start := fields(p.out.expectPrefix(t, "main start"))
			p.send("exit 0")
			p.finish(0)
			return start
		}
		launch := []string{"/fixture", "exec-with", "--ignore", "1", "--block", "12", "--"}
		for _, c := range []struct {
			name          string
			launcher      []string
			ignore, block string // bits that the launcher adds
		}{
			{"plain", nil, "0", "0"},
			{"HUP ignored, USR2 blocked", launch, "1", "800"},
		} {
			want := startState(append(c.launcher, "/fixture", "trap")...)
			got := startState(append(c.launcher, "/sexton", "--", "/fixture", "trap")...)
			for _, k := range []string{"sigign", "sigblk"} {
				if got[k] != want[k] {
					t.Errorf("%s: the command under sexton has %s=%s; started without sexton it has %s", c.name, k, got[k], want[k])
				}
			}
			if hexMask(t, want["sigign"])&hexMask(t, c.ignore) != hexMask(t, c.ignore) || hexMask(t, want["sigblk"])&hexMask(t, c.block) != hexMask(t, c.block) {
				t.Errorf("%s: the launcher did not set up the state: %v", c.name, want)
			}
		}

		// sexton itself ignores the inherited HUP too: HUP to PID 1 is
		// neither relayed nor fatal.
		p := e.start(t, runOpts{}, append(launch, "/sexton", "--", "/fixture", "trap")...)
		p.out.expectPrefix(t, "main ready")
		p.signal(syscall.SIGHUP)
		p.signal(syscall.SIGUSR1)
		if got := p.out.nextLine(t, "sig 10"); got != "main sig 10" {
			t.Errorf("after HUP then USR1 to PID 1 the command printed %q; want %q", got, "main sig 10")
		}
		p.send("exit 0")
		p.finish(0)
	})
}

func hexMask(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatalf("not a hex mask: %q", s)
	}
	return n
}

// The command runs in the directory sexton was started in; sexton itself
// moves to / so that it pins no mount.
func TestCwd(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		dir := t.TempDir()
		want := dir
		if e.kind == envRunc {
			dir, want = "/work", "/work"
		}
		p := e.start(t, runOpts{dir: dir}, "/sexton", "-v", "--", "/fixture", "trap")
		if got := fields(p.out.expectPrefix(t, "main start"))["cwd"]; got != want {
			t.Errorf("command cwd = %q; want %q", got, want)
		}
		p.out.expectPrefix(t, "main ready")
		// sexton moves once the command has started, and says "started"
		// after that: the command may be ready first.
		p.errs.expectPrefix(t, "sexton: started ")
		// sexton's cwd must be its root directory: compare the files, as
		// a path in another mount namespace does not read back from here.
		init := p.initPID()
		cwd, err := os.Stat(fmt.Sprintf("/proc/%d/cwd", init))
		if err != nil {
			t.Fatal(err)
		}
		root, err := os.Stat(fmt.Sprintf("/proc/%d/root", init))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(cwd, root) {
			t.Errorf("sexton's cwd is not its root directory")
		}
		p.send("exit 0")
		p.finish(0)
	})
}

// The command gets exactly the fds sexton was given: fd 3 passed in stays
// fd 3 (the same pipe), and no fd of sexton's own (pidfd, epoll, pipes)
// leaks in.
func TestFds(t *testing.T) {
	needRoot(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p := startUnshare(t, runOpts{extra: []*os.File{w}}, "/sexton", "--", "/fixture", "trap")
	start := p.out.expectPrefix(t, "main start")
	if got := fields(start)["fds"]; got != "0,1,2,3" {
		t.Errorf("command fds = %s; want 0,1,2,3", got)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(w.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("main fd3=pipe:[%d]", st.Ino)
	if got := p.out.expectPrefix(t, "main fd3="); got != want {
		t.Errorf("command's fd 3: %q; want %q", got, want)
	}
	p.send("exit 0")
	p.finish(0)

	// In a container: only 0, 1, 2.
	needRunc(t)
	p = startRunc(t, runOpts{}, "/sexton", "--", "/fixture", "trap")
	if got := fields(p.out.expectPrefix(t, "main start"))["fds"]; got != "0,1,2" {
		t.Errorf("command fds in runc = %s; want 0,1,2", got)
	}
	p.send("exit 0")
	p.finish(0)
}

// A command that cannot be started: 127 if missing, 126 if not executable,
// one line on stderr naming it, and no process left.
func TestStartErrors(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		cases := []struct {
			args []string
			code int
			says string
		}{
			{[]string{"/sexton", "--", "no-such-command"}, 127, "sexton: no-such-command: not found in PATH"},
			{[]string{"/sexton", "--", "/no/such/file"}, 127, "sexton: /no/such/file: no such file"},
			{[]string{"/sexton", "/notexec"}, 126, "/notexec: permission denied"},
			{[]string{"/sexton", "--", "/"}, 126, "sexton: /: permission denied"},
		}
		for _, c := range cases {
			p := e.start(t, runOpts{}, c.args...)
			p.finish(c.code)
			errs := p.errs.seen()
			if len(errs) != 1 || !strings.HasPrefix(errs[0], "sexton: ") || !strings.Contains(errs[0], c.says) {
				t.Errorf("%v: stderr = %q; want one line containing %q", c.args, errs, c.says)
			}
		}
	})
}

// A bad option: 125, one line naming it, and the command never runs.
func TestBadFlags(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		flags []string
		names string // what stderr must name
	}{
		{[]string{"-Z"}, "-Z"},
		{[]string{"--definitely-not-a-flag"}, "--definitely-not-a-flag"},
		{[]string{"--pgroup=yes"}, "--pgroup"},
		{[]string{"--timeout", "banana"}, `"banana"`},
		{[]string{"--timeout", "-1s"}, `"-1s"`},
		{[]string{"-t", "1x"}, `"1x"`},
		{[]string{"--timeout-signal", "NOPE"}, `"NOPE"`},
		{[]string{"--timeout-signal", "65"}, "65"},
		{[]string{"--kill-after", "x"}, `"x" for --kill-after`},
		{[]string{"--pdeathsig", "STOP"}, "--pdeathsig STOP"},
		{[]string{"--pdeathsig", "KILL"}, "--pdeathsig KILL"},
	} {
		marker := filepath.Join(t.TempDir(), "ran")
		args := append(append([]string{"/sexton"}, c.flags...), "--", "/fixture", "touch", marker)
		p := startUnshare(t, runOpts{}, args...)
		p.finish(125)
		errs := p.errs.seen()
		flag := strings.Join(c.flags, " ")
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "sexton: ") || !strings.Contains(errs[0], c.names) {
			t.Errorf("sexton %s: stderr = %q; want one line naming %s", flag, errs, c.names)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("sexton %s ran the command", flag)
		}
	}
	for _, args := range [][]string{{"/sexton"}, {"/sexton", "--"}} {
		p := startUnshare(t, runOpts{}, args...)
		p.finish(125)
		if errs := p.errs.seen(); len(errs) != 1 || !strings.Contains(errs[0], "no command given") {
			t.Errorf("%v: stderr = %q; want one line saying no command was given", args, errs)
		}
	}
}

// Not PID 1: sexton makes itself a subreaper, so the command's orphans are
// reparented to it and reaped.
func TestSubreaperOnHost(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "-v", "--", fixture, "orphans", "20", "20", "--report"))
	sexton := p.cmd.Process.Pid
	for i := 0; i < 20; i++ {
		line := p.out.expectPrefix(t, "main orphan ")
		if got := fields(line)["ppid"]; got != strconv.Itoa(sexton) {
			t.Errorf("%q: orphan's parent is %s; want sexton, pid %d", line, got, sexton)
		}
	}
	p.out.expectPrefix(t, "main orphans done 20")
	p.errs.expectPrefix(t, "sexton: reaped orphan #20: ")
	for _, kid := range childrenOf(t, sexton) {
		if st := procState(t, kid); st == "Z" {
			t.Errorf("child %d of sexton is a zombie", kid)
		}
	}
	p.send("exit 0")
	p.finish(0)
}

// Signal 32 (glibc's SIGCANCEL) is not relayed, and its default action
// terminates; as PID 1 the kernel drops it, elsewhere sexton ignores it so
// that a stray kill -32 does not end it. 34 (glibc's SIGRTMIN), which
// os/signal never delivered, is relayed like any other. The command still
// starts with both as sexton got them (TestInheritedSignalState).
func TestReservedSignalsHarmlessOnHost(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "-v", "--", fixture, "trap"))
	p.out.expectPrefix(t, "main ready")
	// sexton logs the start once it has set 32 to SIG_IGN.
	p.errs.expectPrefix(t, "sexton: started ")
	for _, sig := range []syscall.Signal{32, 34, syscall.SIGUSR1} {
		if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
			t.Fatalf("kill(sexton, %d): %v", sig, err)
		}
	}
	// Pending together, signals arrive lowest number first: do not
	// depend on the order.
	got := []string{p.out.nextLine(t, "a signal"), p.out.nextLine(t, "a signal")}
	slices.Sort(got)
	if want := []string{"main sig 10", "main sig 34"}; !slices.Equal(got, want) {
		t.Errorf("after 32, 34, USR1 to sexton the command printed %q; want %q", got, want)
	}
	if extra := p.ping("end"); len(extra) != 0 {
		t.Errorf("the command got more: %q", extra)
	}
	p.send("exit 0")
	p.finish(0)
}

// The same in --pause mode, which starts no command.
func TestReservedSignalsHarmlessInPause(t *testing.T) {
	p := startProc(t, envHost, exec.Command(bin, "-v", "--pause"))
	p.errs.expectPrefix(t, "sexton: pausing")
	for _, sig := range []syscall.Signal{32, 34, syscall.SIGTERM} {
		if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
			t.Fatalf("kill(sexton, %d): %v", sig, err)
		}
	}
	p.finish(0)
}
