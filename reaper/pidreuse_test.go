package reaper

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The command is signalled through its pidfd, so a signal that the loop
// relays after the waiter has reaped the command cannot reach a process
// that was given the same pid since. The test needs a pid to come back on
// demand: it re-runs itself as PID 1 of a new PID namespace (as root),
// where ns_last_pid chooses the next pid. As a control, kill(2) on the
// number does reach the newcomer, so the test can tell the two apart.
func TestSignalAfterPidReuse(t *testing.T) {
	if os.Getenv("SEXTON_PIDREUSE_CHILD") == "1" {
		pidReuseChild(t)
		return
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root (for a PID namespace); CI runs as root")
		}
		t.Skip("needs root (for a PID namespace)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := syscall.ForkExec(exe, []string{exe, "-test.run=^TestSignalAfterPidReuse$", "-test.v"}, &syscall.ProcAttr{
		Env:   append(os.Environ(), "SEXTON_PIDREUSE_CHILD=1"),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("the test as PID 1 of a new namespace failed: %v", ws)
	}
}

func pidReuseChild(t *testing.T) {
	// Our own /proc, to write this namespace's ns_last_pid.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		t.Fatal(err)
	}
	// start runs a sleep whose pid is exactly want (0: any). The newcomer
	// holds SIGTERM blocked, so a TERM that reaches it stays pending,
	// where /proc shows it at once.
	start := func(want int) *loop {
		if want != 0 {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var set unix.Sigset_t
			set.Val[0] = 1 << (unix.SIGTERM - 1)
			unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
			defer unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
			if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(want-1)), 0); err != nil {
				t.Fatal(err)
			}
		}
		l := &loop{cfg: Config{Argv: []string{"sleep", "60"}}}
		if err := l.start("/bin/sleep"); err != nil {
			t.Fatal(err)
		}
		if want != 0 && l.pid != want {
			t.Fatalf("got pid %d, wanted %d again", l.pid, want)
		}
		t.Cleanup(func() {
			unix.Kill(l.pid, unix.SIGKILL)
			unix.Wait4(l.pid, nil, 0, nil)
		})
		return l
	}
	// termPending reads the SIGTERM bit of the process's pending sets.
	termPending := func(pid int) bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":\t")
			if k == "SigPnd" || k == "ShdPnd" {
				n, err := strconv.ParseUint(v, 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				if n&(1<<(unix.SIGTERM-1)) != 0 {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range []struct {
		name    string
		pgroup  bool
		noPidfd bool // the control: signal the number
	}{
		{"pidfd", false, false},
		{"pidfd group", true, false},
		{"kill control", false, true},
	} {
		old := start(0)
		old.cfg.Pgroup = tc.pgroup
		if tc.noPidfd {
			old.pidfd = -1
		}
		// The waiter reaps the command...
		unix.Kill(old.pid, unix.SIGKILL)
		if _, err := unix.Wait4(old.pid, nil, 0, nil); err != nil {
			t.Fatal(err)
		}
		// ...another process gets its pid...
		newcomer := start(old.pid)
		// ...and then the loop relays a signal.
		err := old.signal(unix.SIGTERM)
		hit := termPending(newcomer.pid)
		switch {
		case tc.noPidfd && !hit:
			t.Errorf("%s: kill(2) on the old number did not reach the newcomer; the test cannot tell", tc.name)
		case !tc.noPidfd && hit:
			t.Errorf("%s: a signal for the reaped command reached pid %d's newcomer", tc.name, newcomer.pid)
		case !tc.noPidfd && err != unix.ESRCH:
			t.Errorf("%s: signal() = %v; want ESRCH", tc.name, err)
		}
		t.Logf("%s: pid %d reused; signal() = %v; newcomer got it: %v", tc.name, old.pid, err, hit)
	}
}
