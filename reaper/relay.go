package reaper

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Relaying in the signal handler. While the command runs and nothing but
// the table decides what it gets (no log to write, no stop delay to hold
// a SIGTERM for, no --signal-all, no process group to name), the loop has
// nothing to add to a signal: catch then sends the table's answer to the
// command's pidfd itself (relaysig in reapsig_$GOARCH.s), and a signal
// costs the thread that caught it one system call, not a pipe, the
// netpoller, a goroutine and the loop. The loop stays the sender of
// everything else (the timeout's signals, the shutdown).

// relayDirect is 1 while catch relays by itself; reapchld sets it to 0
// when it reaps the command, so that from then on every signal goes
// through the loop, which knows the phase.
var relayDirect int32

// relayPidfd is the command's pidfd while relayDirect is set.
//
//lint:ignore U1000 read by relaysig, in assembly
var relayPidfd int32

// relayOut is the table: relayOut[sig] is the signal the command gets,
// 0 for one the table drops.
//
//lint:ignore U1000 read by relaysig, in assembly
var relayOut [65]uint8

// relayInHandler hands the relaying to catch when the configuration
// leaves the loop nothing to decide.
func (l *loop) relayInHandler() {
	c := &l.cfg
	if !handlerReaps || l.pidfd < 0 || c.Log != nil || c.StopDelay > 0 || c.SignalAll || c.Pgroup {
		return
	}
	for sig := unix.Signal(1); sig < unix.Signal(len(relayOut)); sig++ {
		if out, ok := c.Table.Lookup(sig); ok {
			relayOut[sig] = uint8(out)
		}
	}
	relayPidfd = int32(l.pidfd)
	atomic.StoreInt32(&relayDirect, 1)
}

// relayInLoop takes the relaying back.
func relayInLoop() { atomic.StoreInt32(&relayDirect, 0) }
