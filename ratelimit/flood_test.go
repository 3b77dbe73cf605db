package ratelimit

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReserve(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ids := map[string]bool{}
			for i := range 3 {
				r, err := b.flood.Reserve(ctx, "1:203.0.113.9", 3, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if !r.Allowed || r.Count != i+1 || r.RetryAfter != 0 || r.ID == "" || ids[r.ID] {
					t.Fatalf("reservation %d = %+v", i+1, r)
				}
				ids[r.ID] = true
			}
			r, err := b.flood.Reserve(ctx, "1:203.0.113.9", 3, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if r.Allowed || r.Count != 3 || r.ID != "" {
				t.Fatalf("4th reservation = %+v, want refused with count 3", r)
			}
			within(t, "RetryAfter", r.RetryAfter, time.Hour, 2*time.Second)

			// The contact was merged, not created: its slot is free again.
			for id := range ids {
				if err := b.flood.Cancel(ctx, "1:203.0.113.9", id); err != nil {
					t.Fatal(err)
				}
				break
			}
			if r, err := b.flood.Reserve(ctx, "1:203.0.113.9", 3, time.Hour); err != nil || !r.Allowed || r.Count != 3 {
				t.Fatalf("after cancel: %+v, %v; want allowed with count 3", r, err)
			}
			// Unknown IDs and keys are ignored.
			if err := b.flood.Cancel(ctx, "1:203.0.113.9", "nope", ""); err != nil {
				t.Fatal(err)
			}
			if err := b.flood.Cancel(ctx, "never-seen", "nope"); err != nil {
				t.Fatal(err)
			}
			// Other keys (another tenant, another IP) are independent.
			if r, err := b.flood.Reserve(ctx, "2:203.0.113.9", 3, time.Hour); err != nil || !r.Allowed || r.Count != 1 {
				t.Fatalf("other key: %+v, %v", r, err)
			}
		})
	}
}

func TestReserveN(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			const key = "1:198.51.100.7"
			got, err := b.flood.ReserveN(ctx, key, 5, time.Hour, 3)
			if err != nil || got.Admitted != 3 || got.Count != 3 || len(got.IDs) != 3 || got.RetryAfter != 0 {
				t.Fatalf("ReserveN(3) = %+v, %v", got, err)
			}
			first := got.IDs
			got, err = b.flood.ReserveN(ctx, key, 5, time.Hour, 4)
			if err != nil || got.Admitted != 2 || got.Count != 5 || len(got.IDs) != 2 || got.RetryAfter <= 0 {
				t.Fatalf("ReserveN(4) over a limit of 5 = %+v, %v; want 2 admitted", got, err)
			}
			if peek, err := b.flood.ReserveN(ctx, key, 5, time.Hour, 0); err != nil || peek.Admitted != 0 || peek.Count != 5 {
				t.Fatalf("ReserveN(0) = %+v, %v; want count 5", peek, err)
			}
			if err := b.flood.Cancel(ctx, key, first...); err != nil {
				t.Fatal(err)
			}
			if peek, err := b.flood.ReserveN(ctx, key, 5, time.Hour, 0); err != nil || peek.Count != 2 {
				t.Fatalf("after cancelling 3: %+v, %v; want count 2", peek, err)
			}
			// A batch larger than one Lua chunk.
			big, err := b.flood.ReserveN(ctx, "big", 2500, time.Hour, 3000)
			if err != nil || big.Admitted != 2500 || big.Count != 2500 || len(big.IDs) != 2500 {
				t.Fatalf("big batch = admitted %d count %d ids %d, %v", big.Admitted, big.Count, len(big.IDs), err)
			}
			if err := b.flood.Cancel(ctx, "big", big.IDs[:2000]...); err != nil {
				t.Fatal(err)
			}
			if peek, _ := b.flood.ReserveN(ctx, "big", 2500, time.Hour, 0); peek.Count != 500 {
				t.Fatalf("after cancelling 2000 of 2500: count %d", peek.Count)
			}
		})
	}
}

func TestReserveInvalid(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			for _, tt := range []struct {
				max    int
				window time.Duration
				n      int
			}{{0, time.Hour, 1}, {5, 0, 1}, {5, time.Microsecond, 1}, {5, time.Hour, -1}} {
				if _, err := b.flood.ReserveN(ctx, "k", tt.max, tt.window, tt.n); !errors.Is(err, ErrInvalidLimit) {
					t.Errorf("ReserveN(%d, %v, %d) error = %v, want ErrInvalidLimit", tt.max, tt.window, tt.n, err)
				}
			}
		})
	}
}

func TestReserveConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, calls = 50, 4
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range calls {
						r, err := b.flood.Reserve(context.Background(), "k", 100, time.Hour)
						if err != nil {
							t.Error(err)
							return
						}
						if r.Allowed {
							admitted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if got := admitted.Load(); got != 100 {
				t.Fatalf("admitted %d of %d, want exactly 100", got, goroutines*calls)
			}
		})
	}
}

func TestMemoryFloodSliding(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f := NewMemoryFloodCounter(clock.Now)
	ctx := context.Background()
	reserve := func(want bool) Reservation {
		t.Helper()
		r, err := f.Reserve(ctx, "k", 2, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed != want {
			t.Fatalf("allowed = %v, want %v (%+v)", r.Allowed, want, r)
		}
		return r
	}
	reserve(true)
	clock.Advance(30 * time.Minute)
	reserve(true)
	clock.Advance(15 * time.Minute)
	if r := reserve(false); r.RetryAfter != 15*time.Minute || r.Count != 2 {
		t.Fatalf("refusal = %+v, want RetryAfter 15m, count 2", r)
	}
	// The first creation leaves the window exactly one hour after it.
	clock.Advance(15 * time.Minute)
	if r := reserve(true); r.Count != 2 {
		t.Fatalf("after the first left the window: %+v, want count 2", r)
	}
	if r := reserve(false); r.RetryAfter != 30*time.Minute {
		t.Fatalf("RetryAfter = %v, want 30m (until the second leaves)", r.RetryAfter)
	}
	// Unlike a fixed window, no burst at the edge: a full hour later both are gone.
	clock.Advance(time.Hour)
	reserve(true)
	reserve(true)
	reserve(false)

	// Idle keys are swept.
	m := f.(*memoryFlood)
	clock.Advance(2 * time.Hour)
	// Touch enough fresh keys that every shard is swept.
	for i := range 4096 {
		m.Reserve(ctx, "late"+strconv.Itoa(i), 1, time.Second)
	}
	if n := m.logs.len(); n > 4096 {
		t.Fatalf("%d flood logs kept after they expired", n)
	}
}

func TestRedisFloodExpiry(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	if rdb == nil {
		t.Skip(redisURLEnv + " not set")
	}
	ctx := context.Background()
	f := NewRedisFloodCounter(rdb, prefix)
	if _, err := f.Reserve(ctx, "k", 5, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ttl, err := rdb.PTTL(ctx, prefix+"k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 9*time.Second || ttl > 10*time.Second {
		t.Fatalf("PTTL = %v, want the window (10s)", ttl)
	}
	// Entries older than the window are dropped by the next call.
	if _, err := f.Reserve(ctx, "short", 1, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if r, err := f.Reserve(ctx, "short", 1, 20*time.Millisecond); err != nil || !r.Allowed || r.Count != 1 {
		t.Fatalf("after the window: %+v, %v", r, err)
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	}
	for _, tt := range tests {
		if got := IPKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("IPKey(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := IPKey(netip.Addr{}); got != "" {
		t.Errorf("IPKey(invalid) = %q, want empty", got)
	}
}
