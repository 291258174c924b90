package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The image's users and groups for the --user tests: app has two
// supplementary groups besides its own.
const (
	testPasswd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
	testGroup  = "root:x:0:\napp:x:1000:\naudio:x:29:app\nvideo:x:44:other\nwheel:x:10:root,app\n"
)

// userRootfs is a rootfs like the shared one (/sexton, /fixture) that also
// has /etc/passwd and /etc/group.
func userRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	// Other users must reach /fixture through it.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proc", "dev", "work", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for dst, src := range map[string]string{"sexton": bin, "fixture": fixture} {
		if err := copyFile(src, filepath.Join(root, dst), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"passwd": testPasswd, "group": testGroup} {
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// userEnv runs sexton as PID 1 with root as its root directory and exactly
// env as its environment.
type userEnv struct {
	name  string
	start func(t *testing.T, root string, env []string, args ...string) *proc
}

var userEnvs = []userEnv{
	{"unshare", startUnshareRoot},
	{"runc", startRuncRoot},
}

func forEachUserEnv(t *testing.T, f func(t *testing.T, e userEnv)) {
	for _, e := range userEnvs {
		t.Run(e.name, func(t *testing.T) {
			needRoot(t)
			if e.name == "runc" {
				needRunc(t)
			}
			f(t, e)
		})
	}
}

// startUnshareRoot is startUnshare chrooted into root (unshare --root), so
// that sexton reads that rootfs's /etc.
func startUnshareRoot(t *testing.T, root string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", "--root=" + root, "--wd=/work"}, args...)...)
	cmd.Env = env
	return startProc(t, envUnshare, cmd)
}

// startRuncRoot is startRunc with its own rootfs and environment, as root
// with CAP_SETUID and CAP_SETGID (and CAP_KILL), which a switch of users
// needs: the shared config gives the container no capability.
func startRuncRoot(t *testing.T, root string, env []string, args ...string) *proc {
	t.Helper()
	cfg := ociConfig(args, "/work", nil, 0)
	caps := []string{"CAP_SETUID", "CAP_SETGID", "CAP_KILL"}
	process := cfg["process"].(map[string]any)
	process["env"] = env
	process["capabilities"] = map[string]any{"bounding": caps, "effective": caps, "permitted": caps}
	cfg["root"] = map[string]any{"path": root, "readonly": true}
	return runcWithConfig(t, cfg)
}

// runcWithConfig runs the OCI config cfg as startRunc does.
func runcWithConfig(t *testing.T, cfg map[string]any) *proc {
	t.Helper()
	containerSeq++
	id := fmt.Sprintf("sexton-test-%d-%d", os.Getpid(), containerSeq)
	bundle := t.TempDir()
	state := filepath.Join(tmpRoot, "runc-state")
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("runc", "--root", state, "run", "--bundle", bundle, id)
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1") // as in startRunc
	p := startProc(t, envRunc, cmd)
	p.id, p.runcRT = id, state
	t.Cleanup(func() { exec.Command("runc", "--root", state, "delete", "-f", id).Run() })
	return p
}

// --user by name and by number: the command's uid, gid, supplementary
// groups (initgroups' for a user alone, the one group for USER:GROUP) and
// HOME (the passwd entry's when the environment has none).
func TestUser(t *testing.T) {
	forEachUserEnv(t, func(t *testing.T, e userEnv) {
		root := userRootfs(t)
		noHome := []string{"PATH=/"}
		tests := []struct {
			user string
			env  []string
			want string
		}{
			{"app", noHome, "main id uid=1000 gid=1000 groups=10,29,1000 home=/home/app"},
			{"1000", noHome, "main id uid=1000 gid=1000 groups=10,29,1000 home=/home/app"},
			{"app:audio", noHome, "main id uid=1000 gid=29 groups=29 home=/home/app"},
			{"app:44", noHome, "main id uid=1000 gid=44 groups=44 home=/home/app"},
			{"1000:video", []string{"PATH=/", "HOME=/data"}, "main id uid=1000 gid=44 groups=44 home=/data"},
			{"2000", noHome, "main id uid=2000 gid=0 groups=0 home=/"},
			{"2000:3000", noHome, "main id uid=2000 gid=3000 groups=3000 home=/"},
		}
		for _, tt := range tests {
			if e.name == "runc" && len(tt.env) == 1 {
				// runc itself sets HOME, from root's entry, when
				// the config has none: sexton then keeps it.
				tt.want = tt.want[:strings.Index(tt.want, "home=")] + "home=/root"
			}
			p := e.start(t, root, tt.env, "/sexton", "--user", tt.user, "--", "/fixture", "id")
			if got := p.out.expectPrefix(t, "main id "); got != tt.want {
				t.Errorf("--user %s: %q; want %q", tt.user, got, tt.want)
			}
			p.finish(0)
		}
		// The variable, and a command that stays: sexton keeps its own
		// identity (root), so it still relays to the command and reaps.
		p := e.start(t, root, append(noHome, "SEXTON_USER=app"), "/sexton", "--", "/fixture", "trap")
		p.out.expectPrefix(t, "main ready")
		if uid := uidOf(t, p.initPID()); uid != "0" {
			t.Errorf("sexton runs as uid %s; want 0", uid)
		}
		if uid := uidOf(t, p.commandPID()); uid != "1000" {
			t.Errorf("the command runs as uid %s; want 1000", uid)
		}
		p.signal(syscall.SIGUSR1)
		p.out.expectPrefix(t, "main sig 10")
		p.send("exit 7")
		p.finish(7)
	})
}

// uidOf is the real uid of pid, from /proc/pid/status.
func uidOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return ""
}

// A rootfs without /etc (a scratch image): numeric ids work, a name is one
// line and 125. So are an unknown user or group and an id out of range;
// nothing is started then.
func TestUserErrors(t *testing.T) {
	forEachUserEnv(t, func(t *testing.T, e userEnv) {
		p := e.start(t, rootfs, []string{"PATH=/"}, "/sexton", "--user", "1234:5678", "--", "/fixture", "id")
		if got, want := p.out.expectPrefix(t, "main id "), "main id uid=1234 gid=5678 groups=5678 home=/"; got != want {
			t.Errorf("--user 1234:5678 without /etc: %q; want %q", got, want)
		}
		p.finish(0)

		root := userRootfs(t)
		for _, tt := range []struct{ root, user, want string }{
			{rootfs, "app", "sexton: --user app: cannot read /etc/passwd (no such file or directory) to look up app; give a numeric uid instead"},
			{root, "nobody", "sexton: --user nobody: no user nobody in /etc/passwd; add it to the image or give a numeric uid"},
			{root, "app:staff", "sexton: --user app:staff: no group staff in /etc/group; add it to the image or give a numeric gid"},
			{root, "4294967295", "sexton: --user 4294967295: uid 4294967295 is out of range; use 0-4294967294"},
			{root, "1:99999999999", "sexton: --user 1:99999999999: gid 99999999999 is out of range; use 0-4294967294"},
		} {
			p := e.start(t, tt.root, []string{"PATH=/"}, "/sexton", "--user", tt.user, "--", "/fixture", "id")
			p.finish(125)
			if errs := p.errs.seen(); len(errs) != 1 || errs[0] != tt.want {
				t.Errorf("--user %s: stderr %q; want the one line %q", tt.user, errs, tt.want)
			}
			if out := p.out.seen(); len(out) != 0 {
				t.Errorf("--user %s: something ran: %q", tt.user, out)
			}
		}
	})
}

// A sexton that is not root (uid 1000, no capability) cannot switch to
// another user: one line, 125, nothing started. Asked for its own ids it
// has nothing to switch, and runs the command.
func TestUserNotRoot(t *testing.T) {
	needRunc(t)
	p := startRunc(t, runOpts{uid: 1000}, "/sexton", "--user", "0", "--", "/fixture", "id")
	p.finish(125)
	want := "sexton: --user 0: sexton runs as uid 1000 without CAP_SETUID and CAP_SETGID, so it cannot switch users; start it as root, or leave out --user and let the runtime set the user"
	if errs := p.errs.seen(); len(errs) != 1 || errs[0] != want {
		t.Errorf("stderr %q; want the one line %q", errs, want)
	}
	if out := p.out.seen(); len(out) != 0 {
		t.Errorf("something ran: %q", out)
	}

	p = startRunc(t, runOpts{uid: 1000}, "/sexton", "--user", "1000:1000", "--", "/fixture", "id")
	p.out.expectPrefix(t, "main id uid=1000 gid=1000 ")
	p.finish(0)
}
