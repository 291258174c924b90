package reaper

// sigaction is the kernel's struct sigaction on x86-64
// (arch/x86/include/uapi/asm/signal.h; the runtime's sigactiont in
// runtime/defs_linux_amd64.go).
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// catchAction is the action that installs catch. x86-64 has no vDSO
// return path for signals: the kernel jumps to sa_restorer, which must be
// given, with SA_RESTORER (catch_amd64.s).
func catchAction() sigaction {
	return sigaction{handler: catchAddr(), flags: catchFlags | saRestorer, restorer: restorerAddr(), mask: ^uint64(0)}
}

const saRestorer = 0x04000000

// restorerAddr is the address of restorer in catch_amd64.s.
func restorerAddr() uintptr
