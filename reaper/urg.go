package reaper

import (
	"os"
	"runtime/debug"
	"strings"
)

// preemptOffFlag is the link-time default that turns off the runtime's
// asynchronous preemption, the only source of the SIGURGs the runtime sends
// itself. The Makefile passes it; go.mod's godebug line and //go:debug do
// not accept this setting.
const preemptOffFlag = "-X=runtime.godebugDefault=asyncpreemptoff=1"

// runtimeSendsURG reports whether this process's runtime may raise SIGURG
// at itself: true unless the binary was linked with preemptOffFlag and
// GODEBUG does not turn preemption back on (its last asyncpreemptoff entry
// wins over the link-time default, as the runtime reads them).
func runtimeSendsURG() bool {
	off := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-ldflags" && strings.Contains(s.Value, preemptOffFlag) {
				off = true
			}
		}
	}
	for kv := range strings.SplitSeq(os.Getenv("GODEBUG"), ",") {
		if v, ok := strings.CutPrefix(kv, "asyncpreemptoff="); ok {
			off = v == "1"
		}
	}
	return !off
}
