package reaper

import (
	"os"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The signal path. os/signal is not used for the signals sexton relays: it
// costs a round trip to the runtime's signal goroutine per signal at start
// (about 2 ms for all of them), and it keeps one pending bit per signal,
// so a burst of real-time signals reaches the command as a few (6 of
// 1,000 kills of signal 39, measured). Instead a
// handler in assembly (catch_$GOARCH.s) writes each signal's number, one
// byte, to a pipe that the loop reads through the netpoller: nothing
// merges but what the kernel merges, and setting up is one rt_sigaction
// per signal. The handler runs on whatever thread the kernel picks, so it
// calls no Go code and touches no Go state but the variables below.

// catchPipe is the pipe's write end, non-blocking: when it is full (64 KiB
// of signals not yet read) a signal is not written rather than a thread
// stuck in a handler; catchLost keeps its kind.
//
//lint:ignore U1000 read by catch, in assembly
var catchPipe int32

// catchLost has bit sig-1 set, atomically, by catch for each signal that
// found the pipe full; the reader takes it (an atomic swap with 0) after
// each read and passes each standard signal among them on once. So a full
// pipe loses repeats of a standard signal, never its last one: a SIGTERM
// in a storm still arrives, as the kernel itself merges a pending standard
// signal. Real-time signals keep their exact count up to the pipe's
// capacity; those beyond it are only counted. catch then writes a 0 byte,
// which wakes the reader in case it had already drained the pipe.
// catchDropped counts the signals that found the pipe full, for the log.
var catchLost, catchDropped uint64

// catchSelf is sexton's pid. A signal whose siginfo says SI_USER from
// this pid is one that sexton raised at itself, and catch drops it: the
// kernel raises SIGPIPE at a process whose write(2) finds no reader and
// SIGXFSZ at one whose write passes RLIMIT_FSIZE, both as kill(2) from the
// process itself, and those are about sexton's own writes (its log), never
// meant for the command. (In a PID namespace si_pid is the sender's pid as
// seen there, so only sexton itself can be catchSelf; a sender outside it
// shows as 0.) Signals sent to a thread (tgkill: SI_TKILL), as the
// runtime sends its own, are not affected; a kill(2) of the process by
// the runtime itself (the SIGQUIT of a GOTRACEBACK=crash report) is
// dropped, not relayed to the command. sexton's own --pdeathsig raise
// goes into the pipe directly (raise).
//
//lint:ignore U1000 read by catch, in assembly
var catchSelf int32

// goHandler holds the runtime's handler for the signals that report a
// fault when the kernel raises them (SIGSEGV, SIGBUS, ...): for those,
// with a positive si_code, catch jumps there, so a fault in sexton is
// still the runtime's panic. The same signals sent with kill(2) have an
// si_code of 0 or less and are relayed.
var goHandler [65]uintptr

// catchAddr is the address of catch, defined in catch_$GOARCH.s with the
// struct sigaction of that architecture in sigaction_$GOARCH.go. Those
// files are the list of architectures sexton builds for (the Makefile
// derives its release list from them): on any other, this declaration has
// no body and the build fails.
func catchAddr() uintptr

// faults are the signals the kernel raises for a fault of the thread
// itself; the runtime turns those into a panic or a crash report.
var faults = [...]unix.Signal{unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS}

// catchFlags are the flags of catch's action, the ones os/signal's
// documentation asks of a handler that is not the runtime's ("Go programs
// that use cgo or SWIG"): SA_ONSTACK, because a Go thread's own stack may
// be too small for a handler, and the runtime gives every thread a signal
// stack; SA_RESTART, so that no system call in the runtime sees EINTR for
// a signal it never asked for; SA_SIGINFO, for si_code, which tells a
// fault from a sent signal. (The same values on every architecture
// sexton builds for.)
const catchFlags = saSiginfo | saOnstack | saRestart

const (
	saSiginfo = 0x4
	saOnstack = 0x08000000
	saRestart = 0x10000000
)

// listen starts catching sigs and returns the channel they arrive on, in
// the order they were delivered, and a stop that ends the channel and,
// with restore, gives the signals back to the runtime. Without restore
// catch stays in place: a signal that arrives later meets a pipe with no
// reader, and the SIGPIPE of that write, raised at sexton itself, is
// dropped as well.
func listen(sigs []unix.Signal) (<-chan unix.Signal, func(restore bool), error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, nil, &callError{"pipe2", err}
	}
	catchPipe = int32(p[1])
	catchSelf = int32(unix.Getpid())
	for _, sig := range faults {
		if h, err := disposition(sig); err == nil {
			goHandler[sig] = h
		}
	}
	sa := catchAction() // every signal blocked: one at a time
	var old [65]sigaction
	var caught []unix.Signal
	stop := func() {
		for _, sig := range caught {
			_ = rtSigaction(sig, &old[sig], nil)
		}
	}
	for _, sig := range sigs {
		if err := rtSigaction(sig, &sa, &old[sig]); err != nil {
			stop()
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, nil, err
		}
		caught = append(caught, sig)
	}

	unblocked := unblock(caught)

	// The read end goes through the netpoller: no thread waits on it.
	r := os.NewFile(uintptr(p[0]), "signals")
	c := make(chan unix.Signal, 256)
	done := make(chan struct{})
	go func() {
		var buf [512]byte
		send := func(sig unix.Signal) bool {
			select {
			case c <- sig:
				return true
			case <-done: // nobody reads c any more
				return false
			}
		}
		for {
			n, err := r.Read(buf[:])
			if err != nil {
				return // closed by stop
			}
			for _, b := range buf[:n] {
				// 0: only a wake-up for catchLost.
				if b != 0 && !send(unix.Signal(b)) {
					return
				}
			}
			if lost := atomic.SwapUint64(&catchLost, 0); lost != 0 {
				// Standard signals only: a real-time one is
				// queued by count, and a count off by one is
				// worse than the count of those dropped, which
				// the log gives.
				for sig := unix.Signal(1); sig < 32; sig++ {
					if lost&(1<<(sig-1)) != 0 && !send(sig) {
						return
					}
				}
				if !send(overflow) {
					return
				}
			}
		}
	}()
	return c, func(restore bool) {
		if restore {
			stop()
			unblocked()
		}
		close(done)
		// The write end stays open (one fd per Run): a handler may be
		// running on another thread right now, and the fd must not be
		// reused under it.
		r.Close()
	}, nil
}

// overflow, on listen's channel, says that signals found the pipe full
// since the last overflow: one of each kind among them came right before
// it; dropped says how many there were in all.
const overflow unix.Signal = 0

// dropped is the number of signals that found the pipe full so far (one
// of each kind among them was still passed on).
func dropped() uint64 { return atomic.LoadUint64(&catchDropped) }

// raise queues sig for the loop as if it had been caught. Not kill(2) of
// ourselves: catch drops a signal sexton sends itself.
func raise(sig unix.Signal) {
	for {
		_, err := unix.Write(int(catchPipe), []byte{byte(sig)})
		if err != unix.EINTR {
			return
		}
	}
}

// unblock lets each of sigs that the calling thread blocks reach catch,
// and returns a func that undoes it. The runtime gives every thread it
// makes the mask sexton was started with (less the signals it needs
// itself), so a signal that whoever started sexton had blocked would stay
// pending for ever. One thread, locked to a goroutine that only waits,
// unblocks them: the kernel delivers a signal sent to the process to any
// thread that does not block it. The command still starts with them
// blocked: the child takes the mask of the thread that forked it (the
// runtime saves it before the fork), and every thread but this one has
// the mask sexton was started with, less the few signals the runtime
// never lets a thread block.
func unblock(sigs []unix.Signal) func() {
	var cur, set unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur); err != nil {
		return func() {}
	}
	for _, sig := range sigs {
		w, bit := (sig-1)/64, uint64(1)<<((sig-1)%64)
		if cur.Val[w]&bit != 0 {
			set.Val[w] |= bit
		}
	}
	if set == (unix.Sigset_t{}) {
		return func() {} // the usual case: nothing blocked, no thread
	}
	done := make(chan struct{})
	go func() {
		// Runs until the func below is called. It returns locked, so
		// the runtime ends its thread, mask and all.
		runtime.LockOSThread()
		if unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil) != nil {
			runtime.UnlockOSThread()
			return
		}
		<-done
	}()
	return func() { close(done) }
}
