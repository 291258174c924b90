// Command sexton is a PID-1 init for containers: it runs one command,
// relays every signal to it, reaps every zombie, and exits as the command
// did.
//
//	sexton [options] [--] COMMAND [ARGS...]
//
// main reads the options (flags.go) into a reaper.Config, runs it, and maps
// the outcome to an exit code; package reaper does the rest.
package main

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reaper"
)

// version is sexton's release; CHANGELOG.md says what each one brought.
const version = "0.2.0"

// gitCommit is the commit sexton was built from, set at link time by the
// Makefile (-X=main.gitCommit=...). (The build info would also name it,
// but debug.ReadBuildInfo pulls fmt into the binary: 200 KiB.)
var gitCommit = ""

// versionLine is what --version prints. Docker runs its init as
// "docker-init --version" and reads tini's form, "tini version V -
// git.C": the commit after " - git." and the version only after a leading
// "tini version ". Under that name sexton answers in that form, with a
// version that still says what it is ("0.2.0_sexton", as catatonit says
// "0.1.7_catatonit"), so that docker version and docker info show both;
// under any other name it says "sexton version".
func versionLine(argv0 string) string {
	if filepath.Base(argv0) == "docker-init" {
		return "tini version " + version + "_sexton - git." + commit() + "\n"
	}
	return "sexton version " + version + " - git." + commit() + "\n"
}

// commit names the commit sexton was built from, or "unknown".
func commit() string {
	if gitCommit != "" {
		return gitCommit
	}
	return "unknown"
}

// Exit codes, as the shell and coreutils use them.
const (
	exitUsage       = 125 // sexton's own error: bad option, cannot start
	exitNotRunnable = 126 // the command exists but cannot be executed
	exitNotFound    = 127 // the command does not exist
)

func main() {
	// sexton's own garbage collector settings, whatever GOGC and
	// GOMEMLIMIT the container sets for its application (the runtime
	// read them before main): the defaults, GOGC=100 and no limit. A
	// GOMEMLIMIT below sexton's heap would otherwise make PID 1 collect
	// at every allocation, GOGC=off let its heap grow for the container's
	// life. The command still gets both variables as they were (environ
	// reads /proc/self/environ). These setters add nothing to the binary
	// (runtime/debug's fmt comes only with its build info, unused here).
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	// One P: the waiter's wait4 and the loop then share a thread's worth
	// of scheduling, and sysmon stops handing the P around on every reap
	// (about 0.6 fewer context switches per reaped process; see
	// BENCHMARKS.md). sexton never has two goroutines with work at once.
	runtime.GOMAXPROCS(1)
	os.Exit(run(os.Args, fdWriter(1), fdWriter(2)))
}

// run is main without the exit, so that tests can call it; argv is the
// whole command line, argv[0] included.
func run(argv []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(argv[1:], os.LookupEnv)
	if err != nil {
		io.WriteString(stderr, "sexton: "+err.Error()+"\n")
		return exitUsage
	}
	switch {
	case c.help:
		io.WriteString(stdout, usage())
		return 0
	case c.version:
		io.WriteString(stdout, versionLine(argv[0]))
		return 0
	case c.license:
		io.WriteString(stdout, "sexton "+version+": Copyright the sexton authors; "+
			"licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0); "+
			"it comes with no warranty\n")
		return 0
	case c.probe != nil:
		timeout := c.probeTimeout
		switch {
		case timeout == 0:
			timeout = defaultProbeTimeout
		case timeout < 0:
			timeout = 0
		}
		return probe(c.probe, timeout, stderr)
	}
	if c.install != "" {
		path, err := install(c.install)
		if err != nil {
			io.WriteString(stderr, "sexton: "+err.Error()+"\n")
			return exitUsage
		}
		io.WriteString(stdout, path+"\n")
		return 0
	}
	// One writer for the log, the report and tini's -w lines: they share
	// -vv's clock and stop together when stderr breaks. The report is
	// written whatever -v says.
	out := logTo(stderr, max(c.verbose, 1))
	c.cfg.Report = out
	switch {
	case c.verbose > 0:
		c.cfg.Log = out
	case c.warnReaped:
		c.cfg.Warn = out // -v logs each reaped orphan already
	}
	// sexton exits as soon as Run returns: no window for the runtime's
	// handlers at the end.
	c.cfg.KeepHandlers = true
	code, err := reaper.Run(c.cfg)
	if err != nil {
		io.WriteString(stderr, "sexton: "+startMessage(err)+"\n")
		return startCode(err)
	}
	return code
}

// startCode picks the exit code for a failure to start the command.
func startCode(err error) int {
	var se *reaper.StartError
	if !errors.As(err, &se) {
		return exitUsage
	}
	switch {
	case errors.Is(err, unix.ENOENT):
		return exitNotFound
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC),
		errors.Is(err, unix.EISDIR), errors.Is(err, unix.ETXTBSY),
		errors.Is(err, unix.EPERM):
		return exitNotRunnable
	}
	return exitUsage
}

// startMessage says what went wrong and how to fix it, in one line.
func startMessage(err error) string {
	var se *reaper.StartError
	var ue *reaper.UserError
	switch {
	case errors.As(err, &ue):
		return "--user " + ue.Spec + ": " + ue.Why
	case !errors.As(err, &se):
		return err.Error()
	}
	p, why := se.Path, se.Err.Error()
	switch {
	case errors.Is(err, reaper.ErrNotFound):
		return p + ": not found in PATH; give an absolute path or set PATH in the image"
	case errors.Is(err, unix.ENOENT):
		return p + ": no such file, or its #! interpreter or ELF loader is missing; check the path and the image"
	case errors.Is(err, reaper.ErrSearchDenied):
		return p + ": permission denied: a directory on its path cannot be searched; give that directory execute permission for sexton's user (chmod +x), or fix PATH"
	case errors.Is(err, unix.EACCES):
		return p + ": permission denied; make it a regular file with execute permission (chmod +x) on a mount without noexec"
	case errors.Is(err, unix.ENOEXEC):
		return p + ": not an executable format; build it for this machine or add a #! line"
	case errors.Is(err, unix.ETXTBSY):
		return p + ": file is open for writing; close it before running it"
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.ENOMEM):
		return "cannot start " + p + ": " + why + "; the process table or memory is full, raise the container's pids or memory limit"
	}
	return "cannot start " + p + ": " + why
}
