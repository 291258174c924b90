package forward_test

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

func ExampleParseSignal() {
	for _, s := range []string{"TERM", "sigusr1", "9", "RTMIN+3", "TREM"} {
		sig, err := forward.ParseSignal(s)
		fmt.Println(int(sig), forward.Name(sig), err)
	}
	// Output:
	// 15 SIGTERM <nil>
	// 10 SIGUSR1 <nil>
	// 9 SIGKILL <nil>
	// 37 SIGRTMIN+3 <nil>
	// 0 SIG0 unknown signal "TREM"; use a name such as TERM or SIGTERM, RTMIN+N, or a number 1-64
}

func ExampleTable() {
	var t forward.Table // relays everything unchanged
	from, to, _ := forward.ParseRewrite("TERM:QUIT")
	t.Set(from, to)
	from, to, _ = forward.ParseRewrite("WINCH:drop")
	t.Set(from, to)
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGWINCH, unix.SIGHUP} {
		out, ok := t.Lookup(sig)
		fmt.Println(forward.Name(sig), "->", forward.Name(out), ok)
	}
	// Output:
	// SIGTERM -> SIGQUIT true
	// SIGWINCH -> SIG0 false
	// SIGHUP -> SIGHUP true
}
