package reaper

// sigaction is the kernel's struct sigaction on arm64
// (arch/arm64/include/uapi/asm/signal.h, through asm-generic; the runtime's sigactiont in runtime/defs_linux_arm64.go). The
// restorer slot exists but stays 0: without SA_RESTORER the kernel returns
// through the vDSO.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// catchAction is the action that installs catch.
func catchAction() sigaction {
	return sigaction{handler: catchAddr(), flags: catchFlags, mask: ^uint64(0)}
}
