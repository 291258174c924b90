package test

import (
	"os/exec"
	"strings"
	"testing"
)

// The peers, as Debian packages them (tini, dumb-init, catatonit), checked
// for the facts README's comparison table states, side by side with sexton
// in the same fresh PID namespace. Nothing here is taken from their docs.
var peers = []struct {
	name string
	argv []string // the init and its separator before COMMAND
}{
	{"tini", []string{"tini", "--"}},
	{"dumb-init", []string{"dumb-init"}},
	{"catatonit", []string{"catatonit", "--"}},
	{"sexton", []string{"/sexton", "--"}},
}

func TestPeersComparison(t *testing.T) {
	needRoot(t)
	for _, pr := range peers {
		if pr.name != "sexton" {
			_, err := exec.LookPath(pr.argv[0])
			need(t, pr.name+" (Debian package "+pr.name+")", err == nil)
		}
	}
	type facts struct{ missing, notExec, cleanTerm int }
	want := map[string]facts{
		// cleanTerm: how many of 4 background processes that exit
		// cleanly on SIGTERM saw it before the init exited; -1: varies
		// (dumb-init signals its group but does not wait for it).
		"tini":      {127, 126, 0},
		"dumb-init": {2, 2, -1},
		"catatonit": {1, 1, 0},
		"sexton":    {127, 126, 4},
	}
	for _, pr := range peers {
		w := want[pr.name]
		p := startUnshare(t, runOpts{}, append(pr.argv, "/no/such/command")...)
		if got := p.wait(); got != w.missing {
			t.Errorf("%s with a missing command: exit %d; want %d", pr.name, got, w.missing)
		}
		p = startUnshare(t, runOpts{}, append(pr.argv, "/notexec")...)
		if got := p.wait(); got != w.notExec {
			t.Errorf("%s with a non-executable command: exit %d; want %d", pr.name, got, w.notExec)
		}
		p = startUnshare(t, runOpts{}, append(pr.argv, "/fixture", "trap", "--bg", "4", "--exit-on", "15")...)
		p.out.expectPrefix(t, "main ready")
		p.send("exit 3")
		if got := p.wait(); got != 3 {
			t.Errorf("%s: exit %d; want the command's 3", pr.name, got)
		}
		got := strings.Count(strings.Join(p.out.seen(), "\n"), " sig 15")
		if w.cleanTerm >= 0 && got != w.cleanTerm {
			t.Errorf("%s: %d of 4 processes left behind saw SIGTERM before it exited; want %d", pr.name, got, w.cleanTerm)
		}
		if pr.name != "sexton" {
			help, _ := exec.Command(pr.argv[0], "--help").CombinedOutput()
			if short, _ := exec.Command(pr.argv[0], "-h").CombinedOutput(); len(short) > len(help) {
				help = short
			}
			if !strings.Contains(string(help), "sage") {
				t.Errorf("%s: no help text: %q", pr.name, help)
			}
			for _, word := range []string{"timeout", "wait", "delay"} {
				if strings.Contains(strings.ToLower(string(help)), word) {
					t.Errorf("%s --help mentions %q; README says it has no such option", pr.name, word)
				}
			}
		}
		t.Logf("%s: missing %d, not executable %d, leftovers that saw TERM %d of 4", pr.name, w.missing, w.notExec, got)
	}
}
