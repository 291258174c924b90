package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// --install DIR, the Kubernetes init container's step: DIR/sexton is a
// byte-for-byte copy with mode 0755, its path on stdout, exit 0, no
// temporary file left; twice in a row replaces it. A DIR that is missing,
// a file, or not writable: one line, 125, nothing written.
func TestInstall(t *testing.T) {
	dir := t.TempDir()
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := exec.Command(bin, "--install", dir).Output()
		if err != nil || string(out) != filepath.Join(dir, "sexton")+"\n" {
			t.Fatalf("sexton --install %s: %q, %v; want the path and exit 0", dir, out, err)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, "sexton"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("installed copy differs from the binary (%d bytes, %v)", len(got), err)
	}
	st, err := os.Stat(filepath.Join(dir, "sexton"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("installed copy: mode %v, %v; want 0755", st.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%s holds %d entries after --install; want sexton alone", dir, len(ents))
	}
	// The installed copy runs.
	if out, err := exec.Command(filepath.Join(dir, "sexton"), "--version").Output(); err != nil || !strings.HasPrefix(string(out), "sexton version ") {
		t.Errorf("installed sexton --version: %q, %v", out, err)
	}

	file := filepath.Join(dir, "sexton")
	cases := []struct{ env []string }{
		{[]string{"SEXTON_INSTALL=" + filepath.Join(dir, "missing")}},
		{[]string{"SEXTON_INSTALL=" + file}},
	}
	for _, c := range cases {
		cmd := exec.Command(bin)
		cmd.Env = c.env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if code := codeOf(cmd.ProcessState, err); code != 125 || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), "sexton: --install ") {
			t.Errorf("%v: exit %d, stderr %q; want 125 and one line", c.env, code, stderr.String())
		}
	}
}
