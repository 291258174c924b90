package reaper

// sigaction is the kernel's struct sigaction on riscv64, which defines no
// SA_RESTORER and so has no restorer slot (include/uapi/asm-generic/signal.h;
// the runtime's sigactiont in runtime/defs_linux_riscv64.go): the mask
// follows the flags. A four-field struct here would hand the kernel an
// empty mask, and signals would nest inside catch.
type sigaction struct {
	handler uintptr
	flags   uint64
	mask    uint64
}

// catchAction is the action that installs catch; the kernel returns
// through the vDSO.
func catchAction() sigaction {
	return sigaction{handler: catchAddr(), flags: catchFlags, mask: ^uint64(0)}
}
