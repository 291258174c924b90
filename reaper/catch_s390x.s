#include "textflag.h"

// catch is sexton's signal handler (see catch.go). The kernel calls it as
// a C function: R2 = signal, R3 = siginfo, R4 = ucontext, R14 = the way
// back (rt_sigreturn), on the thread's signal stack, with every signal
// blocked. It may clobber any register: rt_sigreturn restores them all.
TEXT ·catch(SB),NOSPLIT|NOFRAME,$0
	// SI_USER (0) from sexton's own pid: a signal sexton raised at itself
	// (the kernel's SIGPIPE or SIGXFSZ for one of its writes) is dropped.
	// A fault raised by the kernel (si_code > 0) goes to the runtime.
	MOVW	8(R3), R7
	CMPBLT	R7, $0, relay
	CMPBEQ	R7, $0, user
	MOVD	$·goHandler(SB), R5
	SLD	$3, R2, R6
	MOVD	(R5)(R6*1), R5
	CMPBEQ	R5, $0, relay
	BR	(R5)
user:
	MOVW	16(R3), R7 // si_pid
	MOVW	·catchSelf(SB), R8
	CMPBNE	R7, R8, relay
	RET
relay:
	// write(catchPipe, &sig, 1), the byte in a 16-byte slot below SP.
	SUB	$16, R15
	MOVB	R2, 0(R15)
	MOVD	R15, R3
	MOVW	·catchPipe(SB), R2
	MOVD	$1, R4
	MOVD	$4, R1 // SYS_write
	SYSCALL
	CMPBGE	R2, $0, done
	// The pipe is full (EAGAIN): count the signal in catchDropped, then
	// set its bit in catchLost (in that order: the reader, once it sees
	// the bit, sees the count), and write a 0 so that the reader looks at
	// catchLost even if it drained the pipe meanwhile (if the pipe is
	// still full, it will read again anyway).
	MOVBZ	0(R15), R6
	SUB	$1, R6
	MOVD	$1, R7
	SLD	R6, R7, R7
	MOVD	$·catchDropped(SB), R5
	MOVD	(R5), R8
dropped:
	MOVD	R8, R9
	ADD	$1, R9
	CSG	R8, R9, (R5)
	BNE	dropped
	MOVD	$·catchLost(SB), R5
	MOVD	(R5), R8
lost:
	OR	R7, R8, R9
	CSG	R8, R9, (R5) // if R8 == (R5) then (R5) = R9 else R8 = (R5)
	BNE	lost
	MOVD	$0, R6
	MOVB	R6, 0(R15)
	MOVD	R15, R3
	MOVW	·catchPipe(SB), R2
	MOVD	$1, R4
	MOVD	$4, R1 // SYS_write
	SYSCALL
done:
	ADD	$16, R15
	RET

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOVD	$·catch(SB), R1
	MOVD	R1, ret+0(FP)
	RET
