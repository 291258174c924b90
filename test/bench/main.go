// Command bench measures sexton against tini, dumb-init and catatonit, each
// as PID 1 of a fresh PID namespace in front of the C fixture, and prints one
// markdown table on stdout (progress goes to stderr). Run it as root from the
// repository root, through `make bench`:
//
//	go run ./test/bench -sexton ./sexton -fixture test/fixture/fixture
//
// Every process it starts runs under `unshare --kill-child` with
// PR_SET_PDEATHSIG, and is killed by pid on every way out (errors, the
// -timeout deadline, SIGINT/SIGTERM). BENCHMARKS.md says what each column
// means.
package main

import (
	"bufio"
	"context"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/test/internal/procfs"
)

var (
	flagSexton      = flag.String("sexton", "./sexton", "sexton binary")
	flagFixture     = flag.String("fixture", "test/fixture/fixture", "fixture binary")
	flagTini        = flag.String("tini", "/usr/bin/tini", "tini binary")
	flagDumbInit    = flag.String("dumb-init", "/usr/bin/dumb-init", "dumb-init binary")
	flagCatatonit   = flag.String("catatonit", "/usr/bin/catatonit", "catatonit binary")
	flagRounds      = flag.Int("rounds", 3, "measured rounds (after one warm-up round)")
	flagStartup     = flag.Int("startup-runs", 100, "start-up runs per init (and for the baseline)")
	flagStreamN     = flag.Int("stream-n", 20000, "orphans in the stream run (bursts of 1)")
	flagBurstN      = flag.Int("burst-n", 10000, "orphans in the burst run")
	flagBurstSize   = flag.Int("burst-size", 100, "burst size in the burst run")
	flagIdle        = flag.Duration("idle", 5*time.Second, "idle window (wakeups are scaled to 10 s)")
	flagSettle      = flag.Duration("settle", time.Second, "pause after the last burst run before the idle window")
	flagSigIters    = flag.Int("sig-iters", 300, "signal round trips per init and round")
	flagTimeout     = flag.Duration("timeout", 170*time.Second, "give up (and kill everything) after this long")
	flagStartupOnly = flag.Bool("startup-only", false, "measure start-up only, for inits that cannot do the rest (a build that relays nothing, say)")
	flagGoFloor     = flag.Bool("go-floor", true, "also measure the Go floor, test/bench/goinit (start, reap, exit; built here with the go command), for every column but signal latency")
	flagVariants    variants
)

func init() {
	flag.Var(&flagVariants, "variant", "NAME=PATH: another sexton build to measure in the same run, for a before/after comparison (repeatable)")
}

// variants are extra sexton builds given with -variant NAME=PATH.
type variants []initSpec

func (v *variants) String() string { return fmt.Sprint(len(*v), " variants") }

func (v *variants) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, got %q", s)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	*v = append(*v, initSpec{name: name, bin: abs, argv: []string{abs, "--"}})
	return nil
}

// An init under test; argv is what goes before the fixture's path. A
// floor relays no signal: it has no signal latency.
type initSpec struct {
	name  string
	bin   string
	argv  []string
	floor bool
}

// ---------------------------------------------------------------------------
// process bookkeeping: everything started is in live until it is reaped.

type proc struct {
	name       string
	cmd        *exec.Cmd
	stdin      *os.File
	lines      chan string
	done       chan struct{}
	initPID    int // host pids, set by findPIDs
	fixturePID int
}

var (
	liveMu sync.Mutex
	live   = map[*proc]bool{}
)

// kill ends p's namespace: SIGKILL to the init (PID 1 of the namespace, so
// the kernel kills everything in it) and to unshare (--kill-child would do
// the same), then waits a little for the reap.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	if p.initPID > 0 {
		_ = unix.Kill(p.initPID, unix.SIGKILL)
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		logf("warning: %s (unshare pid %d) not reaped 2 s after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func killAll() {
	liveMu.Lock()
	ps := make([]*proc, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	for _, p := range ps {
		p.kill()
	}
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

// cleanups run before the bench exits, whichever way.
var cleanups []func()

func cleanup() {
	for _, f := range cleanups {
		f()
	}
}

func fatalf(format string, a ...any) {
	logf(format, a...)
	killAll()
	cleanup()
	os.Exit(1)
}

func unshareArgv(in initSpec, args ...string) []string {
	argv := []string{"--pid", "--fork", "--mount-proc", "--kill-child"}
	argv = append(argv, in.argv...)
	argv = append(argv, *flagFixture)
	return append(argv, args...)
}

// start runs `unshare ... INIT fixture ARGS` with pipes on stdin and stdout.
func start(in initSpec, args ...string) (*proc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("unshare", unshareArgv(in, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{name: in.name, cmd: cmd, stdin: inW, lines: make(chan string, 4096), done: make(chan struct{})}
	liveMu.Lock()
	err = cmd.Start()
	if err == nil {
		live[p] = true
	}
	liveMu.Unlock()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		outR.Close()
		close(p.lines)
	}()
	go func() {
		_ = cmd.Wait()
		liveMu.Lock()
		delete(live, p)
		liveMu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// waitLine returns the first line that starts with prefix, skipping others.
func (p *proc) waitLine(prefix string, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return "", fmt.Errorf("%s: fixture output ended before %q", p.name, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l, nil
			}
		case <-t.C:
			return "", fmt.Errorf("%s: no %q within %v", p.name, prefix, timeout)
		}
	}
}

// findPIDs sets p.initPID, the only child of unshare, and p.fixturePID,
// the init's only child. Call it once the fixture has printed a line and
// before it makes orphans: then both run, and neither has another child.
func (p *proc) findPIDs() error {
	kids, err := procfs.Children(p.cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	if len(kids) != 1 {
		return fmt.Errorf("%s: unshare has %d children, want 1", p.name, len(kids))
	}
	p.initPID = kids[0]
	if kids, err = procfs.Children(p.initPID); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	if len(kids) != 1 {
		return fmt.Errorf("%s: the init has %d children, want 1 (the fixture)", p.name, len(kids))
	}
	p.fixturePID = kids[0]
	return nil
}

// stop asks the fixture to exit 0 and waits for the namespace to go; kills
// it if that takes more than 3 s.
func (p *proc) stop() {
	_, _ = p.stdin.WriteString("exit 0\n")
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		logf("warning: %s did not exit 3 s after 'exit 0'; killing it", p.name)
		p.kill()
	}
}

// ---------------------------------------------------------------------------
// /proc readings

// taskCounters sums, over every thread of pid, the time on CPU (first field
// of schedstat, ns) and the voluntary plus involuntary context switches.
func taskCounters(pid int) (cpuNs, cs uint64, err error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited meanwhile
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseUint(f[0], 10, 64)
			cpuNs += v
		}
		st, err := os.ReadFile(dir + "/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(st), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok &&
				(k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches") {
				n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				cs += n
			}
		}
	}
	return cpuNs, cs, nil
}

// zombiesIn counts the processes in state Z whose PID namespace is ns.
func zombiesIn(ns string) int {
	procs, err := procfs.InPIDNamespace(ns)
	if err != nil {
		return -1
	}
	n := 0
	for _, st := range procs {
		if st.State == "Z" {
			n++
		}
	}
	return n
}

// waitReaped waits until every process of p's PID namespace ns but the
// init and the fixture, that is every orphan still there, has been reaped,
// or until timeout; it returns how many were not. It holds a pidfd for each
// and polls them for no event: poll(2) then reports only POLLHUP, which a
// pidfd raises once its process is reaped (an exit alone gives POLLIN), and
// the kernel wakes pollers at the reap (seen on Linux 6.18). A kernel that
// does not makes the wait run to its timeout, and the caller's zombie count
// decides.
func (p *proc) waitReaped(ns string, timeout time.Duration) (int, error) {
	procs, err := procfs.InPIDNamespace(ns)
	if err != nil {
		return 0, err
	}
	var fds []unix.PollFd
	defer func() {
		for _, f := range fds {
			unix.Close(int(f.Fd))
		}
	}()
	for pid := range procs {
		if pid == p.initPID || pid == p.fixturePID {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err == unix.ESRCH {
			continue // reaped since the listing
		}
		if err != nil {
			return 0, fmt.Errorf("pidfd_open(%d): %w", pid, err)
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd)})
	}
	deadline := time.Now().Add(timeout)
	for len(fds) > 0 {
		ms := time.Until(deadline).Milliseconds()
		if ms <= 0 {
			break
		}
		n, err := unix.Poll(fds, int(ms))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("poll: %w", err)
		}
		if n == 0 {
			break // the deadline
		}
		left := fds[:0]
		for _, f := range fds {
			if f.Revents&unix.POLLHUP != 0 {
				unix.Close(int(f.Fd))
				continue
			}
			f.Revents = 0
			left = append(left, f)
		}
		fds = left
	}
	return len(fds), nil
}

// ---------------------------------------------------------------------------
// measurements

type orphanResult struct {
	cpuNs, cs uint64
	wall      time.Duration
}

// runOrphans starts `INIT fixture orphans N BURST --wait`, reads the init's
// counters before the go line and after "orphans done N" with no zombie left
// in the namespace. The fixture is left running (idle in its trap loop).
func runOrphans(in initSpec, n, burst int) (*proc, orphanResult, error) {
	var r orphanResult
	p, err := start(in, "orphans", strconv.Itoa(n), strconv.Itoa(burst), "--wait")
	if err != nil {
		return nil, r, err
	}
	fail := func(err error) (*proc, orphanResult, error) {
		p.kill()
		return nil, r, err
	}
	if _, err := p.waitLine("main orphans waiting", 5*time.Second); err != nil {
		return fail(err)
	}
	if err := p.findPIDs(); err != nil {
		return fail(err)
	}
	ns, err := procfs.PIDNamespace(p.initPID)
	if err != nil {
		return fail(err)
	}
	cpu0, cs0, err := taskCounters(p.initPID)
	if err != nil {
		return fail(err)
	}
	t0 := time.Now()
	if _, err := p.stdin.WriteString("go\n"); err != nil {
		return fail(err)
	}
	if _, err := p.waitLine(fmt.Sprintf("main orphans done %d", n), 60*time.Second); err != nil {
		return fail(err)
	}
	left, err := p.waitReaped(ns, 2*time.Second)
	if err != nil {
		return fail(err)
	}
	if left > 0 {
		if z := zombiesIn(ns); z != 0 {
			return fail(fmt.Errorf("%s: %d zombies still in the namespace 2 s after the last orphan", in.name, z))
		}
	}
	cpu1, cs1, err := taskCounters(p.initPID)
	if err != nil {
		return fail(err)
	}
	r.wall = time.Since(t0)
	r.cpuNs, r.cs = cpu1-cpu0, cs1-cs0
	return p, r, nil
}

// runSignals times kill(init, SIGUSR1) to the fixture's stamped read.
func runSignals(in initSpec, iters int) ([]time.Duration, error) {
	p, err := start(in, "trap", "--stamp")
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if _, err := p.waitLine("main ready", 5*time.Second); err != nil {
		p.kill()
		return nil, err
	}
	if err := p.findPIDs(); err != nil {
		p.kill()
		return nil, err
	}
	const warm = 10
	var lat []time.Duration
	for i := 0; i < warm+iters; i++ {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
			p.kill()
			return nil, err
		}
		t0 := ts.Nano()
		if err := unix.Kill(p.initPID, unix.SIGUSR1); err != nil {
			p.kill()
			return nil, err
		}
		l, err := p.waitLine("main sig 10 t=", 2*time.Second)
		if err != nil {
			p.kill()
			return nil, err
		}
		t, err := strconv.ParseInt(strings.TrimPrefix(l, "main sig 10 t="), 10, 64)
		if err != nil {
			p.kill()
			return nil, fmt.Errorf("%s: bad line %q", in.name, l)
		}
		if i >= warm {
			lat = append(lat, time.Duration(t-t0))
		}
	}
	return lat, nil
}

// startupOnce is the wall time of `unshare ... INIT fixture exit 0`.
func startupOnce(in initSpec) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", unshareArgv(in, "exit", "0")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("%s: start-up run: %v", in.name, err)
	}
	return d, nil
}

// ---------------------------------------------------------------------------
// statistics and formatting

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the value below which a fraction q of v lies (nearest
// rank).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return
}

// spread formats "median (min–max)", or just the median if all agree.
func spread(v []float64, prec int) string {
	if len(v) == 0 {
		return "–"
	}
	m := strconv.FormatFloat(median(v), 'f', prec, 64)
	lo, hi := minMax(v)
	l, h := strconv.FormatFloat(lo, 'f', prec, 64), strconv.FormatFloat(hi, 'f', prec, 64)
	if l == h {
		return m
	}
	return fmt.Sprintf("%s (%s–%s)", m, l, h)
}

func ratio(v, ref float64) string {
	if v == 0 || ref <= 0 { // not measured
		return "–"
	}
	return fmt.Sprintf("%.2f", v/ref)
}

// binaryInfo gives the size in KiB and whether the ELF has an interpreter.
func binaryInfo(path string) string {
	full, err := exec.LookPath(path)
	if err != nil {
		return "?"
	}
	st, err := os.Stat(full)
	if err != nil {
		return "?"
	}
	kind := "static"
	if f, err := elf.Open(full); err == nil {
		for _, ph := range f.Progs {
			if ph.Type == elf.PT_INTERP {
				kind = "dynamic"
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%d (%s)", (st.Size()+1023)/1024, kind)
}

type results struct {
	startup        []float64 // wall µs, every run
	reapUs, csReap []float64 // per round
	burstMs        []float64
	wakeups        []float64
	rss, threads   []float64
	anon           []float64 // RssAnon, KiB
	sigP50         []float64
	sigP99         []float64
}

func main() {
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: needs root (unshare --pid --mount-proc)")
		os.Exit(2)
	}
	began := time.Now()
	killAllOnInterrupt()
	inits := initsUnderTest()
	res := map[string]*results{"none": {}}
	for _, in := range inits {
		res[in.name] = &results{}
	}
	defer cleanup()
	if *flagInstructions {
		instructionTable(inits)
		return
	}
	measureStartup(inits, res)
	for round := 0; round <= *flagRounds && !*flagStartupOnly; round++ {
		measureRound(round, inits, res)
	}
	printTable(inits, res)
	logf("done in %v", time.Since(began).Round(time.Second))
	if n := func() int { liveMu.Lock(); defer liveMu.Unlock(); return len(live) }(); n != 0 {
		killAll()
		fatalf("%d processes were still running at the end", n)
	}
}

// killAllOnInterrupt makes SIGINT, SIGTERM, SIGHUP and the -timeout
// deadline kill every process started and exit 1.
func killAllOnInterrupt() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// Runs until the first signal, then ends the program.
		s := <-sigs
		fatalf("got %v; killed every process started", s)
	}()
	time.AfterFunc(*flagTimeout, func() {
		fatalf("still running after -timeout %v; killed every process started", *flagTimeout)
	})
}

// initsUnderTest makes the fixture's and sexton's paths absolute, checks
// that every binary exists, and lists the inits to measure: the peers,
// sexton, then each -variant.
func initsUnderTest() []initSpec {
	fixture, err := filepath.Abs(*flagFixture)
	if err != nil {
		fatalf("%v", err)
	}
	*flagFixture = fixture
	sexton, err := filepath.Abs(*flagSexton)
	if err != nil {
		fatalf("%v", err)
	}
	bins := []string{fixture, sexton, *flagTini, *flagDumbInit, *flagCatatonit}
	for _, v := range flagVariants {
		bins = append(bins, v.bin)
	}
	for _, b := range bins {
		if _, err := os.Stat(b); err != nil {
			fatalf("%v", err)
		}
	}
	inits := []initSpec{
		{name: "tini", bin: *flagTini, argv: []string{*flagTini, "--"}},
		{name: "dumb-init", bin: *flagDumbInit, argv: []string{*flagDumbInit}},
		{name: "catatonit", bin: *flagCatatonit, argv: []string{*flagCatatonit, "--"}},
		{name: "sexton", bin: sexton, argv: []string{sexton, "--"}},
	}
	inits = append(inits, flagVariants...)
	if *flagGoFloor {
		bin := buildGoFloor()
		inits = append(inits, initSpec{name: "go floor", bin: bin, argv: []string{bin, "--"}, floor: true})
	}
	return inits
}

// buildGoFloor builds test/bench/goinit, a Go program that does as PID 1
// no more than start the command and reap, as make builds sexton (static,
// -trimpath, -s -w), into a directory removed at exit.
func buildGoFloor() string {
	dir, err := os.MkdirTemp("", "bench-goinit-")
	if err != nil {
		fatalf("%v", err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "goinit")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./test/bench/goinit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fatalf("building the Go floor (run from the repository's root, or give -go-floor=false): %v\n%s", err, out)
	}
	return bin
}

// rotate is list started at its k-th entry, so that no init always runs
// first or last.
func rotate(list []initSpec, k int) []initSpec {
	k %= len(list)
	return append(append([]initSpec(nil), list[k:]...), list[:k]...)
}

// measureStartup times 10 warm-up runs, then -startup-runs runs, of each
// init and of the fixture alone ("none"), interleaved.
func measureStartup(inits []initSpec, res map[string]*results) {
	withNone := append([]initSpec{{name: "none"}}, inits...)
	logf("start-up: %d runs each of %d configurations (+10 warm-up)", *flagStartup, len(withNone))
	for i := 0; i < 10+*flagStartup; i++ {
		for _, in := range rotate(withNone, i) {
			d, err := startupOnce(in)
			if err != nil {
				fatalf("%v", err)
			}
			if i >= 10 {
				res[in.name].startup = append(res[in.name].startup, float64(d.Microseconds()))
			}
		}
	}
}

// measureRound runs every init once through the stream, signal and burst
// runs, then watches the idle inits. Round 0 is the warm-up: measured, not
// kept.
func measureRound(round int, inits []initSpec, res map[string]*results) {
	warm := round == 0
	label := fmt.Sprintf("round %d/%d", round, *flagRounds)
	if warm {
		label = "warm-up round"
	}
	order := rotate(inits, round)
	streamRuns(label, order, warm, res)
	signalRuns(label, order, warm, res)
	// Burst runs one after the other; each fixture then stays idle in its
	// trap loop, and all are watched over one idle window together.
	idle := burstRuns(label, order, warm, res)
	if !warm {
		idleWindow(label, idle, res)
	}
	for _, in := range order {
		idle[in.name].stop()
	}
}

// streamRuns measures the CPU time and context switches per reap when
// orphans die one at a time.
func streamRuns(label string, order []initSpec, warm bool, res map[string]*results) {
	for _, in := range order {
		logf("%s: %s stream (%d orphans, bursts of 1)", label, in.name, *flagStreamN)
		p, r, err := runOrphans(in, *flagStreamN, 1)
		if err != nil {
			fatalf("%v", err)
		}
		p.stop()
		logf("  %.1f ms CPU, %d cs, %v wall", float64(r.cpuNs)/1e6, r.cs, r.wall.Round(time.Millisecond))
		if !warm {
			res[in.name].reapUs = append(res[in.name].reapUs, float64(r.cpuNs)/1e3/float64(*flagStreamN))
			res[in.name].csReap = append(res[in.name].csReap, float64(r.cs)/float64(*flagStreamN))
		}
	}
}

// signalRuns measures the median latency of a signal from kill(2) on the
// init to the fixture's read of it.
func signalRuns(label string, order []initSpec, warm bool, res map[string]*results) {
	for _, in := range order {
		if in.floor {
			continue
		}
		logf("%s: %s signal latency (%d round trips)", label, in.name, *flagSigIters)
		lat, err := runSignals(in, *flagSigIters)
		if err != nil {
			fatalf("%v", err)
		}
		v := make([]float64, len(lat))
		for i, d := range lat {
			v[i] = float64(d.Nanoseconds()) / 1e3
		}
		logf("  p50 %.1f µs, p99 %.1f µs", median(v), percentile(v, 0.99))
		if !warm {
			res[in.name].sigP50 = append(res[in.name].sigP50, median(v))
			res[in.name].sigP99 = append(res[in.name].sigP99, percentile(v, 0.99))
		}
	}
}

// burstRuns measures the CPU time of reaping orphans that die in bursts,
// and returns each init still running, its fixture idle, by name.
func burstRuns(label string, order []initSpec, warm bool, res map[string]*results) map[string]*proc {
	idle := map[string]*proc{}
	for _, in := range order {
		logf("%s: %s burst (%d orphans, bursts of %d)", label, in.name, *flagBurstN, *flagBurstSize)
		p, r, err := runOrphans(in, *flagBurstN, *flagBurstSize)
		if err != nil {
			fatalf("%v", err)
		}
		idle[in.name] = p
		logf("  %.1f ms CPU, %d cs, %v wall", float64(r.cpuNs)/1e6, r.cs, r.wall.Round(time.Millisecond))
		if !warm {
			res[in.name].burstMs = append(res[in.name].burstMs, float64(r.cpuNs)/1e6)
		}
	}
	return idle
}

// idleWindow counts each idle init's wakeups (context switches) over
// -idle, after -settle, and reads its VmRSS and threads at the end. Both
// pauses are the measurement's own time windows, not waits for an event:
// nothing happens in them, which is the point.
func idleWindow(label string, idle map[string]*proc, res map[string]*results) {
	logf("%s: idle window (%v after %v settle)", label, *flagIdle, *flagSettle)
	time.Sleep(*flagSettle)
	cs0 := map[string]uint64{}
	for name, p := range idle {
		_, cs, err := taskCounters(p.initPID)
		if err != nil {
			fatalf("%s: %v", name, err)
		}
		cs0[name] = cs
	}
	time.Sleep(*flagIdle)
	for name, p := range idle {
		_, cs, err := taskCounters(p.initPID)
		if err != nil {
			fatalf("%s: %v", name, err)
		}
		st, err := procfs.ReadStatus(p.initPID)
		if err != nil {
			fatalf("%s: %v", name, err)
		}
		w := float64(cs-cs0[name]) * float64(10*time.Second) / float64(*flagIdle)
		r := res[name]
		r.wakeups = append(r.wakeups, w)
		r.rss = append(r.rss, float64(st.VmRSS))
		r.anon = append(r.anon, float64(st.RssAnon))
		r.threads = append(r.threads, float64(st.Threads))
		logf("  %s: %.0f wakeups/10 s, VmRSS %d KiB (anonymous %d), %d threads", name, w, st.VmRSS, st.RssAnon, st.Threads)
	}
}

// printTable prints the markdown table on stdout.
func printTable(inits []initSpec, res map[string]*results) {
	noneMed := median(res["none"].startup)
	tini := res["tini"]
	tiniStart := median(tini.startup) - noneMed
	fmt.Println("| init | start-up µs | ×tini | CPU µs/reap (min–max) | ×tini | cs/reap | burst CPU ms (min–max) | ×tini | idle wakeups/10 s | VmRSS KiB | anon KiB | threads | signal p50 µs | ×tini | signal p99 µs | ×tini | binary KiB |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	fmt.Printf("| none | 0 (baseline: %.0f wall) | – | – | – | – | – | – | – | – | – | – | – | – | – | – | – |\n", noneMed)
	for _, in := range inits {
		r := res[in.name]
		st := median(r.startup) - noneMed
		fmt.Printf("| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			in.name,
			st, ratio(st, tiniStart),
			spread(r.reapUs, 2), ratio(median(r.reapUs), median(tini.reapUs)),
			spread(r.csReap, 2),
			spread(r.burstMs, 1), ratio(median(r.burstMs), median(tini.burstMs)),
			spread(r.wakeups, 0),
			spread(r.rss, 0), spread(r.anon, 0), spread(r.threads, 0),
			spread(r.sigP50, 1), ratio(median(r.sigP50), median(tini.sigP50)),
			spread(r.sigP99, 1), ratio(median(r.sigP99), median(tini.sigP99)),
			binaryInfo(in.bin))
	}
}
