// Command urgprobe counts the SIGURGs its own Go runtime sends it while it
// allocates hard (which makes the garbage collector preempt goroutines).
// The tests build it with and without the Makefile's link flags: with them
// the count must be 0, or sexton would relay SIGURGs nobody sent.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var sink [][]byte

func main() {
	c := make(chan os.Signal, 1<<16)
	signal.Notify(c, syscall.SIGURG)
	done := make(chan struct{})
	for range 2 {
		go func() {
			// Exits when main does.
			for {
				select {
				case <-done:
					return
				default:
				}
				sink = append(sink[:0], make([]byte, 4096))
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	close(done)
	signal.Stop(c)
	fmt.Println(len(c))
}
