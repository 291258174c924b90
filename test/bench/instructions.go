package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

var flagInstructions = flag.Bool("instructions", false, "instead of the timed table, count the user-space instructions per reaped orphan and per relayed signal (valgrind), for tini, sexton and each -variant")

// The instructions are counted by valgrind's cachegrind without its cache
// simulation (--cache-sim=no): the same Ir count as callgrind, which
// aborts (an assertion in vgCallgrind_post_signal, valgrind 3.19) at the
// first signal a Go program with its own handler catches. Instructions do not move with the machine's load as CPU time does. Each
// figure is the difference between two runs of the same init that differ
// only in the number of orphans (or signals), divided by that difference,
// so start-up and shutdown cancel out.
const (
	cgOrphans0, cgOrphans1 = 100, 10100
	cgSignals0, cgSignals1 = 0, 1000
)

// instructionTable prints, for each init, instructions per reap and per
// relayed signal.
func instructionTable(inits []initSpec) {
	dir, err := os.MkdirTemp("", "bench-instructions-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	fmt.Println("| init | instructions/reap | instructions/relayed signal |")
	fmt.Println("|---|--:|--:|")
	for _, in := range inits {
		if in.name == "dumb-init" || in.name == "catatonit" || in.floor {
			continue
		}
		run := func(what string, n int) float64 {
			out := filepath.Join(dir, fmt.Sprintf("%s.%s.%d", in.name, what, n))
			vg := in
			vg.argv = append([]string{"valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=" + out}, in.argv...)
			logf("instructions: %s %s %d", in.name, what, n)
			if what == "orphans" {
				p, _, err := runOrphans(vg, n, 1)
				if err != nil {
					fatalf("%v", err)
				}
				p.stop()
			} else if _, err := runSignals(vg, n); err != nil {
				// valgrind 3.19 has no pidfd_send_signal: a build
				// that cannot fall back to kill(2) relays nothing.
				logf("%v", err)
				return -1
			}
			return instructionTotal(out)
		}
		reap := (run("orphans", cgOrphans1) - run("orphans", cgOrphans0)) / (cgOrphans1 - cgOrphans0)
		// runSignals sends 10 unmeasured signals before n measured ones.
		sig := "–"
		if s1, s0 := run("signals", cgSignals1), run("signals", cgSignals0); s1 >= 0 && s0 >= 0 {
			sig = fmt.Sprintf("%.0f", (s1-s0)/(cgSignals1-cgSignals0))
		}
		fmt.Printf("| %s | %.0f | %s |\n", in.name, reap, sig)
	}
}

// instructionTotal is the instruction count (Ir) of one cachegrind profile.
func instructionTotal(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		fatalf("%v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, key := range []string{"summary: ", "totals: "} {
			if v, ok := strings.CutPrefix(line, key); ok {
				f, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
				if err == nil {
					return f
				}
			}
		}
	}
	fatalf("%s: no totals", path)
	return 0
}
