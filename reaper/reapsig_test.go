package reaper

import (
	"os"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recordLoop plays the waiter's part from reapchld's records: an
// orphan's status is logged with its number, an end (pid 0) that comes
// before the command's status is stale, and the command's status is
// reported once, after which the end closes gone.
func TestRecordLoop(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := func(pid int32, status uint32) []byte {
		b := make([]byte, recordSize)
		*(*int32)(unsafe.Pointer(&b[0])) = pid
		*(*uint32)(unsafe.Pointer(&b[4])) = status
		return b
	}
	var mu sync.Mutex
	var lines []string
	log := func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }
	exited := make(chan unix.WaitStatus, 1)
	gone := make(chan struct{})
	// An orphan (exit 0), a stale end, a stop of the command (logged,
	// not an exit), then the command's exit 3.
	var all []byte
	for _, b := range [][]byte{rec(77, 0), rec(0, 0), rec(123, 0x137f), rec(123, 3<<8)} {
		all = append(all, b...)
	}
	if _, err := w.Write(all); err != nil {
		t.Fatal(err)
	}
	go recordLoop(r, 123, exited, gone, log, nil)
	select {
	case ws := <-exited:
		if !ws.Exited() || ws.ExitStatus() != 3 {
			t.Errorf("command's status %#x; want exit 3", uint32(ws))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no status for the command within 5 s")
	}
	// This test process has no child: the end is at once.
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("gone not closed within 5 s of the command's status")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"reaped orphan #1: pid 77 exited 0", "command pid 123 stopped by SIGSTOP"}
	if !slices.Equal(lines, want) {
		t.Errorf("log %q; want %q", lines, want)
	}
}
