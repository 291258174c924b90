//go:build !amd64 && !arm64 && !riscv64 && !ppc64le && !s390x

package reaper

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// listen asks os/signal for sigs, where sexton has no handler of its own
// (catch.go): a round trip to the runtime per signal at start, and a burst
// of one real-time signal may reach the command as fewer.
func listen(sigs []unix.Signal) (<-chan unix.Signal, func(), error) {
	in := make(chan os.Signal, 1024)
	list := make([]os.Signal, len(sigs))
	for i, sig := range sigs {
		list[i] = sig
	}
	signal.Notify(in, list...)
	out := make(chan unix.Signal, 256)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-in:
				out <- s.(syscall.Signal)
			case <-done:
				return
			}
		}
	}()
	return out, func() { signal.Stop(in); close(done) }, nil
}
