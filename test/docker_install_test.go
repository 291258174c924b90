package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README's Kubernetes init-container recipe, done with Docker as it is
// written there: a scratch image holding sexton alone installs it into a
// volume (sexton --install, no cp in the image), and an application image
// without sexton runs its command through the installed copy, as PID 1:
// exit status, orphans reaped, the copy read-only.
func TestDockerInitContainerInstall(t *testing.T) {
	needDocker(t)
	only := t.TempDir()
	if err := copyFile(bin, filepath.Join(only, "sexton"), 0o755); err != nil {
		t.Fatal(err)
	}
	sextonImg := buildImage(t, only, "FROM scratch\nCOPY sexton /sexton\n")
	app := t.TempDir()
	if err := os.MkdirAll(filepath.Join(app, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for dst, src := range map[string]string{"fixture": fixture, "bin/busybox": staticBusybox(t)} {
		if err := copyFile(src, filepath.Join(app, dst), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	appImg := buildImage(t, app, "FROM scratch\nCOPY fixture /fixture\nCOPY bin/busybox /bin/busybox\n")

	vol := docker(t, "volume", "create")
	t.Cleanup(func() { dockerErr("volume", "rm", "-f", vol) })

	out := docker(t, "run", "--rm", "--network", "none", "-v", vol+":/sexton-bin", sextonImg, "/sexton", "--install", "/sexton-bin")
	if out != "/sexton-bin/sexton" {
		t.Errorf("the init container printed %q; want /sexton-bin/sexton", out)
	}
	// The application's container: three orphans die while the command
	// runs; the command then lists the zombies in its namespace and
	// exits 3.
	script := `for i in 1 2 3; do (/bin/busybox true &); done; /bin/busybox sleep 0.5; ` +
		`echo pid1=$(/bin/busybox cat /proc/1/cmdline | /bin/busybox tr '\0' ' '); ` +
		`/bin/busybox grep -l '^State:.Z' /proc/[0-9]*/status; exit 3`
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := dockerCmd(ctx, "run", "--rm", "--network", "none", "-v", vol+":/sexton-bin:ro", appImg,
		"/sexton-bin/sexton", "--", "/bin/busybox", "sh", "-c", script)
	b, err := cmd.CombinedOutput()
	out = string(b)
	if code := codeOf(cmd.ProcessState, err); code != 3 {
		t.Errorf("the application's container exited %d (%v); want 3\n%s", code, err, out)
	}
	if !strings.Contains(out, "pid1=/sexton-bin/sexton -- ") || strings.Contains(out, "\n/proc/") {
		t.Errorf("want the installed sexton as PID 1 and no zombie; the container printed:\n%s", out)
	}
}
