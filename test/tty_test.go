package test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPty returns a pty's master and its slave, neither of them anyone's
// controlling terminal yet.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pts: %v", err)
	}
	// No echo: the test reads only what the programs write.
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("tcgetattr: %v", err)
	}
	tio.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatalf("tcsetattr: %v", err)
	}
	return m, s
}

// On a terminal, as `docker run -it` gives one: sexton (PID 1 and session
// leader, like runc's terminal mode) puts the command's group in the
// foreground, so the command reads the terminal and Ctrl-C reaches it
// exactly once, from the kernel; sexton relays no second SIGINT.
func TestTerminalForeground(t *testing.T) {
	needRoot(t)
	_, err := exec.LookPath("setsid")
	need(t, "setsid (util-linux)", err == nil)
	master, slave := openPty(t)
	defer master.Close()

	// unshare starts a new session with no terminal; in the namespace,
	// setsid -c makes PID 1 a session leader with the pty as its
	// controlling terminal, then execs sexton.
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
		"setsid", "-c", bin, "-v", "--", fixture, "trap")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = t.TempDir()
	p := startOnPty(t, envUnshare, cmd, master, slave)

	ready := fields(p.out.expectPrefix(t, "main ready"))
	if ready["fg"] != ready["pgid"] || ready["pgid"] != ready["pid"] {
		t.Errorf("command pid=%s pgid=%s, terminal's foreground group %s; want all equal",
			ready["pid"], ready["pgid"], ready["fg"])
	}
	p.send("hello")
	p.out.expectPrefix(t, "main line hello")

	master.Write([]byte{0x03}) // Ctrl-C
	p.out.expectPrefix(t, "main sig 2")
	// A USR1 sent to PID 1 after the Ctrl-C is relayed after any SIGINT
	// sexton might have got: the next signal the command sees must be it.
	p.signal(syscall.SIGUSR1)
	if got := p.out.expectPrefix(t, "main sig "); got != "main sig 10" {
		t.Errorf("after Ctrl-C then USR1, the command got %q; want main sig 10 (one SIGINT only)", got)
	}
	p.send("raise 2")
	p.finish(130)
	for _, l := range p.out.seen() {
		if strings.Contains(l, "relayed SIGINT") {
			t.Errorf("sexton relayed a SIGINT: %q", l)
		}
	}
}
