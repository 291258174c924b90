// Package test runs the real static sexton binary as PID 1, in a fresh PID
// namespace (unshare) and in an OCI container (runc), with a static C
// workload of ours (fixture/fixture.c), and checks what the workload and
// the outside world see. Tests that need root or runc skip without them,
// except under CI=true, where a skip of that kind is a failure.
//
// The harness, one concern a file: harness_test.go builds the binaries and
// decides when to skip; env_test.go starts sexton in each environment
// (unshare, runc); proc_test.go follows a started sexton (stdin, exit code,
// signals, pids, clean-up); lines_test.go waits for lines of its output;
// inspect_test.go reads /proc about it, through test/internal/procfs.
package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var (
	bin     string // the static sexton binary, built by `make build`
	fixture string // the static C workload, built by `make fixture`
	rootfs  string // a read-only container rootfs: /sexton, /fixture, /notexec
	tmpRoot string
)

// timeout bounds every wait in these tests. It is generous: a wait only
// reaches it when something is broken.
const timeout = 20 * time.Second

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// Whatever started the tests may have left fds open without
	// close-on-exec; they would reach sexton's command and spoil the fd
	// checks. Mark them all close-on-exec.
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range ents {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	}
	var err error
	tmpRoot, err = os.MkdirTemp("", "sexton-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)
	bin = filepath.Join(tmpRoot, "sexton")
	fixture = filepath.Join(tmpRoot, "fixture")
	if err := makeTarget("build", "BIN="+bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := makeTarget("fixture", "FIXTURE="+fixture); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rootfs = filepath.Join(tmpRoot, "rootfs")
	for _, d := range []string{"proc", "dev", "work"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	for dst, src := range map[string]string{"sexton": bin, "fixture": fixture} {
		if err := copyFile(src, filepath.Join(rootfs, dst), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "notexec"), []byte("#!/fixture\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// makeTarget builds with the project's Makefile, so the tests run the
// release build and not one of their own.
func makeTarget(target string, vars ...string) error {
	args := append([]string{"-s", "-C", "..", target}, vars...)
	out, err := exec.Command("make", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("make %s: %v\n%s", target, err, out)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// need skips the test when the machine lacks what it needs, except under
// CI=true, where CI promised to provide it and a skip would hide a failure.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true", what)
	}
	t.Skipf("skipped: needs %s", what)
}

func needRoot(t *testing.T) { need(t, "root (for PID namespaces)", os.Geteuid() == 0) }

func needRunc(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("runc")
	need(t, "runc in PATH", err == nil)
}
