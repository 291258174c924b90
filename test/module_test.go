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
		t.Fatalf("building README's example as its own module: %v\n%s", err, out)
	}

	// Three orphans die while the command sleeps; a zombie left among
	// them would show in the namespace's /proc.
	script := `for i in 1 2 3; do (true &); done; sleep 0.5; ` +
		`grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null; exit 3`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", filepath.Join(dir, "myinit"), "sh", "-c", script)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err = cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 3 || out.Len() != 0 {
		t.Errorf("README's example as PID 1: exit %d (%v), zombies %q, stderr %q; want exit 3 and no zombie",
			got, err, strings.TrimSpace(out.String()), errs.String())
	}
}
