package reaper

import (
	"os"
	"strings"
)

// godebugDefault mirrors the GODEBUG default linked into the runtime
// (runtime.godebugDefault), which a program cannot read. The Makefile sets
// both from one variable; with asyncpreemptoff=1 there the runtime never
// sends itself SIGURG. (go.mod's godebug line and //go:debug do not accept
// that setting, and -trimpath keeps -ldflags out of the build info.)
var godebugDefault string

// runtimeSendsURG reports whether this process's runtime may raise SIGURG
// at itself to preempt a goroutine: true unless asyncpreemptoff=1 is the
// link-time default and GODEBUG does not turn preemption back on (its
// entries win over the default, the last one over earlier ones, as the
// runtime reads them).
func runtimeSendsURG() bool {
	off := false
	for _, list := range []string{godebugDefault, os.Getenv("GODEBUG")} {
		for kv := range strings.SplitSeq(list, ",") {
			if v, ok := strings.CutPrefix(kv, "asyncpreemptoff="); ok {
				off = v == "1"
			}
		}
	}
	return !off
}
