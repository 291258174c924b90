package reaper

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"sexton/forward"
)

// loop is the state of one Run: the child, and the channels that wake the
// main goroutine. Only the main goroutine sends signals to the child.
type loop struct {
	cfg   Config
	table *forward.Table
	logf  func(string, ...any) // nil: quiet

	pid   int
	pidfd int  // -1 when the kernel gave none (before Linux 5.2)
	tty   bool // the child's group is the terminal's foreground group

	// noGroupPidfd is set once the kernel refused PIDFD_SIGNAL_PROCESS_GROUP
	// (before Linux 6.9); kill(-pgid) is used from then on.
	noGroupPidfd bool

	sigs   chan os.Signal
	exited chan unix.WaitStatus
}

// log formats only when logging is on: the reap path must not allocate
// for a log nobody reads.
func (l *loop) log(format string, args ...any) {
	if l.logf != nil {
		l.logf(format, args...)
	}
}

// run relays signals until the child exits, and returns its exit code.
func (l *loop) run() int {
	for {
		select {
		case s := <-l.sigs:
			l.relay(s.(syscall.Signal))
		case ws := <-l.exited:
			l.log("command pid %d %s", l.pid, describe(ws))
			return exitCode(ws)
		}
	}
}

// relay sends the signal the table maps sig to. The child may already be
// dead: that is not an error, the waiter will report its status.
func (l *loop) relay(sig unix.Signal) {
	out, ok := l.table.Lookup(sig)
	if !ok {
		l.log("dropped %s", forward.Name(sig))
		return
	}
	if err := l.signal(out); err != nil && err != unix.ESRCH {
		l.log("relaying %s to pid %d: %v", forward.Name(out), l.pid, err)
		return
	}
	if out == sig {
		l.log("relayed %s", forward.Name(sig))
	} else {
		l.log("relayed %s as %s", forward.Name(sig), forward.Name(out))
	}
}

// signal sends sig to the child, or to its process group with Pgroup.
// Through the pidfd it cannot reach another process that got the child's
// pid after the waiter reaped it: ESRCH then means "already gone".
func (l *loop) signal(sig unix.Signal) error {
	if l.pidfd < 0 {
		if l.cfg.Pgroup {
			return unix.Kill(-l.pid, sig)
		}
		return unix.Kill(l.pid, sig)
	}
	if !l.cfg.Pgroup {
		return unix.PidfdSendSignal(l.pidfd, sig, nil, 0)
	}
	if !l.noGroupPidfd {
		// The group is named by the child's struct pid, not its number,
		// so this too is safe from pid reuse.
		err := unix.PidfdSendSignal(l.pidfd, sig, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		if err != unix.EINVAL {
			return err
		}
		l.noGroupPidfd = true
	}
	// Before Linux 6.9: the group's id is the child's pid, which cannot be
	// reused while any member of the group lives.
	return unix.Kill(-l.pid, sig)
}

// waitAll reaps every child that exits, orphans included, until none is
// left. It reports the main child's status on exited; every other status
// only goes to the log. It blocks in wait4, which returns at once for each
// zombie already queued, so one wake-up drains a burst of exits.
//
// WUNTRACED|WCONTINUED: a stop or continue of the command is logged; it is
// not an exit.
func waitAll(mainPID int, exited chan<- unix.WaitStatus, logf func(string, ...any)) {
	reaped := 0
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WUNTRACED|unix.WCONTINUED, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			// No child at all: the command is gone (we only start
			// waiting once it exists) and so is every descendant, so
			// nothing can be parented to us any more.
			return
		case err != nil:
			// wait4(-1) fails only with EINTR, ECHILD or EINVAL;
			// log and stop rather than spin.
			if logf != nil {
				logf("wait4: %v", err)
			}
			return
		}
		switch {
		case logf == nil && (ws.Stopped() || ws.Continued()):
			continue
		case ws.Stopped():
			if pid == mainPID {
				logf("command pid %d stopped by %s", pid, forward.Name(ws.StopSignal()))
			}
			continue
		case ws.Continued():
			if pid == mainPID {
				logf("command pid %d continued", pid)
			}
			continue
		}
		if pid == mainPID {
			exited <- ws
			continue
		}
		reaped++
		if logf != nil {
			logf("reaped orphan #%d: pid %d %s", reaped, pid, describe(ws))
		}
	}
}
