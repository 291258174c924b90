package reaper

import (
	"bytes"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// zombieWatch is [Config.ZombieReport]: every period it looks through /proc
// for zombies that a living process other than sexton holds. No init can
// reap those: only their parent may wait for them, and they come to the
// init only when it exits. So the one useful thing to do is to name the
// parent that never waits.
//
// The look is one pass over /proc with a fixed buffer for the directory and
// one for each stat file: it allocates nothing per process. What it keeps
// is one small map of the parents that held zombies at the last look.
type zombieWatch struct {
	timer                // nil channel while off or stopped
	every  time.Duration // the period; 0: off
	report func(string)
	proc   string // "/proc"; tests point it elsewhere
	self   int    // sexton's pid as /proc shows it
	whole  bool   // PID 1: every parent in /proc; else only descendants of self

	parents map[int]neglect // parent pid -> what the looks saw of it
	dirents []byte          // getdents buffer, allocated at the first look
	stat    [256]byte       // the head of one /proc/PID/stat
	path    [32]byte        // "PID/stat\x00", relative to the /proc fd
}

// neglect is what the looks know of one parent holding zombies.
type neglect struct {
	// witness is one zombie child seen at an earlier look, since then.
	// A parent is reported once a witness outlived a whole period: its
	// zombies are not the ones any process has for a moment between a
	// child's exit and the parent's wait. Tracking one zombie rather
	// than all keeps the memory per parent constant.
	witness int
	since   time.Time
	comm    string // set when reported, for the line that it is over
	// Filled in by each look.
	count   int  // zombie children
	first   int  // the first of them met, the next witness if need be
	kept    bool // the witness is still one of them
	present bool // it held at least one
	// reported is the count at its last line (0: none yet); it gets
	// another only with more zombies than that.
	reported int
}

// start arms the first look, if cfg asks for any; otherwise the timer
// stays nil and nothing ever wakes for it.
func (w *zombieWatch) start(cfg *Config, init bool) {
	if cfg.ZombieReport <= 0 || cfg.Report == nil {
		return
	}
	w.every, w.report, w.proc = cfg.ZombieReport, cfg.Report, "/proc"
	w.self, w.whole = 1, init
	if !init {
		w.self = unix.Getpid()
	}
	w.arm(w.every)
}

// fired runs a look when the timer fires, and arms the next one unless
// /proc could not be read (that was reported once; the watch ends).
func (w *zombieWatch) fired() {
	w.c = nil
	if w.look(time.Now()) {
		w.arm(w.every)
	} else {
		w.stop()
	}
}

// look makes one pass over /proc and reports what changed. It returns
// false when /proc cannot be read.
func (w *zombieWatch) look(now time.Time) bool {
	dir, err := unix.Open(w.proc, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		w.report("--zombie-report: cannot read " + w.proc + ": " + err.Error() + "; mount proc there to see zombies; no more zombie reports")
		return false
	}
	defer unix.Close(dir)
	if w.dirents == nil {
		w.dirents = make([]byte, 8192)
		w.parents = map[int]neglect{}
	}
	for pid, p := range w.parents {
		p.count, p.first, p.kept, p.present = 0, 0, false, false
		w.parents[pid] = p
	}
	for {
		n, err := unix.Getdents(dir, w.dirents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.report("--zombie-report: cannot read " + w.proc + ": " + err.Error() + "; no more zombie reports")
			return false
		}
		if n <= 0 {
			break
		}
		for b := w.dirents[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino u64, off s64, reclen u16,
			// type u8, then the NUL-terminated name. Records are
			// 8-byte aligned, so the reclen read is too.
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				break
			}
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			w.count(dir, name)
			b = b[reclen:]
		}
	}
	for pid, p := range w.parents {
		switch {
		case !p.present:
			if p.reported > 0 {
				w.report("zombies: pid " + strconv.Itoa(pid) + " (" + p.comm + ") holds no zombie children any more")
			}
			delete(w.parents, pid)
			continue
		case !p.kept:
			// New, or it reaped the witness: watch another one.
			p.witness, p.since = p.first, now
		case p.count > p.reported:
			if p.reported == 0 {
				p.comm = w.comm(pid)
			}
			p.reported = p.count
			w.report(neglectLine(pid, p.comm, p.count, now.Sub(p.since)))
		}
		w.parents[pid] = p
	}
	return true
}

// count looks at one entry of /proc: when it is a zombie of a parent in
// the watch's reach, it counts it for that parent.
func (w *zombieWatch) count(dir int, name []byte) {
	pid, ok := atoi(name)
	if !ok || len(name)+len("/stat\x00") > len(w.path) {
		return // not a process: "self", "sys", ...
	}
	state, ppid, ok := w.readStat(dir, name)
	if !ok || state != 'Z' || ppid == w.self || ppid <= 0 {
		// ppid 0: its parent is outside our namespace.
		return
	}
	p, known := w.parents[ppid]
	if !known && !w.whole && !w.descends(dir, ppid) {
		return // not ours: a subreaper answers for its descendants only
	}
	if p.count == 0 {
		p.first = pid
	}
	p.count++
	p.present = true
	if pid == p.witness {
		p.kept = true
	}
	w.parents[ppid] = p
}

// descends reports whether pid's chain of parents leads to sexton. Only a
// zombie's parent not yet watched costs this walk, one stat per hop.
func (w *zombieWatch) descends(dir, pid int) bool {
	var digits [20]byte
	// A bound on the hops, in case the chain changes under us.
	for range 4096 {
		switch {
		case pid == w.self:
			return true
		case pid <= 1:
			return false
		}
		_, ppid, ok := w.readStat(dir, strconv.AppendInt(digits[:0], int64(pid), 10))
		if !ok {
			return false
		}
		pid = ppid
	}
	return false
}

// readStat reads the state and the parent of the process named by the
// digits in name, from the head of /proc/PID/stat, without allocating.
// False means it exited meanwhile (ENOENT, ESRCH) or the line is not
// what we expect.
func (w *zombieWatch) readStat(dir int, name []byte) (state byte, ppid int, ok bool) {
	n := copy(w.path[:], name)
	copy(w.path[n:], "/stat\x00")
	// openat on the /proc fd with our own NUL-terminated buffer:
	// unix.Openat would allocate a copy of the path for every process.
	r, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(dir), uintptr(unsafe.Pointer(&w.path[0])), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return 0, 0, false
	}
	fd := int(r)
	// The head suffices: "pid (comm) state ppid ...", with comm at most
	// 15 bytes (TASK_COMM_LEN) and only numbers after it.
	var m int
	for {
		m, errno = readFD(fd, w.stat[:])
		if errno != unix.EINTR {
			break
		}
	}
	unix.Close(fd)
	if errno != 0 || m <= 0 {
		return 0, 0, false
	}
	b := w.stat[:m]
	// The command name may hold spaces and parentheses: the state
	// follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+4 > len(b) {
		return 0, 0, false
	}
	b = b[i+2:] // "S 123 ..."
	state = b[0]
	b = b[2:]
	if j := bytes.IndexByte(b, ' '); j >= 0 {
		b = b[:j]
	}
	ppid, ok = atoi(b)
	return state, ppid, ok
}

// readFD is read(2) returning the bare errno, so that no error value is
// boxed per process.
func readFD(fd int, b []byte) (int, unix.Errno) {
	r, _, errno := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(r), errno
}

// comm is the command name of pid, for the report ("?" if it is gone).
func (w *zombieWatch) comm(pid int) string {
	b, err := readFile(w.proc + "/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return string(bytes.TrimSuffix(b, []byte("\n")))
}

// neglectLine is the report of a parent holding n zombies, one of which
// has been a zombie for at least d.
func neglectLine(pid int, comm string, n int, d time.Duration) string {
	if d >= time.Second {
		d = d.Truncate(time.Second)
	} else {
		d = d.Truncate(time.Millisecond)
	}
	what := strconv.Itoa(n) + " zombie children (one of them for at least " + d.String() + ")"
	if n == 1 {
		what = "1 zombie child (for at least " + d.String() + ")"
	}
	return "zombies: pid " + strconv.Itoa(pid) + " (" + comm + ") holds " + what +
		": it does not wait for its children, and no init can reap them while it lives;" +
		" it must call wait or waitpid after kill, or handle or ignore SIGCHLD"
}

// atoi reads a non-negative decimal number without allocating.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
