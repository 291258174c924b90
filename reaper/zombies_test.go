package reaper

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// makeZombie starts a child of the test process, kills it, and returns once
// it is a zombie, which the test reaps itself later (this process is not
// sexton: the one-waiter rule is for sexton's own).
func makeZombie(t *testing.T) int {
	t.Helper()
	pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "60"}, &syscall.ProcAttr{})
	if err != nil {
		t.Skipf("skipped: cannot start /bin/sleep: %v", err)
	}
	t.Cleanup(func() {
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil) // ECHILD: already reaped by the test
	})
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// WNOWAIT: block until it is a zombie, but leave it one.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	return pid
}

func reap(t *testing.T, pid int) {
	t.Helper()
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("wait4(%d): %v", pid, err)
	}
}

// ours is a watch over the whole /proc, as PID 1's, whose lines about the
// test process itself are collected (the host may have neglectful parents
// of its own).
func ours(t *testing.T) (*zombieWatch, func() []string) {
	var got []string
	me := "pid " + strconv.Itoa(os.Getpid()) + " ("
	w := &zombieWatch{proc: "/proc", self: 1, whole: true, report: func(s string) {
		if strings.Contains(s, me) {
			got = append(got, s)
		}
	}}
	return w, func() []string { g := got; got = nil; return g }
}

func TestZombieWatch(t *testing.T) {
	w, lines := ours(t)
	t0 := time.Now()
	look := func(after time.Duration) []string {
		t.Helper()
		if !w.look(t0.Add(after)) {
			t.Fatal("look() = false; want true")
		}
		return lines()
	}
	expect := func(after time.Duration, want ...string) {
		t.Helper()
		got := look(after)
		if len(got) != len(want) {
			t.Fatalf("look at %v: lines %q; want %d lines containing %q", after, got, len(want), want)
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Fatalf("look at %v: line %q; want it to contain %q", after, got[i], want[i])
			}
		}
	}

	a := makeZombie(t)
	expect(0) // first seen: might be a child that exited a moment ago
	expect(time.Second, "holds 1 zombie child (for at least 1s): it does not wait for its children")
	expect(2 * time.Second) // nothing changed
	b := makeZombie(t)
	expect(3*time.Second, "holds 2 zombie children (one of them for at least 3s)")
	reap(t, a)
	expect(4 * time.Second) // fewer: no line
	reap(t, b)
	expect(5*time.Second, "holds no zombie children any more")
	expect(6 * time.Second)

	// A zombie reaped between two looks and another one made: a parent
	// that waits, only late. Its witness is gone, so no line.
	c := makeZombie(t)
	expect(7 * time.Second)
	reap(t, c)
	d := makeZombie(t)
	expect(8 * time.Second)
	reap(t, d)
	expect(9 * time.Second)
}

// A subreaper's watch names only its descendants: the test process is not
// a descendant of the pid it pretends to be.
func TestZombieWatchDescendantsOnly(t *testing.T) {
	var got []string
	w := &zombieWatch{proc: "/proc", self: os.Getpid() + 1<<22, report: func(s string) { got = append(got, s) }}
	z := makeZombie(t)
	w.look(time.Now())
	w.look(time.Now().Add(time.Second))
	reap(t, z)
	for _, s := range got {
		if strings.Contains(s, "pid "+strconv.Itoa(os.Getpid())+" (") {
			t.Errorf("a watch of descendants only reported %q", s)
		}
	}
	// And as the test process's parent it does name it.
	got = nil
	w = &zombieWatch{proc: "/proc", self: os.Getppid(), report: func(s string) { got = append(got, s) }}
	z = makeZombie(t)
	w.look(time.Now())
	w.look(time.Now().Add(time.Second))
	reap(t, z)
	if len(got) != 1 || !strings.Contains(got[0], "pid "+strconv.Itoa(os.Getpid())+" (") {
		t.Errorf("a watch from our parent reported %q; want one line naming us", got)
	}
}

func TestZombieWatchNoProc(t *testing.T) {
	var got []string
	w := &zombieWatch{proc: t.TempDir() + "/none", report: func(s string) { got = append(got, s) }}
	if w.look(time.Now()) {
		t.Error("look() = true without /proc; want false")
	}
	if len(got) != 1 || !strings.Contains(got[0], "cannot read") {
		t.Errorf("lines %q; want one saying it cannot read /proc", got)
	}
}

// A look allocates nothing per process: the same few allocations whether
// /proc lists ten processes or ten thousand.
func TestZombieWatchAllocs(t *testing.T) {
	names, err := readDir("/proc")
	if err != nil {
		t.Skip("skipped: no /proc")
	}
	w := &zombieWatch{proc: "/proc", self: os.Getpid(), report: func(string) {}}
	now := time.Now()
	w.look(now) // the buffers and the map
	allocs := testing.AllocsPerRun(20, func() { w.look(now) })
	t.Logf("%v allocations per look over %d entries of /proc", allocs, len(names))
	if allocs > 2 {
		t.Errorf("a look over %d entries of /proc allocates %v times; want at most 2", len(names), allocs)
	}
}
