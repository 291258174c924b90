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
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of pid %d: %v", pid, err)
	}
	n := 0
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
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
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "orphans", strconv.Itoa(orphans), "1", "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	init := p.initPID()
	ns := pidNS(t, init)
	before := switches(t, init)
	p.send("go")
	p.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", orphans))
	p.out.expectPrefix(t, "main ready")
	deadline := time.Now().Add(2 * time.Second)
	for len(zombies(t, ns)) != 0 && time.Now().Before(deadline) {
		<-time.After(10 * time.Millisecond)
	}
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

// threadSwitches is switches for each thread of pid, by thread id:
// voluntary ones only (a thread that slept and was woken), which load on
// the machine does not add to.
func threadSwitches(t *testing.T, pid int) map[string]int {
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
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n[filepath.Base(filepath.Dir(f))], _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
	}
	return n
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
	p := startUnshare(t, runOpts{}, "/sexton", "--", "/fixture", "orphans", strconv.Itoa(orphans), strconv.Itoa(burst), "--wait")
	p.out.expectPrefix(t, "main orphans waiting")
	init := p.initPID()
	ns := pidNS(t, init)
	before := threadSwitches(t, init)
	p.send("go")
	p.out.expectPrefix(t, fmt.Sprintf("main orphans done %d", orphans))
	p.out.expectPrefix(t, "main ready")
	deadline := time.Now().Add(2 * time.Second)
	for len(zombies(t, ns)) != 0 && time.Now().Before(deadline) {
		<-time.After(10 * time.Millisecond)
	}
	mainTid := strconv.Itoa(init)
	var mainWakes, otherWakes int
	for tid, n := range threadSwitches(t, init) {
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
