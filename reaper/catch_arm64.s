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
	CMP	$0, R0
	BGE	done
	// The pipe is full (EAGAIN): count the signal in catchDropped, then
	// set its bit in catchLost (in that order: the reader, once it sees
	// the bit, sees the count), and write a 0 so that the reader looks at
	// catchLost even if it drained the pipe meanwhile (if the pipe is
	// still full, it will read again anyway).
	MOVBU	(RSP), R3
	SUB	$1, R3
	MOVD	$1, R4
	LSL	R3, R4, R4
	MOVD	$·catchDropped(SB), R5
dropped:
	LDAXR	(R5), R6
	ADD	$1, R6, R6
	STLXR	R6, (R5), R7
	CBNZ	R7, dropped
	MOVD	$·catchLost(SB), R5
lost:
	LDAXR	(R5), R6
	ORR	R4, R6, R6
	STLXR	R6, (R5), R7
	CBNZ	R7, lost
	MOVB	ZR, (RSP)
	MOVD	RSP, R1
	MOVW	·catchPipe(SB), R0
	MOVD	$1, R2
	MOVD	$64, R8 // SYS_write
	SVC
done:
	ADD	$16, RSP
	RET

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOVD	$·catch(SB), R0
	MOVD	R0, ret+0(FP)
	RET
