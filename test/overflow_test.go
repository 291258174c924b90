package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// startStoppable runs sexton -v as PID 1 of a new PID namespace as our own
// child, so that the test can wait for it to stop (waitid WSTOPPED: every
// thread stopped) rather than guess.
func startStoppable(t *testing.T, args ...string) (*proc, int) {
	t.Helper()
	cmd := exec.Command(bin, hostPaths(args[1:])...) // args[0] is /sexton
	cmd.Dir = t.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	p := startProc(t, envHost, cmd)
	return p, cmd.Process.Pid
}

// stop stops pid, our child, and returns once all its threads have.
func stop(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED, nil); err != nil {
		t.Fatalf("waitid(%d, WSTOPPED): %v", pid, err)
	}
}

// accounted waits until sexton's log accounts for n of signal 40 (the
// name it logs: SIGRTMIN+6), relayed or counted as dropped by the last
// "signal pipe full" line, give or take slack that may be other signals
// dropped, and returns both counts.
func accounted(t *testing.T, p *proc, n, slack int) (relayed, dropped int) {
	t.Helper()
	for _, l := range p.errs.seen() {
		count(l, &relayed, &dropped)
	}
	if relayed+dropped >= n {
		return relayed, dropped
	}
	p.errs.expect(t, strconv.Itoa(n)+" of signal 40 relayed or dropped", func(l string) bool {
		count(l, &relayed, &dropped)
		return relayed+dropped >= n
	})
	if relayed+dropped > n+slack {
		t.Errorf("%d of signal 40 relayed and %d signals dropped; only %d sent", relayed, dropped, n)
	}
	return relayed, dropped
}

func count(line string, relayed, dropped *int) {
	if v, ok := strings.CutPrefix(line, "sexton: signal pipe full: "); ok {
		*dropped, _ = strconv.Atoi(strings.Fields(v)[0])
	}
	// A relay that failed (EAGAIN: the user's queue of pending
	// real-time signals is full, under load) was still taken from
	// the pipe.
	if line == "sexton: relayed SIGRTMIN+6" || strings.HasPrefix(line, "sexton: relaying SIGRTMIN+6 to pid ") {
		*relayed++
	}
}

// signalPipe opens sexton's signal pipe (its one pipe among fds >= 3; fds
// 0-2 are the test's) through /proc.
func signalPipe(t *testing.T, pid int) *os.File {
	t.Helper()
	fds, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/fd/*")
	for _, fd := range fds {
		n, err := strconv.Atoi(filepath.Base(fd))
		if err != nil || n < 3 {
			continue
		}
		if link, _ := os.Readlink(fd); strings.HasPrefix(link, "pipe:") {
			f, err := os.OpenFile(fd, os.O_WRONLY, 0)
			if err != nil {
				t.Fatalf("open %s: %v", fd, err)
			}
			return f
		}
	}
	t.Fatalf("sexton (pid %d) has no pipe among its fds >= 3", pid)
	return nil
}

// A burst of real-time signals that overflows sexton's signal pipe (shrunk
// here to one page, and the burst held back with SIGSTOP and let go at
// once): each signal 40 is either relayed or counted as dropped, and -v
// says how many were dropped, so the two add up to those sent.
func TestSignalPipeOverflowCounted(t *testing.T) {
	needRoot(t)
	p, init := startStoppable(t, "/sexton", "-v", "--", "/fixture", "trap")
	p.out.expectPrefix(t, "main ready")
	pipe := signalPipe(t, init)
	if _, err := unix.FcntlInt(pipe.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	pipe.Close()
	const n = 20000
	stop(t, init)
	for range n {
		if err := syscall.Kill(init, 40); err != nil {
			syscall.Kill(init, syscall.SIGCONT)
			t.Fatalf("kill(%d, 40): %v", init, err)
		}
	}
	if err := syscall.Kill(init, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// Seen: 4,095 relayed, 15,905 dropped. (If sexton's reader ran
	// between the handlers, fewer are dropped; the sum holds all the same.)
	relayed, dropped := accounted(t, p, n, 0)
	t.Logf("%d of %d signal 40 relayed through a one-page pipe, %d dropped and logged", relayed, n, dropped)
	p.send("exit 0")
	p.finish(0)
}

// A full signal pipe loses no kind of standard signal. With sexton stopped,
// the test fills its signal pipe (one page) with zero bytes, which sexton
// skips, and queues USR1, TERM and 100 of signal 40; once sexton goes on,
// the kernel hands it the queued signals lowest first, and USR1 and TERM
// find the pipe full (seen every time; before, that lost them). The
// command still gets USR1 and TERM, once each; -v says how many signals
// were dropped; and each signal 40 was either relayed or dropped.
func TestSignalPipeFullKeepsTerm(t *testing.T) {
	needRoot(t)
	p, init := startStoppable(t, "/sexton", "-v", "--", "/fixture", "trap")
	p.out.expectPrefix(t, "main ready")
	pipe := signalPipe(t, init)
	defer pipe.Close()
	if _, err := unix.FcntlInt(pipe.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	stop(t, init)
	cont := func() { syscall.Kill(init, syscall.SIGCONT) }
	// sexton is stopped: nothing reads the pipe until SIGCONT.
	if n, err := pipe.Write(make([]byte, 4096)); n != 4096 {
		cont()
		t.Fatalf("filling the pipe: %d bytes, %v", n, err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM} {
		syscall.Kill(init, sig)
	}
	const rt = 100
	for range rt {
		syscall.Kill(init, 40)
	}
	cont()
	got := map[string]int{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sexton's log:\n%s", p.errs.dump())
		}
	})
	p.out.expect(t, "USR1 and TERM", func(s string) bool {
		got[s]++
		return got["main sig 10"] > 0 && got["main sig 15"] > 0
	})
	// Each signal 40 relayed or dropped; up to 3 more dropped: USR1,
	// TERM and the SIGCONT that let sexton go.
	relayed, dropped := accounted(t, p, rt, 3)
	for _, l := range p.ping("after") {
		got[l]++
	}
	if got["main sig 10"] != 1 || got["main sig 15"] != 1 {
		t.Errorf("the command got %v; want USR1 and TERM once each", got)
	}
	t.Logf("%d of signal 40 relayed, %d signals dropped", relayed, dropped)
	p.send("exit 0")
	p.finish(0)
}
