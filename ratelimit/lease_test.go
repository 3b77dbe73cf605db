package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMaxLease(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		limit Limit
		want  int
	}{
		{PerMinute(100), 1}, {PerMinute(5999), 1}, {PerSecond(99), 1}, {PerMinute(6000), 2},
		{PerSecond(100), 2}, {PerSecond(1000), 20}, {PerSecond(1_000_000), leaseCap},
	} {
		if got := maxLease(c.limit); got != c.want {
			t.Errorf("maxLease(%s) = %d, want %d", c.limit, got, c.want)
		}
	}
}

// TestLeaseReplicas: two replicas leasing from one Redis key under concurrent
// requests admit at most the quota plus LeaseWindow's share of it over the time
// the requests took, and most of the burst.
func TestLeaseReplicas(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	if rdb == nil {
		t.Skip(redisURLEnv + " not set")
	}
	limit := PerSecond(1000)
	replicas := []Limiter{NewRedis(rdb, prefix), NewRedis(rdb, prefix)}
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 16 {
		wg.Go(func() {
			for range 150 {
				res, err := replicas[g%2].Allow(context.Background(), "shared", limit)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	most := int64(limit.Rate) + int64((elapsed+LeaseWindow)/limit.emission())
	got := allowed.Load()
	t.Logf("admitted %d of %d in %s (at most %d)", got, got+refused.Load(), elapsed, most)
	if got > most {
		t.Fatalf("admitted %d in %s, more than the quota's %d plus the lease window's share", got, elapsed, most)
	}
	if got < int64(limit.Rate)/2 {
		t.Fatalf("admitted %d, want most of the burst of %d", got, limit.Rate)
	}
}

// TestLeaseLocal: a leased quota is taken from Redis in growing leases and
// admitted locally; a lease's remainder is dropped after LeaseWindow and the next
// lease shrinks to what was used; the remaining count includes the unused leased
// requests; a low quota is decided by Redis request by request.
func TestLeaseLocal(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	if rdb == nil {
		t.Skip(redisURLEnv + " not set")
	}
	clock := newFakeClock()
	r := NewRedis(rdb, prefix).(*redisLimiter)
	r.now = clock.Now
	ctx := context.Background()
	limit := PerSecond(1000) // leases of up to 20
	allow := func(n int) Result {
		t.Helper()
		var res Result
		for range n {
			var err error
			if res, err = r.Allow(ctx, "k", limit); err != nil {
				t.Fatal(err)
			}
			if !res.Allowed {
				t.Fatalf("refused: %+v", res)
			}
		}
		return res
	}
	// Leases of 1, 2, 4, 8, 16, 20, 20: 71 requests.
	allow(1 + 2 + 4 + 8 + 16 + 20 + 20)
	l := r.leases.get("k", clock.Now())
	if l.size != 20 || l.tokens != 0 {
		t.Fatalf("after 71 requests: lease size %d with %d left, want 20 and 0", l.size, l.tokens)
	}
	res := allow(5)
	if l.tokens != 15 {
		t.Fatalf("5 of a lease of 20 used: %d left, want 15", l.tokens)
	}
	// Redis counted the whole lease: 1000 - 91 remain there (more as time
	// passes), plus 15 here.
	if res.Remaining < 1000-91+15-1 || res.Remaining > 999 {
		t.Fatalf("remaining %d, want at least %d", res.Remaining, 1000-91+15-1)
	}
	clock.Advance(LeaseWindow)
	allow(1)
	if l.size != 5 || l.tokens != 4 {
		t.Fatalf("after a dropped remainder: lease size %d with %d left, want 5 and 4", l.size, l.tokens)
	}

	// A quota of 100 per minute: no lease, each request asks Redis.
	low := PerMinute(100)
	for i := range 3 {
		res, err := r.Allow(ctx, "low", low)
		if err != nil {
			t.Fatal(err)
		}
		if res.Remaining != 100-1-i {
			t.Fatalf("request %d at 100/m: remaining %d, want %d", i, res.Remaining, 100-1-i)
		}
	}
	if n := len(r.leases.m); n != 1 {
		t.Fatalf("%d keys leased, want 1 (the low quota is not leased)", n)
	}
}
