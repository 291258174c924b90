// Package procfs reads what the tests and the bench learn about a process
// from /proc: its name, state and parent (/proc/PID/stat), its children
// (/proc/PID/task/TID/children), its resident memory and thread count
// (/proc/PID/status), and which processes share a PID namespace. It only
// reads; it never signals or waits.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is what /proc/PID/stat says of a process.
type Stat struct {
	Name  string // the command name (comm): at most 15 bytes, may hold spaces and ')'
	State string // one letter: R, S, D, T, Z, ...
	PPID  int
}

// ReadStat reads /proc/pid/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	st, err := parseStat(b)
	if err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return st, nil
}

// parseStat parses "PID (NAME) STATE PPID ...". The name may hold spaces
// and parentheses of its own, so it ends at the last ')'.
func parseStat(b []byte) (Stat, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, fmt.Errorf("no (name) in %q", b)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 2 {
		return Stat{}, fmt.Errorf("no state and ppid after the name in %q", b)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Stat{}, fmt.Errorf("ppid %q: %w", f[1], err)
	}
	return Stat{Name: string(b[open+1 : end]), State: f[0], PPID: ppid}, nil
}

// Children lists pid's children. Each thread has its own list (a child
// belongs to the thread that forked it), so it reads them all; a thread
// that exits meanwhile is skipped. The lists exist only on kernels built
// with CONFIG_PROC_CHILDREN: without them this fails rather than report
// no children.
func Children(pid int) ([]int, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err // ENOENT: pid is gone
	}
	var kids []int
	read := 0
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/children")
		if err != nil {
			continue // the thread exited
		}
		read++
		for _, w := range strings.Fields(string(b)) {
			kid, err := strconv.Atoi(w)
			if err != nil {
				return nil, fmt.Errorf("%s/%s/children: %w", dir, task.Name(), err)
			}
			kids = append(kids, kid)
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("children of %d: no %s/*/children could be read", pid, dir)
	}
	return kids, nil
}

// Status is what the tests and the bench read from /proc/PID/status.
type Status struct {
	VmRSS   int // resident set, KiB
	Threads int
	// RssAnon is the anonymous part of VmRSS, KiB: the process's own
	// memory, where the rest maps files (the binary, shared with the page
	// cache). 0 where the kernel has no such line.
	RssAnon int
}

// ReadStatus reads VmRSS, Threads and RssAnon from /proc/pid/status. A zombie has
// no VmRSS line: that is an error.
func ReadStatus(pid int) (Status, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Status{}, err
	}
	st, err := parseStatus(b)
	if err != nil {
		return Status{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return st, nil
}

// parseStatus reads the "VmRSS:  1234 kB", "Threads:  1" and
// "RssAnon:  567 kB" lines.
func parseStatus(b []byte) (Status, error) {
	var st Status
	var haveRSS, haveThreads bool
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		var err error
		switch k {
		case "VmRSS":
			st.VmRSS, err = strconv.Atoi(f[0])
			haveRSS = err == nil
		case "Threads":
			st.Threads, err = strconv.Atoi(f[0])
			haveThreads = err == nil
		case "RssAnon":
			st.RssAnon, err = strconv.Atoi(f[0])
		}
		if err != nil {
			return Status{}, fmt.Errorf("%s: %w", k, err)
		}
	}
	if !haveRSS || !haveThreads {
		return Status{}, fmt.Errorf("no VmRSS or no Threads line")
	}
	return st, nil
}

// PIDNamespace names the PID namespace of pid: the target of
// /proc/pid/ns/pid, such as "pid:[4026532281]".
func PIDNamespace(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
}

// InPIDNamespace lists every process whose PID namespace is ns, by its pid
// in ours. Processes come and go while it reads: one that vanishes is left
// out.
func InPIDNamespace(ns string) (map[int]Stat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	procs := map[int]Stat{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process: /proc/self, /proc/meminfo, ...
		}
		if other, err := PIDNamespace(pid); err != nil || other != ns {
			continue
		}
		st, err := ReadStat(pid)
		if err != nil {
			continue
		}
		procs[pid] = st
	}
	return procs, nil
}
