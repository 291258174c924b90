package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A tini user's ENTRYPOINT with /sexton in tini's place: -g -e 143, and a
// command that dies of SIGTERM (143) is reported as 0.
func TestTiniEntrypoint(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-g", "-e", "143", "--", "/fixture", "raise", "15")
		p.finish(0)
		p = e.start(t, runOpts{}, "/sexton", "-g", "-e", "143", "--", "/fixture", "exit", "3")
		p.finish(3)
	})
}

// tini's -w, and TINI_VERBOSITY=2 as an image for docker run --init sets
// it: a line for each reaped orphan, without -v.
func TestTiniWarnReaped(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, o := range []struct {
			opts  runOpts
			flags []string
		}{
			{runOpts{}, []string{"-w"}},
			{runOpts{env: []string{"TINI_VERBOSITY=2"}}, nil},
		} {
			args := append(append([]string{"/sexton"}, o.flags...), "--", "/fixture", "orphans", "3", "3")
			p := e.start(t, o.opts, args...)
			p.errs.expect(t, "the third orphan reaped", func(l string) bool { return strings.HasPrefix(l, "sexton: reaped orphan #3: ") })
			p.send("exit 0")
			p.finish(0)
			reaped := 0
			for _, l := range p.errs.seen() {
				if strings.HasPrefix(l, "sexton: reaped orphan #") {
					reaped++
				}
			}
			if reaped != 3 {
				t.Errorf("%v %v: %d reaped lines on stderr; want 3:\n%s", o.opts.env, o.flags, reaped, p.errs.dump())
			}
		}
	})
}

// A directory in PATH that sexton's user cannot search: 126, as execvp
// says, and the message names the directory as the problem, not the
// command's mode.
func TestPathDirNotSearchable(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("setpriv")
	need(t, "setpriv (util-linux)", err == nil)
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	exe := filepath.Join(dir, "sexton")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(locked, "app"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, argv := range [][]string{{"app"}, {filepath.Join(locked, "app")}} {
		cmd := exec.Command("setpriv", append([]string{"--reuid", "54321", "--regid", "54321", "--clear-groups", exe, "--"}, argv...)...)
		cmd.Env = []string{"PATH=" + locked + ":/bin"}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		msg := stderr.String()
		if code := codeOf(cmd.ProcessState, err); code != 126 || strings.Count(msg, "\n") != 1 ||
			!strings.Contains(msg, "a directory on its path cannot be searched") {
			t.Errorf("sexton -- %s with %s not searchable: exit %d, stderr %q; want 126 and one line naming the directory as the problem", argv[0], locked, code, msg)
		}
	}
}
