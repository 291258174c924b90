package reaper

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// This file is sexton's whole policy on which signals it catches to relay.
// forward says which signals can be relayed at all; here the running
// process leaves out what it must not relay: the signals it was started
// with ignored, and SIGURG while the Go runtime may raise it at itself.

// godebugDefault mirrors the GODEBUG default linked into the runtime
// (runtime.godebugDefault), which a program cannot read. The Makefile sets
// both from one variable; with asyncpreemptoff=1 there the runtime never
// sends itself SIGURG. (go.mod's godebug line and //go:debug do not accept
// that setting, and -trimpath keeps -ldflags out of the build info.)
var godebugDefault string

// listened is every signal Run catches: every relayable one, less those
// sexton was started with ignored (nohup, a shell's background job: the
// runtime keeps that SIG_IGN for HUP, INT, CONT, TSTP, TTIN, TTOU, 32 and
// 34 only, and the child then inherits it), and less SIGURG while the runtime raises it at itself: the
// runtime preempts goroutines with SIGURG, and relaying those would flood
// the command with signals nobody sent (runc #3364).
func listened() []unix.Signal {
	var sigs []unix.Signal
	for _, sig := range forward.Relayed() {
		if sig == unix.SIGURG && runtimeSendsURG() {
			continue
		}
		if h, err := disposition(sig); err == nil && h == sigIGN {
			continue
		}
		sigs = append(sigs, sig)
	}
	return sigs
}

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
