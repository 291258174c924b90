package test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// --rewrite TERM:INT --rewrite WINCH:0: TERM arrives as INT, WINCH not at
// all, HUP unchanged; the same rules through SEXTON_REWRITE; and a flag
// wins over the variable.
func TestRewrite(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, c := range []struct {
			name   string
			opts   runOpts
			flags  []string
			termAs string
		}{
			{"flags", runOpts{}, []string{"-r", "TERM:INT", "--rewrite", "WINCH:0"}, "main sig 2"},
			{"variable", runOpts{env: []string{"SEXTON_REWRITE=TERM:INT,WINCH:drop"}}, nil, "main sig 2"},
			{"flag over variable", runOpts{env: []string{"SEXTON_REWRITE=TERM:INT,WINCH:drop"}}, []string{"-r", "TERM:QUIT", "-r", "WINCH:0"}, "main sig 3"},
		} {
			args := append(append([]string{"/sexton"}, c.flags...), "--", "/fixture", "trap")
			p := e.start(t, c.opts, args...)
			p.out.expectPrefix(t, "main ready")
			for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGWINCH, syscall.SIGHUP} {
				p.signal(sig)
			}
			// Signals pending together are delivered lowest number
			// first (by the kernel and by os/signal), so compare sets.
			var got []string
			for range 2 {
				got = append(got, p.out.expectPrefix(t, "main sig "))
			}
			want := []string{c.termAs, "main sig 1"}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: after TERM, WINCH, HUP the command got %q; want %q", c.name, got, want)
			}
			if extra := p.ping("end"); len(extra) != 0 {
				t.Errorf("%s: more signals: %q", c.name, extra)
			}
			p.send("exit 0")
			p.finish(0)
		}
	})
}

// SEXTON_TIMEOUT alone times the command out, as Kubernetes' env would.
func TestTimeoutFromVariable(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{env: []string{"SEXTON_TIMEOUT=0.5s", "SEXTON_KILL_AFTER=0"}}, "/sexton", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		p.finish(124)
	})
}

// A bad variable: 125, one line naming it, the command never runs.
func TestBadVariables(t *testing.T) {
	needRoot(t)
	for _, v := range []string{
		"SEXTON_TIMEOUT=banana", "SEXTON_PGROUP=maybe", "SEXTON_REWRITE=KILL:TERM",
		"SEXTON_VERBOSE=9", "SEXTON_TIMEOUT_SIGNAL=NOPE", "SEXTON_KILL_AFTER=-1",
		"SEXTON_REMAP_EXIT=143", "SEXTON_PDEATHSIG=0", "SEXTON_SUBREAPER=2",
	} {
		marker := filepath.Join(t.TempDir(), "ran")
		p := startUnshare(t, runOpts{env: []string{v}}, "/sexton", "--", "/fixture", "touch", marker)
		p.finish(125)
		name, _, _ := strings.Cut(v, "=")
		if errs := p.errs.seen(); len(errs) != 1 || !strings.HasPrefix(errs[0], "sexton: ") || !strings.Contains(errs[0], name) {
			t.Errorf("%s: stderr = %q; want one line naming %s", v, errs, name)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s: the command ran", v)
		}
	}
}

// The command's environment is sexton's, byte for byte: repeated names,
// empty values and entries without '=' included, and nothing added (no
// GODEBUG of sexton's own).
func TestEnvironmentExact(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		given := []string{"DUP=1", "PATH=/usr/bin:/bin", "DUP=2", "EMPTY=", "NOEQUALS", "ODD=\x01\t é=x", "GODEBUG_NOT=1"}
		args := []string{"/fixture", "exec-with"}
		for _, kv := range given {
			args = append(args, "--env", kv)
		}
		args = append(args, "--", "/sexton", "--", "/fixture", "env")
		p := e.start(t, runOpts{}, args...)
		var got []string
		for {
			line := p.out.expectPrefix(t, "main env ")
			h := strings.TrimPrefix(line, "main env ")
			if h == "end" {
				break
			}
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			got = append(got, string(b))
		}
		p.finish(0)
		if !slices.Equal(got, given) {
			t.Errorf("the command's environment = %q; want %q", got, given)
		}
	})
}

// --remap-exit 143:0: a command killed by TERM reports 0. The timeout's
// 124 is never remapped.
func TestRemapExit(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "--remap-exit", "143:0", "--", "/fixture", "trap", "--default", "15")
		p.out.expectPrefix(t, "main ready")
		p.signal(syscall.SIGTERM)
		p.finish(0)

		p = e.start(t, runOpts{env: []string{"SEXTON_REMAP_EXIT=124:0,143:0"}}, "/sexton", "-t", "0.2", "--", "/fixture", "trap", "--default", "15")
		p.finish(124)
	})
}

// -v logs the events; without it sexton prints nothing.
func TestVerbose(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		for _, verbose := range []bool{false, true} {
			args := []string{"/sexton"}
			if verbose {
				args = append(args, "-v")
			}
			p := e.start(t, runOpts{}, append(args, "--", "/fixture", "trap")...)
			p.out.expectPrefix(t, "main ready")
			p.signal(syscall.SIGUSR1)
			p.out.expectPrefix(t, "main sig 10")
			p.send("exit 0")
			p.finish(0)
			errs := p.errs.seen()
			if !verbose {
				if len(errs) != 0 {
					t.Errorf("without -v sexton printed %q", errs)
				}
				continue
			}
			for _, want := range []string{"sexton: started ", "sexton: relayed SIGUSR1", "sexton: command pid "} {
				if !slices.ContainsFunc(errs, func(s string) bool { return strings.HasPrefix(s, want) }) {
					t.Errorf("-v log lacks %q: %q", want, errs)
				}
			}
		}
	})
}

// --pause: no command; orphans that another process of the namespace
// leaves are reparented to sexton (PID 1) and reaped; TERM exits 0.
func TestPause(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{}, "/sexton", "-v", "--pause")
		p.errs.expectPrefix(t, "sexton: pausing")
		// A process entering the namespace from outside, as another
		// container of the pod would.
		var cmd *exec.Cmd
		if p.id != "" {
			cmd = exec.Command("runc", "--root", p.runcRT, "exec", p.id, "/fixture", "orphans", "100", "10")
		} else {
			cmd = exec.Command("nsenter", "-t", strconv.Itoa(p.initPID()), "-p", "-m", fixture, "orphans", "100", "10")
		}
		// The visitor lives in p's environment; it has no container of
		// its own, so ending the test kills it by pid alone.
		visitor := startProc(t, p.env, cmd)
		visitor.out.expectPrefix(t, "main orphans done 100")
		visitor.send("exit 0")
		visitor.finish(0)
		p.errs.expectPrefix(t, "sexton: reaped orphan #100: ")
		p.signal(syscall.SIGTERM)
		p.finish(0)
	})
}

// --pdeathsig USR1: when sexton's parent dies, sexton gets USR1 and relays
// it. Host mode: a shell starts sexton in the background and is killed.
func TestPdeathsig(t *testing.T) {
	sh := exec.Command("sh", "-c", `"$0" "$@" & wait`, bin, "--pdeathsig", "USR1", "--", fixture, "trap")
	p := startProc(t, envHost, sh)
	p.out.expectPrefix(t, "main ready")
	kids := childrenOf(t, sh.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("the shell has children %v; want sexton", kids)
	}
	sexton := kids[0]
	t.Cleanup(func() { killTree(sexton); syscall.Kill(sexton, syscall.SIGKILL) })
	sh.Process.Kill()
	p.out.expectPrefix(t, "main sig 10")
	// Cleanup kills sexton and the command by pid: the shell's
	// background job has no stdin of ours to tell it to exit.
}
