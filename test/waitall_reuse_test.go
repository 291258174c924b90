package test

import (
	"strconv"
	"strings"
	"testing"
)

// --wait-all, as PID 1: after the command was reaped, an orphan takes its
// pid, twice (steered with ns_last_pid). The waiter reaps each one as an
// orphan, logs it, and sexton exits with the command's status once the
// last process is gone. (Before, the first one's status was taken for the
// command's again and swallowed, and the second blocked the waiter for
// good: nothing was reaped any more and sexton never exited.)
func TestWaitAllPidReuse(t *testing.T) {
	needRoot(t)
	// The reuser, in a session of its own so that the command's process
	// group does not pin the command's pid $1. On each line from the
	// test it makes an orphan that gets pid $1: a subshell sets
	// ns_last_pid to $1-1, starts the orphan (pid $1: the next fork in the
	// namespace) and exits at once.
	reuser := `M=$1
while read cmd; do
	[ "$cmd" = done ] && exit 0
	( echo $((M - 1)) > /proc/sys/kernel/ns_last_pid; sh -c 'echo "orphan pid=$$"; exit 7' & )
done`
	command := `exec 3<&0; setsid sh -c '` + strings.ReplaceAll(reuser, "'", `'\''`) + `' reuser $$ <&3 & exit 3`
	p := startUnshare(t, runOpts{}, "/sexton", "-v", "-k", "1", "--wait-all", "--", "sh", "-c", command)
	exited := p.errs.expectPrefix(t, "sexton: command pid ")
	f := strings.Fields(exited) // sexton: command pid M exited 3
	if len(f) < 6 || f[4] != "exited" || f[5] != "3" {
		t.Fatalf("sexton logged %q; want the command's exit 3", exited)
	}
	m := f[3]
	for i := 1; i <= 2; i++ {
		p.send("reuse")
		got := fields(p.out.expectPrefix(t, "orphan pid="))
		if got["pid"] != m {
			t.Fatalf("reuse %d: the orphan got pid %s, not the command's %s; ns_last_pid did not steer it", i, got["pid"], m)
		}
		want := "sexton: reaped orphan #" + strconv.Itoa(i) + ": pid " + m + " exited 7"
		if l := p.errs.expectPrefix(t, "sexton: reaped orphan #"+strconv.Itoa(i)+":"); l != want {
			t.Errorf("reuse %d: sexton logged %q; want %q", i, l, want)
		}
	}
	p.send("done")
	p.finish(3)
}
