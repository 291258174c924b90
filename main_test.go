package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
	"github.com/sexton-init/sexton/reaper"
)

func noEnv(string) (string, bool) { return "", false }

// envOf is a lookupEnv that sees only env.
func envOf(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestParseArgs(t *testing.T) {
	// want is the zero cli (the defaults) with f applied.
	want := func(f func(c *cli)) cli {
		var c cli
		f(&c)
		return c
	}
	cmd := func(argv ...string) func(c *cli) { return func(c *cli) { c.cfg.Argv = argv } }
	tests := []struct {
		args    []string
		want    cli
		wantErr string // substring; "" means none
	}{
		{[]string{"cmd"}, want(cmd("cmd")), ""},
		{[]string{"--", "cmd", "-x"}, want(cmd("cmd", "-x")), ""},
		{[]string{"-g", "cmd", "-v"}, want(func(c *cli) { c.cfg.Pgroup, c.cfg.Argv = true, []string{"cmd", "-v"} }), ""},
		{[]string{"-gvv", "--", "cmd"}, want(func(c *cli) { c.cfg.Pgroup, c.verbose, c.cfg.Argv = true, 2, []string{"cmd"} }), ""},
		{[]string{"--pgroup", "--verbose", "-s", "--subreaper", "cmd"}, want(func(c *cli) { c.cfg.Pgroup, c.verbose, c.cfg.Argv = true, 1, []string{"cmd"} }), ""},
		{[]string{"--", "--", "cmd"}, want(cmd("--", "cmd")), ""},
		{[]string{"-", "cmd"}, want(cmd("-", "cmd")), ""},
		{[]string{"-h"}, want(func(c *cli) { c.help, c.cfg.Argv = true, []string{} }), ""},
		{[]string{"--version"}, want(func(c *cli) { c.version, c.cfg.Argv = true, []string{} }), ""},
		{[]string{"-t", "5s", "cmd"}, want(func(c *cli) { c.cfg.Timeout, c.cfg.Argv = 5*time.Second, []string{"cmd"} }), ""},
		{[]string{"-t5s", "cmd"}, want(func(c *cli) { c.cfg.Timeout, c.cfg.Argv = 5*time.Second, []string{"cmd"} }), ""},
		{[]string{"-vt", "90", "cmd"}, want(func(c *cli) { c.verbose, c.cfg.Timeout, c.cfg.Argv = 1, 90*time.Second, []string{"cmd"} }), ""},
		{[]string{"--timeout=1.5", "--kill-after", "0", "cmd"}, want(func(c *cli) {
			c.cfg.Timeout, c.cfg.KillAfter, c.cfg.Argv = 1500*time.Millisecond, reaper.NoGrace, []string{"cmd"}
		}), ""},
		{[]string{"--timeout-signal", "int", "-k", "2h30m", "cmd"}, want(func(c *cli) {
			c.cfg.TimeoutSignal, c.cfg.KillAfter, c.cfg.Argv = unix.SIGINT, 150*time.Minute, []string{"cmd"}
		}), ""},
		{[]string{"--timeout-signal=RTMIN+3", "cmd"}, want(func(c *cli) { c.cfg.TimeoutSignal, c.cfg.Argv = 37, []string{"cmd"} }), ""},
		{[]string{"-r", "TERM:QUIT", "--rewrite=WINCH:drop", "cmd"}, want(func(c *cli) {
			c.cfg.Table.Set(unix.SIGTERM, unix.SIGQUIT)
			c.cfg.Table.Set(unix.SIGWINCH, 0)
			c.cfg.Argv = []string{"cmd"}
		}), ""},
		{[]string{"-Z", "cmd"}, cli{}, "unknown option -Z"},
		{[]string{"-gZ", "cmd"}, cli{}, "unknown option -Z"},
		{[]string{"--definitely-not-a-flag", "cmd"}, cli{}, "unknown option --definitely-not-a-flag"},
		{[]string{"--pgroup=yes", "cmd"}, cli{}, "option --pgroup takes no value"},
		{[]string{}, cli{}, "no command given"},
		{[]string{"-v", "--"}, cli{}, "no command given"},
		{[]string{"-t"}, cli{}, "option -t needs a value"},
		{[]string{"--timeout"}, cli{}, "option --timeout needs a value"},
		{[]string{"--timeout", "banana", "cmd"}, cli{}, `invalid duration "banana" for --timeout`},
		{[]string{"-t", "-1s", "cmd"}, cli{}, `invalid duration "-1s" for -t (negative)`},
		{[]string{"-k", "x", "cmd"}, cli{}, `invalid duration "x" for -k`},
		{[]string{"--timeout-signal", "NOPE", "cmd"}, cli{}, `--timeout-signal: unknown signal "NOPE"`},
		{[]string{"--timeout-signal", "0", "cmd"}, cli{}, "out of range"},
		{[]string{"--pdeathsig", "KILL", "cmd"}, cli{}, "--pdeathsig KILL: SIGKILL cannot be caught by any process; use a signal sexton can relay"},
		{[]string{"--pdeathsig=STOP", "cmd"}, cli{}, "--pdeathsig STOP: SIGSTOP cannot be caught"},
		{[]string{"-p", "CHLD", "cmd"}, cli{}, "SIGCHLD is how sexton learns"},
		{[]string{"--pdeathsig", "32", "cmd"}, cli{}, "32: SIG32 is glibc's own"},
		{[]string{"--pdeathsig", "33", "cmd"}, cli{}, "33: SIG33 is glibc's own"},
		{[]string{"--pdeathsig", "USR1", "cmd"}, want(func(c *cli) { c.cfg.Pdeathsig, c.cfg.Argv = unix.SIGUSR1, []string{"cmd"} }), ""},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args, noEnv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseArgs(%q) err = %v; want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"0", 0, ""},
		{"90", 90 * time.Second, ""},
		{"0.5", 500 * time.Millisecond, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"2h30m", 150 * time.Minute, ""},
		{"1.5m", 90 * time.Second, ""},
		{"2d", 48 * time.Hour, ""},
		{"10h", 10 * time.Hour, ""},
		{"banana", 0, "invalid duration"},
		{"-1s", 0, "negative"},
		{"-1", 0, "negative"},
		{"1x", 0, "invalid duration"},
		{"", 0, "invalid duration"},
		{"inf", 0, "invalid duration"},
		{"NaN", 0, "invalid duration"},
		{"1e30", 0, "too long"},
		{"1e400", 0, "too long"},
		{"3000000h", 0, "too long"},
		{"1.5d", 36 * time.Hour, ""},
		{".5", 500 * time.Millisecond, ""},
		{"2h30", 0, "invalid duration"},
		{"9999999999999999999ns", 0, "invalid duration"},
		{"300000h", 300000 * time.Hour, ""},
	}
	for _, tt := range tests {
		got, err := parseDuration("--timeout", tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"-t", "5s", "--timeout=1e9", "-gvk0", "--timeout-signal", "RTMAX-1"} {
		f.Add(s, "cmd")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c, err := parseArgs([]string{a, b}, noEnv)
		if err == nil && (c.cfg.Timeout < 0 || c.cfg.KillAfter < 0 && c.cfg.KillAfter != reaper.NoGrace) {
			t.Errorf("parseArgs(%q, %q) gave a negative duration", a, b)
		}
	})
}

func TestRunUsage(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"sexton", "--help"}, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "Usage: sexton") || errs.Len() != 0 {
		t.Errorf("run(--help) = %d, stdout %q, stderr %q; want 0 and the usage on stdout", code, out.String(), errs.String())
	}
	out.Reset()
	if code := run([]string{"sexton", "-V"}, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "sexton version ") {
		t.Errorf("run(-V) = %d, stdout %q; want 0 and the version", code, out.String())
	}
	out.Reset()
	code := run([]string{"sexton", "-Z", "true"}, &out, &errs)
	if code != 125 || out.Len() != 0 || strings.Count(errs.String(), "\n") != 1 || !strings.HasPrefix(errs.String(), "sexton: ") {
		t.Errorf("run(-Z true) = %d, stdout %q, stderr %q; want 125 and one line on stderr", code, out.String(), errs.String())
	}
}

func TestStartCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{&reaper.StartError{Path: "x", Err: reaper.ErrNotFound}, 127},
		{&reaper.StartError{Path: "x", Err: unix.ENOENT}, 127},
		{&reaper.StartError{Path: "x", Err: unix.EACCES}, 126},
		{&reaper.StartError{Path: "x", Err: unix.ENOEXEC}, 126},
		{&reaper.StartError{Path: "x", Err: unix.EAGAIN}, 125},
		{&reaper.StartError{Path: "x", Err: unix.ENOMEM}, 125},
		{unix.EPERM, 125}, // sexton's own setup failed, not the command
	}
	for _, tt := range tests {
		if got := startCode(tt.err); got != tt.want {
			t.Errorf("startCode(%v) = %d; want %d", tt.err, got, tt.want)
		}
		if msg := startMessage(tt.err); strings.Contains(msg, "\n") || msg == "" {
			t.Errorf("startMessage(%v) = %q; want one line", tt.err, msg)
		}
	}
}

func TestParseArgsEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		args    []string
		check   func(c cli) bool
		wantErr string
	}{
		{map[string]string{"SEXTON_TIMEOUT": "1s"}, []string{"cmd"}, func(c cli) bool { return c.cfg.Timeout == time.Second }, ""},
		{map[string]string{"SEXTON_TIMEOUT": "1s"}, []string{"-t", "2s", "cmd"}, func(c cli) bool { return c.cfg.Timeout == 2*time.Second }, ""},
		{map[string]string{"SEXTON_TIMEOUT": ""}, []string{"cmd"}, func(c cli) bool { return c.cfg.Timeout == 0 }, ""},
		{map[string]string{"SEXTON_PGROUP": "yes"}, []string{"cmd"}, func(c cli) bool { return c.cfg.Pgroup }, ""},
		{map[string]string{"SEXTON_PGROUP": "0"}, []string{"cmd"}, func(c cli) bool { return !c.cfg.Pgroup }, ""},
		{map[string]string{"SEXTON_PGROUP": "FALSE"}, []string{"-g", "cmd"}, func(c cli) bool { return c.cfg.Pgroup }, ""},
		{map[string]string{"SEXTON_VERBOSE": "2"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 2 }, ""},
		{map[string]string{"SEXTON_VERBOSE": "2"}, []string{"-v", "cmd"}, func(c cli) bool { return c.verbose == 1 }, ""},
		{map[string]string{"SEXTON_REWRITE": "TERM:INT,WINCH:0"}, []string{"cmd"}, func(c cli) bool {
			var want forward.Table
			want.Set(unix.SIGTERM, unix.SIGINT)
			want.Set(unix.SIGWINCH, 0)
			return c.cfg.Table == want
		}, ""},
		{map[string]string{"SEXTON_REWRITE": "TERM:INT"}, []string{"-r", "TERM:QUIT", "cmd"}, func(c cli) bool {
			var want forward.Table
			want.Set(unix.SIGTERM, unix.SIGQUIT)
			return c.cfg.Table == want
		}, ""},
		{map[string]string{"SEXTON_REMAP_EXIT": "143:0,1:2"}, []string{"cmd"}, func(c cli) bool {
			return reflect.DeepEqual(c.cfg.RemapExit, map[int]int{143: 0, 1: 2})
		}, ""},
		{map[string]string{"SEXTON_PDEATHSIG": "usr1", "SEXTON_TIMEOUT_SIGNAL": "QUIT", "SEXTON_KILL_AFTER": "0"}, []string{"cmd"}, func(c cli) bool {
			return c.cfg.Pdeathsig == unix.SIGUSR1 && c.cfg.TimeoutSignal == unix.SIGQUIT && c.cfg.KillAfter == reaper.NoGrace
		}, ""},
		{map[string]string{"SEXTON_PAUSE": "1"}, []string{}, func(c cli) bool { return c.cfg.Pause }, ""},
		{map[string]string{"SEXTON_TIMEOUT": "banana"}, []string{"cmd"}, nil, `invalid duration "banana" for SEXTON_TIMEOUT`},
		{map[string]string{"SEXTON_PGROUP": "maybe"}, []string{"cmd"}, nil, "SEXTON_PGROUP=maybe"},
		{map[string]string{"SEXTON_SUBREAPER": "2"}, []string{"cmd"}, nil, "SEXTON_SUBREAPER=2"},
		{map[string]string{"SEXTON_VERBOSE": "3"}, []string{"cmd"}, nil, "SEXTON_VERBOSE=3"},
		{map[string]string{"SEXTON_REWRITE": "TERM:INT,KILL:TERM"}, []string{"cmd"}, nil, "SEXTON_REWRITE KILL:TERM: cannot rewrite SIGKILL"},
		{map[string]string{"SEXTON_REMAP_EXIT": "143"}, []string{"cmd"}, nil, "SEXTON_REMAP_EXIT 143"},
		{map[string]string{"SEXTON_TIMEOUT_SIGNAL": "NOPE"}, []string{"cmd"}, nil, "SEXTON_TIMEOUT_SIGNAL"},
		{map[string]string{"SEXTON_PAUSE": "1"}, []string{"cmd"}, nil, "--pause runs no command"},
		{nil, []string{"-r", "TERM"}, nil, "-r TERM: rewrite"},
		{nil, []string{"--remap-exit", "300:0", "cmd"}, nil, `exit code "300"`},
		{nil, []string{"-P"}, func(c cli) bool { return c.cfg.Pause }, ""},
		{nil, []string{"--wait-all", "--stop-delay", "5s", "cmd"}, func(c cli) bool { return c.cfg.WaitAll && c.cfg.StopDelay == 5*time.Second }, ""},
		{map[string]string{"SEXTON_WAIT_ALL": "true", "SEXTON_STOP_DELAY": "1.5"}, []string{"cmd"}, func(c cli) bool {
			return c.cfg.WaitAll && c.cfg.StopDelay == 1500*time.Millisecond
		}, ""},
		{map[string]string{"SEXTON_STOP_DELAY": "soon"}, []string{"cmd"}, nil, "SEXTON_STOP_DELAY"},
		{nil, []string{"cmd"}, func(c cli) bool { return c.cfg.ZombieReport == 0 }, ""},
		{nil, []string{"--zombie-report", "1s", "cmd"}, func(c cli) bool { return c.cfg.ZombieReport == time.Second }, ""},
		{nil, []string{"--zombie-report=100ms", "cmd"}, func(c cli) bool { return c.cfg.ZombieReport == 100*time.Millisecond }, ""},
		{map[string]string{"SEXTON_ZOMBIE_REPORT": "0"}, []string{"cmd"}, func(c cli) bool { return c.cfg.ZombieReport == 0 }, ""},
		{map[string]string{"SEXTON_ZOMBIE_REPORT": "2"}, []string{"-P"}, func(c cli) bool { return c.cfg.ZombieReport == 2*time.Second && c.cfg.Pause }, ""},
		{nil, []string{"--zombie-report", "99ms", "cmd"}, nil, "--zombie-report 99ms: too short"},
		{map[string]string{"SEXTON_ZOMBIE_REPORT": "often"}, []string{"cmd"}, nil, `invalid duration "often" for SEXTON_ZOMBIE_REPORT`},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args, envOf(tt.env))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("env %v, parseArgs(%q) err = %v; want %q", tt.env, tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(got) {
			t.Errorf("env %v, parseArgs(%q) = %+v, %v; not as expected", tt.env, tt.args, got, err)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90", "1.5s", "2h30m", "2d", "-1", "1e400", "0x10", ".5e-3", "00012.50"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration("--timeout", s)
		if err == nil && d < 0 {
			t.Errorf("parseDuration(%q) = %v without error", s, d)
		}
	})
}

// tini's and dumb-init's flags and tini's variables, with their meaning
// there, and the order: a flag wins over SEXTON_*, which wins over TINI_*.
func TestParseArgsPeers(t *testing.T) {
	tests := []struct {
		env   map[string]string
		args  []string
		check func(c cli) bool
	}{
		// tini
		{nil, []string{"-e", "143", "-e", "2", "cmd"}, func(c cli) bool { return reflect.DeepEqual(c.cfg.RemapExit, map[int]int{143: 0, 2: 0}) }},
		{nil, []string{"-g", "-e143", "--", "cmd"}, func(c cli) bool { return c.cfg.Pgroup && c.cfg.RemapExit[143] == 0 }},
		{nil, []string{"-w", "cmd"}, func(c cli) bool { return c.warnReaped }},
		{nil, []string{"-s", "cmd"}, func(c cli) bool { return true }},
		{nil, []string{"-p", "SIGTERM", "cmd"}, func(c cli) bool { return c.cfg.Pdeathsig == unix.SIGTERM }},
		{nil, []string{"-vvv", "cmd"}, func(c cli) bool { return c.verbose == 2 }},
		{nil, []string{"-l"}, func(c cli) bool { return c.license }},
		{map[string]string{"TINI_KILL_PROCESS_GROUP": ""}, []string{"cmd"}, func(c cli) bool { return c.cfg.Pgroup }},
		{map[string]string{"TINI_KILL_PROCESS_GROUP": "0"}, []string{"cmd"}, func(c cli) bool { return c.cfg.Pgroup }}, // set at all, as tini reads it
		{map[string]string{"TINI_SUBREAPER": "1"}, []string{"cmd"}, func(c cli) bool { return true }},
		{map[string]string{"TINI_VERBOSITY": "1"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 0 }},
		{map[string]string{"TINI_VERBOSITY": "2"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 1 }},
		{map[string]string{"TINI_VERBOSITY": "3"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 2 }},
		// dumb-init
		{nil, []string{"-c", "cmd"}, func(c cli) bool { return !c.cfg.Pgroup }},
		{nil, []string{"--single-child", "-r", "15:3", "-r", "1:0", "cmd"}, func(c cli) bool {
			out, ok := c.cfg.Table.Lookup(unix.SIGTERM)
			_, hup := c.cfg.Table.Lookup(unix.SIGHUP)
			return ok && out == unix.SIGQUIT && !hup
		}},
		{nil, []string{"-V"}, func(c cli) bool { return c.version }},
		// precedence: flag > SEXTON_* > TINI_*
		{map[string]string{"SEXTON_PGROUP": "0", "TINI_KILL_PROCESS_GROUP": "1"}, []string{"cmd"}, func(c cli) bool { return !c.cfg.Pgroup }},
		{map[string]string{"SEXTON_PGROUP": "0", "TINI_KILL_PROCESS_GROUP": "1"}, []string{"-g", "cmd"}, func(c cli) bool { return c.cfg.Pgroup }},
		{map[string]string{"SEXTON_VERBOSE": "0", "TINI_VERBOSITY": "3"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 0 }},
		{map[string]string{"SEXTON_VERBOSE": "", "TINI_VERBOSITY": "3"}, []string{"cmd"}, func(c cli) bool { return c.verbose == 2 }},
		{map[string]string{"SEXTON_VERBOSE": "2", "TINI_VERBOSITY": "1"}, []string{"-v", "cmd"}, func(c cli) bool { return c.verbose == 1 }},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args, envOf(tt.env))
		if err != nil || !tt.check(got) {
			t.Errorf("env %v, parseArgs(%q) = %+v, %v; not as expected", tt.env, tt.args, got, err)
		}
	}
	for _, bad := range [][]string{{"-e", "256", "cmd"}, {"-e", "x", "cmd"}} {
		if _, err := parseArgs(bad, noEnv); err == nil {
			t.Errorf("parseArgs(%q) accepted a bad exit code", bad)
		}
	}
	if _, err := parseArgs([]string{"cmd"}, envOf(map[string]string{"TINI_VERBOSITY": "loud"})); err == nil || !strings.Contains(err.Error(), "TINI_VERBOSITY=loud") {
		t.Errorf("TINI_VERBOSITY=loud: err = %v; want one naming it", err)
	}
}

// --version as sexton, and as Docker's docker-init, whose output moby
// parses as tini's: the version must follow "tini version " there and
// still name sexton.
func TestVersionLine(t *testing.T) {
	for argv0, want := range map[string]string{
		"sexton":                      "sexton version " + version + " - git.",
		"/usr/local/bin/sexton":       "sexton version " + version + " - git.",
		"/usr/local/bin/docker-init":  "tini version " + version + "_sexton - git.",
		"docker-init":                 "tini version " + version + "_sexton - git.",
		"/usr/local/bin/docker-init2": "sexton version " + version + " - git.",
	} {
		if got := versionLine(argv0); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("versionLine(%q) = %q; want one line starting %q", argv0, got, want)
		}
	}
}

// stallWriter is a log destination whose reader may stop reading.
type stallWriter struct {
	strings.Builder
	full bool
}

func (w *stallWriter) writable() bool { return !w.full }

// A log line that would block is dropped, and the next one that gets
// through says how many were.
func TestLogToDropsWhenFull(t *testing.T) {
	w := &stallWriter{}
	log := logTo(w, 1)
	log("one")
	w.full = true
	log("two")
	log("three")
	w.full = false
	log("four")
	want := "sexton: one\nsexton: 2 log lines dropped: stderr was full\nsexton: four\n"
	if got := w.String(); got != want {
		t.Errorf("log = %q; want %q", got, want)
	}
}
