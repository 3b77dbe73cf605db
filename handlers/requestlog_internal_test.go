package handlers

import (
	"testing"
	"time"
)

// TestAuthFailureLogInterval: one line per key and interval, the lines held back
// reported with the next; a full table logs no new keys until its entries age.
func TestAuthFailureLogInterval(t *testing.T) {
	t.Parallel()
	l := newAuthFailureLog(time.Minute, 2)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key        string
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{"a", 0, true, 0},
		{"a", time.Second, false, 0},
		{"a", 59 * time.Second, false, 0},
		{"b", 59 * time.Second, true, 0},
		{"c", 59 * time.Second, false, 0}, // table full, both entries recent
		{"a", time.Minute, true, 2},
		{"c", 2 * time.Minute, true, 0}, // b aged out
		{"c", 2*time.Minute + time.Second, false, 0},
	}
	for i, s := range steps {
		ok, suppressed := l.allow(s.key, t0.Add(s.at))
		if ok != s.ok || suppressed != s.suppressed {
			t.Errorf("step %d (%s at %v): allow = %v, %d; want %v, %d", i, s.key, s.at, ok, suppressed, s.ok, s.suppressed)
		}
	}
}
