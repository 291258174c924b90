package main

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// units are coreutils timeout's suffixes for a number of seconds.
var units = [...]struct {
	suffix byte
	unit   time.Duration
}{{'s', time.Second}, {'m', time.Minute}, {'h', time.Hour}, {'d', 24 * time.Hour}}

// parseDuration reads a number of seconds (90, 0.5) with an optional
// coreutils suffix s, m, h or d, as timeout(1) takes it, or else a Go
// duration (500ms, 2h30m) as time.ParseDuration takes it. Negative,
// non-finite and overflowing values are errors; name is the option or
// variable, for the message.
func parseDuration(name, s string) (time.Duration, error) {
	bad := func(why string) error {
		return usageError("invalid duration " + strconv.Quote(s) + " for " + name + why +
			"; use a Go duration such as 90s, 1.5m or 2h30m, or seconds such as 90 or 0.5")
	}
	num, unit := s, time.Second
	if n := len(s); n > 1 {
		for _, u := range units {
			if s[n-1] == u.suffix {
				num, unit = s[:n-1], u.unit
			}
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && num != s {
		// Not a number before the suffix ("500ms", "2h30m"): one more
		// try as a plain number, then as a Go duration.
		num, unit = s, time.Second
		f, err = strconv.ParseFloat(num, 64)
	}
	// ErrRange: f is ±Inf or 0, which the checks below judge.
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			return 0, bad("")
		case d < 0:
			return 0, bad(" (negative)")
		}
		return d, nil
	}
	switch {
	case math.IsNaN(f):
		return 0, bad("")
	case f < 0:
		return 0, bad(" (negative)")
	case f*float64(unit) >= math.MaxInt64:
		return 0, bad(" (too long)")
	}
	return time.Duration(f * float64(unit)), nil
}
