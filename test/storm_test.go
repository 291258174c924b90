package test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/test/internal/procfs"
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

// floodSample is what sampleFlood saw.
type floodSample struct {
	samples, peak int
	stale         []int // zombies seen over a second apart
	firstRSS      int   // sexton's VmRSS at the first sample (KiB)
}

// sampleFlood looks at the namespace every 100 ms until stop: how many
// zombies at most, and which stayed one for over a second. It runs beside
// the test's goroutine, so it reports instead of failing.
func sampleFlood(ns string, init int, stop <-chan struct{}, out chan<- floodSample) {
	var fs floodSample
	since := map[int]time.Time{} // zombie -> first seen
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			out <- fs
			return
		case <-tick.C:
		}
		now, z := time.Now(), map[int]bool{}
		procs, _ := procsIn(ns)
		for pid, st := range procs {
			if st == "Z" {
				z[pid] = true
			}
		}
		fs.samples++
		fs.peak = max(fs.peak, len(z))
		for pid := range since {
			if !z[pid] {
				delete(since, pid)
			}
		}
		for pid := range z {
			if first, ok := since[pid]; !ok {
				since[pid] = now
			} else if now.Sub(first) > time.Second && !slices.Contains(fs.stale, pid) {
				fs.stale = append(fs.stale, pid)
			}
		}
		if fs.firstRSS == 0 {
			if st, err := procfs.ReadStatus(init); err == nil {
				fs.firstRSS = st.VmRSS
			}
		}
	}
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

// A flood of orphans in bursts of 100 that die together: no zombie lasts a
// second (a sampler looks at the namespace every 100 ms while the flood
// runs, and a second after the last burst none is left), sexton's memory
// does not grow with the work (VmRSS within 256 KiB of its value after the
// first burst), and the command lives on. The summary line gives the
// figures (make soak runs it with 1,000,000 orphans).
func TestOrphanFlood(t *testing.T) {
	needRoot(t)
	n := floodOrphans(t)
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "orphans", strconv.Itoa(n), "100", "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	init := p.initPID()
	ns := pidNS(t, init)
	start := time.Now()
	p.send("go")
	stop := make(chan struct{})
	sampled := make(chan floodSample, 1)
	go sampleFlood(ns, init, stop, sampled)
	// About 10,000 orphans a second here; the bound allows a tenth of that.
	done := fmt.Sprintf("main orphans done %d", n)
	p.out.expectWithin(t, timeout+time.Duration(n)*time.Millisecond, done, func(s string) bool { return strings.HasPrefix(s, done) })
	elapsed := time.Since(start)
	close(stop)
	fs := <-sampled
	if len(fs.stale) != 0 {
		t.Errorf("zombies that lasted over a second during the flood: %v", fs.stale)
	}
	before := fs.firstRSS
	if before == 0 {
		before = vmRSS(t, init) // the flood ended before the first sample
	}
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
		t.Errorf("sexton's VmRSS grew from %d KiB (after the first burst) to %d KiB over %d orphans; want at most 256 KiB growth", before, after, n)
	}
	if extra := p.ping("alive"); len(extra) != 0 {
		t.Errorf("unexpected output: %q", extra)
	}
	t.Logf("flood: %d orphans reaped in %v; peak zombies %d (%d samples); sexton VmRSS %d KiB after the first burst, %d KiB at the end",
		n, elapsed.Round(time.Millisecond), fs.peak, fs.samples, before, after)
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
