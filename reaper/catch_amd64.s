#include "textflag.h"

// catch is sexton's signal handler (see catch.go). The kernel calls it as
// a C function: DI = signal, SI = siginfo, DX = ucontext, on the thread's
// signal stack, with every signal blocked. It may clobber any register:
// rt_sigreturn restores them all.
TEXT ·catch(SB),NOSPLIT|NOFRAME,$0
	// SI_USER (0) from sexton's own pid: a signal sexton raised at itself
	// (the kernel's SIGPIPE or SIGXFSZ for one of its writes) is dropped.
	// A fault raised by the kernel (si_code > 0) goes to the runtime.
	MOVL	8(SI), AX
	CMPL	AX, $0
	JLT	relay
	JEQ	user
	LEAQ	·goHandler(SB), BX
	MOVQ	(BX)(DI*8), AX
	TESTQ	AX, AX
	JZ	relay
	JMP	AX
user:
	MOVL	16(SI), AX // si_pid
	CMPL	AX, ·catchSelf(SB)
	JNE	relay
	RET
relay:
	// While relayDirect is set, relaysig (reapsig_amd64.s) sends it on.
	CMPL	·relayDirect(SB), $0
	JEQ	queue
	JMP	·relaysig(SB)
queue:
	// write(catchPipe, &sig, 1), the byte in the red zone below SP.
	MOVB	DI, -8(SP)
	LEAQ	-8(SP), SI
	MOVL	·catchPipe(SB), DI
	MOVL	$1, DX
	MOVL	$1, AX // SYS_write
	SYSCALL
	CMPQ	AX, $0
	JGE	done
	// The pipe is full (EAGAIN): count the signal in catchDropped, then
	// set its bit in catchLost (in that order: the reader, once it sees
	// the bit, sees the count), and write a 0 so that the reader looks at
	// catchLost even if it drained the pipe meanwhile (if the pipe is
	// still full, it will read again anyway).
	MOVBQZX	-8(SP), CX
	DECQ	CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LEAQ	·catchDropped(SB), BX
	LOCK
	INCQ	(BX)
	LEAQ	·catchLost(SB), BX
	LOCK
	ORQ	AX, (BX)
	MOVB	$0, -8(SP)
	LEAQ	-8(SP), SI
	MOVL	·catchPipe(SB), DI
	MOVL	$1, DX
	MOVL	$1, AX // SYS_write
	SYSCALL
done:
	RET

// restorer returns from the handler; x86-64 needs SA_RESTORER.
TEXT ·restorer(SB),NOSPLIT|NOFRAME,$0
	MOVL	$15, AX // SYS_rt_sigreturn
	SYSCALL
	INT	$3 // not reached

// func catchAddr() uintptr
TEXT ·catchAddr(SB),NOSPLIT,$0-8
	MOVQ	$·catch(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func restorerAddr() uintptr
TEXT ·restorerAddr(SB),NOSPLIT,$0-8
	MOVQ	$·restorer(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
