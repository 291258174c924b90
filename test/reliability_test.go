package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Once the command has them, sexton closes its own copies of the fds it
// inherited: a pipe passed in as fd 3 reaches EOF as soon as the command
// closes its end, while sexton still runs.
// (Host mode: under unshare, unshare itself would hold a copy.)
func TestInheritedFdsClosed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, "--", "sh", "-c", "exec 3>&-; echo closed; read x")
	cmd.ExtraFiles = []*os.File{w}
	p := startProc(t, envHost, cmd)
	w.Close()
	p.out.expectPrefix(t, "closed")
	eof := make(chan error, 1)
	go func() {
		// Returns at EOF, or when the deferred Close ends the test.
		_, err := r.Read(make([]byte, 1))
		eof <- err
	}()
	select {
	case err := <-eof:
		if err == nil {
			t.Errorf("read data from a pipe nobody wrote to")
		}
	case <-time.After(timeout):
		t.Fatalf("the pipe's reader saw no EOF: sexton still holds fd 3")
	}
	p.send("")
	p.finish(0)
}

// The command killed by any signal 1..64: sexton reports 128+N. (Signals
// whose default is to be ignored leave the fixture alive, and it exits 99;
// the stop signals stop it and are left out.)
func TestDeathByEverySignal(t *testing.T) {
	needRoot(t)
	for sig := 1; sig <= 64; sig++ {
		switch syscall.Signal(sig) {
		case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
			continue
		}
		want := 128 + sig
		if slices.Contains([]syscall.Signal{syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGWINCH}, syscall.Signal(sig)) {
			want = 99
		}
		p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "raise", strconv.Itoa(sig))
		if got := p.wait(); got != want {
			t.Errorf("command killed by signal %d: sexton exited %d; want %d\n%s", sig, got, want, p.errs.dump())
		}
	}
}

// sexton needs no root and no capability: as uid 1000 in a runc container
// (no capabilities at all, as every container here), it relays, reaps,
// times out, reports exit codes and passes on every real-time signal.
func TestUnprivileged(t *testing.T) {
	needRunc(t)
	o := runOpts{uid: 1000}
	p := startRunc(t, o, "/sexton", "--", "/fixture", "exit", "42")
	p.finish(42)

	p = startRunc(t, o, "/sexton", "-v", "--", "/fixture", "orphans", "1000", "100")
	p.out.expectPrefix(t, "main orphans done 1000")
	p.errs.expectPrefix(t, "sexton: reaped orphan #1000: ")
	p.out.expectPrefix(t, "main ready")
	p.signal(syscall.SIGUSR1)
	if got := p.out.nextLine(t, "sig 10"); got != "main sig 10" {
		t.Errorf("as uid 1000 the command got %q; want main sig 10", got)
	}
	p.signal(syscall.SIGTERM)
	if got := p.out.nextLine(t, "sig 15"); got != "main sig 15" {
		t.Errorf("as uid 1000 the command got %q; want main sig 15", got)
	}
	p.send("exit 0")
	p.finish(0)

	p = startRunc(t, o, "/sexton", "-t", "0.3", "-k", "0.3", "--", "/fixture", "trap")
	p.finish(124)

	realtimeCounted(t, startRunc(t, o, "/sexton", "--", "/fixture", "trap"))
}

// The process table is full (a pids limit, which counts threads too): the
// workload forks until fork fails and dies of it; sexton, which made its
// threads before, keeps reaping, lets the workers that did start finish
// (--wait-all), and exits with the workload's status.
func TestPidsExhausted(t *testing.T) {
	needRunc(t)
	p := startRunc(t, runOpts{pids: 24}, "/sexton", "-v", "--wait-all", "--", "/fixture", "workers", "100", "300")
	p.finish(111) // the fixture's own error exit: fork failed
	out := p.out.seen()
	done := 0
	for _, l := range out {
		if strings.HasSuffix(l, " done") {
			done++
		}
	}
	if done == 0 || done >= 100 {
		t.Errorf("%d workers finished; want some, but fewer than 100 (the limit must bite)\n%s", done, p.errs.dump())
	}
	if !logged(p, "fork") {
		t.Errorf("the workload did not report a failed fork:\n%s", p.errs.dump())
	}
	t.Logf("%d workers started and finished under pids.max=24", done)
}

// Real-time signals are queued, not merged: each of 1,000 kills of three
// real-time signals to PID 1, sent as fast as kill(2) goes, reaches the
// command, no more and no fewer. (os/signal, which sexton used before,
// passed 6 of 1,000 kills of signal 39.) TestUnprivileged runs the same as
// uid 1000.
func TestRealtimeSignalsCounted(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		realtimeCounted(t, e.start(t, runOpts{}, "/sexton", "--", "/fixture", "trap"))
	})
}

func realtimeCounted(t *testing.T, p *proc) {
	t.Helper()
	p.out.expectPrefix(t, "main ready")
	init := p.initPID()
	kinds := []syscall.Signal{35, 40, 64}
	const each = 1000
	for range each {
		for _, k := range kinds {
			if err := syscall.Kill(init, k); err != nil {
				t.Fatalf("kill(%d, %d): %v", init, k, err)
			}
		}
	}
	got := map[string]int{}
	for range each * len(kinds) {
		got[p.out.expectPrefix(t, "main sig ")]++
	}
	for _, line := range p.ping("counted") {
		got[line]++ // anything past the count is one too many
	}
	for _, k := range kinds {
		if n := got["main sig "+strconv.Itoa(int(k))]; n != each {
			t.Errorf("signal %d: the command got it %d times; sent %d", k, n, each)
		}
	}
	if len(got) != len(kinds) {
		t.Errorf("the command got %v; want only signals %v", got, kinds)
	}
	p.send("exit 0")
	p.finish(0)
}

// When fork fails (EAGAIN: the process table, here the user's RLIMIT_NPROC,
// is full) sexton says so in one line and exits 125, and nothing is left.
// The limit is counted in tasks, the Go runtime's own threads included, so
// the test sweeps it: below sexton's thread count the runtime itself
// cannot start (its own error, exit 2); at it, the fork of the command
// fails; above it the command runs. Every limit must give one of the
// three, and some limit the second.
func TestForkFailure(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"setpriv", "prlimit"} {
		_, err := exec.LookPath(tool)
		need(t, tool+" (util-linux)", err == nil)
	}
	// An executable copy a user without rights to tmpRoot can run.
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "sexton")
	if err := copyFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	const uid = "54321" // a user with no other process to count
	saw125 := false
	// How many threads the runtime has started by the time of the fork
	// varies from run to run (seen: the limit that made the fork fail
	// made the runtime fail in the next run), so the sweep is repeated.
	for attempt := 1; attempt <= 5 && !saw125; attempt++ {
		forkFailureSweep(t, exe, uid, &saw125)
	}
	if !saw125 {
		t.Error("in 5 sweeps, no limit made the fork of the command fail with exit 125")
	}
}

// forkFailureSweep runs sexton under RLIMIT_NPROC from 1 up until the
// command runs, and sets saw125 when a limit made the fork fail.
func forkFailureSweep(t *testing.T, exe, uid string, saw125 *bool) {
	for limit := 1; limit <= 16; limit++ {
		cmd := exec.Command("setpriv", "--reuid", uid, "--regid", uid, "--clear-groups",
			"prlimit", "--nproc="+strconv.Itoa(limit), exe, "--", "/bin/true")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(timeout):
			cmd.Process.Kill()
			<-done
			t.Fatalf("limit %d: still running after %v", limit, timeout)
		}
		code, msg := codeOf(cmd.ProcessState, err), stderr.String()
		switch {
		case code == 0 && msg == "":
			t.Logf("limit %d: the command ran", limit)
		case code == 125 && strings.Count(msg, "\n") == 1 &&
			strings.HasPrefix(msg, "sexton: cannot start /bin/true: resource temporarily unavailable"):
			t.Logf("limit %d: %s", limit, strings.TrimSpace(msg))
			*saw125 = true
		case code == 2 && strings.Contains(msg, "runtime: failed to create new OS thread"):
			t.Logf("limit %d: the Go runtime could not start its threads", limit)
		default:
			t.Errorf("limit %d: exit %d, stderr %q; want 0, 125 with one line, or the runtime's own failure", limit, code, msg)
		}
		if out, _ := exec.Command("pgrep", "-u", uid).Output(); len(out) != 0 {
			t.Fatalf("limit %d: processes of uid %s left: %s", limit, uid, out)
		}
		if code == 0 {
			return
		}
	}
}
