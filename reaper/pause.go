package reaper

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// pause is sexton without a command, the job of a pod's "pause" container
// (and catatonit -P): hold the PID namespace, reap whatever is parented to
// us, and return 0 on SIGTERM or SIGINT. Every other signal is ignored.
//
// With no child of its own there may be nothing to wait for, and a wait4
// would return ECHILD at once, so here SIGCHLD wakes the loop (caught like
// every other signal), and each wake-up reaps all that has exited.
// Throughput does not matter in this mode; the reap path of Run does not use this.
//
// A pod's other containers may share our PID namespace (podman pod create
// --share pid, Kubernetes' shareProcessNamespace, docker run --pid
// container:NAME). When PID 1 exits the kernel SIGKILLs every process of
// the namespace, so exiting at once on SIGTERM would kill the pod's
// applications before they could stop cleanly: stopRest passes the
// signal on to them first and waits for them. --zombie-report looks here
// too: the other containers' neglectful parents are the ones to name.
func pause(cfg Config) (int, error) {
	l := &loop{cfg: cfg, init: unix.Getpid() == 1}
	if !l.init {
		// A process that exec'd us may have left children: they are
		// ours now, and their orphans should come to us too.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 0, &callError{"prctl(PR_SET_CHILD_SUBREAPER)", err}
		}
	}
	sigs, stop, err := listen(append(listened(), unix.SIGCHLD))
	if err != nil {
		return 0, err
	}
	defer stop(!cfg.KeepHandlers)
	l.sigs = sigs
	_ = unix.Chdir("/")
	ignoreReserved() // no child to inherit them: at once

	l.log("pausing: reaping orphans until SIGTERM or SIGINT")
	var zombies zombieWatch // --zombie-report; its timer is never armed when off
	zombies.start(&l.cfg, l.init)
	defer zombies.stop()
	reaped := 0
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case unix.SIGTERM, unix.SIGINT:
				l.stopRest(sig, &reaped)
				return 0, nil
			case unix.SIGCHLD:
				l.reapExited(&reaped)
			}
		case <-zombies.c:
			zombies.fired()
		}
	}
}

// reapExited reaps every child that has exited, without blocking: one
// SIGCHLD can stand for many exits.
func (l *loop) reapExited(reaped *int) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return // ECHILD: none left; 0: none exited yet
		}
		*reaped++
		if l.logging() {
			l.log("reaped orphan #" + strconv.Itoa(*reaped) + ": pid " + strconv.Itoa(pid) + " " + describe(ws))
		}
	}
}

// anyRest reports whether any process but sexton is left to stop: as PID 1
// any other process of the namespace (kill(-1, 0) fails with ESRCH only
// when there is none: the kernel skips PID 1 itself), elsewhere any child
// (without a child a subreaper has no descendant either).
func (l *loop) anyRest() bool {
	if l.init {
		return unix.Kill(-1, 0) != unix.ESRCH
	}
	return haveChildren()
}

// stopRest ends a pause on sig (SIGTERM or SIGINT): with no other process
// left it returns at once, as it always did. Otherwise every other process
// gets sig (then SIGCONT, so that a stopped one acts on it) and stopRest
// waits until they are all gone, or KillAfter has passed, or a second
// SIGTERM or SIGINT comes; the last two SIGKILL what is left.
//
// Who is "gone", and what wakes us when they go:
//   - as a subreaper, every process we stop is a descendant, and every
//     descendant has a chain of living parents up to us, so they are all
//     gone once we have no child left; each exit of a child is a SIGCHLD.
//   - as PID 1 that is not enough: a process that entered the namespace
//     with setns (nsenter, runc exec, another container of the pod) keeps
//     its parent outside it, and only becomes our child if that parent
//     dies first. Its exit sends us nothing. So the processes found in
//     /proc get a pidfd each, which becomes readable when its process
//     exits, and one goroutine blocks in poll(2) on all of them
//     (watchExits). When every one has exited it lists /proc again, for a
//     process started since (a shell's trap runs commands), and reports
//     when a listing finds none alive. Every exit is one wake-up; nothing
//     polls on a clock. Without a /proc of our own namespace, or without
//     pidfd_open (before Linux 5.3), only SIGCHLD tells us: the wait then
//     ends when kill(-1, 0) finds nobody after a child's exit, or at
//     KillAfter.
func (l *loop) stopRest(sig unix.Signal, reaped *int) {
	name := forward.Name(sig)
	if !l.anyRest() {
		l.log(name + ": exiting")
		return
	}
	// Watch before signalling, so that the count is of the processes the
	// signal reaches, and none exits unseen.
	var w *exitWatch
	n := -1
	if l.init {
		w, n = watchExits()
		defer w.stop()
	} else if l.logging() {
		n = len(l.rest())
	}
	first := sig
	if l.cfg.KillAfter == 0 {
		first = unix.SIGKILL
	}
	start := time.Now()
	if !l.signalRest(first, first != unix.SIGKILL) {
		// They all exited meanwhile.
		l.log(name + ": exiting")
		return
	}
	if l.logging() {
		who := "every other process"
		if n >= 0 {
			who = strconv.Itoa(n) + " process"
			if n != 1 {
				who += "es"
			}
		}
		line := name + ": sent " + forward.Name(first) + " to " + who
		if first == unix.SIGKILL {
			line += " (--kill-after 0); exiting"
		} else {
			line += "; waiting up to " + l.cfg.KillAfter.String() + " for them to exit"
			if l.init && w == nil {
				line += " (only children can be watched here)"
			}
		}
		l.log(line)
	}
	if first == unix.SIGKILL {
		l.reapExited(reaped)
		return
	}
	var kill timer
	kill.arm(l.cfg.KillAfter)
	defer kill.stop()
	var gone <-chan bool
	if w != nil {
		gone = w.done
	}
	for {
		select {
		case s := <-l.sigs:
			switch s {
			case unix.SIGCHLD:
				l.reapExited(reaped)
				if !l.anyRest() {
					l.logGone(start)
					return
				}
			case unix.SIGTERM, unix.SIGINT:
				l.log("second " + forward.Name(s) + ": sending SIGKILL to every process left; exiting")
				l.signalRest(unix.SIGKILL, false)
				l.reapExited(reaped)
				return
			}
		case all := <-gone:
			gone = nil
			w.received = true
			if all {
				l.reapExited(reaped)
				l.logGone(start)
				return
			}
			// Cannot watch any more (out of fds): SIGCHLD and the
			// timer still end the wait.
			l.log("cannot watch the processes left: waiting for SIGCHLD or --kill-after")
		case <-kill.c:
			kill.c = nil
			if !l.anyRest() {
				// Unwatched (see above), they went without a word.
				l.log("every other process is gone (their exits could not be watched); exiting")
				return
			}
			if l.logging() {
				l.log("processes still running " + l.cfg.KillAfter.String() + " after " + forward.Name(sig) + ": sending SIGKILL; exiting")
			}
			l.signalRest(unix.SIGKILL, false)
			// As PID 1 our exit makes the kernel kill and wait for
			// every process left; as a subreaper they go to the next
			// subreaper up, or init. Reap what has gone already, and go.
			l.reapExited(reaped)
			return
		}
	}
}

// logGone logs the end of a wait in which every process exited.
func (l *loop) logGone(start time.Time) {
	if l.logging() {
		l.log("every other process exited after " + time.Since(start).Round(time.Millisecond).String() + "; exiting")
	}
}

// exitWatch is a goroutine blocked in poll(2) on a pidfd of every process
// of our namespace but us, until they have all exited.
type exitWatch struct {
	// done gets one value: true when every process has exited, false
	// when the watch cannot go on (an fd limit, say) or was stopped.
	done     chan bool
	received bool // the value on done was taken
	// efd is an eventfd in each poll, written by stop to end the watch.
	// The goroutine never closes it: stop does, once done has spoken,
	// so that no write can reach a reused fd number.
	efd int
}

// watchExits lists the processes of the namespace, opens a pidfd for each
// live one we may signal, and watches them on a new goroutine. It returns
// nil when it cannot watch (no /proc of this namespace, no pidfd_open),
// and how many processes it found (-1 when it could not tell).
func watchExits() (*exitWatch, int) {
	fds, ok := openLive()
	if !ok {
		return nil, -1
	}
	n := len(fds)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		closeAll(fds)
		return nil, n
	}
	w := &exitWatch{done: make(chan bool, 1), efd: efd}
	// It returns when every process has exited, or stop wakes it.
	go watch(fds, efd, w.done)
	return w, n
}

// watch polls until every pidfd is readable, listing /proc again each time
// the last one is, and sends the outcome on done.
func watch(fds []int, efd int, done chan<- bool) {
	for {
		if len(fds) == 0 {
			var ok bool
			if fds, ok = openLive(); !ok || len(fds) == 0 {
				done <- ok
				return
			}
		}
		pfds := make([]unix.PollFd, len(fds)+1)
		pfds[0] = unix.PollFd{Fd: int32(efd), Events: unix.POLLIN}
		for i, fd := range fds {
			pfds[i+1] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
		}
		// -1: no timeout; the caller's timer bounds the wait, and stop
		// wakes us through efd. EINTR: a signal hit this thread.
		if _, err := unix.Poll(pfds, -1); err != nil && err != unix.EINTR {
			closeAll(fds)
			done <- false
			return
		}
		if pfds[0].Revents != 0 {
			closeAll(fds)
			done <- false
			return
		}
		fds = dropExited(fds, pfds[1:])
	}
}

// stop ends the watch and waits for its goroutine to finish with efd.
func (w *exitWatch) stop() {
	if w == nil {
		return
	}
	if !w.received {
		// An eventfd takes a native uint64: any bytes but all-zero and
		// all-0xff add to its counter in either byte order.
		one := [8]byte{1, 1, 1, 1, 1, 1, 1, 1}
		_, _ = unix.Write(w.efd, one[:])
		<-w.done
	}
	unix.Close(w.efd)
}

// openLive opens a pidfd for every process in /proc but PID 1 that is alive
// and that we may signal. ok is false when that cannot be done: /proc is
// not our namespace's (readlink /proc/self is not "1"), or pidfd_open
// failed for another reason than the process being gone.
func openLive() (fds []int, ok bool) {
	pids, ok := namespacePIDs()
	if !ok {
		return nil, false
	}
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		switch err {
		case nil:
		case unix.ESRCH, unix.EINVAL:
			continue // gone, or a thread's id
		default:
			// ENOSYS before Linux 5.3; EMFILE, ENFILE, ENOMEM.
			closeAll(fds)
			return nil, false
		}
		// Signal 0 checks permission: one we cannot signal got nothing
		// from kill(-1), so we do not wait for it (the kernel kills it
		// when we exit). ENOSYS (a seccomp profile without
		// pidfd_send_signal) cannot tell: wait for it.
		if err := unix.PidfdSendSignal(fd, 0, nil, 0); err != nil && err != unix.ENOSYS {
			unix.Close(fd)
			continue
		}
		fds = append(fds, fd)
	}
	// A pidfd is readable once its process has exited: a zombie whose
	// parent has not reaped it yet is gone already.
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	for {
		if _, err := unix.Poll(pfds, 0); err != unix.EINTR {
			break
		}
	}
	return dropExited(fds, pfds), true
}

// dropExited closes the pidfds that poll found readable and returns the
// others.
func dropExited(fds []int, pfds []unix.PollFd) []int {
	live := fds[:0]
	for i, fd := range fds {
		if pfds[i].Revents != 0 {
			unix.Close(fd)
			continue
		}
		live = append(live, fd)
	}
	return live
}

// closeAll closes every fd of fds.
func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
