package test

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The release build's runtime must raise no SIGURG at itself; if a new Go
// toolchain ignored the link-time default, sexton would relay SIGURGs that
// nobody sent (TestRelayEverySignalOnce shows that sexton does relay a sent
// one, which it does only when built this way). The probe built without the flag shows that it does provoke
// them, so the check can fail.
func TestRuntimeRaisesNoSIGURG(t *testing.T) {
	dir := t.TempDir()
	probe := filepath.Join(dir, "urgprobe")
	if err := makeTarget("build", "PKG=./test/urgprobe", "BIN="+probe); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "urgprobe-plain")
	if out, err := exec.Command("go", "build", "-o", plain, "./urgprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	count := func(path string) int {
		t.Helper()
		out, err := exec.Command(path).Output()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("%s printed %q", path, out)
		}
		return n
	}
	if n := count(plain); n == 0 {
		t.Fatalf("the probe built without the flag saw no SIGURG; it no longer provokes preemption, so this test proves nothing")
	}
	if n := count(probe); n != 0 {
		t.Errorf("the probe built as sexton is saw %d SIGURGs from its own runtime; want 0", n)
	}
}
