package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sexton/reaper"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    options
		wantErr string // substring; "" means none
	}{
		{[]string{"cmd"}, options{argv: []string{"cmd"}}, ""},
		{[]string{"--", "cmd", "-x"}, options{argv: []string{"cmd", "-x"}}, ""},
		{[]string{"-g", "cmd", "-v"}, options{pgroup: true, argv: []string{"cmd", "-v"}}, ""},
		{[]string{"-gvv", "--", "cmd"}, options{pgroup: true, verbose: 2, argv: []string{"cmd"}}, ""},
		{[]string{"--pgroup", "--verbose", "-s", "--subreaper", "cmd"}, options{pgroup: true, verbose: 1, argv: []string{"cmd"}}, ""},
		{[]string{"--", "--", "cmd"}, options{argv: []string{"--", "cmd"}}, ""},
		{[]string{"-", "cmd"}, options{argv: []string{"-", "cmd"}}, ""},
		{[]string{"-h"}, options{help: true, argv: []string{}}, ""},
		{[]string{"--version"}, options{version: true, argv: []string{}}, ""},
		{[]string{"-Z", "cmd"}, options{}, "unknown option -Z"},
		{[]string{"-gZ", "cmd"}, options{}, "unknown option -Z"},
		{[]string{"--definitely-not-a-flag", "cmd"}, options{}, "unknown option --definitely-not-a-flag"},
		{[]string{"--pgroup=yes", "cmd"}, options{}, "option --pgroup takes no value"},
		{[]string{}, options{}, "no command given"},
		{[]string{"-v", "--"}, options{}, "no command given"},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
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
