package main

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
	"github.com/sexton-init/sexton/reaper"
)

// cli is what the command line and the environment say: the Config for
// reaper.Run, and what main does itself.
type cli struct {
	cfg        reaper.Config
	verbose    int // 0 quiet, 1 events, 2 events with times (more counts as 2)
	warnReaped bool
	help       bool
	version    bool
	license    bool
	install    string // --install DIR
	// --probe: check a server instead of running a command.
	probe        *probeTarget
	probeTimeout time.Duration // 0: the default; negative: none
}

// kind is the kind of value an option takes, which says how its variable
// is read.
type kind int

const (
	onOff    kind = iota // no value; the variable is yes or no
	level                // no value, repeatable (-vv); the variable is a number
	value                // one value; the variable holds it
	valueSet             // a value, repeatable; the variable holds a comma-separated list
)

// option is one row of the option table. --help, the environment and
// README's option table (checked by a test) all come from these rows.
type option struct {
	short rune   // 0: none
	long  string // without the dashes
	env   string // its variable; "" for none
	// tini is tini's variable for the same thing, read as tini reads it
	// (set at all means on; TINI_VERBOSITY counts from tini's default
	// of 1), below env and the command line: an image written for
	// tini keeps its behaviour when sexton starts in its place.
	tini string
	kind kind
	arg  string // the value's placeholder in --help (DUR, SIG, ...)
	def  string // the default, as --help and README show it; "" for none
	help string // what it does, in one sentence or two
	// set applies one occurrence: v is the value ("" for onOff and
	// level), name is the option or variable as written, for messages.
	set func(c *cli, name, v string) error
}

// options is the option table. Adding an option means adding a row here
// and the row of README's table that the test prints.
var options = []option{
	{'g', "pgroup", "SEXTON_PGROUP", "TINI_KILL_PROCESS_GROUP", onOff, "", "",
		"relay signals to COMMAND's process group, not only to COMMAND",
		func(c *cli, _, _ string) error { c.cfg.Pgroup = true; return nil }},
	{'t', "timeout", "SEXTON_TIMEOUT", "", value, "DUR", "",
		"after DUR send the timeout signal, then SIGKILL --kill-after later; exit 124",
		func(c *cli, name, v string) (err error) { c.cfg.Timeout, err = parseDuration(name, v); return err }},
	{0, "timeout-signal", "SEXTON_TIMEOUT_SIGNAL", "", value, "SIG", "TERM",
		"the signal sent when the timeout fires",
		func(c *cli, name, v string) (err error) { c.cfg.TimeoutSignal, err = parseSignal(name, v); return err }},
	{'k', "kill-after", "SEXTON_KILL_AFTER", "", value, "DUR", "5s",
		"grace between a termination signal (the timeout's, the SIGTERM that the processes COMMAND left get when it exits, or the one --pause passes on) and SIGKILL; 0 sends SIGKILL at once",
		func(c *cli, name, v string) error {
			d, err := parseDuration(name, v)
			if d == 0 {
				d = reaper.NoGrace
			}
			c.cfg.KillAfter = d
			return err
		}},
	{'r', "rewrite", "SEXTON_REWRITE", "", valueSet, "FROM:TO", "",
		"relay signal FROM as TO; TO 0 or drop drops FROM (repeatable)",
		func(c *cli, name, v string) error {
			from, to, err := forward.ParseRewrite(v)
			if err != nil {
				return usageError(name + " " + v + ": " + err.Error())
			}
			c.cfg.Table.Set(from, to)
			return nil
		}},
	{0, "remap-exit", "SEXTON_REMAP_EXIT", "", valueSet, "FROM:TO", "",
		"report COMMAND's exit code FROM as TO, 0-255 each (repeatable); the timeout's own 124 is never remapped",
		func(c *cli, name, v string) error {
			from, to, err := parseRemap(v)
			if err != nil {
				return usageError(name + " " + v + ": " + err.Error())
			}
			if c.cfg.RemapExit == nil {
				c.cfg.RemapExit = map[int]int{}
			}
			c.cfg.RemapExit[from] = to
			return nil
		}},
	{'p', "pdeathsig", "SEXTON_PDEATHSIG", "", value, "SIG", "",
		"get SIG when sexton's parent dies, and relay it (any signal sexton relays: not KILL, STOP, CHLD, 32 or 33)",
		func(c *cli, name, v string) (err error) { c.cfg.Pdeathsig, err = parsePdeathsig(name, v); return err }},
	// No short form: tini's -w means something else.
	{0, "wait-all", "SEXTON_WAIT_ALL", "", onOff, "", "",
		"when COMMAND exits, keep relaying signals to the processes it left and exit when the last is gone",
		func(c *cli, _, _ string) error { c.cfg.WaitAll = true; return nil }},
	{0, "stop-delay", "SEXTON_STOP_DELAY", "", value, "DUR", "",
		"hold the first SIGTERM for DUR before relaying it; a second one passes at once",
		func(c *cli, name, v string) (err error) { c.cfg.StopDelay, err = parseDuration(name, v); return err }},
	{'P', "pause", "SEXTON_PAUSE", "", onOff, "", "",
		"run no command: reap; on SIGTERM or SIGINT pass it to every other process of the PID namespace, wait for them (SIGKILL after --kill-after), and exit 0 (a pod's pause container)",
		func(c *cli, _, _ string) error { c.cfg.Pause = true; return nil }},
	{0, "zombie-report", "SEXTON_ZOMBIE_REPORT", "", value, "DUR", "",
		"every DUR (100ms or more), name each living process that holds zombie children it does not wait for, which no init can reap: one line on stderr whatever -v says, again when it holds more, and when they are gone",
		func(c *cli, name, v string) error {
			d, err := parseDuration(name, v)
			if err == nil && d > 0 && d < 100*time.Millisecond {
				// Each look reads every process's stat file.
				err = usageError(name + " " + v + ": too short to look through /proc that often; use 100ms or more, or 0 for none")
			}
			c.cfg.ZombieReport = d
			return err
		}},
	{0, "signal-all", "SEXTON_SIGNAL_ALL", "", onOff, "", "",
		"relay each signal to every process sexton can reach (as PID 1 the whole namespace, else its descendants), not only to COMMAND, so daemons that left its process group get a stop's SIGTERM at once",
		func(c *cli, _, _ string) error { c.cfg.SignalAll = true; return nil }},
	{0, "user", "SEXTON_USER", "", value, "USER[:GROUP]", "",
		"run COMMAND as USER (a name from the image's /etc/passwd, or a uid) and GROUP (a name from /etc/group, or a gid; default the user's, with its supplementary groups); sexton itself keeps its identity",
		func(c *cli, _, v string) error { c.cfg.User = v; return nil }},
	// No variable: set in an image's environment, it would turn the
	// init itself into a probe that exits at once.
	{0, "probe", "", "", value, "URL", "",
		"run no command: exit 0 if tcp://HOST:PORT accepts a connection or http://HOST:PORT/PATH answers 2xx or 3xx within --probe-timeout, else 1 (a HEALTHCHECK); HOST is an IP address or localhost",
		func(c *cli, name, v string) (err error) { c.probe, err = parseProbeURL(name, v); return err }},
	{0, "probe-timeout", "SEXTON_PROBE_TIMEOUT", "", value, "DUR", "5s",
		"how long --probe waits for the connection and the answer; 0 waits as long as it takes",
		func(c *cli, name, v string) error {
			d, err := parseDuration(name, v)
			if d == 0 {
				d = -1
			}
			c.probeTimeout = d
			return err
		}},
	{'s', "subreaper", "SEXTON_SUBREAPER", "TINI_SUBREAPER", onOff, "", "",
		"accepted for tini's sake: sexton is a subreaper whenever it is not PID 1",
		func(*cli, string, string) error { return nil }},
	{'v', "verbose", "SEXTON_VERBOSE", "TINI_VERBOSITY", level, "", "",
		"log each event (the start, each relayed or dropped signal, each reaped process, the exit, the timeout, the shutdown) to stderr, one line each prefixed \"sexton: \"; -vv adds the time since start (the variable: 0, 1 or 2)",
		func(c *cli, name, v string) error {
			if v == "" {
				c.verbose = min(c.verbose+1, 2) // tini takes -vvv
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 2 {
				return usageError(name + "=" + v + ": use a level 0, 1 or 2")
			}
			c.verbose = n
			return nil
		}},
	{0, "install", "SEXTON_INSTALL", "", value, "DIR", "",
		"run no command: copy sexton to DIR/sexton (atomically, mode 0755), print that path and exit 0; for a Kubernetes init container that puts sexton in a shared volume",
		func(c *cli, _, v string) error { c.install = v; return nil }},
	// tini's and dumb-init's own flags, so that swapping the binary keeps a
	// container working (README's migration table).
	{'e', "expect-exit", "", "", valueSet, "CODE", "",
		"report COMMAND's exit code CODE (0-255) as 0, as tini -e does (repeatable; --remap-exit CODE:0)",
		func(c *cli, name, v string) error {
			code, err := strconv.Atoi(v)
			if err != nil || code < 0 || code > 255 {
				return usageError(name + " " + v + ": exit code " + strconv.Quote(v) + " is not a number 0-255")
			}
			if c.cfg.RemapExit == nil {
				c.cfg.RemapExit = map[int]int{}
			}
			c.cfg.RemapExit[code] = 0
			return nil
		}},
	{'w', "warn-reaped", "SEXTON_WARN_REAPED", "", onOff, "", "",
		"write a line to stderr for each orphan reaped, even without -v, as tini -w does",
		func(c *cli, _, _ string) error { c.warnReaped = true; return nil }},
	{'c', "single-child", "", "", onOff, "", "",
		"accepted for dumb-init's sake: sexton always relays to its one child (-g for its group)",
		func(*cli, string, string) error { return nil }},
	{'l', "license", "", "", onOff, "", "",
		"print the license and exit",
		func(c *cli, _, _ string) error { c.license = true; return nil }},
	{'h', "help", "", "", onOff, "", "",
		"print this help and exit",
		func(c *cli, _, _ string) error { c.help = true; return nil }},
	{'V', "version", "", "", onOff, "", "",
		"print the version and exit",
		func(c *cli, _, _ string) error { c.version = true; return nil }},
}

// usageError is a mistake on the command line or in a variable; its text
// names what is wrong and says how to fix it.
type usageError string

func (e usageError) Error() string { return string(e) }

func parseSignal(name, v string) (unix.Signal, error) {
	sig, err := forward.ParseSignal(v)
	if err != nil {
		return 0, usageError(name + ": " + err.Error())
	}
	return sig, nil
}

// parsePdeathsig reads --pdeathsig's signal: one that sexton can catch and
// relay. KILL would end sexton with no shutdown, STOP would freeze it (when
// not PID 1), and CHLD, 32 and 33 would never arrive as a signal to relay.
func parsePdeathsig(name, v string) (unix.Signal, error) {
	sig, err := parseSignal(name, v)
	if err != nil {
		return 0, err
	}
	if ok, why := forward.Relayable(sig); !ok {
		return 0, usageError(name + " " + v + ": " + forward.Name(sig) + " " + why + "; use a signal sexton can relay, such as TERM")
	}
	return sig, nil
}

// parseRemap reads an exit-code rule FROM:TO, each 0..255.
func parseRemap(s string) (from, to int, err error) {
	f, t, ok := strings.Cut(s, ":")
	code := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 255 {
			return 0, usageError("exit code " + strconv.Quote(s) + " is not a number 0-255")
		}
		return n, nil
	}
	if !ok {
		return 0, 0, usageError(strconv.Quote(s) + " is not FROM:TO; write it like 143:0")
	}
	if from, err = code(f); err != nil {
		return 0, 0, err
	}
	if to, err = code(t); err != nil {
		return 0, 0, err
	}
	return from, to, nil
}

// parseBool reads a yes/no variable.
func parseBool(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// parseArgs reads the options up to the first argument that is not one (or
// up to "--"), like getopt with "+": COMMAND's own flags are never read as
// sexton's. Short flags combine (-gv); a value follows its flag as the next
// argument, joined to a short one (-t5s) or after = for a long one
// (--timeout=5s). Then each option not on the command line is read from
// its variable.
func parseArgs(args []string, lookupEnv func(string) (string, bool)) (cli, error) {
	var c cli
	given := map[*option]bool{}
	i := 0
	// apply sets o from the argument at args[i]; v is the value joined to
	// it, if any. A value that is not joined is the next argument.
	apply := func(o *option, name, v string, joined bool) error {
		if o.kind >= value && !joined {
			if i+1 >= len(args) {
				return usageError("option " + name + " needs a value; see sexton --help")
			}
			i++
			v = args[i]
		}
		given[o] = true
		return o.set(&c, name, v)
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
		if long, ok := strings.CutPrefix(a, "--"); ok {
			long, v, hasValue := strings.Cut(long, "=")
			o := lookup(func(o *option) bool { return o.long == long })
			switch {
			case o == nil:
				return c, usageError("unknown option --" + long + "; see sexton --help (put -- before COMMAND if it starts with -)")
			case o.kind < value && hasValue:
				return c, usageError("option --" + long + " takes no value; remove the =... part")
			}
			if err := apply(o, "--"+long, v, hasValue); err != nil {
				return c, err
			}
			continue
		}
		for j, r := range a[1:] {
			o := lookup(func(o *option) bool { return o.short == r })
			if o == nil {
				return c, usageError("unknown option -" + string(r) + "; see sexton --help (put -- before COMMAND if it starts with -)")
			}
			rest := a[2+j:] // what follows the flag, for one that takes a value
			if o.kind < value {
				rest = ""
			}
			if err := apply(o, "-"+string(r), rest, rest != ""); err != nil {
				return c, err
			}
			if o.kind >= value {
				break
			}
		}
	}
	c.cfg.Argv = args[i:]
	if c.help || c.version || c.license {
		return c, nil
	}
	for k := range options {
		o := &options[k]
		if given[o] {
			continue
		}
		if v, _ := lookupEnv(o.env); o.env != "" && v != "" {
			if err := applyEnv(&c, o, v); err != nil {
				return c, err
			}
		} else if v, set := lookupEnv(o.tini); o.tini != "" && set {
			if err := applyTini(&c, o, v); err != nil {
				return c, err
			}
		}
	}
	mode := ""
	switch {
	case c.cfg.Pause && c.install != "", c.probe != nil && (c.cfg.Pause || c.install != ""):
		return c, usageError("--pause, --install and --probe are modes of their own; give one")
	case c.cfg.Pause:
		mode = "--pause"
	case c.install != "":
		mode = "--install"
	case c.probe != nil:
		mode = "--probe"
	}
	switch {
	case mode != "" && len(c.cfg.Argv) > 0:
		return c, usageError(mode + " runs no command; remove " + c.cfg.Argv[0] + " or " + mode)
	case mode == "" && len(c.cfg.Argv) == 0:
		return c, usageError("no command given; usage: sexton [options] [--] COMMAND [ARGS...]")
	}
	return c, nil
}

// applyEnv sets o from its variable's value v. Values are read as strictly
// as the flags: SEXTON_PGROUP=0 leaves -g off, it does not turn it on
// because the variable exists.
func applyEnv(c *cli, o *option, v string) error {
	switch o.kind {
	case onOff:
		on, ok := parseBool(v)
		if !ok {
			return usageError(o.env + "=" + v + ": use 1, true or yes to turn it on, 0, false or no to turn it off")
		}
		if on {
			return o.set(c, o.env, "")
		}
	case valueSet:
		for item := range strings.SplitSeq(v, ",") {
			if err := o.set(c, o.env, item); err != nil {
				return err
			}
		}
	default:
		return o.set(c, o.env, v)
	}
	return nil
}

// applyTini sets o from tini's variable, as tini reads it: TINI_SUBREAPER
// and TINI_KILL_PROCESS_GROUP turn their option on when they are set at
// all, whatever their value; TINI_VERBOSITY is tini's level, where tini's
// default 1 (warnings only) is sexton's quiet 0.
func applyTini(c *cli, o *option, v string) error {
	if o.kind != level {
		return o.set(c, o.tini, "")
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return usageError(o.tini + "=" + v + ": use a level 0 to 3, as tini takes it")
	}
	c.verbose = min(max(n-1, 0), 2)
	return nil
}

func lookup(match func(o *option) bool) *option {
	for i := range options {
		if match(&options[i]) {
			return &options[i]
		}
	}
	return nil
}

// usage is --help's text, with the options from the table.
func usage() string {
	var b strings.Builder
	b.WriteString(`Usage: sexton [options] [--] COMMAND [ARGS...]
       sexton --pause
       sexton --probe URL

Runs COMMAND as the child of an init: relays every signal sexton gets to it,
reaps every zombie (orphans included), and exits with COMMAND's status. When
COMMAND exits, every process it left behind gets SIGTERM, then SIGKILL if it
is still there after the --kill-after grace.

Options (each also set by its variable; the command line wins):
`)
	for _, o := range options {
		b.WriteString("  " + o.names() + "\n")
		help := o.help
		if o.def != "" {
			help += " (default " + o.def + ")"
		}
		if o.env != "" {
			help += "; variable " + o.env
		}
		if o.tini != "" {
			help += " (or tini's " + o.tini + ")"
		}
		b.WriteString(wrap(help, "        ", 78))
	}
	b.WriteString(`
DUR: seconds (90, 0.5; suffixes s, m, h, d as in coreutils timeout) or a Go
duration (500ms, 2h30m); 0 = none. SIG: a name (TERM, sigterm), RTMIN+N,
RTMAX-N or 1-64. Yes/no variables take 1/true/yes or 0/false/no; an empty
variable counts as unset; a list variable is comma-separated.

Exit status:
  COMMAND's status, or 128+N if signal N killed it
  124  the timeout fired (even if SIGKILL was needed; coreutils says 137 then)
  125  sexton's own error (bad option or variable, could not start COMMAND)
  126  COMMAND was found but cannot be executed
  127  COMMAND was not found
With --probe: 0 the server is up, 1 it is not (one line says why), 125 a bad
URL.

Not relayed: KILL and STOP (uncatchable), CHLD (sexton's own), and 32 and 33
(glibc's own; 33 is also the Go runtime's).
`)
	return b.String()
}

// names is how --help writes the option: "-t, --timeout DUR".
func (o *option) names() string {
	s := "    "
	if o.short != 0 {
		s = "-" + string(o.short) + ", "
	}
	s += "--" + o.long
	if o.arg != "" {
		s += " " + o.arg
	}
	return s
}

// wrap breaks text into lines of at most width columns, each starting with
// indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
	return b.String()
}
