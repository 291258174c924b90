package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A release is reproducible: the same commit, cloned into two directories
// of different names and depths, builds byte-identical binaries (the second
// with a build cache of its own, so that nothing compiled in the first
// directory is reused), and `make dist` in each gives the same SHA256SUMS.
func TestReproducibleBuild(t *testing.T) {
	_, err := exec.LookPath("git")
	need(t, "git", err == nil)
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	tmp := t.TempDir()
	a := filepath.Join(tmp, "a")
	b := filepath.Join(tmp, "elsewhere", "deeper", "sexton-copy")
	for _, dir := range []string{a, b} {
		if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", strings.TrimSpace(string(top)), dir).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
	}
	inDir := func(dir string, env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("make", append([]string{"-s", "-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %v in %s: %v\n%s", args, dir, err, out)
		}
	}
	inDir(a, nil, "dist", "DIST="+filepath.Join(tmp, "dist-a"))
	inDir(b, []string{"GOCACHE=" + filepath.Join(tmp, "cache-b")}, "build", "BIN="+filepath.Join(tmp, "sexton-b"))
	inDir(b, nil, "dist", "DIST="+filepath.Join(tmp, "dist-b"))

	read := func(path string) []byte {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !bytes.Equal(read(filepath.Join(tmp, "dist-a", "sexton-linux-amd64")), read(filepath.Join(tmp, "sexton-b"))) {
		t.Errorf("make build in %s (own build cache) differs from make dist's amd64 binary in %s", b, a)
	}
	sa, sb := read(filepath.Join(tmp, "dist-a", "SHA256SUMS")), read(filepath.Join(tmp, "dist-b", "SHA256SUMS"))
	if !bytes.Equal(sa, sb) {
		t.Errorf("SHA256SUMS differ between two directories:\n%s\n%s", sa, sb)
	}
}

// make builds with exactly the toolchain go.mod's toolchain line names.
func TestToolchainPinned(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var pin string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "toolchain "); ok {
			pin = strings.TrimSpace(v)
		}
	}
	if pin == "" {
		t.Fatal("go.mod has no toolchain line")
	}
	out, err := exec.Command("go", "version", bin).Output()
	if err != nil {
		t.Fatalf("go version %s: %v", bin, err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasSuffix(got, ": "+pin) {
		t.Errorf("the binary make built says %q; want %s, go.mod's toolchain", got, pin)
	}
}

// GODEBUG keys come and go with Go releases, and a container may still set
// one that the pinned toolchain no longer knows (x509sha1, removed in Go
// 1.24): sexton starts anyway, and the command gets it.
func TestRemovedGodebugKey(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{env: []string{"GODEBUG=x509sha1=1"}}, "/sexton", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		p.send("exit 5")
		p.finish(5)
	})
}
