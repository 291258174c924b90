#include "textflag.h"

// catch is sexton's signal handler (see catch.go). The kernel calls it as
// a C function: R3 = signal, R4 = siginfo, R5 = ucontext, LR = the vDSO's
// rt_sigreturn, on the thread's signal stack, with every signal blocked.
// It may clobber any register: rt_sigreturn restores them all. sexton is
// not built as shared code, so globals need no TOC pointer (R2).
TEXT ·catch(SB),NOSPLIT|NOFRAME,$0
	// SI_USER (0) from sexton's own pid: a signal sexton raised at itself
	// (the kernel's SIGPIPE or SIGXFSZ for one of its writes) is dropped.
	// A fault raised by the kernel (si_code > 0) goes to the runtime.
	MOVW	8(R4), R7
	CMP	R7, $0
	BLT	relay
	BEQ	user
	MOVD	$·goHandler(SB), R6
	SLD	$3, R3, R8
	MOVD	(R6)(R8), R12
	CMP	R12, $0
	BEQ	relay
	MOVD	R12, CTR
	BR	(CTR)
user:
	MOVW	16(R4), R7 // si_pid
	MOVW	·catchSelf(SB), R8
	CMP	R7, R8
	BNE	relay
	RET
relay:
	// write(catchPipe, &sig, 1), the byte below the stack pointer (the
	// ELFv2 ABI leaves 288 bytes there to a leaf function).
	MOVB	R3, -8(R1)
	ADD	$-8, R1, R4
	MOVW	·catchPipe(SB), R3
	MOVD	$1, R5
	MOVD	$4, R0 // SYS_write
	SYSCALL
	BVC	done // CR0.SO clear: no error
	// The pipe is full (EAGAIN): count the signal in catchDropped, then
	// set its bit in catchLost (in that order: the reader, once it sees
	// the bit, sees the count), and write a 0 so that the reader looks at
	// catchLost even if it drained the pipe meanwhile (if the pipe is
	// still full, it will read again anyway).
	MOVBZ	-8(R1), R5
	ADD	$-1, R5
	MOVD	$1, R6
	SLD	R5, R6, R6
	MOVD	$·catchDropped(SB), R7
dropped:
	LDAR	(R7), R8
	ADD	$1, R8
	STDCCC	R8, (R7)
	BNE	dropped
	LWSYNC // the count before the bit: whoever sees the bit sees the count
	MOVD	$·catchLost(SB), R7
lost:
	LDAR	(R7), R8
	OR	R6, R8
	STDCCC	R8, (R7)
	BNE	lost
	MOVD	$0, R5
	MOVB	R5, -8(R1)
	ADD	$-8, R1, R4
	MOVW	·catchPipe(SB), R3
	MOVD	$1, R5
	MOVD	$4, R0 // SYS_write
	SYSCALL
done:
	RET

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOVD	$·catch(SB), R3
	MOVD	R3, ret+0(FP)
	RET
