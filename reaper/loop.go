package reaper

import (
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// loop is the state of one Run: the child, the phase, and the channels
// that wake the main goroutine. Only the main goroutine sends signals to
// the child.
type loop struct {
	cfg Config // defaults filled in by Run

	init  bool // we are PID 1 of a PID namespace
	pid   int
	pidfd int // -1 when the kernel gave none (before Linux 5.2)

	// cred and home are Config.User resolved: nil and "" without it.
	cred *syscall.Credential
	home string

	// noGroupPidfd is set once the kernel refused PIDFD_SIGNAL_PROCESS_GROUP
	// (before Linux 6.9); kill(-pgid) is used from then on.
	noGroupPidfd bool

	// noProc is set once signalRest found no /proc of our PID namespace
	// (logged once).
	noProc bool

	sigs   <-chan unix.Signal
	exited chan unix.WaitStatus // the command's status, once
	gone   chan struct{}        // closed when sexton has no child left
}

// phase is where a run stands; each event's meaning depends on it.
type phase int

const (
	running   phase = iota // the command runs
	leftAlone              // WaitAll: the command exited, its descendants run on
	stopping               // the rest got SIGTERM; SIGKILL when the grace ends
	killed                 // the rest got SIGKILL; a last bounded wait
)

// logging reports whether anyone reads the log: lines are only built then,
// so the reap path allocates nothing for a log nobody reads.
func (l *loop) logging() bool { return l.cfg.Log != nil }

// log writes one line, when logging is on.
func (l *loop) log(line string) {
	if l.cfg.Log != nil {
		l.cfg.Log(line)
	}
}

// run relays signals until the child exits, enforcing the timeout and the
// stop delay, then shuts down the rest (or, with WaitAll, waits for it) and
// returns the exit code. It is one select over every event: a signal, the
// command's exit, the end of the last child, and three timers, each nil
// (never ready) while not armed and stopped once its case is done.
func (l *loop) run() int {
	var (
		deadline timer // the timeout
		held     timer // the first SIGTERM, held for StopDelay
		kill     timer // the grace before SIGKILL, then the last wait
		heldOnce bool
		timedOut bool
		code     int
		exited   = l.exited
		gone     <-chan struct{} // armed once the command is gone
		ph       = running
		zombies  zombieWatch // --zombie-report; its timer is never armed when off
	)
	zombies.start(&l.cfg, l.init)
	defer zombies.stop()
	defer deadline.stop()
	defer held.stop()
	defer kill.stop()
	if l.cfg.Timeout > 0 {
		deadline.arm(l.cfg.Timeout)
	}
	// shutDown starts the end of the run: SIGTERM to every process left,
	// SIGKILL KillAfter later. Processes that exit at once on SIGTERM cost
	// no wait; with none left, the waiter is about to see ECHILD.
	shutDown := func() {
		deadline.stop()
		held.stop()
		kill.stop()
		gone, ph = l.gone, stopping
		first := unix.SIGTERM
		if l.cfg.KillAfter == 0 {
			first = unix.SIGKILL
		}
		if !l.signalRest(first, true) {
			return
		}
		if l.logging() {
			l.log("command gone: sent " + forward.Name(first) + " to every process left")
		}
		kill.arm(l.cfg.KillAfter)
	}
	for {
		select {
		case sig := <-l.sigs:
			out, ok := l.cfg.Table.Lookup(sig)
			switch {
			case sig == overflow:
				if l.logging() {
					l.log("signal pipe full: " + strconv.FormatUint(dropped(), 10) + " signals not queued so far; the last of each kind was relayed")
				}
			case ph >= stopping:
				// Everything left is being shut down already.
			case !ok:
				if l.logging() {
					l.log("dropped " + forward.Name(sig))
				}
			case ph == leftAlone && out == unix.SIGTERM:
				if l.logging() {
					l.log(forward.Name(sig) + " with only the command's descendants left: shutting them down")
				}
				shutDown()
			case ph == leftAlone:
				l.signalRest(out, false)
				if l.logging() {
					l.log("relayed " + forward.Name(out) + " to every process left")
				}
			case out == unix.SIGTERM && l.cfg.StopDelay > 0 && !heldOnce:
				heldOnce = true
				held.arm(l.cfg.StopDelay)
				if l.logging() {
					l.log("holding " + forward.Name(sig) + " for " + l.cfg.StopDelay.String() + " (--stop-delay)")
				}
			case out == unix.SIGTERM && held.c != nil:
				held.stop()
				l.log("second SIGTERM during the stop delay: relaying it now")
				l.send(sig, out)
			default:
				l.send(sig, out)
			}
		case <-held.c:
			held.c = nil
			if l.logging() {
				l.log("stop delay of " + l.cfg.StopDelay.String() + " over")
			}
			l.send(unix.SIGTERM, unix.SIGTERM)
		case <-deadline.c:
			deadline.c, timedOut = nil, true
			sig := l.cfg.TimeoutSignal
			after := "timed out after " + l.cfg.Timeout.String() + ": sending " + forward.Name(sig)
			switch {
			case ph == leftAlone:
				l.log(after + " to every process left")
				l.signalRest(sig, true)
			case l.cfg.WaitAll:
				l.log(after + " to every process")
				l.terminate(sig)
				l.signalRest(sig, true)
			default:
				l.log(after + " to the command")
				l.terminate(sig)
			}
			kill.arm(l.cfg.KillAfter)
		case <-kill.c:
			kill.c = nil
			switch ph {
			case running, leftAlone:
				if l.logging() {
					l.log("still running " + l.cfg.KillAfter.String() + " after " + forward.Name(l.cfg.TimeoutSignal) + ": sending SIGKILL to every process")
				}
				if ph == running {
					l.terminate(unix.SIGKILL)
				}
				l.signalRest(unix.SIGKILL, false)
			case stopping:
				if l.logging() {
					l.log("processes still running " + l.cfg.KillAfter.String() + " after SIGTERM: sending SIGKILL")
				}
				l.signalRest(unix.SIGKILL, false)
				// SIGKILL cannot be ignored; only a process stuck in
				// the kernel (D state) outlives it, so bound that wait
				// too.
				ph = killed
				kill.arm(max(l.cfg.KillAfter, time.Second))
			case killed:
				l.log("processes survived SIGKILL; exiting anyway")
				return l.result(code, timedOut)
			}
		case ws := <-exited:
			exited = nil
			// Every signal through the loop from now on (the
			// handler that reaped the command did so already,
			// unless it did before Run knew the command's pid).
			relayInLoop()
			code = exitCode(ws)
			if l.logging() {
				l.log("command pid " + strconv.Itoa(l.pid) + " " + describe(ws))
			}
			if to, ok := l.cfg.RemapExit[code]; ok && !timedOut {
				if l.logging() {
					l.log("exit code " + strconv.Itoa(code) + " remapped to " + strconv.Itoa(to))
				}
				code = to
			}
			if !l.cfg.WaitAll {
				shutDown()
				continue
			}
			held.stop()
			gone, ph = l.gone, leftAlone
			if l.logging() {
				if n := len(l.rest()); n > 0 {
					l.log("command exited " + strconv.Itoa(code) + ", waiting for " + strconv.Itoa(n) + " processes (--wait-all)")
				}
			}
		case <-zombies.c:
			zombies.fired()
		case <-gone:
			return l.result(code, timedOut)
		}
	}
}

// result is the exit code of a run. Once the timeout fired the answer is
// 124, even if SIGKILL was needed (coreutils timeout says 137 then): a CI
// script checks one code.
func (l *loop) result(code int, timedOut bool) int {
	if timedOut {
		return 124
	}
	return code
}

// terminate sends sig to the command (its group with Pgroup), then SIGCONT
// so that a stopped command acts on it, as coreutils timeout does.
func (l *loop) terminate(sig unix.Signal) {
	if err := l.signal(sig); err != nil && err != unix.ESRCH && l.logging() {
		l.log("sending " + forward.Name(sig) + " to pid " + strconv.Itoa(l.pid) + ": " + err.Error())
	}
	if sig != unix.SIGKILL && sig != unix.SIGCONT {
		_ = l.signal(unix.SIGCONT)
	}
}

// send relays sig to the command as out (the table's answer). The child
// may already be dead: that is not an error, the waiter will report its
// status.
func (l *loop) send(sig, out unix.Signal) {
	if l.cfg.SignalAll && l.signalRest(out, false) {
		// The command is one of the rest (kill(-1) reaches it, the
		// /proc walk finds it), so it got the signal once, with all
		// the others. Without /proc the walk finds nobody: then the
		// command alone gets it, below.
		if l.logging() {
			line := "relayed " + forward.Name(sig)
			if out != sig {
				line += " as " + forward.Name(out)
			}
			l.log(line + " to every process (--signal-all)")
		}
		return
	}
	err := l.signal(out)
	switch {
	case !l.logging():
	case err != nil && err != unix.ESRCH:
		l.log("relaying " + forward.Name(out) + " to pid " + strconv.Itoa(l.pid) + ": " + err.Error())
	case out == sig:
		l.log("relayed " + forward.Name(sig))
	default:
		l.log("relayed " + forward.Name(sig) + " as " + forward.Name(out))
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
		err := unix.PidfdSendSignal(l.pidfd, sig, nil, 0)
		if err == unix.ENOSYS {
			// A seccomp filter (or an emulator) without
			// pidfd_send_signal, though clone gave a pidfd: by
			// pid from now on, as before Linux 5.2.
			l.pidfd = -1
			return l.signal(sig)
		}
		return err
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
func waitAll(mainPID int, exited chan<- unix.WaitStatus, gone chan<- struct{}, log, warn func(string)) {
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
			if log != nil {
				log("wait4: " + err.Error())
			}
			return
		}
		switch {
		case log == nil && (ws.Stopped() || ws.Continued()):
			continue
		case ws.Stopped():
			if pid == mainPID {
				log("command pid " + strconv.Itoa(pid) + " stopped by " + forward.Name(ws.StopSignal()))
			}
			continue
		case ws.Continued():
			if pid == mainPID {
				log("command pid " + strconv.Itoa(pid) + " continued")
			}
			continue
		}
		if pid == mainPID {
			// Once: from now on the number may be anyone's. An orphan
			// that takes it later is an orphan (with --wait-all, a
			// second send would fill exited and a third block here
			// for good).
			exited <- ws
			mainPID = 0
			continue
		}
		reaped++
		if log != nil || warn != nil {
			line := "reaped orphan #" + strconv.Itoa(reaped) + ": pid " + strconv.Itoa(pid) + " " + describe(ws)
			if log != nil {
				log(line)
			}
			if warn != nil {
				warn(line)
			}
		}
	}
}

// timer is a one-shot timer whose channel is nil while it is not armed,
// so that a select case on it is never ready. Not time.Timer's channel: it
// is a chan time.Time, and boxing one keeps time.Time's formatting and
// time-zone loading in the binary (56 KiB, all of it resident for the
// container's life).
type timer struct {
	c <-chan struct{}
	t *time.Timer
}

// arm (re)starts the timer for d.
func (t *timer) arm(d time.Duration) {
	t.stop()
	c := make(chan struct{}, 1)
	t.c, t.t = c, time.AfterFunc(d, func() { c <- struct{}{} })
}

// stop disarms the timer; it may already have fired.
func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.c, t.t = nil, nil
}
