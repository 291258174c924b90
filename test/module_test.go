package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// README's Go API example, as another module would write it: it imports
// github.com/sexton-init/sexton/reaper (this tree, through a replace), and
// as PID 1 of a fresh namespace with a zero Config plus the command it
// reaps the command's orphans and exits with the command's status.
func TestGoAPIExampleAsPID1(t *testing.T) {
	needRoot(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := bytes.Cut(readme, []byte("<!-- go api example"))
	_, code, ok2 := bytes.Cut(after, []byte("```go\n"))
	code, _, ok3 := bytes.Cut(code, []byte("```\n"))
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no Go API example after its marker")
	}
	myinit := buildOutsideModule(t, code)

	// Three orphans die while the command sleeps.
	reapsAsPID1(t, "README's example", myinit, "for i in 1 2 3; do (true &); done; sleep 0.5", 20*time.Second)
}

// reapsAsPID1 runs init as PID 1 of a fresh namespace in front of sh -c
// orphans, which leaves orphans behind, and expects the command's exit
// code (3) back within timeout and no zombie in the namespace's /proc.
func reapsAsPID1(t *testing.T, what, init, orphans string, timeout time.Duration) {
	t.Helper()
	script := orphans + `; grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null; exit 3`
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// --kill-child: at the deadline, killing unshare kills the init and
	// with it the namespace; WaitDelay stops waiting for output then.
	cmd := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", init, "sh", "-c", script)
	cmd.WaitDelay = 2 * time.Second
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 3 || out.Len() != 0 {
		t.Errorf("%s as PID 1: exit %d (%v), %d zombies, stderr %q; want exit 3 and no zombie",
			what, got, err, strings.Count(out.String(), "\n"), errs.String())
	}
}

// buildOutsideModule builds main.go's code as another module would: its
// own go.mod, which requires github.com/sexton-init/sexton through a
// replace to this tree. It returns the binary's path.
func buildOutsideModule(t *testing.T, code []byte) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/myinit\n\ngo 1.26.0\n\n" +
		"require (\n\tgithub.com/sexton-init/sexton v0.0.0\n\tgolang.org/x/sys v0.50.0\n)\n\n" +
		"replace github.com/sexton-init/sexton => " + root + "\n"
	for name, b := range map[string][]byte{"main.go": code, "go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", "myinit", ".")
	build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a program as its own module: %v\n%s", err, out)
	}
	return filepath.Join(dir, "myinit")
}

// movedStackInit is a program that gives its main thread a signal stack
// of its own before reaper.Run with KeepHandlers, as C code on that
// thread might. The main thread must still take SIGCHLD.
const movedStackInit = `package main

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reaper"
)

// The main goroutine stays on the main thread.
func init() { runtime.LockOSThread() }

var stack [64 << 10]byte

func main() {
	ss := struct {
		sp    uintptr
		flags int32
		_     int32
		size  uintptr
	}{uintptr(unsafe.Pointer(&stack[0])), 0, 0, uintptr(len(stack))}
	if _, _, e := unix.RawSyscall(unix.SYS_SIGALTSTACK, uintptr(unsafe.Pointer(&ss)), 0, 0); e != 0 {
		os.Exit(100)
	}
	code, err := reaper.Run(reaper.Config{Argv: os.Args[1:], KeepHandlers: true})
	if err != nil {
		os.Exit(101)
	}
	os.Exit(code)
}
`

// On amd64 only the main thread takes SIGCHLD once the command runs (with
// KeepHandlers), told apart by its signal stack. A program whose main
// thread has a signal stack other than the runtime's must not have
// SIGCHLD blocked there too, or no thread would take it and the zombies
// would pile up: 100 orphans die in five bursts, then none may be left
// and the command's exit must come back.
func TestMainThreadWithItsOwnSignalStack(t *testing.T) {
	needRoot(t)
	myinit := buildOutsideModule(t, []byte(movedStackInit))
	reapsAsPID1(t, "a program with its own signal stack on the main thread", myinit,
		`for b in 1 2 3 4 5; do for i in $(seq 20); do (true &); done; sleep 0.05; done; sleep 0.3`, 10*time.Second)
}
