package test

import (
	"strings"
	"syscall"
	"testing"
)

// The Go settings a container sets for its application do not steer
// sexton once it runs: with GOMEMLIMIT=1 (the runtime would collect on
// every allocation) and GODEBUG=gctrace=1 (a line per collection), sexton
// prints no gc line after its start while it reaps 1,000 orphans and
// relays signals; the runtime's own start, before main, is all that
// collects. The command still gets every one of those variables as it was
// given.
func TestGoSettingsDoNotSteerSexton(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		o := runOpts{env: []string{"GOMEMLIMIT=1", "GODEBUG=gctrace=1", "GOGC=1", "GOMAXPROCS=7", "GOTRACEBACK=all"}}
		p := e.start(t, o, "/sexton", "-v", "--", "/fixture", "orphans", "1000", "100")
		p.out.expectPrefix(t, "main orphans done 1000")
		p.errs.expectPrefix(t, "sexton: reaped orphan #1000: ")
		p.out.expectPrefix(t, "main ready")
		for range 20 {
			p.signal(syscall.SIGUSR1)
			p.out.expectPrefix(t, "main sig 10")
		}
		p.send("exit 0")
		p.finish(0)
		started := false
		for _, l := range p.errs.seen() {
			started = started || strings.HasPrefix(l, "sexton: started ")
			if started && strings.HasPrefix(l, "gc ") {
				t.Errorf("sexton collected after its start: %q\n%s", l, p.errs.dump())
				break
			}
		}
		if !started {
			t.Fatalf("no start line:\n%s", p.errs.dump())
		}
	})
	// The command's environment: the same variables, untouched.
	p := startUnshare(t, runOpts{env: []string{"GOMEMLIMIT=1", "GODEBUG=gctrace=1", "GOGC=1", "GOMAXPROCS=7", "GOTRACEBACK=all"}},
		"/sexton", "--", "sh", "-c", `echo "env $GOMEMLIMIT $GODEBUG $GOGC $GOMAXPROCS $GOTRACEBACK"`)
	if got, want := p.out.expectPrefix(t, "env "), "env 1 gctrace=1 1 7 all"; got != want {
		t.Errorf("the command got %q; want %q", got, want)
	}
	p.finish(0)
}
