package test

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Socket activation handed to the init, as systemd, Podman and runc do it:
// fd 3 is a listening socket, LISTEN_FDS=1 and LISTEN_PID the init's pid.
// The command sees LISTEN_PID as its own pid, as sd_listen_fds(3) wants,
// and accepts a connection on fd 3.
func TestListenPIDRewritten(t *testing.T) {
	needRoot(t)
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := startUnshare(t, runOpts{extra: []*os.File{f}, env: []string{"LISTEN_PID=1", "LISTEN_FDS=1"}}, "/sexton", "--", "/fixture", "sd-listen")
	p.out.expectPrefix(t, "main listen ok")
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "hello\n" {
		t.Errorf("read from the command's socket: %q, %v; want hello", line, err)
	}
	p.finish(0)
}

// In runc, as PID 1 with LISTEN_PID=1: the command sees its own pid.
// (No fd is handed over here, so its accept fails after it said so.)
func TestListenPIDRewrittenRunc(t *testing.T) {
	needRunc(t)
	p := startRunc(t, runOpts{env: []string{"LISTEN_PID=1", "LISTEN_FDS=1"}}, "/sexton", "--", "/fixture", "sd-listen")
	p.out.expectPrefix(t, "main listen ok")
	p.finish(111)
}

// A LISTEN_PID that names another process is passed on as it is, and the
// rest of the environment byte for byte.
func TestListenPIDOfAnother(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e env) {
		p := e.start(t, runOpts{env: []string{"LISTEN_PID=4242", "LISTEN_FDS=1"}}, "/sexton", "--", "/fixture", "sd-listen")
		line := p.out.expectPrefix(t, "main listen ignored ")
		if !strings.HasPrefix(line, "main listen ignored LISTEN_PID=4242 ") {
			t.Errorf("command printed %q; want LISTEN_PID=4242 as given", line)
		}
		p.finish(1)
	})
}
