// Package forward says which signals sexton can relay to its command and
// under what name. It is data and pure functions: it starts no goroutine and
// sends no signal, so all of it is tested without a process.
//
// sexton relays every signal 1..64 that reaches it, each time it arrives,
// except:
//   - SIGKILL and SIGSTOP, which no process can catch;
//   - SIGCHLD, which tells sexton about its own children;
//   - 32 and 33, glibc's SIGCANCEL and SIGSETXID, which no glibc program
//     can catch either (33 is also the Go runtime's own).
//
// Which of the relayable signals a running sexton catches is the reaper
// package's decision (it leaves out those inherited as ignored, and SIGURG
// when the Go runtime may raise it at itself). A standard signal sent again
// while pending merges, as in the kernel; real-time signals are queued and
// relayed one by one.
//
// A [Table] maps each relayed signal to the one the command gets, or to
// nothing (the signal is dropped).
package forward

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RTMin and RTMax are the real-time signal bounds that RTMIN+N and RTMAX-N
// count from. RTMin is glibc's value (the kernel's 32 and 33 belong to the
// thread library), so "RTMIN+3" means the same here as in bash's kill.
const (
	RTMin unix.Signal = 34
	RTMax unix.Signal = 64
)

// aliases are the older names that kill(1) and the peers also accept.
var aliases = map[string]unix.Signal{
	"SIGIOT":  unix.SIGABRT,
	"SIGCLD":  unix.SIGCHLD,
	"SIGPOLL": unix.SIGIO,
}

// ParseSignal reads a signal given as a name with or without the SIG prefix
// in any case (TERM, sigterm), a number 1..64 (also as SIG32, the form
// [Name] gives), or RTMIN+N / RTMAX-N.
func ParseSignal(s string) (unix.Signal, error) {
	if s == "" {
		return 0, errors.New("empty signal name; use a name such as TERM or a number 1-64")
	}
	num := s
	if len(s) > 3 && strings.EqualFold(s[:3], "SIG") {
		num = s[3:]
	}
	if n, err := strconv.Atoi(num); err == nil {
		if n < 1 || n > int(RTMax) {
			return 0, errors.New("signal number " + strconv.Itoa(n) + " out of range; use 1-64")
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig, ok := parseRT(name); ok {
		return sig, nil
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	if sig, ok := aliases[name]; ok {
		return sig, nil
	}
	return 0, errors.New("unknown signal " + strconv.Quote(s) + "; use a name such as TERM or SIGTERM, RTMIN+N, or a number 1-64")
}

// parseRT reads SIGRTMIN, SIGRTMAX, SIGRTMIN+N and SIGRTMAX-N (name is
// already upper case with the SIG prefix).
func parseRT(name string) (unix.Signal, bool) {
	var base unix.Signal
	var rest string
	var sign int
	switch {
	case strings.HasPrefix(name, "SIGRTMIN"):
		base, rest, sign = RTMin, name[len("SIGRTMIN"):], +1
	case strings.HasPrefix(name, "SIGRTMAX"):
		base, rest, sign = RTMax, name[len("SIGRTMAX"):], -1
	default:
		return 0, false
	}
	if rest == "" {
		return base, true
	}
	if (sign > 0 && rest[0] != '+') || (sign < 0 && rest[0] != '-') {
		return 0, false
	}
	n, err := strconv.Atoi(rest[1:])
	if err != nil || n < 0 || n > int(RTMax-RTMin) {
		return 0, false
	}
	return base + unix.Signal(sign*n), true
}

// Name gives the conventional name of sig: SIGTERM, SIGRTMIN+3, SIGRTMAX-2,
// or SIG32 for the two numbers below glibc's SIGRTMIN.
func Name(sig unix.Signal) string {
	switch {
	case sig == RTMin:
		return "SIGRTMIN"
	case sig == RTMax:
		return "SIGRTMAX"
	case sig > RTMin && sig <= RTMin+15:
		return "SIGRTMIN+" + strconv.Itoa(int(sig-RTMin))
	case sig > RTMin+15 && sig < RTMax:
		return "SIGRTMAX-" + strconv.Itoa(int(RTMax-sig))
	}
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "SIG" + strconv.Itoa(int(sig))
}

// Relayable reports whether sexton can relay sig at all; when it cannot,
// why says so in a phrase fit for an error message.
func Relayable(sig unix.Signal) (ok bool, why string) {
	switch {
	case sig < 1 || sig > RTMax:
		return false, "not a signal number"
	case sig == unix.SIGKILL || sig == unix.SIGSTOP:
		return false, "cannot be caught by any process"
	case sig == unix.SIGCHLD:
		return false, "is how sexton learns of its children's exits"
	case sig == 32:
		return false, "is glibc's own (SIGCANCEL), which no glibc program can catch"
	case sig == 33:
		return false, "is glibc's own (SIGSETXID) and the Go runtime's"
	}
	return true, ""
}

// Relayed lists every signal that [Relayable] accepts, in increasing order.
func Relayed() []unix.Signal {
	sigs := make([]unix.Signal, 0, RTMax)
	for sig := unix.Signal(1); sig <= RTMax; sig++ {
		if ok, _ := Relayable(sig); ok {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// Table says, for each signal that reaches sexton, which signal the command
// gets. The zero Table relays every signal unchanged. It is indexed by signal
// number, like dumb-init's rewrite array, so a lookup is one load.
type Table struct {
	// out[sig] is 0 for "unchanged", -1 for "drop", else the signal to send.
	out [RTMax + 1]int8
}

// Set makes the table relay from as to; to == 0 drops from. Signals out of
// 1..64 are ignored: [ParseRewrite] rejects them before they get here.
func (t *Table) Set(from, to unix.Signal) {
	if from < 1 || from > RTMax || to < 0 || to > RTMax {
		return
	}
	if to == 0 {
		t.out[from] = -1
		return
	}
	t.out[from] = int8(to)
}

// ParseRewrite reads a rewrite rule FROM:TO as --rewrite takes it: FROM is
// a signal sexton can receive and relay, TO any signal, or 0 or "drop" to
// drop FROM.
func ParseRewrite(s string) (from, to unix.Signal, err error) {
	f, t, ok := strings.Cut(s, ":")
	if !ok || f == "" || t == "" {
		return 0, 0, errors.New("rewrite " + strconv.Quote(s) + " is not FROM:TO; write it like TERM:QUIT, or TERM:0 to drop TERM")
	}
	if from, err = ParseSignal(f); err != nil {
		return 0, 0, err
	}
	if ok, why := Relayable(from); !ok {
		return 0, 0, errors.New("cannot rewrite " + Name(from) + ": it " + why)
	}
	if t == "0" || strings.EqualFold(t, "drop") {
		return from, 0, nil
	}
	if to, err = ParseSignal(t); err != nil {
		return 0, 0, err
	}
	return from, to, nil
}

// Drop makes the table drop sig: the command never gets it.
func (t *Table) Drop(sig unix.Signal) { t.Set(sig, 0) }

// Lookup gives the signal to send for an incoming sig, and false if sig is
// to be dropped.
func (t *Table) Lookup(sig unix.Signal) (unix.Signal, bool) {
	if sig < 1 || sig > RTMax {
		return 0, false
	}
	switch o := t.out[sig]; {
	case o < 0:
		return 0, false
	case o > 0:
		return unix.Signal(o), true
	}
	return sig, true
}
