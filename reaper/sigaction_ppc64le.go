package reaper

// sigaction is the kernel's struct sigaction on ppc64le
// (arch/powerpc/include/uapi/asm/signal.h; the runtime's sigactiont in runtime/defs_linux_ppc64le.go). The
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
