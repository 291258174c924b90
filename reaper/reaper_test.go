package reaper

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "exe")
	plain := filepath.Join(dir, "plain")
	other := t.TempDir()
	for path, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644, filepath.Join(other, "plain"): 0o755} {
		if err := os.WriteFile(path, nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string // PATH
		name    string
		want    string
		wantErr error
	}{
		{dir, "exe", exe, nil},
		{"/nonexistent:" + dir, "exe", exe, nil},
		{dir, "missing", "", ErrNotFound},
		{dir, "missing", "", unix.ENOENT}, // ErrNotFound is an ENOENT
		{"", "exe", "", ErrNotFound},
		{dir, exe, exe, nil},
		{dir, plain, "", unix.EACCES},
		{dir, "plain", "", unix.EACCES},
		{dir + ":" + other, "plain", filepath.Join(other, "plain"), nil}, // like execvp: a later one wins
		{dir, "sub", "", unix.EACCES},
		{dir, dir + "/sub", "", unix.EACCES},
		{dir, dir + "/nothing", "", unix.ENOENT},
		{dir, "", "", unix.ENOENT},
	}
	for _, tt := range tests {
		t.Setenv("PATH", tt.path)
		got, err := lookPath(tt.name)
		if tt.wantErr != nil {
			var se *StartError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &se) {
				t.Errorf("PATH=%s lookPath(%q) = %q, %v; want a *StartError matching %v", tt.path, tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("PATH=%s lookPath(%q) = %q, %v; want %q", tt.path, tt.name, got, err, tt.want)
		}
	}
}

func TestLookPathUnsetPATH(t *testing.T) {
	t.Setenv("PATH", "")
	os.Unsetenv("PATH")
	got, err := lookPath("sh")
	if err != nil || (got != "/bin/sh" && got != "/usr/bin/sh") {
		t.Errorf("PATH unset: lookPath(sh) = %q, %v; want it from /bin:/usr/bin", got, err)
	}
}

func TestRuntimeSendsURG(t *testing.T) {
	defer func(old string) { godebugDefault = old }(godebugDefault)
	tests := []struct {
		linked, env string
		want        bool
	}{
		{"", "", true},
		{"asyncpreemptoff=1", "", false},
		{"asyncpreemptoff=1", "asyncpreemptoff=0", true},
		{"asyncpreemptoff=1", "gctrace=1,asyncpreemptoff=0,madvdontneed=1", true},
		{"", "asyncpreemptoff=1", false},
		{"asyncpreemptoff=1", "asyncpreemptoff=0,asyncpreemptoff=1", false},
		{"asyncpreemptoff=1", "gctrace=1", false},
	}
	for _, tt := range tests {
		godebugDefault = tt.linked
		t.Setenv("GODEBUG", tt.env)
		if got := runtimeSendsURG(); got != tt.want {
			t.Errorf("linked %q, GODEBUG=%q: runtimeSendsURG() = %v; want %v", tt.linked, tt.env, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want int
	}{
		{0, 0},
		{1 << 8, 1},
		{255 << 8, 255},
		{unix.WaitStatus(unix.SIGTERM), 143},
		{unix.WaitStatus(unix.SIGKILL), 137},
		{unix.WaitStatus(unix.SIGSEGV) | 0x80, 139}, // core dumped
		{unix.WaitStatus(64), 192},
	}
	for _, tt := range tests {
		if got := exitCode(tt.ws); got != tt.want {
			t.Errorf("exitCode(%#x) = %d; want %d", uint32(tt.ws), got, tt.want)
		}
	}
}

// The reap batch: children that have all exited already (zombies), drained
// by the waiter in one go, as after a burst of exits; 500 at a time, so
// that b.N never fills the process table. Only the draining is timed.
func BenchmarkReapBatch(b *testing.B) {
	b.StopTimer()
	attr := &syscall.ProcAttr{Env: []string{}}
	for done := 0; done < b.N; {
		k := min(500, b.N-done)
		for range k {
			pid, err := syscall.ForkExec("/bin/true", []string{"true"}, attr)
			if err != nil {
				b.Fatal(err)
			}
			// Block until it has exited, without reaping it.
			var info unix.Siginfo
			if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
				b.Fatal(err)
			}
		}
		exited, gone := make(chan unix.WaitStatus, 1), make(chan struct{})
		b.StartTimer()
		waitAll(-2, exited, gone, nil, nil) // -2: no main child; returns at ECHILD
		b.StopTimer()
		<-gone
		done += k
	}
}
