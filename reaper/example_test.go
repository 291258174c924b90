package reaper_test

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/forward"
	"github.com/sexton-init/sexton/reaper"
)

// A Go program that is its own init: Run starts the command, relays
// signals, reaps every child and returns the command's exit code. Nothing
// else in the program may wait for children (no os/exec Wait), or it would
// take statuses Run needs.
func ExampleRun() {
	code, err := reaper.Run(reaper.Config{
		Argv: []string{"sh", "-c", "exit 3"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	fmt.Println("exit code", code)
	// Output: exit code 3
}

// Relay SIGTERM as SIGQUIT (nginx's graceful stop) and drop SIGWINCH;
// stop the command after a minute at most, SIGKILL 5 seconds after that.
func ExampleConfig() {
	var table forward.Table
	table.Set(unix.SIGTERM, unix.SIGQUIT)
	table.Set(unix.SIGWINCH, 0)
	cfg := reaper.Config{
		Argv:      []string{"sh", "-c", "exit 0"},
		Table:     &table,
		Timeout:   time.Minute,
		KillAfter: 5 * time.Second,
	}
	code, err := reaper.Run(cfg)
	fmt.Println(code, err)
	// Output: 0 <nil>
}
