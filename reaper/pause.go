package reaper

import (
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

// pause is sexton without a command, the job of a pod's "pause" container
// (and catatonit -P): hold the PID namespace, reap whatever is parented to
// us, and return 0 on SIGTERM or SIGINT. Every other signal is ignored.
//
// With no child of its own there may be nothing to wait for, and a wait4
// would return ECHILD at once, so here SIGCHLD wakes the loop (caught like
// every other signal), and each wake-up reaps all that has exited.
// Throughput does not matter in this mode; the reap path of Run does not use this.
func pause(log func(string), restore bool) (int, error) {
	sigs, stop, err := listen(append(listened(), unix.SIGCHLD))
	if err != nil {
		return 0, err
	}
	defer stop(restore)
	_ = unix.Chdir("/")
	ignoreReserved() // no child to inherit them: at once

	if log != nil {
		log("pausing: reaping orphans until SIGTERM or SIGINT")
	}
	reaped := 0
	for sig := range sigs {
		switch sig {
		case unix.SIGTERM, unix.SIGINT:
			if log != nil {
				log(forward.Name(sig) + ": exiting")
			}
			return 0, nil
		case unix.SIGCHLD:
			for {
				var ws unix.WaitStatus
				pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
				if err == unix.EINTR {
					continue
				}
				if err != nil || pid <= 0 {
					break // ECHILD: none left; 0: none exited yet
				}
				reaped++
				if log != nil {
					log("reaped orphan #" + strconv.Itoa(reaped) + ": pid " + strconv.Itoa(pid) + " " + describe(ws))
				}
			}
		}
	}
	return 0, nil
}
