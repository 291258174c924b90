package test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// childrenOf lists pid's children. Each thread has its own list (a child
// belongs to the thread that forked it), so read them all.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(files) == 0 {
		t.Fatalf("children of %d: no /proc/%d/task/*/children", pid, pid)
	}
	var kids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		for _, w := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(w)
			kids = append(kids, n)
		}
	}
	return kids
}

// procState is the one-letter state of pid (R, S, T, Z, ...).
func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("state of %d: %v", pid, err)
	}
	// The command name in parentheses may hold spaces; the state follows
	// the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	return strings.Fields(rest)[0]
}

// pidNS names the PID namespace of pid (the target of /proc/pid/ns/pid).
func pidNS(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatalf("pid namespace of %d: %v", pid, err)
	}
	return ns
}

// namespaceProcs lists the host pids of every process in the PID namespace
// ns, with their states.
func namespaceProcs(t *testing.T, ns string) map[int]string {
	t.Helper()
	procs, err := procsIn(ns)
	if err != nil {
		t.Fatal(err)
	}
	return procs
}

// procsIn is namespaceProcs for a goroutine that cannot fail the test.
func procsIn(ns string) (map[int]string, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	procs := map[int]string{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// A process can exit while we look: skip what vanished.
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || other != ns {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		procs[pid] = strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))[0]
	}
	return procs, nil
}
