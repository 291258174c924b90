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
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
	"github.com/sexton-init/sexton/reaper"
)

// version and gitCommit are set at link time by the Makefile
// (-X=main.version=...). (The build info would also name the commit, but
// runtime/debug pulls fmt into the binary: 200 KiB.)
var (
	version   = "dev"
	gitCommit = ""
)

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

const usage = `Usage: sexton [options] [--] COMMAND [ARGS...]
       sexton --pause

Runs COMMAND as the child of an init: relays every signal sexton gets to it,
reaps every zombie (orphans included), and exits with COMMAND's status. When
COMMAND exits, every process it left behind gets SIGTERM, then SIGKILL if it
is still there after the --kill-after grace.

Options (each also set by its variable; the command line wins):
  -g, --pgroup          relay signals to COMMAND's process   SEXTON_PGROUP
                        group, not only to it
  -t, --timeout DUR     after DUR send the timeout signal,   SEXTON_TIMEOUT
                        SIGKILL --kill-after later; exit 124
      --timeout-signal SIG  signal sent at the timeout     SEXTON_TIMEOUT_SIGNAL
                        (default TERM)
  -k, --kill-after DUR  grace before SIGKILL (default 5s;    SEXTON_KILL_AFTER
                        0 = SIGKILL at once)
  -r, --rewrite FROM:TO relay FROM as TO; TO 0 or drop       SEXTON_REWRITE
                        drops FROM (repeatable)              (FROM:TO,FROM:TO)
      --remap-exit FROM:TO  report exit code FROM as TO    SEXTON_REMAP_EXIT
                        (repeatable; 124 is never remapped)
  -p, --pdeathsig SIG   get SIG (and relay it) when sexton's SEXTON_PDEATHSIG
                        parent dies
      --wait-all        when COMMAND exits, keep relaying    SEXTON_WAIT_ALL
                        to what is left; exit when all exited
      --stop-delay DUR  hold the first SIGTERM for DUR (a    SEXTON_STOP_DELAY
                        second one, or others, pass at once)
  -P, --pause           run no command: reap, exit 0 on      SEXTON_PAUSE
                        TERM or INT (a pod's pause container)
  -s, --subreaper       no-op for tini compatibility: sexton SEXTON_SUBREAPER
                        is a subreaper whenever not PID 1
  -v, --verbose         log events to stderr; -vv adds times SEXTON_VERBOSE=0-2
  -h, --help            print this help and exit
  -V, --version         print the version and exit

DUR: a Go duration (90s, 1.5m, 2h30m) or seconds (90, 0.5; suffixes s, m, h,
d as in coreutils timeout); 0 = no timeout. SIG: a name (TERM, sigterm),
RTMIN+N, RTMAX-N or 1-64. Yes/no variables take 1/true/yes or 0/false/no;
an empty variable counts as unset.

Exit status:
  COMMAND's status, or 128+N if signal N killed it
  124  the timeout fired (even if SIGKILL was needed; coreutils says 137 then)
  125  sexton's own error (bad option or variable, could not start COMMAND)
  126  COMMAND was found but cannot be executed
  127  COMMAND was not found

Not relayed: KILL and STOP (uncatchable), CHLD (sexton's own), and 32 and 33
(glibc's own; 33 is also the Go runtime's).
`

// options is what the command line says, before it becomes a Config.
type options struct {
	pgroup        bool
	verbose       int
	help          bool
	version       bool
	pause         bool
	waitAll       bool
	stopDelay     time.Duration
	timeout       time.Duration
	timeoutSignal unix.Signal
	killAfter     time.Duration
	pdeathsig     unix.Signal
	rewrites      []rewrite
	remap         map[int]int
	argv          []string
}

// rewrite is one --rewrite rule; to == 0 drops from.
type rewrite struct{ from, to unix.Signal }

// usageError is a mistake on the command line; its text names what is wrong
// and says how to fix it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// sprintf is the little of fmt.Sprintf that sexton's messages use (%d,
// %s, %v, %q, %c, %%), so that the binary does without fmt and the
// reflection it brings (about 200 KiB, and resident memory).
func sprintf(format string, args ...any) string {
	var b []byte
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if len(args) == 0 {
			b = append(b, "%!"...)
			b = append(b, verb)
			continue
		}
		a := args[0]
		args = args[1:]
		switch verb {
		case 'q':
			b = strconv.AppendQuote(b, str(a))
		case 'c':
			if r, ok := a.(rune); ok {
				b = append(b, string(r)...)
				continue
			}
			b = append(b, str(a)...)
		case 'd':
			if sig, ok := a.(unix.Signal); ok {
				b = strconv.AppendInt(b, int64(sig), 10)
				continue
			}
			b = append(b, str(a)...)
		default:
			b = append(b, str(a)...)
		}
	}
	return string(b)
}

// str renders one argument of sprintf.
func str(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case error:
		return v.Error()
	case time.Duration:
		// Not any Stringer: that would keep every String method of
		// every type the program boxes, time.Time's formatting and
		// time-zone loading among them.
		return v.String()
	}
	return "?"
}

func usagef(format string, args ...any) error {
	return &usageError{sprintf(format, args...)}
}

// flagSpec is one option: its short and long names, whether it takes a
// value, and what it does with it (name is the form the user wrote, for
// error messages).
type flagSpec struct {
	short rune
	long  string
	value bool
	set   func(o *options, name, value string) error
}

var flagSpecs = []flagSpec{
	{'g', "pgroup", false, func(o *options, _, _ string) error { o.pgroup = true; return nil }},
	{'s', "subreaper", false, func(*options, string, string) error { return nil }},
	{'v', "verbose", false, func(o *options, _, _ string) error { o.verbose++; return nil }},
	{'h', "help", false, func(o *options, _, _ string) error { o.help = true; return nil }},
	{'V', "version", false, func(o *options, _, _ string) error { o.version = true; return nil }},
	{'t', "timeout", true, func(o *options, name, v string) (err error) {
		o.timeout, err = parseDuration(name, v)
		return err
	}},
	{'k', "kill-after", true, func(o *options, name, v string) (err error) {
		o.killAfter, err = parseDuration(name, v)
		return err
	}},
	{0, "timeout-signal", true, func(o *options, name, v string) (err error) {
		o.timeoutSignal, err = parseSignal(name, v)
		return err
	}},
	{'r', "rewrite", true, func(o *options, name, v string) error {
		from, to, err := forward.ParseRewrite(v)
		if err != nil {
			return usagef("%s %s: %v", name, v, err)
		}
		o.rewrites = append(o.rewrites, rewrite{from, to})
		return nil
	}},
	{0, "remap-exit", true, func(o *options, name, v string) error {
		from, to, err := parseRemap(v)
		if err != nil {
			return usagef("%s %s: %v", name, v, err)
		}
		if o.remap == nil {
			o.remap = map[int]int{}
		}
		o.remap[from] = to
		return nil
	}},
	{'p', "pdeathsig", true, func(o *options, name, v string) (err error) {
		o.pdeathsig, err = parseSignal(name, v)
		return err
	}},
	{'P', "pause", false, func(o *options, _, _ string) error { o.pause = true; return nil }},
	// No short form: tini's -w means something else.
	{0, "wait-all", false, func(o *options, _, _ string) error { o.waitAll = true; return nil }},
	{0, "stop-delay", true, func(o *options, name, v string) (err error) {
		o.stopDelay, err = parseDuration(name, v)
		return err
	}},
}

func parseSignal(name, v string) (unix.Signal, error) {
	sig, err := forward.ParseSignal(v)
	if err != nil {
		return 0, usagef("%s: %v", name, err)
	}
	return sig, nil
}

// parseRemap reads an exit-code rule FROM:TO, each 0..255.
func parseRemap(s string) (from, to int, err error) {
	f, t, ok := strings.Cut(s, ":")
	code := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 255 {
			return 0, errors.New("exit code " + strconv.Quote(s) + " is not a number 0-255")
		}
		return n, nil
	}
	if !ok {
		return 0, 0, errors.New(strconv.Quote(s) + " is not FROM:TO; write it like 143:0")
	}
	if from, err = code(f); err != nil {
		return 0, 0, err
	}
	if to, err = code(t); err != nil {
		return 0, 0, err
	}
	return from, to, nil
}

// envVars maps each option's environment variable to the option's long
// name. A variable is read once, at start; the option on the command line
// wins over it; an empty value counts as unset. Values are parsed as
// strictly as the flags: SEXTON_PGROUP=0 turns -g off, it does not turn it
// on because the variable exists (as TINI_SUBREAPER=0 does in tini).
var envVars = []struct{ name, long string }{
	{"SEXTON_PGROUP", "pgroup"},
	{"SEXTON_SUBREAPER", "subreaper"},
	{"SEXTON_VERBOSE", "verbose"},
	{"SEXTON_TIMEOUT", "timeout"},
	{"SEXTON_TIMEOUT_SIGNAL", "timeout-signal"},
	{"SEXTON_KILL_AFTER", "kill-after"},
	{"SEXTON_REWRITE", "rewrite"},
	{"SEXTON_REMAP_EXIT", "remap-exit"},
	{"SEXTON_PDEATHSIG", "pdeathsig"},
	{"SEXTON_PAUSE", "pause"},
	{"SEXTON_WAIT_ALL", "wait-all"},
	{"SEXTON_STOP_DELAY", "stop-delay"},
}

// applyEnv sets every option that the command line did not give from its
// variable. Lists (rewrite, remap-exit) are comma-separated.
func applyEnv(o *options, given map[string]bool, getenv func(string) string) error {
	for _, ev := range envVars {
		v := getenv(ev.name)
		if v == "" || given[ev.long] {
			continue
		}
		f := lookupLong(ev.long)
		var err error
		switch {
		case ev.long == "verbose":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 || n > 2 {
				err = usagef("%s=%s: use a level 0, 1 or 2", ev.name, v)
			}
			o.verbose = n
		case !f.value:
			on, ok := parseBool(v)
			if !ok {
				err = usagef("%s=%s: use 1, true or yes to turn it on, 0, false or no to turn it off", ev.name, v)
			} else if on {
				err = f.set(o, ev.name, "")
			}
		case ev.long == "rewrite" || ev.long == "remap-exit":
			for item := range strings.SplitSeq(v, ",") {
				if err = f.set(o, ev.name, item); err != nil {
					break
				}
			}
		default:
			err = f.set(o, ev.name, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func parseBool(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// defaultKillAfter is the grace before SIGKILL, as Docker's default stop
// timeout is 10 s and Kubernetes' 30 s: short enough to fit inside both.
const defaultKillAfter = 5 * time.Second

// parseArgs reads the options up to the first argument that is not one (or
// up to "--"), like getopt with "+": COMMAND's own flags are never read as
// sexton's. Short flags combine (-gv); a value follows its flag as the next
// argument, joined to a short one (-t5s) or after = for a long one
// (--timeout=5s).
func parseArgs(args []string, getenv func(string) string) (options, error) {
	o := options{timeoutSignal: unix.SIGTERM, killAfter: defaultKillAfter}
	given := map[string]bool{} // long names of the options on the command line
	i := 0
	// value takes the argument after the flag at args[i].
	value := func(name string) (string, error) {
		if i+1 >= len(args) {
			return "", usagef("option %s needs a value; see sexton --help", name)
		}
		i++
		return args[i], nil
	}
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
			name, v, hasValue := strings.Cut(a, "=")
			f := lookupLong(name[2:])
			switch {
			case f == nil:
				return o, usagef("unknown option %s; see sexton --help (put -- before COMMAND if it starts with -)", name)
			case !f.value && hasValue:
				return o, usagef("option %s takes no value; remove the =... part", name)
			case f.value && !hasValue:
				var err error
				if v, err = value(name); err != nil {
					return o, err
				}
			}
			if err := f.set(&o, name, v); err != nil {
				return o, err
			}
			given[f.long] = true
			continue
		}
		for j, c := range a[1:] {
			f := lookupShort(c)
			if f == nil {
				return o, usagef("unknown option -%c; see sexton --help (put -- before COMMAND if it starts with -)", c)
			}
			name := "-" + string(c)
			v := a[2+j:] // what follows the flag, for one that takes a value
			if !f.value {
				v = ""
			} else if v == "" {
				var err error
				if v, err = value(name); err != nil {
					return o, err
				}
			}
			if err := f.set(&o, name, v); err != nil {
				return o, err
			}
			given[f.long] = true
			if f.value {
				break
			}
		}
	}
	o.argv = args[i:]
	if o.help || o.version {
		return o, nil
	}
	if err := applyEnv(&o, given, getenv); err != nil {
		return o, err
	}
	switch {
	case o.pause && len(o.argv) > 0:
		return o, usagef("--pause runs no command; remove %s or --pause", o.argv[0])
	case !o.pause && len(o.argv) == 0:
		return o, usagef("no command given; usage: sexton [options] [--] COMMAND [ARGS...]")
	}
	return o, nil
}

func lookupLong(name string) *flagSpec {
	for i := range flagSpecs {
		if flagSpecs[i].long == name {
			return &flagSpecs[i]
		}
	}
	return nil
}

func lookupShort(c rune) *flagSpec {
	for i := range flagSpecs {
		if flagSpecs[i].short == c {
			return &flagSpecs[i]
		}
	}
	return nil
}

// decimal reads a decimal number such as 90, 0.5, .5 or 1e3, with an
// optional sign, as strconv.ParseFloat reads it (but for hexadecimal, inf
// and nan, which no duration needs). Not ParseFloat itself: its tables are
// 20 KiB of an init that stays resident. Twenty significant digits are
// kept; beyond that they only scale the number, which a duration in
// nanoseconds cannot tell apart.
func decimal(s string) (float64, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	var mant uint64
	sig, exp, digits := 0, 0, 0
	i, dot := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
			continue
		case c < '0' || c > '9':
		default:
			digits++
			if sig < 19 {
				if mant != 0 || c != '0' {
					sig++
				}
				mant = mant*10 + uint64(c-'0')
				if dot {
					exp--
				}
			} else if !dot {
				exp++
			}
			continue
		}
		break
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg, i = s[i] == '-', i+1
		}
		e, n := 0, 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i, n = i+1, n+1 {
			if e < 10000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if n == 0 {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(s) {
		return 0, false
	}
	f := float64(mant)
	if exp < 0 {
		f /= math.Pow10(-exp)
	} else {
		f *= math.Pow10(exp)
	}
	if neg {
		f = -f
	}
	return f, true
}

// suffixes are coreutils timeout's units.
var suffixes = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}

// parseDuration reads a Go duration (1.5s, 500ms, 2h30m), or a number of
// seconds (90, 0.5) with an optional coreutils suffix s, m, h or d. Negative,
// non-finite and overflowing values are errors.
func parseDuration(name, s string) (time.Duration, error) {
	bad := func(why string) error {
		return usagef("invalid duration %q for %s%s; use a Go duration such as 90s, 1.5m or 2h30m, or seconds such as 90 or 0.5", s, name, why)
	}
	num, unit := s, time.Second
	if n := len(s); n > 1 {
		// A number before a coreutils suffix; anything else ("500ms",
		// "2h30m") is left to time.ParseDuration.
		if u, ok := suffixes[s[n-1]]; ok {
			if _, ok := decimal(s[:n-1]); ok {
				num, unit = s[:n-1], u
			}
		}
	}
	if f, ok := decimal(num); ok {
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return 0, bad("")
		case f < 0:
			return 0, bad(" (negative)")
		case f*float64(unit) > math.MaxInt64:
			return 0, bad(" (too long)")
		}
		return time.Duration(f * float64(unit)), nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && strings.Contains(err.Error(), "overflow"):
		return 0, bad(" (too long)")
	case err != nil:
		return 0, bad("")
	case d < 0:
		return 0, bad(" (negative)")
	}
	return d, nil
}

func main() {
	// One P: the waiter's wait4 and the loop then share a thread's worth
	// of scheduling, and sysmon stops handing the P around on every reap
	// (about 0.6 fewer context switches per reaped process; see
	// BENCHMARKS.md). sexton never has two goroutines with work at once.
	runtime.GOMAXPROCS(1)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, os.Getenv)
	if err != nil {
		io.WriteString(stderr, "sexton: "+err.Error()+"\n")
		return exitUsage
	}
	switch {
	case o.help:
		io.WriteString(stdout, usage)
		return 0
	case o.version:
		// One line that `docker info` parses: it takes the commit from
		// " - git.X" (as tini prints it) and warns on any other form.
		io.WriteString(stdout, "sexton version "+version+" - git."+commit()+"\n")
		return 0
	}
	cfg := reaper.Config{
		Argv:          o.argv,
		Pgroup:        o.pgroup,
		Timeout:       o.timeout,
		TimeoutSignal: o.timeoutSignal,
		KillAfter:     o.killAfter,
		RemapExit:     o.remap,
		Pdeathsig:     o.pdeathsig,
		Pause:         o.pause,
		WaitAll:       o.waitAll,
		StopDelay:     o.stopDelay,

		CloseInherited: true,
	}
	if len(o.rewrites) > 0 {
		cfg.Table = &forward.Table{}
		for _, r := range o.rewrites {
			cfg.Table.Set(r.from, r.to)
		}
	}
	switch start := time.Now(); {
	case o.verbose == 1:
		cfg.Logf = func(format string, args ...any) {
			// One write per line, so lines from the two goroutines that
			// log never interleave.
			io.WriteString(stderr, "sexton: "+sprintf(format, args...)+"\n")
		}
	case o.verbose >= 2:
		cfg.Logf = func(format string, args ...any) {
			us := time.Since(start).Microseconds()
			frac := strconv.FormatInt(1e6+us%1e6, 10)[1:] // six digits
			t := strconv.FormatInt(us/1e6, 10) + "." + frac + "s "
			io.WriteString(stderr, "sexton: "+t+sprintf(format, args...)+"\n")
		}
	}
	code, err := reaper.Run(cfg)
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
	if !errors.As(err, &se) {
		return err.Error()
	}
	p, why := se.Path, se.Err.Error()
	switch {
	case errors.Is(err, reaper.ErrNotFound):
		return p + ": not found in PATH; give an absolute path or set PATH in the image"
	case errors.Is(err, unix.ENOENT):
		return p + ": no such file, or its #! interpreter or ELF loader is missing; check the path and the image"
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
