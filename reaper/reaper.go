// Package reaper runs one command as PID 1 and waits for every process the
// kernel parents to us. It is the only code in sexton that waits: a second
// waiter would take exit statuses this package needs. A program that uses it
// must not call os/exec's Wait, os.Process.Wait or wait4 anywhere else.
//
// [Run] starts the command in its own process group (the foreground group of
// the controlling terminal, when stdin is one), relays signals to it as
// [Config.Table] says, reaps every child that exits, orphans included, and
// returns the command's exit code. When sexton is not PID 1 it makes itself
// a child subreaper, so the command's orphans still come to it.
//
// Run is meant for a process that is an init and nothing else. It changes
// the whole process, and most of it for good, so it may run once per
// process:
//   - it installs its own handler for every signal it relays, process-wide,
//     and gives them back to the runtime when it returns (unless
//     [Config.KeepHandlers]); a signal it raises at itself (the kernel's
//     SIGPIPE or SIGXFSZ for one of the process's own writes) is dropped,
//     not relayed; it unblocks, on one thread of its own, those signals
//     that the process was started with blocked;
//   - it becomes a child subreaper when it is not PID 1;
//   - it moves to "/", so that it pins no mount;
//   - on amd64 it catches SIGCHLD with its own handler, which reaps every
//     child of the process (a caller's own children too) and, while
//     nothing but [Config.Table] decides, relays signals to the command
//     itself; elsewhere it sets SIGCHLD to SIG_DFL behind the runtime.
//     Either way the runtime still believes its handler is there, so a
//     later signal.Notify of SIGCHLD would never fire. Signals 32 and 34
//     go to SIG_IGN where it does not catch them;
//   - with [Config.KeepHandlers], on amd64, every thread but the main one
//     blocks SIGCHLD once the command runs, so a child forked on one of
//     them afterwards would start with SIGCHLD blocked, and the main
//     thread alone takes SIGCHLD: code that blocks SIGCHLD on it stops
//     the reaping;
//   - unless [Config.KeepFDs], it closes the fds >= 3 it inherited once the
//     command has them;
//   - it keeps one pipe fd open after it returns.
package reaper

import (
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// DefaultKillAfter is the grace between a termination signal and SIGKILL
// when [Config.KillAfter] is 0: Docker's default stop timeout is 10 s and
// Kubernetes' 30 s, so 5 s fits inside both.
const DefaultKillAfter = 5 * time.Second

// NoGrace, as [Config.KillAfter], sends SIGKILL at once (any negative value
// does).
const NoGrace time.Duration = -1

// Config is what [Run] needs to run the command. Its zero value with only
// Argv set behaves as "sexton -- ARGV..." does: every field's zero is the
// command line's default. Run copies it; the caller may reuse it.
type Config struct {
	// Argv is the command and its arguments. Argv[0] is looked up in PATH
	// as execvp(3) does when it has no slash.
	Argv []string
	// Pgroup relays signals to the command's process group rather than to
	// the command alone, so its background children get them too.
	Pgroup bool
	// Table maps each incoming signal to the one relayed; the zero Table
	// relays every signal unchanged.
	Table forward.Table
	// Timeout, when not 0, is how long the command may run: then it gets
	// TimeoutSignal, then SIGKILL (with every other descendant) KillAfter
	// later, and Run returns 124.
	Timeout       time.Duration
	TimeoutSignal unix.Signal // 0 means SIGTERM
	// KillAfter is the grace between a termination signal and SIGKILL: after
	// the timeout signal, and after the SIGTERM that every process left
	// behind gets when the command exits. 0 means [DefaultKillAfter];
	// [NoGrace] (any negative value) means SIGKILL at once.
	KillAfter time.Duration
	// RemapExit reports the command's exit code k as RemapExit[k] (for
	// example 143 as 0 for a JVM that exits 143 after a clean SIGTERM).
	// The 124 that Run returns when the timeout fired is not remapped; a
	// 124 that the command exits with is.
	RemapExit map[int]int
	// Pdeathsig, when not 0, asks the kernel to send sexton this signal
	// when its parent dies; sexton relays it like any other.
	Pdeathsig unix.Signal
	// WaitAll keeps sexton running after the command exits, relaying
	// signals to every process left, until the last one is gone; then Run
	// returns the command's code. A SIGTERM then shuts them all down, and
	// the timeout, when set, covers the whole tree.
	WaitAll bool
	// StopDelay holds the first SIGTERM (after rewriting) this long before
	// relaying it, so that a load balancer can deregister the pod first. A
	// second SIGTERM during the delay is relayed at once; other signals are
	// never held.
	StopDelay time.Duration
	// SignalAll relays each signal, while the command runs, to every
	// process sexton can reach rather than to the command alone: as PID 1
	// every process of the namespace, as a subreaper every descendant. A
	// daemon that left the command's process group and session (setsid)
	// then gets a stop's SIGTERM when the command does, not only once the
	// command has exited. StopDelay holds that SIGTERM for all of them.
	SignalAll bool
	// User, when not empty, runs the command as USER[:GROUP]: names from
	// the image's /etc/passwd and /etc/group, or numeric ids, which need
	// neither. Without GROUP the command gets the user's gid and
	// supplementary groups as initgroups(3) gives them; with GROUP, that
	// group alone. HOME is set from the passwd entry (or to /) when the
	// environment has none. sexton itself keeps its identity. A user or
	// group that does not exist, an id out of range, or a sexton that may
	// not switch (no CAP_SETUID and CAP_SETGID) is a [*UserError].
	User string
	// KeepHandlers leaves sexton's signal handlers in place when Run
	// returns, for a program that exits right after (the sexton binary
	// does): a signal that arrives between Run's return and the exit is
	// then dropped, rather than handled by the runtime, which would end
	// the process with status 2 as PID 1 (or by the signal elsewhere)
	// instead of the command's code. Without it Run gives the signals
	// back to the runtime. On amd64 it also lets Run leave SIGCHLD to the
	// main thread once the command runs (blocked on every other thread),
	// so that a burst of exits wakes one thread rather than each in turn:
	// the program must then fork nothing while Run runs (a child forked
	// on another thread would start with SIGCHLD blocked) and never block
	// SIGCHLD on the main thread.
	KeepHandlers bool
	// KeepFDs keeps sexton's own copies of the fds >= 3 it inherited. By
	// default it closes them once the command has them, as catatonit does:
	// then a pipe's reader sees EOF when the command closes its end, and
	// PID 1 keeps no socket or file open. A library caller that still
	// needs its fds sets it.
	KeepFDs bool
	// Pause runs no command: sexton only reaps what is parented to it
	// until SIGTERM or SIGINT, as a pod's pause container does. Then it
	// passes that signal to every other process it is responsible for
	// (as PID 1, the whole PID namespace, which a pod's containers may
	// share), waits for them to exit (SIGKILL after KillAfter, or at a
	// second SIGTERM or SIGINT), and returns 0.
	Pause bool
	// ZombieReport, when not 0, is how often sexton looks for zombies
	// that a living process other than sexton holds (as PID 1 in the whole
	// namespace, as a subreaper among its descendants). No init can reap
	// those: only their parent may wait for them. A parent whose zombies
	// outlast a look gets one line on Report; another when it holds more,
	// and one when they are gone. 0, or a nil Report, never looks: no
	// timer runs.
	ZombieReport time.Duration
	// Report, when not nil, receives the lines meant for the user whatever
	// the log's verbosity (the zombie report), without a newline. Only
	// the main goroutine calls it.
	Report func(line string)
	// Log, when not nil, receives one line per event (start, each relayed
	// signal, each reaped process, the exit), without a newline. It is
	// called from two goroutines, so it must be safe for concurrent use;
	// lines are only built when it is set.
	Log func(line string)
	// Warn, when not nil, receives one line for each orphan reaped (tini's
	// -w), whether Log is set or not. It is called from the waiter's
	// goroutine.
	Warn func(line string)
}

// StartError reports that the command could not be started. Err is the
// errno (unix.ENOENT, unix.EACCES, ...) or [ErrNotFound].
type StartError struct {
	Path string
	Err  error
}

func (e *StartError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// callError is a failed system call of sexton's own setup, with the errno.
type callError struct {
	call string
	err  error
}

func (e *callError) Error() string { return e.call + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// ErrNotFound means the command has no slash and no directory in PATH holds
// it. It matches unix.ENOENT with errors.Is, as execvp reports it.
var ErrNotFound = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "not found in PATH" }
func (notFound) Is(target error) bool { return target == unix.ENOENT }

// ErrSearchDenied means a directory on the way to the command cannot be
// searched (no x bit for sexton's user), so the command cannot be reached,
// whatever its own mode. It matches unix.EACCES with errors.Is, as execve
// reports it.
var ErrSearchDenied = searchDenied{}

type searchDenied struct{}

func (searchDenied) Error() string        { return "a directory on its path cannot be searched" }
func (searchDenied) Is(target error) bool { return target == unix.EACCES }

// ErrRunTwice is returned by a second call of [Run] in one process.
var ErrRunTwice = errors.New("reaper.Run may run once per process")

// ran is set by the first Run.
var ran atomic.Bool

// Run starts cfg.Argv and serves as its init until it exits, then shuts
// down what it left behind (SIGTERM, KillAfter, SIGKILL) and returns its
// exit code: its status, 128+N if signal N killed it, or 124 if the timeout
// fired. It returns an error only if the command could not be started (a
// *StartError), sexton could not set itself up, or Run already ran in this
// process ([ErrRunTwice]); nothing is left running then. See the package
// documentation for what Run changes in the calling process.
func Run(cfg Config) (int, error) {
	if !ran.CompareAndSwap(false, true) {
		return 0, ErrRunTwice
	}
	cfg.Argv = slices.Clone(cfg.Argv)
	cfg.RemapExit = maps.Clone(cfg.RemapExit)
	if cfg.TimeoutSignal == 0 {
		cfg.TimeoutSignal = unix.SIGTERM
	}
	switch {
	case cfg.KillAfter == 0:
		cfg.KillAfter = DefaultKillAfter
	case cfg.KillAfter < 0:
		cfg.KillAfter = 0
	}
	if cfg.Pause {
		return pause(cfg)
	}
	if len(cfg.Argv) == 0 {
		return 0, errors.New("no command to run")
	}

	// Listen first, before the child exists and before anything that
	// takes time (the PATH search grows with PATH, the user lookup reads
	// files): until then the runtime's handlers are in charge, and a
	// SIGTERM, SIGINT or SIGHUP ends the process with status 2 as PID 1
	// (the kernel will not let the runtime's re-raise kill it), SIGQUIT
	// with a goroutine dump. From here on each is queued for the command.
	sigs, stop, err := listen(listened())
	if err != nil {
		return 0, err
	}
	defer stop(!cfg.KeepHandlers)

	l := &loop{cfg: cfg, init: unix.Getpid() == 1, sigs: sigs}
	if cfg.User != "" {
		if l.cred, l.home, err = credential(cfg.User); err != nil {
			return 0, err
		}
	}
	path, err := lookPath(cfg.Argv[0])
	if err != nil {
		return 0, err
	}

	if !l.init {
		// As PID 1 the kernel gives us every orphan of the namespace; in
		// any other place only a subreaper gets the command's orphans.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 0, &callError{"prctl(PR_SET_CHILD_SUBREAPER)", err}
		}
	}

	orphaned := false
	if cfg.Pdeathsig != 0 {
		ppid := os.Getppid()
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(cfg.Pdeathsig), 0, 0, 0); err != nil {
			return 0, &callError{"prctl(PR_SET_PDEATHSIG)", err}
		}
		// The parent may have died before the prctl: then no signal
		// will come, and we act as if it had.
		orphaned = os.Getppid() != ppid
	}

	// SIGCHLD caught before the command exists: it may exit before
	// ForkExec returns, and its status must still come to the loop.
	var records *os.File
	if handlerReaps {
		r, restore, err := catchChld(cfg.Log != nil || cfg.Warn != nil)
		if err != nil {
			return 0, err
		}
		if !cfg.KeepHandlers {
			defer restore()
		}
		records = r
	}
	if err := l.start(path); err != nil {
		if records != nil {
			records.Close()
		}
		return 0, err
	}
	// The command runs: from here on nothing fails Run; a side problem
	// (a failed relay to a command that just died) is logged and the loop
	// goes on reaping.
	afterStart()
	if !cfg.KeepFDs {
		closeInherited()
	}
	if l.logging() {
		l.log("started " + cfg.Argv[0] + " as pid " + strconv.Itoa(l.pid))
	}
	if orphaned {
		// Queue it as if it had arrived, so it goes the usual way.
		l.log("parent died before --pdeathsig was set")
		raise(cfg.Pdeathsig)
	}

	l.exited = make(chan unix.WaitStatus, 1)
	l.gone = make(chan struct{})
	// The waiter runs until nothing is left to wait for, or until sexton
	// exits; it is the only caller of wait4.
	if records != nil {
		atomic.StoreInt32(&reapMain, int32(l.pid))
		if cfg.KeepHandlers {
			mainOnly()
		}
		l.relayInHandler()
		defer relayInLoop()
		go recordLoop(records, l.pid, l.exited, l.gone, cfg.Log, cfg.Warn)
	} else {
		go waitAll(l.pid, l.exited, l.gone, cfg.Log, cfg.Warn)
	}
	return l.run(), nil
}

// afterStart makes the changes to sexton's own state that the child must
// not inherit, so it runs once the child has exec'd.
func afterStart() {
	// Do not pin the mount we were started in: the child keeps its cwd.
	// Failure is harmless (we only keep a directory busy).
	_ = unix.Chdir("/")

	// SIGCHLD back to SIG_DFL behind the runtime's back: the kernel then
	// drops it at generation, so a child's exit wakes only the waiter
	// thread, not a second thread to run the runtime's handler (about one
	// context switch per reaped process, measured). Never
	// SIG_IGN: that makes the kernel reap children itself and their
	// statuses are lost. The runtime still believes its handler is in
	// place, so a signal.Notify(SIGCHLD) in the process afterwards would
	// not put it back and would never fire.
	if !handlerReaps {
		_ = setDisposition(unix.SIGCHLD, sigDFL)
	}

	// Now that the child has started with them as we got them.
	ignoreReserved()
}

// ignoreReserved sets 32, and 34 where sexton does not catch it, to
// SIG_IGN. The runtime leaves them at SIG_DFL, which terminates, and
// os/signal cannot catch them: a stray kill -32 would end sexton (as PID 1
// the kernel drops them anyway).
func ignoreReserved() {
	_ = setDisposition(32, sigIGN)
	if ok, _ := forward.Relayable(34); !ok {
		_ = setDisposition(34, sigIGN)
	}
}

// closeInherited closes every fd >= 3 without close-on-exec: those are the
// ones sexton inherited and passed to the command. Everything the runtime
// and sexton open is close-on-exec, so it stays. Without /proc, nothing is
// closed.
func closeInherited() {
	names, err := readDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < 3 {
			continue
		}
		// EBADF: the directory's own fd, already closed.
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

const (
	sigDFL = 0
	sigIGN = 1
)

// setDisposition sets sig's handler to SIG_DFL or SIG_IGN with a raw
// rt_sigaction: os/signal cannot do either for signals the runtime owns.
func setDisposition(sig unix.Signal, handler uintptr) error {
	// Flags and mask 0: the handler is the first field on every
	// architecture (sigaction_$GOARCH.go).
	return rtSigaction(sig, &sigaction{handler: handler}, nil)
}

// disposition is sig's handler now: sigDFL, sigIGN or an address.
func disposition(sig unix.Signal) (uintptr, error) {
	var sa sigaction
	err := rtSigaction(sig, nil, &sa)
	return sa.handler, err
}

// rtSigaction is rt_sigaction(2); a nil act only reads the current one.
func rtSigaction(sig unix.Signal, act, old *sigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if errno != 0 {
		return &callError{"rt_sigaction(" + strconv.Itoa(int(sig)) + ")", errno}
	}
	return nil
}

// start spawns the command. It uses syscall.ForkExec directly: os/exec's
// Wait would race the waiter for the child's status.
func (l *loop) start(path string) error {
	env := environ()
	exe, argv := path, l.cfg.Argv
	if viaTrampoline(env) {
		exe, argv = selfExe, append([]string{trampolineArg0, path}, l.cfg.Argv...)
	}
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: stdio(),
		Sys: &syscall.SysProcAttr{
			// Its own group, so -g can signal its descendants and a
			// terminal's job control sees it as the job.
			Setpgid: true,
			PidFD:   &l.pidfd,
			// --user: the child drops to it between fork and exec;
			// sexton stays who it is, to signal and reap everything.
			Credential: l.cred,
		},
	}
	if l.home != "" && !slices.ContainsFunc(attr.Env, func(e string) bool { return strings.HasPrefix(e, "HOME=") }) {
		attr.Env = append(attr.Env, "HOME="+l.home)
	}
	// TIOCGPGRP succeeds only on our controlling terminal; TCGETS would
	// also accept a pty that is not, where TIOCSPGRP then fails.
	if _, err := unix.IoctlGetInt(0, unix.TIOCGPGRP); err == nil {
		attr.Sys.Foreground = true
		attr.Sys.Ctty = 0
	}
	l.pidfd = -1
	pid, err := syscall.ForkExec(exe, argv, attr)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return &StartError{Path: path, Err: errno}
		}
		return &StartError{Path: path, Err: err}
	}
	l.pid = pid
	return nil
}

// environ is the environment sexton was started with, byte for byte.
// syscall.Environ is not quite that: it drops every repeat of a name after
// the first, and empty entries. /proc/self/environ still holds the block
// the kernel gave us; without /proc, syscall.Environ is the best we have.
func environ() []string {
	b, err := readFile("/proc/self/environ")
	if err != nil {
		return syscall.Environ()
	}
	env := strings.Split(string(b), "\x00")
	if n := len(env); n > 0 && env[n-1] == "" {
		env = env[:n-1] // the block ends with a NUL
	}
	return env
}

// stdio gives the child sexton's fds 0, 1 and 2 as they are; one that is
// closed stays closed (-1 tells ForkExec to close it). Every other fd that
// sexton inherited without close-on-exec passes through exec untouched.
func stdio() []uintptr {
	files := make([]uintptr, 3)
	for fd := range files {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			files[fd] = ^uintptr(0)
		} else {
			files[fd] = uintptr(fd)
		}
	}
	return files
}

// exitCode maps a wait status to a shell-style exit code.
func exitCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 125
}

// describe says how a process ended, for the log.
func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		s := "killed by " + forward.Name(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return "exited " + strconv.Itoa(ws.ExitStatus())
}
