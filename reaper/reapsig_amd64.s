#include "textflag.h"

// WRITE_RECORD writes the record at -16(SP) to reapPipe and leaves the
// flags of AX's sign (negative: the write failed).
#define WRITE_RECORD \
	LEAQ	-16(SP), SI \
	MOVL	·reapPipe(SB), DI \
	MOVL	$8, DX \
	MOVL	$1, AX \
	SYSCALL \
	CMPQ	AX, $0

// reapchld is Run's SIGCHLD handler (see reapsig.go). The kernel calls it
// as a C function on the thread's signal stack, with every signal
// blocked; it may clobber any register (rt_sigreturn restores them). It
// reaps every zombie with wait4(-1, WNOHANG|WUNTRACED|WCONTINUED) and
// writes the records the Go side needs; the record is built in the red
// zone below SP: pid at -16(SP), status at -12(SP).
TEXT ·reapchld(SB),NOSPLIT|NOFRAME,$0
	// Off the main thread, once mainOnly has run, SIGCHLD stays blocked
	// after this handler: its bit goes into uc_sigmask, 296(DX) in the
	// ucontext, the mask rt_sigreturn restores (reapsig_amd64.go). The
	// main thread is the one whose signal stack holds SP; off that stack,
	// gettid confirms it is not the main thread (whose id is the pid)
	// before anything is blocked, in case someone moved its signal stack.
	MOVQ	·mainStackLo(SB), AX
	TESTQ	AX, AX
	JZ	next
	CMPQ	SP, AX
	JLO	other
	CMPQ	SP, ·mainStackHi(SB)
	JLO	next
other:
	MOVL	$186, AX // SYS_gettid; DX survives the call
	SYSCALL
	CMPL	AX, ·catchSelf(SB)
	JEQ	next
	ORQ	$0x10000, 296(DX) // 1<<(SIGCHLD-1)
next:
	MOVQ	$-1, DI
	LEAQ	-12(SP), SI
	MOVL	$11, DX // WNOHANG|WUNTRACED|WCONTINUED
	XORL	R10, R10
	MOVL	$61, AX // SYS_wait4
	SYSCALL
	CMPQ	AX, $0
	JEQ	done // children left, none exited
	JLT	failed
	MOVL	AX, -16(SP)
	MOVL	·reapMain(SB), CX
	CMPL	CX, AX
	JEQ	command
	TESTL	CX, CX
	JEQ	write // the command's pid not known yet: every status
	MOVL	·reapAll(SB), CX
	TESTL	CX, CX
	JEQ	next // an orphan nobody logs: no record
	WRITE_RECORD
	JGE	next
	LEAQ	·reapUnlogged(SB), BX
	LOCK
	INCQ	(BX)
	JMP	next
command:
	// A stop (low byte 0x7f) or a continue (0xffff) is only logged; an
	// exit ends the command: its number is anyone's from now on.
	MOVL	-12(SP), BX
	MOVL	BX, CX
	ANDL	$0xff, CX
	CMPL	CX, $0x7f
	JEQ	write
	CMPL	BX, $0xffff
	JEQ	write
	MOVL	BX, ·reapMainStatus(SB)
	MOVL	$-1, ·reapMain(SB)
	MOVL	$0, ·relayDirect(SB)
	WRITE_RECORD
	JGE	next
	MOVL	$1, ·reapMainLost(SB)
	JMP	next
write:
	WRITE_RECORD
	JMP	next
failed:
	CMPQ	AX, $-4 // EINTR
	JEQ	next
	CMPQ	AX, $-10 // ECHILD: no child left, record pid 0
	JNE	done
	MOVQ	$0, -16(SP)
	WRITE_RECORD
	JGE	done
	MOVL	$1, ·reapGone(SB)
done:
	RET

// func reapAddr() uintptr
TEXT ·reapAddr(SB),NOSPLIT,$0-8
	MOVQ	$·reapchld(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// relaysig is catch's way out for a signal to relay while relayDirect is
// set (see relay.go): DI = the signal. It sends relayOut's answer for it
// to the command's pidfd with pidfd_send_signal, or nothing for a signal
// the table drops. ESRCH (the command just died) is not an error.
TEXT ·relaysig(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, R8
	LEAQ	·relayOut(SB), BX
	MOVBQZX	(BX)(DI*1), SI
	TESTQ	SI, SI
	JZ	drop
	MOVL	·relayPidfd(SB), DI
	XORL	DX, DX // no siginfo: the kernel fills in SI_USER from sexton
	XORL	R10, R10
	MOVL	$424, AX // SYS_pidfd_send_signal
	SYSCALL
	CMPQ	AX, $-38 // ENOSYS: a seccomp filter or an emulator without it
	JEQ	nosys
drop:
	RET
nosys:
	// Back to the loop, which sends by pid: this signal through catch's
	// pipe, as catch would have queued it, and every later one.
	MOVL	$0, ·relayDirect(SB)
	MOVB	R8, -8(SP)
	LEAQ	-8(SP), SI
	MOVL	·catchPipe(SB), DI
	MOVL	$1, DX
	MOVL	$1, AX // SYS_write
	SYSCALL
	RET
