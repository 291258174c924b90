package forward_test

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    unix.Signal
		wantErr string // substring of the error; "" means none
	}{
		{"TERM", unix.SIGTERM, ""},
		{"SIGTERM", unix.SIGTERM, ""},
		{"term", unix.SIGTERM, ""},
		{"sigTerm", unix.SIGTERM, ""},
		{"15", unix.SIGTERM, ""},
		{"1", unix.SIGHUP, ""},
		{"64", 64, ""},
		{"URG", unix.SIGURG, ""},
		{"IOT", unix.SIGABRT, ""},
		{"CLD", unix.SIGCHLD, ""},
		{"POLL", unix.SIGIO, ""},
		{"RTMIN", 34, ""},
		{"RTMIN+3", 37, ""},
		{"SIGRTMIN+30", 64, ""},
		{"rtmax", 64, ""},
		{"SIGRTMAX-2", 62, ""},
		{"RTMAX-30", 34, ""},
		{"TREM", 0, `unknown signal "TREM"`},
		{"", 0, "empty signal name"},
		{"0", 0, "out of range"},
		{"65", 0, "out of range"},
		{"-1", 0, "out of range"},
		{"RTMIN+31", 0, "unknown signal"},
		{"RTMIN-1", 0, "unknown signal"},
		{"RTMAX+1", 0, "unknown signal"},
		{"RTMIN+", 0, "unknown signal"},
		{"RTMIN+x", 0, "unknown signal"},
		{"SIG", 0, "unknown signal"},
		{"1x", 0, "unknown signal"},
	}
	for _, tt := range tests {
		got, err := forward.ParseSignal(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSignal(%q) err = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNameRoundTrip(t *testing.T) {
	for sig := unix.Signal(1); sig <= forward.RTMax; sig++ {
		name := forward.Name(sig)
		got, err := forward.ParseSignal(name)
		if err != nil || got != sig {
			t.Errorf("ParseSignal(Name(%d) = %q) = %v, %v; want %d", sig, name, got, err, sig)
		}
	}
	for sig, want := range map[unix.Signal]string{
		unix.SIGTERM: "SIGTERM", 32: "SIG32", 33: "SIG33", 34: "SIGRTMIN",
		37: "SIGRTMIN+3", 49: "SIGRTMIN+15", 50: "SIGRTMAX-14", 62: "SIGRTMAX-2", 64: "SIGRTMAX",
	} {
		if got := forward.Name(sig); got != want {
			t.Errorf("Name(%d) = %q; want %q", sig, got, want)
		}
	}
}

func TestRelayed(t *testing.T) {
	never := map[unix.Signal]bool{
		unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGCHLD: true, 32: true, 33: true,
	}
	for _, sig := range []unix.Signal{unix.SIGPROF, 34} {
		if ok, _ := forward.Relayable(sig); !ok {
			t.Errorf("Relayable(%d) = false; want true", sig)
		}
	}
	got := forward.Relayed()
	if len(got) != 64-len(never) {
		t.Errorf("len(Relayed()) = %d; want %d", len(got), 64-len(never))
	}
	for _, sig := range got {
		if never[sig] {
			t.Errorf("Relayed() includes %v", forward.Name(sig))
		}
	}
	for sig := range never {
		if ok, why := forward.Relayable(sig); ok || why == "" {
			t.Errorf("Relayable(%d) = %v, %q; want false and a reason", sig, ok, why)
		}
	}
	for _, sig := range []unix.Signal{0, 65, -1} {
		if ok, _ := forward.Relayable(sig); ok {
			t.Errorf("Relayable(%d) = true; want false", sig)
		}
	}
}

func TestTable(t *testing.T) {
	var tab forward.Table
	for sig := unix.Signal(1); sig <= forward.RTMax; sig++ {
		if got, ok := tab.Lookup(sig); !ok || got != sig {
			t.Errorf("zero Table.Lookup(%d) = %d, %v; want %d, true", sig, got, ok, sig)
		}
	}
	tab.Drop(unix.SIGURG)
	if _, ok := tab.Lookup(unix.SIGURG); ok {
		t.Errorf("Lookup(SIGURG) after Drop = relayed; want dropped")
	}
	if got, ok := tab.Lookup(unix.SIGTERM); !ok || got != unix.SIGTERM {
		t.Errorf("Lookup(SIGTERM) after Drop(SIGURG) = %d, %v; want SIGTERM", got, ok)
	}
	for _, sig := range []unix.Signal{0, 65} {
		tab.Drop(sig) // out of range: no effect, no panic
		if _, ok := tab.Lookup(sig); ok {
			t.Errorf("Lookup(%d) = relayed; want not", sig)
		}
	}
}

func TestParseRewrite(t *testing.T) {
	tests := []struct {
		in       string
		from, to unix.Signal
		wantErr  string
	}{
		{"TERM:QUIT", unix.SIGTERM, unix.SIGQUIT, ""},
		{"sigterm:int", unix.SIGTERM, unix.SIGINT, ""},
		{"15:2", unix.SIGTERM, unix.SIGINT, ""},
		{"WINCH:0", unix.SIGWINCH, 0, ""},
		{"winch:drop", unix.SIGWINCH, 0, ""},
		{"RTMIN+1:RTMAX", 35, 64, ""},
		{"TSTP:STOP", unix.SIGTSTP, unix.SIGSTOP, ""},
		{"TERM:KILL", unix.SIGTERM, unix.SIGKILL, ""},
		{"KILL:TERM", 0, 0, "cannot rewrite SIGKILL"},
		{"STOP:TERM", 0, 0, "cannot rewrite SIGSTOP"},
		{"CHLD:TERM", 0, 0, "cannot rewrite SIGCHLD"},
		{"33:TERM", 0, 0, "cannot rewrite SIG33"},
		{"TERM", 0, 0, "not FROM:TO"},
		{"TERM:", 0, 0, "not FROM:TO"},
		{":INT", 0, 0, "not FROM:TO"},
		{"TREM:INT", 0, 0, `unknown signal "TREM"`},
		{"TERM:65", 0, 0, "out of range"},
		{"TERM:INT:HUP", 0, 0, "unknown signal"},
	}
	for _, tt := range tests {
		from, to, err := forward.ParseRewrite(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRewrite(%q) err = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || from != tt.from || to != tt.to {
			t.Errorf("ParseRewrite(%q) = %v, %v, %v; want %v, %v", tt.in, from, to, err, tt.from, tt.to)
		}
	}
}

func TestTableSet(t *testing.T) {
	var tab forward.Table
	tab.Set(unix.SIGTERM, unix.SIGQUIT)
	tab.Set(unix.SIGWINCH, 0)
	tab.Set(70, 1) // ignored
	for _, c := range []struct {
		in   unix.Signal
		out  unix.Signal
		sent bool
	}{
		{unix.SIGTERM, unix.SIGQUIT, true},
		{unix.SIGWINCH, 0, false},
		{unix.SIGHUP, unix.SIGHUP, true},
	} {
		if out, ok := tab.Lookup(c.in); out != c.out || ok != c.sent {
			t.Errorf("Lookup(%d) = %d, %v; want %d, %v", c.in, out, ok, c.out, c.sent)
		}
	}
}

func FuzzParseRewrite(f *testing.F) {
	for _, s := range []string{"TERM:QUIT", "1:0", "RTMIN+2:drop", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := forward.ParseRewrite(s)
		if err == nil && (from < 1 || from > forward.RTMax || to < 0 || to > forward.RTMax) {
			t.Errorf("ParseRewrite(%q) = %d, %d without error", s, from, to)
		}
	})
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"TERM", "sigrtmin+3", "64", "RTMAX-99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := forward.ParseSignal(s)
		if err == nil && (sig < 1 || sig > forward.RTMax) {
			t.Errorf("ParseSignal(%q) = %d without error", s, sig)
		}
	})
}

// The relay path does one Lookup per signal; parsing runs at start-up.
func BenchmarkLookup(b *testing.B) {
	var t forward.Table
	t.Set(unix.SIGTERM, unix.SIGQUIT)
	for i := 0; b.Loop(); i++ {
		t.Lookup(unix.Signal(1 + i%64))
	}
}

func BenchmarkParseSignal(b *testing.B) {
	for b.Loop() {
		forward.ParseSignal("SIGRTMIN+3")
	}
}

func BenchmarkName(b *testing.B) {
	for b.Loop() {
		forward.Name(unix.SIGTERM)
	}
}
