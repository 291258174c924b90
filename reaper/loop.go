package reaper

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// loop is the state of one Run: the child, and the channels that wake the
// main goroutine. Only the main goroutine sends signals to the child.
type loop struct {
	cfg   Config
	table *forward.Table
	logf  func(string, ...any) // nil: quiet

	init  bool // we are PID 1 of a PID namespace
	pid   int
	pidfd int // -1 when the kernel gave none (before Linux 5.2)

	// noGroupPidfd is set once the kernel refused PIDFD_SIGNAL_PROCESS_GROUP
	// (before Linux 6.9); kill(-pgid) is used from then on.
	noGroupPidfd bool

	sigs   <-chan unix.Signal
	exited chan unix.WaitStatus // the command's status, once
	gone   chan struct{}        // closed when sexton has no child left
}

// log formats only when logging is on: the reap path must not allocate
// for a log nobody reads.
func (l *loop) log(format string, args ...any) {
	if l.logf != nil {
		l.logf(format, args...)
	}
}

// run relays signals until the child exits, enforcing the timeout and the
// stop delay, then shuts down the rest (or, with WaitAll, waits for it) and
// returns the exit code. It is one select over every event: signals, the
// command's exit, the end of the last child, and three timers.
func (l *loop) run() int {
	var deadline, kill, held <-chan struct{} // nil: not armed
	if l.cfg.Timeout > 0 {
		var stop func() bool
		deadline, stop = after(l.cfg.Timeout)
		defer stop()
	}
	var (
		timedOut  bool
		heldOnce  bool // the first SIGTERM was held for StopDelay
		exited    = l.exited
		gone      <-chan struct{} // armed once the command is gone (WaitAll)
		code      int
		leftAlone bool // WaitAll: the command exited, its descendants run on
	)
	result := func() int {
		if timedOut {
			// Once the timeout fired the answer is 124, even if SIGKILL
			// was needed (coreutils timeout says 137 then): a CI script
			// checks one code.
			return 124
		}
		return code
	}
	for {
		select {
		case sig := <-l.sigs:
			out, ok := l.table.Lookup(sig)
			switch {
			case !ok:
				l.log("dropped %s", forward.Name(sig))
			case leftAlone && out == unix.SIGTERM:
				l.log("%s with only the command's descendants left: shutting them down", forward.Name(sig))
				l.shutdown()
				return result()
			case leftAlone:
				l.signalRest(out, false)
				l.log("relayed %s to every process left", forward.Name(out))
			case out == unix.SIGTERM && l.cfg.StopDelay > 0 && !heldOnce:
				heldOnce = true
				held, _ = after(l.cfg.StopDelay)
				l.log("holding %s for %v (--stop-delay)", forward.Name(sig), l.cfg.StopDelay)
			case out == unix.SIGTERM && held != nil:
				held = nil
				l.log("second SIGTERM during the stop delay: relaying it now")
				l.send(sig, out)
			default:
				l.send(sig, out)
			}
		case <-held:
			held = nil
			l.log("stop delay of %v over", l.cfg.StopDelay)
			l.send(unix.SIGTERM, unix.SIGTERM)
		case <-deadline:
			deadline, timedOut = nil, true
			sig := l.cfg.TimeoutSignal
			switch {
			case leftAlone:
				l.log("timed out after %v: sending %s to every process left", l.cfg.Timeout, forward.Name(sig))
				l.signalRest(sig, true)
			case l.cfg.WaitAll:
				l.log("timed out after %v: sending %s to every process", l.cfg.Timeout, forward.Name(sig))
				l.terminate(sig)
				l.signalRest(sig, true)
			default:
				l.log("timed out after %v: sending %s to the command", l.cfg.Timeout, forward.Name(sig))
				l.terminate(sig)
			}
			kill, _ = after(l.cfg.KillAfter)
		case <-kill:
			kill = nil
			l.log("still running %v after %s: sending SIGKILL to every process", l.cfg.KillAfter, forward.Name(l.cfg.TimeoutSignal))
			if !leftAlone {
				l.terminate(unix.SIGKILL)
			}
			l.signalRest(unix.SIGKILL, false)
		case ws := <-exited:
			l.log("command pid %d %s", l.pid, describe(ws))
			code = exitCode(ws)
			if to, ok := l.cfg.RemapExit[code]; ok && !timedOut {
				l.log("exit code %d remapped to %d", code, to)
				code = to
			}
			if !l.cfg.WaitAll {
				l.shutdown()
				return result()
			}
			exited, held, gone, leftAlone = nil, nil, l.gone, true
			if n := len(l.rest()); n > 0 {
				l.log("command exited %d, waiting for %d processes (--wait-all)", code, n)
			}
		case <-gone:
			return result()
		}
	}
}

// terminate sends sig to the command (its group with Pgroup), then SIGCONT
// so that a stopped command acts on it, as coreutils timeout does.
func (l *loop) terminate(sig unix.Signal) {
	if err := l.signal(sig); err != nil && err != unix.ESRCH {
		l.log("sending %s to pid %d: %v", forward.Name(sig), l.pid, err)
	}
	if sig != unix.SIGKILL && sig != unix.SIGCONT {
		_ = l.signal(unix.SIGCONT)
	}
}

// shutdown ends whatever the command left behind once it has exited:
// SIGTERM to every process, reaping until none is left or KillAfter has
// passed, then SIGKILL. Processes that exit at once on SIGTERM cost no wait.
func (l *loop) shutdown() {
	first := unix.SIGTERM
	if l.cfg.KillAfter == 0 {
		first = unix.SIGKILL
	}
	if !l.signalRest(first, true) {
		<-l.gone // nothing left: the waiter is about to see ECHILD
		return
	}
	l.log("command gone: sent %s to every process left", forward.Name(first))
	grace, stop := after(l.cfg.KillAfter)
	defer stop()
	for {
		select {
		case <-l.gone:
			return
		case <-l.sigs:
			// Everything left is being shut down already.
		case <-grace:
			l.log("processes still running %v after SIGTERM: sending SIGKILL", l.cfg.KillAfter)
			l.signalRest(unix.SIGKILL, false)
			// SIGKILL cannot be ignored; only a process stuck in the
			// kernel (D state) outlives it, so bound that wait too.
			last, stop := after(max(l.cfg.KillAfter, time.Second))
			defer stop()
			select {
			case <-l.gone:
			case <-last:
				l.log("processes survived SIGKILL; exiting anyway")
			}
			return
		}
	}
}

// send relays sig to the command as out (the table's answer). The child
// may already be dead: that is not an error, the waiter will report its
// status.
func (l *loop) send(sig, out unix.Signal) {
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
func waitAll(mainPID int, exited chan<- unix.WaitStatus, gone chan<- struct{}, logf func(string, ...any)) {
	defer close(gone)
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

// after is time.After as a channel of struct{}, and a stop for the timer.
// Not time.After itself: it puts a chan time.Time in an interface, and that
// keeps time.Time's formatting and time-zone loading in the binary (53
// KiB, all of it resident for the container's life).
func after(d time.Duration) (<-chan struct{}, func() bool) {
	c := make(chan struct{}, 1)
	t := time.AfterFunc(d, func() { c <- struct{}{} })
	return c, t.Stop
}
