package test

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines collects a stream line by line, so a test can wait for one.
type lines struct {
	mu   sync.Mutex
	all  []string
	next int
	more chan struct{} // gets a token whenever a line arrives or the stream ends
	eof  bool
	done chan struct{} // closed at the end of the stream
}

func newLines(r io.Reader) *lines {
	l := &lines{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		// Exits when the stream ends, which Cleanup guarantees.
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l.mu.Lock()
			l.all = append(l.all, strings.TrimRight(sc.Text(), "\r"))
			l.mu.Unlock()
			l.poke()
		}
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		l.mu.Lock()
		l.eof = true
		l.mu.Unlock()
		close(l.done)
		l.poke()
	}()
	return l
}

func (l *lines) poke() {
	select {
	case l.more <- struct{}{}:
	default:
	}
}

// expect returns the next line for which match is true, failing the test if
// none comes within the timeout. Lines it passes over are consumed.
func (l *lines) expect(t *testing.T, what string, match func(string) bool) string {
	t.Helper()
	return l.expectWithin(t, timeout, what, match)
}

// expectWithin is expect with its own bound, for waits that scale with the
// work (a soak run's million orphans).
func (l *lines) expectWithin(t *testing.T, timeout time.Duration, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for l.next < len(l.all) {
			s := l.all[l.next]
			l.next++
			if match(s) {
				l.mu.Unlock()
				return s
			}
		}
		eof := l.eof
		l.mu.Unlock()
		if eof {
			t.Fatalf("stream ended before %s; lines so far:\n%s", what, l.dump())
		}
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("no %s within %v; lines so far:\n%s", what, timeout, l.dump())
		}
	}
}

// expectPrefix waits for a line that starts with prefix.
func (l *lines) expectPrefix(t *testing.T, prefix string) string {
	t.Helper()
	return l.expect(t, fmt.Sprintf("line starting %q", prefix), func(s string) bool {
		return strings.HasPrefix(s, prefix)
	})
}

// expectEach waits until each of want has come, in any order (several
// processes that print at once), consuming the lines in between.
func (l *lines) expectEach(t *testing.T, what string, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	l.expect(t, what, func(s string) bool {
		delete(missing, s)
		return len(missing) == 0
	})
}

// nextLine returns the next line, whatever it is.
func (l *lines) nextLine(t *testing.T, what string) string {
	t.Helper()
	return l.expect(t, what, func(string) bool { return true })
}

// seen returns every line so far (consumed or not).
func (l *lines) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

func (l *lines) dump() string {
	all := l.seen()
	if len(all) > 60 {
		all = append(all[:30:30], append([]string{"..."}, all[len(all)-30:]...)...)
	}
	return "  " + strings.Join(all, "\n  ")
}

// fields parses "k=v k=v" words of a fixture line into a map.
func fields(line string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			m[k] = v
		}
	}
	return m
}
