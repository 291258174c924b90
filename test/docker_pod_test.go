package test

import (
	"os/exec"
	"testing"
	"time"
)

// A pod's stop with Docker's shared PID namespace: sexton --pause holds the
// namespace, a second container joins it (--pid container:FIRST) and its
// command exits 0 on TERM. docker stop of the first must let the second's
// command run its handler: sexton passes the TERM on and waits for it,
// where an init that exits at once has the kernel SIGKILL the namespace
// (the second container then exits 137).
func TestDockerPauseSharedNamespace(t *testing.T) {
	needDocker(t)
	imgs := buildImages(t)
	pause := docker(t, "run", "-d", "--network", "none", imgs.files, "/sexton", "--pause")
	t.Cleanup(func() { dockerErr("rm", "-f", pause) })

	app := docker(t, "create", "-i", "--network", "none", "--pid", "container:"+pause, imgs.files,
		"/fixture", "trap", "--exit-on", "15")
	t.Cleanup(func() { dockerErr("rm", "-f", app) })
	p := startProc(t, envDocker, exec.Command("docker", "start", "-a", "-i", app))
	p.out.expectPrefix(t, "main ready")

	took := timed(func() { docker(t, "stop", "-t", "10", pause) })
	p.out.expectPrefix(t, "main sig 15")
	if got := exitCode(t, app); got != 0 {
		t.Errorf("the second container exited %d; want 0, its command's own exit on TERM", got)
	}
	if got := exitCode(t, pause); got != 0 {
		t.Errorf("sexton --pause exited %d; want 0", got)
	}
	if took > 5*time.Second {
		t.Errorf("docker stop of the pause container took %v; want it done once the other command exited", took)
	}
	t.Logf("docker stop of the pause container: %v", took.Round(time.Millisecond))
}
