package reaper

import (
	"github.com/sexton-init/sexton/forward"

	"golang.org/x/sys/unix"
)

// listened is every signal Run listens to: every relayable one, less those
// sexton was started with ignored (nohup, a shell's background job: the
// runtime keeps that SIG_IGN for SIGHUP and SIGINT only, and the child then
// inherits it), and less SIGURG while the runtime raises it at itself.
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
