package test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// floodOrphans is how many orphans TestOrphanFlood makes: 100,000 by
// default (CI), SEXTON_SOAK_ORPHANS for more (make soak: 1,000,000).
func floodOrphans(t *testing.T) int {
	if v := os.Getenv("SEXTON_SOAK_ORPHANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SEXTON_SOAK_ORPHANS=%q is not a count", v)
		}
		return n
	}
	return 100000
}

// vmRSS is pid's resident set in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}

// zombies lists the zombies of the PID namespace ns.
func zombies(t *testing.T, ns string) []int {
	var z []int
	for pid, st := range namespaceProcs(t, ns) {
		if st == "Z" {
			z = append(z, pid)
		}
	}
	return z
}

// A flood of orphans in bursts of 100 that die together: none is left a
// zombie a second after the last burst, sexton's memory does not grow with
// the work (VmRSS within 256 KiB of its value before the first burst), and
// the command lives on.
func TestOrphanFlood(t *testing.T) {
	needRoot(t)
	n := floodOrphans(t)
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "orphans", strconv.Itoa(n), "100", "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	init := p.initPID()
	ns := pidNS(t, init)
	before := vmRSS(t, init)
	start := time.Now()
	p.send("go")
	p.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", n))
	elapsed := time.Since(start)
	p.out.expectPrefix(t, "main ready")
	if z := zombies(t, ns); len(z) != 0 {
		// The last burst may still be in flight: the bound is a second.
		<-time.After(time.Second)
		if z := zombies(t, ns); len(z) != 0 {
			t.Errorf("%d zombies left a second after the last burst: %v", len(z), z)
		}
	}
	after := vmRSS(t, init)
	if after-before > 256 {
		t.Errorf("sexton's VmRSS grew from %d KiB to %d KiB over %d orphans; want at most 256 KiB growth", before, after, n)
	}
	if extra := p.ping("alive"); len(extra) != 0 {
		t.Errorf("unexpected output: %q", extra)
	}
	t.Logf("flood: %d orphans reaped in %v; sexton VmRSS %d KiB before, %d KiB after", n, elapsed.Round(time.Millisecond), before, after)
	p.send("exit 0")
	p.finish(0)
}

// A storm of 100,000 signals of six kinds to PID 1 while 20,000 orphans are
// being made and reaped: sexton neither crashes nor stalls, the command
// gets every kind (standard signals merge while pending, as the kernel
// merges them) and the real-time one as many times as it was sent, and a
// final TERM still reaches it and it exits as it chooses. The workload blocks the storm's signals from its start, so the
// ones that arrive while it makes orphans wait for it.
func TestSignalStorm(t *testing.T) {
	needRoot(t)
	kinds := []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGWINCH, 40}
	var list []string
	for _, k := range kinds {
		list = append(list, strconv.Itoa(int(k)))
	}
	// The real-time signals wait, queued, at the command, and count
	// against root's RLIMIT_SIGPENDING: make sure they all fit.
	const storm = 100000
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &lim); err != nil {
		t.Fatal(err)
	}
	if need := uint64(2 * storm / len(kinds)); lim.Cur < need {
		old := lim
		lim.Cur = min(max(need, lim.Cur), lim.Max)
		if lim.Cur < need {
			t.Fatalf("RLIMIT_SIGPENDING is %d (hard %d); the storm needs %d: raise it (ulimit -i)", old.Cur, old.Max, need)
		}
		if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &lim); err != nil {
			t.Fatal(err)
		}
		defer unix.Setrlimit(unix.RLIMIT_SIGPENDING, &old)
	}
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "exec-with", "--block", strings.Join(list, ","), "--",
		"/fixture", "orphans", "20000", "100", "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	init := p.initPID()
	p.send("go")
	sent := map[syscall.Signal]int{}
	for i := range storm {
		sent[kinds[i%len(kinds)]]++
		if err := syscall.Kill(init, kinds[i%len(kinds)]); err != nil {
			t.Fatalf("signal %d of the storm: %v (sexton gone?)", i, err)
		}
	}
	p.out.expectPrefix(t, "main orphans done 20000")
	p.out.expectPrefix(t, "main ready")
	// Every kind was sent thousands of times while the workload held
	// them blocked, so each is pending at it by now; the barrier lets it
	// print them.
	got := map[string]int{}
	for _, line := range p.ping("storm") {
		got[line]++
	}
	for _, k := range kinds {
		n := got[fmt.Sprintf("main sig %d", k)]
		switch {
		case n == 0:
			t.Errorf("the command never got signal %d of the storm; got %v", k, got)
		case k >= 32 && n != sent[k]:
			t.Errorf("the command got real-time signal %d %d times; sent %d", k, n, sent[k])
		}
	}
	t.Logf("storm of %d signals: sent %v; the command got %v (standard signals merged while pending, real-time ones queued)", storm, sent, got)
	p.signal(syscall.SIGTERM)
	p.out.expectPrefix(t, "main sig 15")
	p.send("exit 7")
	p.finish(7)
}
