// Command sexton is a PID-1 init for containers: it runs one command,
// relays every signal to it, reaps every zombie, and exits as the command
// did.
//
//	sexton [options] [--] COMMAND [ARGS...]
//
// This file reads the command line into a reaper.Config and maps the outcome
// to an exit code; it touches no process and no signal itself.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"sexton/reaper"
)

// version is set at link time by the Makefile (-X=main.version=...).
var version = "dev"

// Exit codes, as the shell and coreutils use them.
const (
	exitUsage       = 125 // sexton's own error: bad option, cannot start
	exitNotRunnable = 126 // the command exists but cannot be executed
	exitNotFound    = 127 // the command does not exist
)

const usage = `Usage: sexton [options] [--] COMMAND [ARGS...]

Runs COMMAND as the child of an init: relays every signal sexton gets to it,
reaps every zombie (orphans included), and exits with COMMAND's status.

Options:
  -g, --pgroup      relay signals to COMMAND's process group, not only to it
  -s, --subreaper   accepted for tini compatibility; sexton is a subreaper
                    whenever it is not PID 1
  -v, --verbose     log each start, relayed signal and reaped process to stderr
  -h, --help        print this help and exit
  -V, --version     print the version and exit

Exit status:
  COMMAND's status, or 128+N if signal N killed it
  125  sexton's own error (bad option, no command, could not start it)
  126  COMMAND was found but cannot be executed
  127  COMMAND was not found

Not relayed: KILL and STOP (uncatchable), CHLD (sexton's own), and PROF, 32,
33, 34 (the Go runtime keeps them).
`

// options is what the command line says, before it becomes a Config.
type options struct {
	pgroup  bool
	verbose int
	help    bool
	version bool
	argv    []string
}

// usageError is a mistake on the command line; its text names what is wrong
// and says how to fix it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseArgs reads the options up to the first argument that is not one (or
// up to "--"), like getopt with "+": COMMAND's own flags are never read as
// sexton's. Short flags combine: -gv is -g -v.
func parseArgs(args []string) (options, error) {
	var o options
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		if strings.HasPrefix(a, "--") {
			if err := o.long(a); err != nil {
				return o, err
			}
			continue
		}
		for _, c := range a[1:] {
			if err := o.short(c); err != nil {
				return o, err
			}
		}
	}
	o.argv = args[i:]
	if len(o.argv) == 0 && !o.help && !o.version {
		return o, usagef("no command given; usage: sexton [options] [--] COMMAND [ARGS...]")
	}
	return o, nil
}

func (o *options) long(a string) error {
	name, _, hasValue := strings.Cut(a, "=")
	var set func()
	switch name {
	case "--pgroup":
		set = func() { o.pgroup = true }
	case "--subreaper":
		set = func() {}
	case "--verbose":
		set = func() { o.verbose++ }
	case "--help":
		set = func() { o.help = true }
	case "--version":
		set = func() { o.version = true }
	default:
		return usagef("unknown option %s; see sexton --help (put -- before COMMAND if it starts with -)", name)
	}
	if hasValue {
		return usagef("option %s takes no value; remove the =... part", name)
	}
	set()
	return nil
}

func (o *options) short(c rune) error {
	switch c {
	case 'g':
		o.pgroup = true
	case 's':
	case 'v':
		o.verbose++
	case 'h':
		o.help = true
	case 'V':
		o.version = true
	default:
		return usagef("unknown option -%c; see sexton --help (put -- before COMMAND if it starts with -)", c)
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sexton: %v\n", err)
		return exitUsage
	}
	switch {
	case o.help:
		fmt.Fprint(stdout, usage)
		return 0
	case o.version:
		fmt.Fprintf(stdout, "sexton version %s\n", version)
		return 0
	}
	cfg := reaper.Config{Argv: o.argv, Pgroup: o.pgroup}
	if o.verbose > 0 {
		cfg.Logf = func(format string, args ...any) {
			// One write per line, so lines from the two goroutines that
			// log never interleave.
			fmt.Fprintf(stderr, "sexton: "+format+"\n", args...)
		}
	}
	code, err := reaper.Run(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sexton: %s\n", startMessage(err))
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
	if !errors.As(err, &se) {
		return err.Error()
	}
	p := se.Path
	switch {
	case errors.Is(err, reaper.ErrNotFound):
		return fmt.Sprintf("%s: not found in PATH; give an absolute path or set PATH in the image", p)
	case errors.Is(err, unix.ENOENT):
		return fmt.Sprintf("%s: no such file, or its #! interpreter or ELF loader is missing; check the path and the image", p)
	case errors.Is(err, unix.EACCES):
		return fmt.Sprintf("%s: permission denied; make it a regular file with execute permission (chmod +x) on a mount without noexec", p)
	case errors.Is(err, unix.ENOEXEC):
		return fmt.Sprintf("%s: not an executable format; build it for this machine or add a #! line", p)
	case errors.Is(err, unix.ETXTBSY):
		return fmt.Sprintf("%s: file is open for writing; close it before running it", p)
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.ENOMEM):
		return fmt.Sprintf("cannot start %s: %v; the process table or memory is full, raise the container's pids or memory limit", p, se.Err)
	}
	return fmt.Sprintf("cannot start %s: %v", p, se.Err)
}
