package procfs

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		in      string
		want    Stat
		wantErr string // substring of the error; "" means none
	}{
		{"42 (sexton) S 1 42 42 0 -1", Stat{"sexton", "S", 1}, ""},
		{"7 (a b) c) Z 3 7 7", Stat{"a b) c", "Z", 3}, ""},
		{"7 () R 0", Stat{"", "R", 0}, ""},
		{"7 sexton S 1", Stat{}, "no (name)"},
		{"7 (sexton)", Stat{}, "no state and ppid"},
		{"7 (sexton) S x", Stat{}, "ppid"},
	}
	for _, tt := range tests {
		got, err := parseStat([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStat(%q) err = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in      string
		want    Status
		wantErr string
	}{
		{"Name:\tsexton\nVmRSS:\t    1234 kB\nRssAnon:\t  567 kB\nThreads:\t3\n", Status{1234, 3, 567}, ""},
		{"Threads:\t1\nVmRSS:\t8 kB", Status{8, 1, 0}, ""},
		{"VmRSS:\t8 kB\nRssAnon:\tsome kB\nThreads:\t1\n", Status{}, "RssAnon"},
		{"Name:\tzombie\nThreads:\t1\n", Status{}, "no VmRSS"},
		{"VmRSS:\tlots kB\nThreads:\t1\n", Status{}, "VmRSS"},
	}
	for _, tt := range tests {
		got, err := parseStatus([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStatus(%q) err = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseStatus(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// The readers against this process and a child of its own.
func TestSelf(t *testing.T) {
	st, err := ReadStat(os.Getpid())
	// /proc/PID/stat's state is the main thread's, which sleeps while a
	// test goroutine runs on another thread: R or S, never anything else.
	if err != nil || (st.State != "R" && st.State != "S") || st.PPID != os.Getppid() || st.Name != "procfs.test" {
		t.Errorf("ReadStat(self) = %+v, %v; want state R or S, name procfs.test, ppid %d", st, err, os.Getppid())
	}
	status, err := ReadStatus(os.Getpid())
	if err != nil || status.VmRSS <= 0 || status.Threads < 1 {
		t.Errorf("ReadStatus(self) = %+v, %v; want VmRSS > 0, Threads >= 1", status, err)
	}
	ns, err := PIDNamespace(os.Getpid())
	if err != nil || !strings.HasPrefix(ns, "pid:[") {
		t.Errorf("PIDNamespace(self) = %q, %v; want pid:[...]", ns, err)
	}
	procs, err := InPIDNamespace(ns)
	if _, ok := procs[os.Getpid()]; err != nil || !ok {
		t.Errorf("InPIDNamespace(%q) = %d processes, %v; want one of them us", ns, len(procs), err)
	}

	// cat blocks on its stdin until the pipe closes.
	cmd := exec.Command("cat")
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer w.Close()
	kids, err := Children(os.Getpid())
	if err != nil || !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children(self) = %v, %v; want it to hold %d", kids, err, cmd.Process.Pid)
	}
	if _, err := Children(-1); err == nil {
		t.Errorf("Children(-1) err = nil; want an error")
	}
}
