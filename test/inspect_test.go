package test

import (
	"testing"

	"github.com/sexton-init/sexton/test/internal/procfs"
)

// childrenOf lists pid's children (from every thread's list).
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	kids, err := procfs.Children(pid)
	if err != nil {
		t.Fatal(err)
	}
	return kids
}

// procState is the one-letter state of pid (R, S, T, Z, ...).
func procState(t *testing.T, pid int) string {
	t.Helper()
	st, err := procfs.ReadStat(pid)
	if err != nil {
		t.Fatalf("state of %d: %v", pid, err)
	}
	return st.State
}

// pidNS names the PID namespace of pid (the target of /proc/pid/ns/pid).
func pidNS(t *testing.T, pid int) string {
	t.Helper()
	ns, err := procfs.PIDNamespace(pid)
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
	stats, err := procfs.InPIDNamespace(ns)
	if err != nil {
		return nil, err
	}
	procs := make(map[int]string, len(stats))
	for pid, st := range stats {
		procs[pid] = st.State
	}
	return procs, nil
}

// afterExit checks, once sexton has exited, that no process is left in the
// PID namespace ns: no zombie, nothing still running.
func afterExit(t *testing.T, ns string) {
	t.Helper()
	if left := namespaceProcs(t, ns); len(left) != 0 {
		t.Errorf("processes left in the namespace after sexton exited: %v", left)
	}
}

// vmRSS is pid's resident set in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	st, err := procfs.ReadStatus(pid)
	if err != nil {
		t.Fatal(err)
	}
	return st.VmRSS
}
