package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// envKind says where a test runs sexton.
type envKind int

const (
	envHost    envKind = iota // started by the test itself: not PID 1, a subreaper
	envUnshare                // PID 1 of a fresh PID namespace, through unshare
	envRunc                   // PID 1 of a runc container
	envDocker                 // PID 1 of a Docker container, through the docker client
)

// String names the kind; forEachEnv uses it as the subtest name.
func (k envKind) String() string {
	switch k {
	case envHost:
		return "host"
	case envUnshare:
		return "unshare"
	case envRunc:
		return "runc"
	case envDocker:
		return "docker"
	}
	return fmt.Sprintf("envKind(%d)", int(k))
}

// env is a place to run sexton as PID 1.
type env struct {
	kind envKind
	// start runs sexton with args (paths inside the rootfs: /sexton,
	// /fixture) as PID 1.
	start func(t *testing.T, o runOpts, args ...string) *proc
}

// runOpts are the knobs a test may turn; the zero value is a plain run.
type runOpts struct {
	dir   string     // cwd for sexton (unshare) ; "" means a fresh temp dir
	extra []*os.File // fds 3... for sexton (unshare only)
	env   []string   // added to sexton's environment
	uid   int        // runc only: the container's user (and group)
	pids  int        // runc only: the container's pids.max (threads count too); 0: none
}

// envs lists the two PID-1 environments; each test runs in both.
var envs = []env{
	{kind: envUnshare, start: startUnshare},
	{kind: envRunc, start: startRunc},
}

// forEachEnv runs f as a subtest in each environment.
func forEachEnv(t *testing.T, f func(t *testing.T, e env)) {
	for _, e := range envs {
		t.Run(e.kind.String(), func(t *testing.T) {
			needRoot(t)
			if e.kind == envRunc {
				needRunc(t)
			}
			f(t, e)
		})
	}
}

// startUnshare runs sexton as PID 1 of a fresh PID namespace. unshare
// forks sexton and waits for it; --kill-child makes the kernel SIGKILL
// sexton (and so the namespace) if unshare dies, so nothing outlives a test.
func startUnshare(t *testing.T, o runOpts, args ...string) *proc {
	t.Helper()
	cmdline := append([]string{"--pid", "--fork", "--mount-proc", "--kill-child"}, hostPaths(args)...)
	cmd := exec.Command("unshare", cmdline...)
	cmd.Dir = o.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.ExtraFiles = o.extra
	if o.env != nil {
		cmd.Env = append(os.Environ(), o.env...)
	}
	return startProc(t, envUnshare, cmd)
}

// hostPaths turns the rootfs paths /sexton and /fixture (and /notexec) into
// the built files, for runs outside a container.
func hostPaths(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch a {
		case "/sexton":
			a = bin
		case "/fixture":
			a = fixture
		case "/notexec":
			a = filepath.Join(rootfs, "notexec")
		}
		out[i] = a
	}
	return out
}

var containerSeq int

// startRunc runs sexton as PID 1 of a runc container whose read-only rootfs
// holds only /sexton, /fixture and /notexec. runc run stays in the
// foreground and passes its stdio to the container (no terminal), and exits
// with sexton's exit code.
func startRunc(t *testing.T, o runOpts, args ...string) *proc {
	t.Helper()
	containerSeq++
	id := fmt.Sprintf("sexton-test-%d-%d", os.Getpid(), containerSeq)
	bundle := t.TempDir()
	state := filepath.Join(tmpRoot, "runc-state")
	cwd := "/work"
	if o.dir != "" {
		cwd = o.dir
	}
	cfg := ociConfig(args, cwd, o.env, o.uid)
	if o.pids > 0 {
		cfg["linux"].(map[string]any)["resources"] = map[string]any{"pids": map[string]any{"limit": o.pids}}
	}
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("runc", "--root", state, "run", "--bundle", bundle, id)
	// runc run relays the signals it gets to the container, and Debian's
	// runc 1.1.5 relays its own Go runtime's preemption SIGURGs too (we saw
	// them reach sexton, sent from outside the namespace). Turn them off
	// in runc, or the container gets SIGURGs that no test sent.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	p := startProc(t, envRunc, cmd)
	p.id, p.runcRT = id, state
	t.Cleanup(func() {
		// runc delete -f kills and removes the container if it is still
		// there; it fails harmlessly when runc run already removed it.
		exec.Command("runc", "--root", state, "delete", "-f", id).Run()
	})
	return p
}

// ociConfig is a minimal OCI runtime spec: new PID, mount, IPC and UTS
// namespaces, a read-only rootfs, /proc, a tmpfs /dev, no capabilities.
func ociConfig(args []string, cwd string, env []string, uid int) map[string]any {
	return map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]any{"uid": uid, "gid": uid},
			"args":            args,
			"env":             append([]string{"PATH=/", "HOME=/"}, env...),
			"cwd":             cwd,
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": rootfs, "readonly": true},
		"hostname": "sexton-test",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "mode=755", "size=1m"}},
		},
		"linux": map[string]any{
			"namespaces": []map[string]any{
				{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"},
			},
		},
	}
}
