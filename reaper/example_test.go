package reaper_test

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reaper"
)

// A Go program that is its own init: Run starts the command, relays
// signals, reaps every child and returns the command's exit code, with the
// command line's defaults. Nothing else in the program may wait for
// children (no os/exec Wait), or it would take statuses Run needs. (No
// Output: Run changes the whole process, once, so it does not run inside
// go test.)
func ExampleRun() {
	code, err := reaper.Run(reaper.Config{
		Argv: []string{"sh", "-c", "exit 3"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	os.Exit(code)
}

// Relay SIGTERM as SIGQUIT (nginx's graceful stop) and drop SIGWINCH;
// stop the command after a minute at most, SIGKILL 10 seconds after that;
// log each event to stderr.
func ExampleConfig() {
	cfg := reaper.Config{
		Argv:      []string{"nginx", "-g", "daemon off;"},
		Timeout:   time.Minute,
		KillAfter: 10 * time.Second,
		Log:       func(line string) { os.Stderr.WriteString("init: " + line + "\n") },
	}
	cfg.Table.Set(unix.SIGTERM, unix.SIGQUIT)
	cfg.Table.Set(unix.SIGWINCH, 0)
	code, err := reaper.Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	os.Exit(code)
}
