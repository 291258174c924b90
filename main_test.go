package main

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reaper"
)

func noEnv(string) string { return "" }

func TestParseArgs(t *testing.T) {
	// opts is the defaults with f applied.
	opts := func(f func(o *options)) options {
		o := options{timeoutSignal: unix.SIGTERM, killAfter: 5 * time.Second}
		f(&o)
		return o
	}
	cmd := func(argv ...string) func(o *options) { return func(o *options) { o.argv = argv } }
	tests := []struct {
		args    []string
		want    options
		wantErr string // substring; "" means none
	}{
		{[]string{"cmd"}, opts(cmd("cmd")), ""},
		{[]string{"--", "cmd", "-x"}, opts(cmd("cmd", "-x")), ""},
		{[]string{"-g", "cmd", "-v"}, opts(func(o *options) { o.pgroup, o.argv = true, []string{"cmd", "-v"} }), ""},
		{[]string{"-gvv", "--", "cmd"}, opts(func(o *options) { o.pgroup, o.verbose, o.argv = true, 2, []string{"cmd"} }), ""},
		{[]string{"--pgroup", "--verbose", "-s", "--subreaper", "cmd"}, opts(func(o *options) { o.pgroup, o.verbose, o.argv = true, 1, []string{"cmd"} }), ""},
		{[]string{"--", "--", "cmd"}, opts(cmd("--", "cmd")), ""},
		{[]string{"-", "cmd"}, opts(cmd("-", "cmd")), ""},
		{[]string{"-h"}, opts(func(o *options) { o.help, o.argv = true, []string{} }), ""},
		{[]string{"--version"}, opts(func(o *options) { o.version, o.argv = true, []string{} }), ""},
		{[]string{"-t", "5s", "cmd"}, opts(func(o *options) { o.timeout, o.argv = 5*time.Second, []string{"cmd"} }), ""},
		{[]string{"-t5s", "cmd"}, opts(func(o *options) { o.timeout, o.argv = 5*time.Second, []string{"cmd"} }), ""},
		{[]string{"-vt", "90", "cmd"}, opts(func(o *options) { o.verbose, o.timeout, o.argv = 1, 90*time.Second, []string{"cmd"} }), ""},
		{[]string{"--timeout=1.5", "--kill-after", "0", "cmd"}, opts(func(o *options) { o.timeout, o.killAfter, o.argv = 1500*time.Millisecond, 0, []string{"cmd"} }), ""},
		{[]string{"--timeout-signal", "int", "-k", "2h30m", "cmd"}, opts(func(o *options) { o.timeoutSignal, o.killAfter, o.argv = unix.SIGINT, 150*time.Minute, []string{"cmd"} }), ""},
		{[]string{"--timeout-signal=RTMIN+3", "cmd"}, opts(func(o *options) { o.timeoutSignal, o.argv = 37, []string{"cmd"} }), ""},
		{[]string{"-Z", "cmd"}, options{}, "unknown option -Z"},
		{[]string{"-gZ", "cmd"}, options{}, "unknown option -Z"},
		{[]string{"--definitely-not-a-flag", "cmd"}, options{}, "unknown option --definitely-not-a-flag"},
		{[]string{"--pgroup=yes", "cmd"}, options{}, "option --pgroup takes no value"},
		{[]string{}, options{}, "no command given"},
		{[]string{"-v", "--"}, options{}, "no command given"},
		{[]string{"-t"}, options{}, "option -t needs a value"},
		{[]string{"--timeout"}, options{}, "option --timeout needs a value"},
		{[]string{"--timeout", "banana", "cmd"}, options{}, `invalid duration "banana" for --timeout`},
		{[]string{"-t", "-1s", "cmd"}, options{}, `invalid duration "-1s" for -t (negative)`},
		{[]string{"-k", "x", "cmd"}, options{}, `invalid duration "x" for -k`},
		{[]string{"--timeout-signal", "NOPE", "cmd"}, options{}, `--timeout-signal: unknown signal "NOPE"`},
		{[]string{"--timeout-signal", "0", "cmd"}, options{}, "out of range"},
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
		{"3000000h", 0, "too long"},
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
		o, err := parseArgs([]string{a, b}, noEnv)
		if err == nil && (o.timeout < 0 || o.killAfter < 0) {
			t.Errorf("parseArgs(%q, %q) gave a negative duration", a, b)
		}
	})
}

func TestRunUsage(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"--help"}, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "Usage: sexton") || errs.Len() != 0 {
		t.Errorf("run(--help) = %d, stdout %q, stderr %q; want 0 and the usage on stdout", code, out.String(), errs.String())
	}
	out.Reset()
	if code := run([]string{"-V"}, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "sexton version ") {
		t.Errorf("run(-V) = %d, stdout %q; want 0 and the version", code, out.String())
	}
	out.Reset()
	code := run([]string{"-Z", "true"}, &out, &errs)
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
		check   func(o options) bool
		wantErr string
	}{
		{map[string]string{"SEXTON_TIMEOUT": "1s"}, []string{"cmd"}, func(o options) bool { return o.timeout == time.Second }, ""},
		{map[string]string{"SEXTON_TIMEOUT": "1s"}, []string{"-t", "2s", "cmd"}, func(o options) bool { return o.timeout == 2*time.Second }, ""},
		{map[string]string{"SEXTON_TIMEOUT": ""}, []string{"cmd"}, func(o options) bool { return o.timeout == 0 }, ""},
		{map[string]string{"SEXTON_PGROUP": "yes"}, []string{"cmd"}, func(o options) bool { return o.pgroup }, ""},
		{map[string]string{"SEXTON_PGROUP": "0"}, []string{"cmd"}, func(o options) bool { return !o.pgroup }, ""},
		{map[string]string{"SEXTON_PGROUP": "FALSE"}, []string{"-g", "cmd"}, func(o options) bool { return o.pgroup }, ""},
		{map[string]string{"SEXTON_VERBOSE": "2"}, []string{"cmd"}, func(o options) bool { return o.verbose == 2 }, ""},
		{map[string]string{"SEXTON_VERBOSE": "2"}, []string{"-v", "cmd"}, func(o options) bool { return o.verbose == 1 }, ""},
		{map[string]string{"SEXTON_REWRITE": "TERM:INT,WINCH:0"}, []string{"cmd"}, func(o options) bool {
			return reflect.DeepEqual(o.rewrites, []rewrite{{unix.SIGTERM, unix.SIGINT}, {unix.SIGWINCH, 0}})
		}, ""},
		{map[string]string{"SEXTON_REWRITE": "TERM:INT"}, []string{"-r", "TERM:QUIT", "cmd"}, func(o options) bool {
			return reflect.DeepEqual(o.rewrites, []rewrite{{unix.SIGTERM, unix.SIGQUIT}})
		}, ""},
		{map[string]string{"SEXTON_REMAP_EXIT": "143:0,1:2"}, []string{"cmd"}, func(o options) bool {
			return reflect.DeepEqual(o.remap, map[int]int{143: 0, 1: 2})
		}, ""},
		{map[string]string{"SEXTON_PDEATHSIG": "usr1", "SEXTON_TIMEOUT_SIGNAL": "QUIT", "SEXTON_KILL_AFTER": "0"}, []string{"cmd"}, func(o options) bool {
			return o.pdeathsig == unix.SIGUSR1 && o.timeoutSignal == unix.SIGQUIT && o.killAfter == 0
		}, ""},
		{map[string]string{"SEXTON_PAUSE": "1"}, []string{}, func(o options) bool { return o.pause }, ""},
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
		{nil, []string{"-P"}, func(o options) bool { return o.pause }, ""},
		{nil, []string{"--wait-all", "--stop-delay", "5s", "cmd"}, func(o options) bool { return o.waitAll && o.stopDelay == 5*time.Second }, ""},
		{map[string]string{"SEXTON_WAIT_ALL": "true", "SEXTON_STOP_DELAY": "1.5"}, []string{"cmd"}, func(o options) bool {
			return o.waitAll && o.stopDelay == 1500*time.Millisecond
		}, ""},
		{map[string]string{"SEXTON_STOP_DELAY": "soon"}, []string{"cmd"}, nil, "SEXTON_STOP_DELAY"},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args, func(k string) string { return tt.env[k] })
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
		checkDecimal(t, s)
	})
}

// decimal must agree with strconv.ParseFloat on every decimal number (it
// leaves out hexadecimal, inf, nan and underscores, which ParseFloat takes).
func checkDecimal(t *testing.T, s string) {
	t.Helper()
	got, ok := decimal(s)
	want, err := strconv.ParseFloat(s, 64)
	if strings.ContainsAny(s, "xXnN_iIpP") {
		if ok && err != nil {
			t.Errorf("decimal(%q) = %v, true; ParseFloat refuses it: %v", s, got, err)
		}
		return
	}
	var numErr *strconv.NumError
	if errors.As(err, &numErr) && numErr.Err == strconv.ErrRange {
		err = nil // out of range: ParseFloat gives ±Inf or 0, as decimal does
	}
	switch {
	case ok != (err == nil):
		t.Errorf("decimal(%q) = %v, %v; ParseFloat = %v, %v", s, got, ok, want, err)
	case ok && got != want && math.Abs(got-want) > 1e-15*math.Abs(want):
		t.Errorf("decimal(%q) = %v; ParseFloat = %v", s, got, want)
	}
}

func TestDecimal(t *testing.T) {
	for _, s := range []string{
		"0", "90", "0.5", ".5", "5.", "1e3", "1E3", "2.5e-3", "+7", "-1", "-0.25",
		"000123.4500", "0.000000001", "123456789012345678901234567890", "1e30", "1e400", "1e-400",
		"", ".", "e3", "1e", "1e+", "1.2.3", "--1", "1 ", " 1", "0x10", "inf", "NaN", "1_000",
		"12345678901234567890.123456789", "0.1234567890123456789012345",
	} {
		checkDecimal(t, s)
	}
}

func TestSprintf(t *testing.T) {
	tests := []struct {
		format string
		args   []any
		want   string
	}{
		{"plain", nil, "plain"},
		{"%d%%", []any{42}, "42%"},
		{"pid %d %s", []any{7, "exited 0"}, "pid 7 exited 0"},
		{"%v after %s", []any{1500 * time.Millisecond, "TERM"}, "1.5s after TERM"},
		{"%q", []any{"a\"b"}, `"a\"b"`},
		{"-%c", []any{'Z'}, "-Z"},
		{"%d", []any{unix.SIGTERM}, "15"},
		{"%v", []any{unix.ENOENT}, "no such file or directory"},
		{"%d %d", []any{1}, "1 %!d"},
		{"100%", nil, "100%"},
	}
	for _, tt := range tests {
		if got := sprintf(tt.format, tt.args...); got != tt.want {
			t.Errorf("sprintf(%q, %v) = %q; want %q", tt.format, tt.args, got, tt.want)
		}
	}
}
