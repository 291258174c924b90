package main

import (
	"io"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// sexton's own output: where its log, its messages and its reports go,
// written so that a stderr that closes, fills or belongs to a terminal's
// background can never stop, kill or spin PID 1.

// fdWriter writes to a file descriptor with write(2) alone. Not os.File:
// when a write to fd 1 or 2 fails with EPIPE, os.File has the runtime
// raise SIGPIPE at the process, which kills a Go program that does not
// ignore it, and sexton's death as PID 1 ends the container. (The kernel
// still raises SIGPIPE, or SIGXFSZ past RLIMIT_FSIZE, at the writer; the
// signal handler drops those, since they come from sexton's own pid.)
type fdWriter int

// ttou is the signal set {SIGTTOU}.
var ttou = unix.Sigset_t{Val: [len(unix.Sigset_t{}.Val)]uint64{1 << (unix.SIGTTOU - 1)}}

func (fd fdWriter) Write(b []byte) (int, error) {
	// A terminal whose foreground is another group (the command's, once
	// it took the terminal): with `stty tostop` the kernel answers
	// sexton's write with SIGTTOU at sexton's group and a restart of the
	// write, and the signal handler returns, the write restarts, forever,
	// at full CPU (as PID 1, or with a SIG_DFL nobody acts on, the same).
	// With SIGTTOU blocked on the writing thread the kernel lets the
	// write through, as for a job that ignores SIGTTOU. Only then: the
	// thread lock costs the runtime a thread of its own the first time,
	// which a full process table (the fork of the command failed) may not
	// have for the message that says so.
	if fg, err := unix.IoctlGetInt(int(fd), unix.TIOCGPGRP); err == nil && fg != unix.Getpgrp() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var old unix.Sigset_t
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &ttou, &old); err == nil {
			defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
		}
	}
	for {
		n, err := unix.Write(int(fd), b)
		if err != unix.EINTR {
			return max(n, 0), err
		}
	}
}

// writable reports whether a write to fd would not block now (poll, no
// wait). A pipe with a free page takes a log line (under 4 KiB) whole. On
// an error, or POLLERR (no reader), the write will say what is wrong.
func (fd fdWriter) writable() bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(p, 0)
		if err != unix.EINTR {
			return err != nil || n > 0
		}
	}
}

// logTo is reaper's log at the given verbosity: each line prefixed
// "sexton: " (and at 2 the time since start), in one write, so that lines
// from the two goroutines that log never interleave. sexton's log must
// never stop it from serving its command: the first write that fails (a
// closed pipe, a full disk, a file size limit) ends the log for good, and
// a line that would block (a pipe whose reader has stopped reading) is
// dropped, and counted in the next line that gets through.
func logTo(w io.Writer, verbose int) func(string) {
	if verbose == 0 {
		return nil
	}
	start := time.Now()
	var broken atomic.Bool
	var dropped atomic.Int64
	poller, _ := w.(interface{ writable() bool })
	return func(line string) {
		if broken.Load() {
			return
		}
		if poller != nil && !poller.writable() {
			dropped.Add(1)
			return
		}
		if verbose >= 2 {
			us := time.Since(start).Microseconds()
			frac := strconv.FormatInt(1e6+us%1e6, 10)[1:] // six digits, zero-padded
			line = strconv.FormatInt(us/1e6, 10) + "." + frac + "s " + line
		}
		line = "sexton: " + line + "\n"
		if n := dropped.Swap(0); n > 0 {
			line = "sexton: " + strconv.FormatInt(n, 10) + " log lines dropped: stderr was full\n" + line
		}
		if _, err := io.WriteString(w, line); err != nil {
			broken.Store(true)
		}
	}
}
