//go:build !amd64

package reaper

// handlerReaps: no SIGCHLD handler that reaps here yet; Run's waiter
// blocks in wait4 (waitAll).
const handlerReaps = false

// reapAction is never called where handlerReaps is false.
func reapAction() sigaction { panic("reaper: no reaping handler on this architecture") }

// mainOnly is never called where handlerReaps is false.
func mainOnly() {}
