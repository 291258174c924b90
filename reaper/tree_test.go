package reaper

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// signalTree signals a process only while /proc still shows it under a
// parent it trusts: a pid in the list that names a stranger now (here a
// process whose parent is not us, listed as our child, as a pid reused
// after the walk would be) gets nothing, and a real child does.
func TestSignalTreeSkipsStrangers(t *testing.T) {
	// A stranger: sh's background sleep, re-parented away from us when
	// sh exits.
	out, err := exec.Command("sh", "-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Kill(stranger, unix.SIGKILL)
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()

	self := os.Getpid()
	signalTree([]proc{{stranger, self}, {child.Process.Pid, self}}, unix.SIGTERM, false)
	if err := child.Wait(); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("our child: %v; want it killed by SIGTERM", err)
	}
	// Alive, not a zombie that its new parent has yet to reap.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(stranger) + "/stat")
	if i := strings.LastIndexByte(string(b), ')'); err != nil || i < 0 || len(b) < i+3 || b[i+2] == 'Z' {
		t.Errorf("the stranger (pid %d, not our child): %q, %v; want it alive, never signalled", stranger, b, err)
	}
}
