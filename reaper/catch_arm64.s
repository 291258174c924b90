#include "textflag.h"

// catch is sexton's signal handler (see catch.go). The kernel calls it as
// a C function: R0 = signal, R1 = siginfo, R2 = ucontext, LR = the vDSO's
// rt_sigreturn, on the thread's signal stack, with every signal blocked.
// It may clobber any register: rt_sigreturn restores them all.
TEXT ·catch(SB),NOSPLIT|NOFRAME,$0
	// SI_USER (0) from sexton's own pid: a signal sexton raised at itself
	// (the kernel's SIGPIPE or SIGXFSZ for one of its writes) is dropped.
	// A fault raised by the kernel (si_code > 0) goes to the runtime.
	MOVW	8(R1), R3
	CMPW	$0, R3
	BLT	relay
	BEQ	user
	MOVD	$·goHandler(SB), R4
	MOVD	(R4)(R0<<3), R4
	CBZ	R4, relay
	JMP	(R4)
user:
	MOVW	16(R1), R3 // si_pid
	MOVW	·catchSelf(SB), R4
	CMPW	R4, R3
	BNE	relay
	RET
relay:
	// write(catchPipe, &sig, 1), the byte in a 16-byte slot below SP.
	SUB	$16, RSP
	MOVB	R0, (RSP)
	MOVD	RSP, R1
	MOVW	·catchPipe(SB), R0
	MOVD	$1, R2
	MOVD	$64, R8 // SYS_write
	SVC
	ADD	$16, RSP
	RET

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOVD	$·catch(SB), R0
	MOVD	R0, ret+0(FP)
	RET
