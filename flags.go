package main

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
	"github.com/sexton-init/sexton/reaper"
)

// cli is what the command line and the environment say: the Config for
// reaper.Run, and what main does itself.
type cli struct {
	cfg     reaper.Config
	verbose int // 0 quiet, 1 events, 2 events with times
	help    bool
	version bool
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
	kind  kind
	arg   string // the value's placeholder in --help (DUR, SIG, ...)
	def   string // the default, as --help and README show it; "" for none
	help  string // what it does, in one sentence or two
	// set applies one occurrence: v is the value ("" for onOff and
	// level), name is the option or variable as written, for messages.
	set func(c *cli, name, v string) error
}

// options is the option table. Adding an option means adding a row here
// and the row of README's table that the test prints.
var options = []option{
	{'g', "pgroup", "SEXTON_PGROUP", onOff, "", "",
		"relay signals to COMMAND's process group, not only to COMMAND",
		func(c *cli, _, _ string) error { c.cfg.Pgroup = true; return nil }},
	{'t', "timeout", "SEXTON_TIMEOUT", value, "DUR", "",
		"after DUR send the timeout signal, then SIGKILL --kill-after later; exit 124",
		func(c *cli, name, v string) (err error) { c.cfg.Timeout, err = parseDuration(name, v); return err }},
	{0, "timeout-signal", "SEXTON_TIMEOUT_SIGNAL", value, "SIG", "TERM",
		"the signal sent when the timeout fires",
		func(c *cli, name, v string) (err error) { c.cfg.TimeoutSignal, err = parseSignal(name, v); return err }},
	{'k', "kill-after", "SEXTON_KILL_AFTER", value, "DUR", "5s",
		"grace between a termination signal (the timeout's, or the SIGTERM that the processes COMMAND left get when it exits) and SIGKILL; 0 sends SIGKILL at once",
		func(c *cli, name, v string) error {
			d, err := parseDuration(name, v)
			if d == 0 {
				d = reaper.NoGrace
			}
			c.cfg.KillAfter = d
			return err
		}},
	{'r', "rewrite", "SEXTON_REWRITE", valueSet, "FROM:TO", "",
		"relay signal FROM as TO; TO 0 or drop drops FROM (repeatable)",
		func(c *cli, name, v string) error {
			from, to, err := forward.ParseRewrite(v)
			if err != nil {
				return usageError(name + " " + v + ": " + err.Error())
			}
			c.cfg.Table.Set(from, to)
			return nil
		}},
	{0, "remap-exit", "SEXTON_REMAP_EXIT", valueSet, "FROM:TO", "",
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
	{'p', "pdeathsig", "SEXTON_PDEATHSIG", value, "SIG", "",
		"get SIG when sexton's parent dies, and relay it (any signal sexton relays: not KILL, STOP, CHLD, 32 or 33)",
		func(c *cli, name, v string) (err error) { c.cfg.Pdeathsig, err = parsePdeathsig(name, v); return err }},
	// No short form: tini's -w means something else.
	{0, "wait-all", "SEXTON_WAIT_ALL", onOff, "", "",
		"when COMMAND exits, keep relaying signals to the processes it left and exit when the last is gone",
		func(c *cli, _, _ string) error { c.cfg.WaitAll = true; return nil }},
	{0, "stop-delay", "SEXTON_STOP_DELAY", value, "DUR", "",
		"hold the first SIGTERM for DUR before relaying it; a second one passes at once",
		func(c *cli, name, v string) (err error) { c.cfg.StopDelay, err = parseDuration(name, v); return err }},
	{'P', "pause", "SEXTON_PAUSE", onOff, "", "",
		"run no command: reap, and exit 0 on SIGTERM or SIGINT (a pod's pause container)",
		func(c *cli, _, _ string) error { c.cfg.Pause = true; return nil }},
	{'s', "subreaper", "SEXTON_SUBREAPER", onOff, "", "",
		"accepted for tini's sake: sexton is a subreaper whenever it is not PID 1",
		func(*cli, string, string) error { return nil }},
	{'v', "verbose", "SEXTON_VERBOSE", level, "", "",
		"log each event (the start, each relayed or dropped signal, each reaped process, the exit, the timeout, the shutdown) to stderr, one line each prefixed \"sexton: \"; -vv adds the time since start (the variable: 0, 1 or 2)",
		func(c *cli, name, v string) error {
			if v == "" {
				c.verbose++
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 2 {
				return usageError(name + "=" + v + ": use a level 0, 1 or 2")
			}
			c.verbose = n
			return nil
		}},
	{'h', "help", "", onOff, "", "",
		"print this help and exit",
		func(c *cli, _, _ string) error { c.help = true; return nil }},
	{'V', "version", "", onOff, "", "",
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
func parseArgs(args []string, getenv func(string) string) (cli, error) {
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
	if c.help || c.version {
		return c, nil
	}
	for k := range options {
		o := &options[k]
		if o.env == "" || given[o] {
			continue
		}
		if v := getenv(o.env); v != "" {
			if err := applyEnv(&c, o, v); err != nil {
				return c, err
			}
		}
	}
	switch {
	case c.cfg.Pause && len(c.cfg.Argv) > 0:
		return c, usageError("--pause runs no command; remove " + c.cfg.Argv[0] + " or --pause")
	case !c.cfg.Pause && len(c.cfg.Argv) == 0:
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
