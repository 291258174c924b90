package reaper

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every real-time signal sent arrives: nothing merges them but the kernel,
// which queues real-time signals. A standard signal arrives at least once.
// (Sent with tgkill: catch drops a kill(2) of our own pid, see
// TestListenDropsSelfRaised.)
func TestListenCounts(t *testing.T) {
	const rt = unix.Signal(40)
	c, stop, err := listen([]unix.Signal{unix.SIGUSR1, rt})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(true)
	const n = 2000
	pid, tid := unix.Getpid(), unix.Gettid()
	for range n {
		if err := unix.Tgkill(pid, tid, rt); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		unix.Tgkill(pid, tid, unix.SIGUSR1)
	}
	got := map[unix.Signal]int{}
	timeout := time.After(10 * time.Second)
	for got[rt] < n || got[unix.SIGUSR1] == 0 {
		select {
		case sig := <-c:
			got[sig]++
		case <-timeout:
			t.Fatalf("after 10 s: got %v, want %d of signal 40 and SIGUSR1", got, n)
		}
	}
	// Nothing more than was sent.
	select {
	case sig := <-c:
		if sig == rt {
			t.Fatalf("more than %d of signal 40", n)
		}
	case <-time.After(100 * time.Millisecond):
	}
}

// A fault in sexton itself is still the runtime's panic while its signal is
// caught, and the same signal sent (here with tgkill) is relayed.
func TestListenFaultsStayPanics(t *testing.T) {
	c, stop, err := listen(faults[:])
	if err != nil {
		t.Fatal(err)
	}
	defer stop(true)

	var p *int
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a nil dereference did not panic")
			}
		}()
		*p = 1 // SIGSEGV, si_code SEGV_MAPERR
	}()
	zero := 0
	func() {
		defer func() {
			if recover() == nil {
				t.Error("an integer division by zero did not panic")
			}
		}()
		_ = 1 / zero // SIGFPE on amd64; a check on arm64
	}()

	unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGSEGV)
	select {
	case sig := <-c:
		if sig != unix.SIGSEGV {
			t.Errorf("got %v, want SIGSEGV", sig)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a SIGSEGV sent with kill(2) was not relayed in 10 s")
	}
}

// A signal sexton raises at itself is dropped, not relayed: the kernel's
// SIGPIPE for a write to a pipe with no reader, its SIGXFSZ for a write
// past RLIMIT_FSIZE (both come as kill(2) from our own pid), and a kill(2)
// of our own pid. The same signals sent another way (tgkill, as another
// process's kill would be: anything but SI_USER from our pid) are relayed,
// and so is a signal that sexton queues itself with raise.
func TestListenDropsSelfRaised(t *testing.T) {
	runtime.LockOSThread() // tgkill below aims at this thread
	defer runtime.UnlockOSThread()
	c, stop, err := listen([]unix.Signal{unix.SIGPIPE, unix.SIGXFSZ, unix.SIGUSR1, unix.SIGUSR2})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(true)

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("x")); err != unix.EPIPE {
		t.Fatalf("write to a pipe with no reader: %v; want EPIPE", err)
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "big"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	small := lim
	small.Cur = 1
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &small); err != nil {
		t.Fatal(err)
	}
	// The first byte fits; the second is past the limit.
	_, err1 := unix.Write(int(f.Fd()), []byte("x"))
	_, err2 := unix.Write(int(f.Fd()), []byte("y"))
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err1 != nil || err2 != unix.EFBIG {
		t.Fatalf("writes under RLIMIT_FSIZE 1: %v, %v; want nil, EFBIG", err1, err2)
	}

	pid, tid := unix.Getpid(), unix.Gettid()
	unix.Kill(pid, unix.SIGUSR1)
	// The same signals from a sender that is not a kill(2) of our pid,
	// then USR2 through raise (the way --pdeathsig is raised when the
	// parent died first) as the end mark: the kill above may be delivered
	// to another thread, but before the tgkills, which are delivered to
	// this thread before they return.
	for _, sig := range []unix.Signal{unix.SIGPIPE, unix.SIGXFSZ, unix.SIGUSR1} {
		unix.Tgkill(pid, tid, sig)
	}
	raise(unix.SIGUSR2)
	var got []unix.Signal
	timeout := time.After(10 * time.Second)
	for len(got) == 0 || got[len(got)-1] != unix.SIGUSR2 {
		select {
		case sig := <-c:
			got = append(got, sig)
		case <-timeout:
			t.Fatalf("after 10 s got %v; want the three tgkills and USR2", got)
		}
	}
	select {
	case sig := <-c:
		got = append(got, sig)
	case <-time.After(100 * time.Millisecond):
	}
	want := []unix.Signal{unix.SIGPIPE, unix.SIGXFSZ, unix.SIGUSR1, unix.SIGUSR2}
	if !slices.Equal(got, want) {
		t.Errorf("relayed %v; want %v (the tgkills and the raise only)", got, want)
	}
}

// A full pipe loses no kind of standard signal: with the pipe shrunk to one
// page and nobody reading the channel, 6,000 of signal 40 overflow it;
// then USR1 and TERM, which find it full, still arrive, and after them an
// overflow mark. Signal 40 keeps an exact count: those that arrive plus
// those counted as dropped are those sent.
func TestListenOverflowKeepsEachKind(t *testing.T) {
	runtime.LockOSThread() // tgkill below aims at this thread
	defer runtime.UnlockOSThread()
	const rt = unix.Signal(40)
	c, stop, err := listen([]unix.Signal{unix.SIGUSR1, unix.SIGTERM, rt})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(true)
	if _, err := unix.FcntlInt(uintptr(catchPipe), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	before := dropped()
	pid, tid := unix.Getpid(), unix.Gettid()
	const n = 6000
	for range n {
		unix.Tgkill(pid, tid, rt)
	}
	lost := dropped() - before
	if lost == 0 {
		t.Fatalf("no signal found the pipe full; the test did not overflow it")
	}
	unix.Tgkill(pid, tid, unix.SIGUSR1)
	unix.Tgkill(pid, tid, unix.SIGTERM)
	if d := dropped() - before - lost; d != 2 {
		t.Fatalf("%d of USR1 and TERM found the pipe full; want both (nobody reads the channel)", d)
	}
	got := map[unix.Signal]int{}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case sig := <-c:
			got[sig]++
			if sig == overflow && got[unix.SIGTERM] == 0 {
				t.Errorf("an overflow mark before the TERM that found the pipe full")
			}
			continue
		case <-time.After(200 * time.Millisecond): // drained
		case <-timeout:
			t.Fatalf("after 10 s got %v, still coming", got)
		}
		break
	}
	if got[unix.SIGUSR1] != 1 || got[unix.SIGTERM] != 1 || got[overflow] != 1 {
		t.Errorf("got USR1 %d, TERM %d and the overflow mark %d times; want each once", got[unix.SIGUSR1], got[unix.SIGTERM], got[overflow])
	}
	if uint64(got[rt])+lost != n {
		t.Errorf("%d of signal 40 arrived and %d were dropped; want %d in all", got[rt], lost, n)
	}
	t.Logf("%d of %d signal 40 arrived through a one-page pipe, %d dropped", got[rt], n, lost)
}

// The kernel reads catch's action as written: every signal but KILL and
// STOP blocked while it runs, so two signals cannot nest and reorder their
// bytes in the pipe. A struct sigaction of the wrong layout for the
// architecture (riscv64 has no restorer slot) hands the kernel an empty
// mask, and reading the action back shows it on a real kernel. (qemu-user
// 7.2 gives riscv64 a restorer slot too, so under it both layouts pass.)
func TestListenMaskBlocksAll(t *testing.T) {
	_, stop, err := listen([]unix.Signal{unix.SIGUSR2})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(true)
	var sa sigaction
	if err := rtSigaction(unix.SIGUSR2, nil, &sa); err != nil {
		t.Fatal(err)
	}
	// The kernel leaves KILL and STOP out of the mask; qemu-user keeps
	// them.
	const unblockable = 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
	if sa.handler != catchAddr() || sa.mask|unblockable != ^uint64(0) {
		t.Errorf("action of SIGUSR2 = handler %#x, mask %#x; want handler %#x, mask %#x", sa.handler, sa.mask, catchAddr(), ^uint64(0)&^unblockable)
	}
}

// stop gives every signal back to the handler it had.
func TestListenStopRestores(t *testing.T) {
	sigs := []unix.Signal{unix.SIGUSR2, 50}
	var before []uintptr
	for _, sig := range sigs {
		h, err := disposition(sig)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, h)
	}
	_, stop, err := listen(sigs)
	if err != nil {
		t.Fatal(err)
	}
	stop(true)
	for i, sig := range sigs {
		if h, _ := disposition(sig); h != before[i] {
			t.Errorf("signal %d: handler %#x after stop, %#x before", sig, h, before[i])
		}
	}
}

// The signal path inside sexton: a kill(2) of the process, the handler's
// write to the pipe, the netpoller's wake-up, the reader goroutine and the
// channel to the loop.
func BenchmarkListenRoundTrip(b *testing.B) {
	c, stop, err := listen([]unix.Signal{unix.SIGUSR1})
	if err != nil {
		b.Fatal(err)
	}
	defer stop(true)
	pid, tid := unix.Getpid(), unix.Gettid()
	for b.Loop() {
		unix.Tgkill(pid, tid, unix.SIGUSR1)
		<-c
	}
}
