package test

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A subreaper whose /proc is not its PID namespace's (here a tmpfs): it
// cannot find the processes the command left, so it signals the command's
// process group, and the wait for the rest is still bounded by
// --kill-after (TERM, KILL, then a last wait) instead of lasting as long
// as a leftover that is out of reach (its own session, TERM ignored).
// Before, sexton waited for that process to end by itself.
func TestShutdownWithoutProc(t *testing.T) {
	needRoot(t)
	// The leftover prints its pid (so that the test can end it) and
	// sleeps 60 s with TERM ignored.
	left := `setsid sh -c 'trap "" TERM; echo "leftover $$"; exec sleep 60 </dev/null >/dev/null 2>&1' & sleep 0.2; exit 3`
	script := `mount --make-rprivate / && mount -t tmpfs none /proc && exec "$0" -v -k 0.3 -- sh -c "$1"`
	cmd := exec.Command("unshare", "--mount", "sh", "-c", script, bin, left)
	p := startProc(t, envHost, cmd)
	f := strings.Fields(p.out.expectPrefix(t, "leftover "))
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("leftover line %q", f)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	start := time.Now()
	p.finish(3)
	t.Logf("sexton exited %v after the leftover started:\n%s", time.Since(start), p.errs.dump())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("sexton took %v to exit; want about 2 x --kill-after (0.3 s) plus the command's 0.2 s", took)
	}
	for _, want := range []string{"no /proc of this PID namespace", "processes survived SIGKILL; exiting anyway"} {
		if !logged(p, want) {
			t.Errorf("sexton did not log %q:\n%s", want, p.errs.dump())
		}
	}
}
