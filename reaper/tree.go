package reaper

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// signalRest sends sig to every process sexton is responsible for but
// itself, and reports whether there may be any. As PID 1 that is the whole
// PID namespace, which kill(-1) reaches at once. Anywhere else kill(-1)
// would reach the whole host, so the descendants are found through /proc.
// With cont, SIGCONT follows, so that a stopped process acts on a
// terminating signal.
func (l *loop) signalRest(sig unix.Signal, cont bool) bool {
	if l.init {
		// ESRCH: no process but us is left.
		if err := unix.Kill(-1, sig); err != nil {
			return false
		}
		if cont {
			_ = unix.Kill(-1, unix.SIGCONT)
		}
		return true
	}
	if !haveChildren() {
		// Without a child we have no descendant either: orphans come to
		// us, so every descendant has a chain of living parents up to
		// us. This spares a walk of the host's /proc in the common case.
		return false
	}
	tree, ok := descendants(os.Getpid())
	if !ok {
		// No /proc of our PID namespace (none mounted, or another
		// namespace's): the command's process group is all we can
		// name (its id cannot be reused while a member lives). There
		// are children, so the caller still bounds the wait.
		if !l.noProc {
			l.noProc = true
			l.log("no /proc of this PID namespace: only the command's process group can be signalled")
		}
		_ = unix.Kill(-l.pid, sig)
		if cont {
			_ = unix.Kill(-l.pid, unix.SIGCONT)
		}
		return true
	}
	signalTree(tree, sig, cont)
	return true
}

// signalTree signals each process of tree (parents before children)
// through a pidfd, and only once it has made sure the pidfd is that
// process: a pid read from /proc may have been reaped and reused by a
// stranger since (in subreaper mode any process of the host can get it).
// A process is signalled when, with its pidfd open, /proc still gives it
// a parent that is sexton or was signalled this way, and both are still
// alive after that read (pidfd_send_signal of 0), so the numbers named the
// same processes throughout. Before Linux 5.3 (no pidfd_open), or where
// pidfd_send_signal answers ENOSYS (a seccomp profile without it, though
// it has pidfd_open), kill(2) on the number is all there is.
func signalTree(tree []proc, sig unix.Signal, cont bool) {
	self := os.Getpid()
	byPid := !pidfdSignals(self)
	fds := map[int]int{self: -1} // verified pid -> its pidfd; -1: ourselves
	defer func() {
		for _, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}()
	alive := func(fd int) bool { return fd < 0 || unix.PidfdSendSignal(fd, 0, nil, 0) == nil }
	for _, p := range tree {
		fd, err := unix.PidfdOpen(p.pid, 0)
		if err == unix.ENOSYS || byPid {
			if err == nil {
				unix.Close(fd)
			}
			_ = unix.Kill(p.pid, sig) // ESRCH: gone meanwhile
			if cont {
				_ = unix.Kill(p.pid, unix.SIGCONT)
			}
			continue
		}
		if err != nil {
			continue // ESRCH: gone meanwhile
		}
		ppid, ok := parentOf(p.pid)
		pfd, known := fds[ppid]
		if !ok || !known || !alive(fd) || !alive(pfd) {
			unix.Close(fd)
			continue
		}
		fds[p.pid] = fd
		_ = unix.PidfdSendSignal(fd, sig, nil, 0)
		if cont {
			_ = unix.PidfdSendSignal(fd, unix.SIGCONT, nil, 0)
		}
	}
}

// pidfdSignals reports whether pidfd_send_signal works here, asking it to
// check (signal 0) sexton's own pidfd.
func pidfdSignals(self int) bool {
	fd, err := unix.PidfdOpen(self, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.PidfdSendSignal(fd, 0, nil, 0) != unix.ENOSYS
}

// rest lists the processes signalRest would reach, for the log. As PID 1,
// /proc shows our namespace when it was mounted for it (as runtimes do).
func (l *loop) rest() []int {
	root := 1
	if !l.init {
		if !haveChildren() {
			return nil
		}
		root = os.Getpid()
	}
	tree, _ := descendants(root)
	pids := make([]int, len(tree))
	for i, p := range tree {
		pids[i] = p.pid
	}
	return pids
}

// haveChildren asks the kernel whether sexton has any child left, exited
// or not. WNOWAIT: it only looks, so it takes no status from the waiter.
func haveChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != unix.ECHILD
}

// proc is a process found in /proc and its parent.
type proc struct{ pid, ppid int }

// descendants lists every process whose chain of parents leads to root,
// read from /proc/*/stat, parents before children. A process that exits
// while we read is skipped. ok is false when /proc is not our PID
// namespace's (or not there): /proc/self then does not name us.
func descendants(root int) (tree []proc, ok bool) {
	self, err := readlink("/proc/self")
	if err != nil || self != strconv.Itoa(os.Getpid()) {
		return nil, false
	}
	names, err := readDir("/proc")
	if err != nil {
		return nil, false
	}
	kids := map[int][]int{} // parent -> children
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	// seen: a snapshot read while processes come and go may hold a
	// cycle (a parent's pid reused by one of its descendants).
	seen := map[int]bool{root: true}
	queue := []proc{{pid: root}}
	for len(queue) > 0 {
		parent := queue[0].pid
		queue = queue[1:]
		for _, pid := range kids[parent] {
			if !seen[pid] {
				seen[pid] = true
				tree = append(tree, proc{pid, parent})
				queue = append(queue, proc{pid, parent})
			}
		}
	}
	return tree, true
}

// parentOf reads the parent pid from /proc/pid/stat: the fourth field,
// counted after the command name, which may hold spaces and parentheses.
func parentOf(pid int) (int, bool) {
	b, err := readFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	return ppid, err == nil
}

// namespacePIDs lists every process of our PID namespace but us, PID 1,
// from /proc. ok is false when /proc is not our namespace's (a runtime
// mounts one for it; `unshare --pid` without --mount-proc does not): its
// numbers would then name other processes than ours.
func namespacePIDs() (pids []int, ok bool) {
	var buf [16]byte
	n, err := unix.Readlink("/proc/self", buf[:])
	if err != nil || string(buf[:n]) != "1" {
		return nil, false
	}
	names, err := readDir("/proc")
	if err != nil {
		return nil, false
	}
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil && pid != 1 {
			pids = append(pids, pid)
		}
	}
	return pids, true
}
