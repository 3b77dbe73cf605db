package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store"
)

// Clock is a clock a test sets: it stands still until Advance moves it, so a test
// that needs time to pass (updated_since, a new `changed`, expiry, staleness) moves it
// instead of sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// OpenWithClock opens a store of its own on the package's database whose clock is
// c: what it writes carries c's times. It is closed when the test ends. Use a tenant
// of its own (NewTenant) so other tests' stores are not confused by its times.
func OpenWithClock(t testing.TB, c *Clock) *store.Store {
	t.Helper()
	cfg := Config(t)
	cfg.Now = c.Now
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
