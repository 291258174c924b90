package reaper

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Socket activation, as sd_listen_fds(3) reads it: whoever hands sockets
// to a process (systemd, or Podman and runc for a container's PID 1) sets
// LISTEN_FDS to their count, from fd 3 on, and LISTEN_PID to the pid of the
// process meant to take them; any other process ignores them. When
// LISTEN_PID names sexton, the sockets are meant for its command, so the
// command must see its own pid there.
//
// syscall.ForkExec runs no code of ours between fork and exec, so the
// command's pid is unknown while its environment is built. Instead the
// child execs this same binary first, as a trampoline: the init function
// below sees trampolineArg0, sets LISTEN_PID to its own pid (which exec
// keeps, so it is the command's), and execs the command with the rest of
// the environment, and the fds, untouched. That costs one more exec and a
// Go runtime start-up, and only when LISTEN_PID names sexton; any other
// LISTEN_PID is passed on as it is.

// trampolineArg0 is the trampoline's argv[0]; argv[1] is the command's
// path and the rest its argv.
const trampolineArg0 = "sexton:listen-pid"

// selfExe is this binary, as the child sees it.
const selfExe = "/proc/self/exe"

func init() {
	if len(os.Args) >= 3 && os.Args[0] == trampolineArg0 {
		trampoline(os.Args[1], os.Args[2:])
	}
}

// trampoline execs the command with LISTEN_PID set to this process's pid.
// It never returns.
func trampoline(path string, argv []string) {
	env := environ()
	for i, kv := range env {
		if strings.HasPrefix(kv, "LISTEN_PID=") {
			env[i] = "LISTEN_PID=" + strconv.Itoa(unix.Getpid())
		}
	}
	err := unix.Exec(path, argv, env)
	// The parent found path executable a moment ago; say what changed, with
	// the code execvp's callers use.
	unix.Write(2, []byte("sexton: cannot start "+path+": "+err.Error()+"\n"))
	code := 126
	if err == unix.ENOENT {
		code = 127
	}
	unix.Exit(code)
}

// viaTrampoline reports whether the command must start through the
// trampoline: env holds a LISTEN_PID that names sexton, and the binary can
// be exec'd again through /proc.
func viaTrampoline(env []string) bool {
	me := "LISTEN_PID=" + strconv.Itoa(unix.Getpid())
	for _, kv := range env {
		if kv == me {
			return unix.Access(selfExe, unix.X_OK) == nil
		}
	}
	return false
}
