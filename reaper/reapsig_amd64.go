package reaper

// handlerReaps: on this architecture Run reaps in the SIGCHLD handler
// (reapsig.go).
const handlerReaps = true

// reapAction is the action that installs reapchld, as catchAction does
// catch.
func reapAction() sigaction {
	sa := catchAction()
	sa.handler = reapAddr()
	return sa
}

// reapAddr is the address of reapchld in reapsig_amd64.s.
func reapAddr() uintptr
