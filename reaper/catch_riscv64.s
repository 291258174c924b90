#include "textflag.h"

// catch is sexton's signal handler (see catch.go). The kernel calls it as
// a C function: A0 = signal, A1 = siginfo, A2 = ucontext, RA = the vDSO's
// rt_sigreturn, on the thread's signal stack, with every signal blocked.
// It may clobber any register: rt_sigreturn restores them all.
TEXT ·catch(SB),NOSPLIT|NOFRAME,$0
	// SI_USER (0) from sexton's own pid: a signal sexton raised at itself
	// (the kernel's SIGPIPE or SIGXFSZ for one of its writes) is dropped.
	// A fault raised by the kernel (si_code > 0) goes to the runtime.
	MOVW	8(A1), T0
	BLTZ	T0, relay
	BEQZ	T0, user
	MOV	$·goHandler(SB), T1
	SLL	$3, A0, T2
	ADD	T2, T1, T1
	MOV	(T1), T1
	BEQZ	T1, relay
	JMP	(T1)
user:
	MOVW	16(A1), T0 // si_pid
	MOVW	·catchSelf(SB), T1
	BNE	T0, T1, relay
	RET
relay:
	// write(catchPipe, &sig, 1), the byte in a 16-byte slot below SP.
	ADD	$-16, X2
	MOVB	A0, 0(X2)
	MOV	X2, A1
	MOVW	·catchPipe(SB), A0
	MOV	$1, A2
	MOV	$64, A7 // SYS_write
	ECALL
	BGEZ	A0, done
	// The pipe is full (EAGAIN): count the signal in catchDropped, then
	// set its bit in catchLost (in that order: the reader, once it sees
	// the bit, sees the count), and write a 0 so that the reader looks at
	// catchLost even if it drained the pipe meanwhile (if the pipe is
	// still full, it will read again anyway).
	MOVBU	0(X2), T0
	ADD	$-1, T0
	MOV	$1, T1
	SLL	T0, T1, T1
	MOV	$1, T3
	MOV	$·catchDropped(SB), T2
	AMOADDD	T3, (T2), ZERO
	MOV	$·catchLost(SB), T2
	AMOORD	T1, (T2), ZERO
	MOVB	ZERO, 0(X2)
	MOV	X2, A1
	MOVW	·catchPipe(SB), A0
	MOV	$1, A2
	MOV	$64, A7 // SYS_write
	ECALL
done:
	ADD	$16, X2
	RET

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOV	$·catch(SB), T0
	MOV	T0, ret+0(FP)
	RET
