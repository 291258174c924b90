// Command goinit is the least a Go program does as PID 1: it starts its
// command with syscall.ForkExec, reaps every child with wait4, and exits
// as the command did. It relays no signal. The bench measures it beside
// the inits as the Go runtime's floor: whatever a Go init does, its
// start-up and its memory include this much.
package main

import (
	"os"
	"syscall"
)

func main() {
	argv := os.Args[1:]
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 {
		os.Stderr.WriteString("usage: goinit [--] COMMAND [ARGS...]\n")
		os.Exit(125)
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Stderr.WriteString("goinit: " + err.Error() + "\n")
		os.Exit(127)
	}
	for {
		var ws syscall.WaitStatus
		p, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			os.Exit(125) // the command is a child until it is reaped here
		case p != pid:
			continue // an orphan
		case ws.Signaled():
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ws.ExitStatus())
	}
}
