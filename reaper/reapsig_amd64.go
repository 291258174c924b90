package reaper

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// handlerReaps: on this architecture Run reaps in the SIGCHLD handler
// (reapsig.go).
const handlerReaps = true

// reapAction is the action that installs reapchld, as catchAction does
// catch.
func reapAction() sigaction {
	sa := catchAction()
	sa.handler = reapAddr()
	return sa
}

// reapAddr is the address of reapchld in reapsig_amd64.s.
func reapAddr() uintptr

// SIGCHLD on the main thread only. While reapchld runs, SIGCHLD is blocked
// on its thread, so the kernel hands a SIGCHLD that comes meanwhile to
// another thread that does not block it, and wakes it: in a burst of
// exits, the runtime's idle threads in turn, 3.6 to 6 wakes per 100 exits
// (BENCHMARKS.md). Once mainOnly has run, reapchld blocks SIGCHLD on any
// thread but the main one, the first time it runs there, through the mask
// that rt_sigreturn restores; it stays blocked there until something sets
// that thread's whole mask again (then the next SIGCHLD blocks it again).
// A SIGCHLD that comes while reapchld runs on the main thread then stays
// pending, wakes no one, and is delivered there again as soon as it
// returns.
//
// The main thread never exits, and nothing the runtime does blocks
// SIGCHLD on it (it unblocks it at start; a fork saves and restores the
// forking thread's own mask); it is told apart by its signal stack, and
// by its thread id when the stack does not match. A thread the runtime
// makes later takes SIGCHLD until its first one. But a child forked on a
// thread that blocks SIGCHLD inherits the block, which is why mainOnly
// waits until the command runs, and why Run calls it only for a caller
// that forks nothing else while Run runs and exits when it returns
// ([Config.KeepHandlers]).

// mainStackLo and mainStackHi bound the main thread's signal stack, on
// which reapchld runs when it runs there; 0 until mainOnly: then no
// thread blocks SIGCHLD.
//
//lint:ignore U1000 read by reapchld, in assembly
var mainStackLo, mainStackHi uintptr

// mainStack is the main thread's signal stack, read by init.
var mainStack struct{ lo, hi uintptr }

func init() {
	// Package initialization runs on the main thread: runtime.main locks
	// the main goroutine to it until main.main.
	var ss struct {
		sp    uintptr
		flags int32
		_     int32
		size  uintptr
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SIGALTSTACK, 0, uintptr(unsafe.Pointer(&ss)), 0)
	if errno == 0 && ss.flags&ssDisable == 0 && ss.size != 0 {
		mainStack.lo, mainStack.hi = ss.sp, ss.sp+ss.size
	}
}

// ssDisable is SS_DISABLE in stack_t's ss_flags: no signal stack.
const ssDisable = 2

// mainOnly makes reapchld leave SIGCHLD to the main thread from now on.
func mainOnly() {
	atomic.StoreUintptr(&mainStackHi, mainStack.hi)
	atomic.StoreUintptr(&mainStackLo, mainStack.lo)
}
