package test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// switches sums voluntary and involuntary context switches over every
// thread of pid: each is a wake-up of one of its threads, or a preemption.
func switches(t *testing.T, pid int) int {
	t.Helper()
	n := 0
	for _, c := range threadSwitches(t, pid, true) {
		n += c
	}
	return n
}

// threadSwitches is the context switches of each thread of pid, by thread
// id: the voluntary ones (a thread that slept and was woken), and with all
// the involuntary ones too (preemptions, which load on the machine adds).
func threadSwitches(t *testing.T, pid int, all bool) map[string]int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of pid %d: %v", pid, err)
	}
	n := map[string]int{}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just ended
		}
		tid := filepath.Base(filepath.Dir(f))
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && (k == "voluntary_ctxt_switches" || all && k == "nonvoluntary_ctxt_switches") {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n[tid] += c
			}
		}
	}
	return n
}

// startOrphans starts sexton as PID 1 in front of n orphans that die
// burst at a time once released, and returns it and its host pid before
// the first orphan exists.
func startOrphans(t *testing.T, n, burst int) (*proc, int) {
	t.Helper()
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "orphans", strconv.Itoa(n), strconv.Itoa(burst), "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	return p, p.initPID()
}

// releaseOrphans lets them go, and returns once the fixture has made all n
// and sexton has reaped them (waiting at most 2 s for the last).
func releaseOrphans(t *testing.T, p *proc, init, n int) {
	t.Helper()
	ns := pidNS(t, init)
	p.send("go")
	p.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", n))
	p.out.expectPrefix(t, "main ready")
	deadline := time.Now().Add(2 * time.Second)
	for len(zombies(t, ns)) != 0 && time.Now().Before(deadline) {
		<-time.After(10 * time.Millisecond)
	}
}

// An orphan's death costs sexton one wake-up of one thread, as tini's
// sigtimedwait loop does (the SIGCHLD handler reaps it; no goroutine runs),
// and a relayed signal one too (the handler sends it on). 2,000 orphans
// that die one at a time, then 200 signals one at a time: at most 1.5
// context switches each, where a waiter goroutine blocked in wait4 costs
// about 2 per orphan. Only amd64 has those handlers yet.
func TestOneWakeupPerEvent(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the reaping and relaying handlers are amd64's only")
	}
	const orphans, sigs = 2000, 200
	p, init := startOrphans(t, orphans, 1)
	before := switches(t, init)
	releaseOrphans(t, p, init, orphans)
	perReap := float64(switches(t, init)-before) / orphans
	before = switches(t, init)
	for range sigs {
		p.signal(syscall.SIGUSR1)
		p.out.expectPrefix(t, "main sig 10")
	}
	perSignal := float64(switches(t, init)-before) / sigs
	t.Logf("context switches: %.2f per reaped orphan, %.2f per relayed signal", perReap, perSignal)
	if perReap > 1.5 {
		t.Errorf("%.2f context switches per reaped orphan; want at most 1.5", perReap)
	}
	if perSignal > 1.5 {
		t.Errorf("%.2f context switches per relayed signal; want at most 1.5", perSignal)
	}
	p.send("exit 0")
	p.finish(0)
}

// A burst of exits wakes sexton's main thread alone, as it wakes tini's
// one thread: SIGCHLD goes to the main thread only, so one that comes
// while its handler runs waits for it instead of waking another thread.
// 5,000 orphans that die 100 at a time: the other threads may wake at most
// once per burst between them, where a SIGCHLD that any idle thread takes
// wakes them 3.6 to 6 times. The main thread must never block SIGCHLD, or
// no thread would take it.
func TestBurstWakesMainThread(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the reaping handler is amd64's only")
	}
	const orphans, burst = 5000, 100
	p, init := startOrphans(t, orphans, burst)
	before := threadSwitches(t, init, false)
	releaseOrphans(t, p, init, orphans)
	mainTid := strconv.Itoa(init)
	var mainWakes, otherWakes int
	for tid, n := range threadSwitches(t, init, false) {
		if tid == mainTid {
			mainWakes += n - before[tid]
		} else {
			otherWakes += n - before[tid]
		}
	}
	const bursts = orphans / burst
	t.Logf("wake-ups per burst of %d exits: main thread %.2f, the others %.2f", burst, float64(mainWakes)/bursts, float64(otherWakes)/bursts)
	if otherWakes > bursts {
		t.Errorf("threads other than the main one woke %.2f times per burst of %d exits; want at most 1", float64(otherWakes)/bursts, burst)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", init, init))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigBlk:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil || mask&(1<<(syscall.SIGCHLD-1)) != 0 {
				t.Errorf("sexton's main thread blocks SIGCHLD (SigBlk %s, %v)", strings.TrimSpace(v), err)
			}
		}
	}
	p.send("exit 0")
	p.finish(0)
}
