package test

import (
	"strconv"
	"syscall"
	"testing"
)

// Signals that sexton was started with blocked (a launcher's mask) are
// relayed like any other, not left pending in sexton for ever; the command
// still starts with them blocked (TestInheritedSignalState).
func TestBlockedAtStartRelayed(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/fixture", "exec-with", "--block", "10,12,13,40", "--",
			"/sexton", "--", "/fixture", "trap")
		start := fields(p.out.expectPrefix(t, "main start"))
		if want := uint64(1<<9 | 1<<11 | 1<<12 | 1<<39); hexMask(t, start["sigblk"])&want != want {
			t.Errorf("the command starts with sigblk=%s; want USR1, USR2, PIPE and 40 blocked, as sexton was", start["sigblk"])
		}
		p.out.expectPrefix(t, "main ready")
		for _, sig := range []syscall.Signal{syscall.SIGUSR2, syscall.SIGPIPE, 40, syscall.SIGUSR1} {
			p.signal(sig)
			want := "main sig " + strconv.Itoa(int(sig))
			if got := p.out.expectPrefix(t, "main sig "); got != want {
				t.Errorf("after signal %d the command got %q; want %q", sig, got, want)
			}
		}
		p.send("exit 0")
		p.finish(0)
	})
}

// Of the signals sexton was started with ignored, the command gets SIG_IGN
// for each one whose SIG_IGN the Go runtime leaves in place, where sexton
// can see it: HUP, INT, CONT, TSTP, TTIN, TTOU, 32 and 34. The runtime puts
// its own handler over any other SIG_IGN (USR1 here) before sexton's code
// runs and keeps no trace a program can read, so the command gets SIG_DFL
// for those: README says so, and this checks that it is still true.
func TestInheritedIgnoredSignals(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		const visible = "1,2,18,20,21,22,32,34"
		want := uint64(0)
		for _, s := range []int{1, 2, 18, 20, 21, 22, 32, 34} {
			want |= 1 << (s - 1)
		}
		p := e.start(t, runOpts{}, "/fixture", "exec-with", "--ignore", visible+",10", "--",
			"/sexton", "--", "/fixture", "trap")
		got := hexMask(t, fields(p.out.expectPrefix(t, "main start"))["sigign"])
		if got&want != want {
			t.Errorf("the command starts with sigign=%x; want %x (%s) among them", got, want, visible)
		}
		if got&(1<<9) != 0 {
			t.Errorf("the command starts with USR1 ignored (sigign=%x): the runtime now lets it be seen; say so in README", got)
		}
		p.out.expectPrefix(t, "main ready")
		p.send("exit 0")
		p.finish(0)
	})
}
