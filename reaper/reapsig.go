package reaper

import (
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// Reaping in the SIGCHLD handler. Where the architecture has it
// (handlerReaps, reapsig_$GOARCH.s), Run catches SIGCHLD with reapchld, a
// handler that loops wait4(-1, WNOHANG) itself until no zombie is left.
// An orphan's exit then costs one wake of one thread (the main thread
// once mainOnly has run, reapsig_amd64.go; before, whichever the kernel
// picks; parked in epoll_wait or on a futex, it retries after the EINTR
// without scheduling anything) and no goroutine: a waiter blocked in wait4
// holds the only P, and its every entry wakes sysmon, which ticks until
// it takes the P back (about 0.85 context switches per reaped orphan,
// measured; see BENCHMARKS.md). The handler is still the one caller of
// wait4 while Run runs.
//
// The handler writes a record of 8 bytes (pid, status) into a pipe only
// for what the Go side must see: the command's statuses, every status
// while the command's pid is not yet known (it may exit before ForkExec
// returns), every orphan's when a log or -w reads them, and a pid of 0
// when wait4 says there is no child left (ECHILD). recordLoop reads the
// pipe through the netpoller and plays the waiter's part.

// reapPipe is the records' pipe, write end, non-blocking.
//
//lint:ignore U1000 read by reapchld, in assembly
var reapPipe int32

// reapMain is the command's pid: 0 until Run knows it (every status is
// written then), -1 once the handler has reaped it, so that a later
// process with the same number is an orphan.
var reapMain int32

// reapAll is 1 when every orphan's status is written (a log or -w).
//
//lint:ignore U1000 read by reapchld, in assembly
var reapAll int32

// A record that finds the pipe full is not lost for what matters: the
// command's exit goes to reapMainStatus with reapMainLost set, the end
// (ECHILD) sets reapGone, and an orphan's is only counted in
// reapUnlogged. A full pipe has a reader about to read, which looks at
// these after each read.
var (
	reapMainStatus int32
	reapMainLost   int32
	reapGone       int32
	reapUnlogged   uint64
)

// recordSize is one record: pid and status, int32 each.
const recordSize = 8

// catchChld starts catching SIGCHLD with reapchld and returns the pipe's
// read end and a func that gives SIGCHLD its old action back. all asks
// for every orphan's status.
func catchChld(all bool) (*os.File, func(), error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, nil, &callError{"pipe2", err}
	}
	if all {
		// Room for 131,072 orphans' records between two reads of the
		// loop's log; beyond that they are counted, not logged.
		_, _ = unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, 1<<20)
		reapAll = 1
	}
	reapPipe = int32(p[1])
	sa := reapAction()
	var old sigaction
	if err := rtSigaction(unix.SIGCHLD, &sa, &old); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, err
	}
	// The write end stays open for good, as catch's: a handler may run
	// on another thread while the read end closes.
	return os.NewFile(uintptr(p[0]), "children"), func() { _ = rtSigaction(unix.SIGCHLD, &old, nil) }, nil
}

// recordLoop is waitAll fed by reapchld's records from r (reapMain set to
// mainPID by the caller): it reports the
// command's status on exited, logs the rest, and closes gone once no
// child is left after the command's exit.
func recordLoop(r *os.File, mainPID int, exited chan<- unix.WaitStatus, gone chan<- struct{}, log, warn func(string)) {
	defer close(gone)
	defer r.Close()
	var buf [4096]byte
	have, reaped := 0, 0
	mainDone := false
	// exit reports the command's status, once; then no child left is
	// the end, which the kernel may have said before the command's
	// record came (two handlers on two threads), so ask it again.
	exit := func(ws unix.WaitStatus) bool {
		if mainDone {
			return false
		}
		mainDone = true
		exited <- ws
		return !haveChildren()
	}
	for {
		n, err := r.Read(buf[have:])
		if err != nil {
			if log != nil {
				log("reading the children's records: " + err.Error())
			}
			return
		}
		have += n
		recs := have / recordSize * recordSize
		for off := 0; off < recs; off += recordSize {
			pid := int(*(*int32)(unsafe.Pointer(&buf[off])))
			ws := unix.WaitStatus(*(*uint32)(unsafe.Pointer(&buf[off+4])))
			switch {
			case pid == 0:
				// No child left: the end once the command is
				// gone; before, a stale one (its record comes
				// after, and exit asks again).
				if mainDone {
					return
				}
			case ws.Stopped() || ws.Continued():
				if log != nil && pid == mainPID && !mainDone {
					if ws.Stopped() {
						log("command pid " + strconv.Itoa(pid) + " stopped by " + forward.Name(ws.StopSignal()))
					} else {
						log("command pid " + strconv.Itoa(pid) + " continued")
					}
				}
			case pid == mainPID && !mainDone:
				if exit(ws) {
					return
				}
			case log != nil || warn != nil:
				reaped++
				line := "reaped orphan #" + strconv.Itoa(reaped) + ": pid " + strconv.Itoa(pid) + " " + describe(ws)
				if log != nil {
					log(line)
				}
				if warn != nil {
					warn(line)
				}
			}
		}
		have = copy(buf[:], buf[recs:have])
		if atomic.SwapInt32(&reapMainLost, 0) != 0 && exit(unix.WaitStatus(atomic.LoadInt32(&reapMainStatus))) {
			return
		}
		if atomic.SwapInt32(&reapGone, 0) != 0 && mainDone {
			return
		}
		if n := atomic.SwapUint64(&reapUnlogged, 0); n != 0 && log != nil {
			reaped += int(n)
			log(strconv.FormatUint(n, 10) + " orphans reaped but not logged: their records found the pipe full")
		}
	}
}
