package reaper

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// signalRest sends sig to every process sexton is responsible for but
// itself, and reports whether there was any. As PID 1 that is the whole PID
// namespace, which kill(-1) reaches at once. Anywhere else kill(-1) would
// reach the whole host, so the descendants are found through /proc. With
// cont, SIGCONT follows, so that a stopped process acts on a terminating
// signal.
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
	pids := descendants(os.Getpid())
	for _, pid := range pids {
		// ESRCH: it exited meanwhile. A pid reused in between would
		// have to be a new process of ours, since only our descendants'
		// pids are read here.
		_ = unix.Kill(pid, sig)
		if cont {
			_ = unix.Kill(pid, unix.SIGCONT)
		}
	}
	return len(pids) > 0
}

// rest lists the processes signalRest would reach, for the log. As PID 1,
// /proc shows our namespace when it was mounted for it (as runtimes do).
func (l *loop) rest() []int {
	if l.init {
		return descendants(1)
	}
	if !haveChildren() {
		return nil
	}
	return descendants(os.Getpid())
}

// haveChildren asks the kernel whether sexton has any child left, exited
// or not. WNOWAIT: it only looks, so it takes no status from the waiter.
func haveChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != unix.ECHILD
}

// descendants lists every process whose chain of parents leads to root,
// read from /proc/*/stat. A process that exits while we read is skipped.
func descendants(root int) []int {
	names, err := readDir("/proc")
	if err != nil {
		return nil
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
	var out []int
	queue := kids[root]
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, pid)
		queue = append(queue, kids[pid]...)
	}
	return out
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
