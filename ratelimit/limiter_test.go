package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAllowBurstThenRefuse(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			limit := PerMinute(10)
			for i := range 10 {
				res, err := b.limiter.Allow(ctx, "k", limit)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Allowed || res.Remaining != 9-i || res.RetryAfter != 0 || res.Limit != limit {
					t.Fatalf("request %d: %+v, want allowed with remaining %d", i+1, res, 9-i)
				}
				within(t, "ResetAfter", res.ResetAfter, time.Duration(i+1)*6*time.Second, time.Second)
			}
			res, err := b.limiter.Allow(ctx, "k", limit)
			if err != nil {
				t.Fatal(err)
			}
			if res.Allowed || res.Remaining != 0 {
				t.Fatalf("request 11: %+v, want refused", res)
			}
			within(t, "RetryAfter", res.RetryAfter, 6*time.Second, time.Second)
			within(t, "ResetAfter", res.ResetAfter, time.Minute, time.Second)

			// Another key has its own allowance.
			if res, err := b.limiter.Allow(ctx, "other", limit); err != nil || !res.Allowed {
				t.Fatalf("other key: %+v, %v", res, err)
			}
		})
	}
}

// TestAllowRemaining checks the X-Rate-Limit-Remaining numbers for limits
// whose emission interval is not a round number of seconds.
func TestAllowRemaining(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, limit := range []Limit{PerMinute(100), PerMinute(7), PerSecond(3), PerHour(600), {Rate: 1, Period: time.Hour}} {
				for i := range min(limit.Rate, 3) {
					res, err := b.limiter.Allow(context.Background(), limit.String(), limit)
					if err != nil {
						t.Fatal(err)
					}
					if !res.Allowed || res.Remaining != limit.Rate-1-i {
						t.Errorf("%v request %d: %+v, want remaining %d", limit, i+1, res, limit.Rate-1-i)
					}
				}
			}
		})
	}
}

func TestAllowInvalidLimit(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, l := range []Limit{{}, {Rate: 0, Period: time.Minute}, {Rate: 5, Period: 0}} {
				if _, err := b.limiter.Allow(context.Background(), "k", l); !errors.Is(err, ErrInvalidLimit) {
					t.Errorf("Allow(%+v) error = %v, want ErrInvalidLimit", l, err)
				}
			}
		})
	}
}

// TestAllowConcurrent is the property replicas rely on: however many callers
// race on one key, exactly Rate requests are admitted within a period.
func TestAllowConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, calls = 50, 6
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var allowed atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			start := time.Now()
			for range goroutines {
				wg.Go(func() {
					for range calls {
						res, err := b.limiter.Allow(context.Background(), "shared", PerMinute(100))
						if err != nil {
							errs <- err
							return
						}
						if res.Allowed {
							allowed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			// A request is earned back every 600ms: on a machine so loaded
			// that the calls took longer, those are legitimately admitted.
			earned := int64(time.Since(start) / (600 * time.Millisecond))
			if got := allowed.Load(); got < 100 || got > 100+earned {
				t.Fatalf("admitted %d of %d, want exactly 100 (+%d earned back)", got, goroutines*calls, earned)
			}
		})
	}
}

func TestMemoryRollover(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewMemory(clock.Now)
	ctx := context.Background()
	limit := PerMinute(60) // one per second after the burst

	allow := func(want bool) Result {
		t.Helper()
		res, err := l.Allow(ctx, "k", limit)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed != want {
			t.Fatalf("at +%v: allowed = %v, want %v (%+v)", clock.Now().Sub(newFakeClock().Now()), res.Allowed, want, res)
		}
		return res
	}
	for range 60 {
		allow(true)
	}
	res := allow(false)
	if res.RetryAfter != time.Second || res.ResetAfter != time.Minute {
		t.Fatalf("refusal = %+v, want RetryAfter 1s, ResetAfter 1m", res)
	}
	clock.Advance(999 * time.Millisecond)
	if res := allow(false); res.RetryAfter != time.Millisecond {
		t.Fatalf("RetryAfter = %v, want 1ms", res.RetryAfter)
	}
	clock.Advance(time.Millisecond)
	if res := allow(true); res.Remaining != 0 {
		t.Fatalf("Remaining = %d, want 0", res.Remaining)
	}
	allow(false)

	// Idle for the whole period: the full burst is back.
	clock.Advance(time.Minute)
	if res := allow(true); res.Remaining != 59 || res.ResetAfter != time.Second {
		t.Fatalf("after a period: %+v, want Remaining 59, ResetAfter 1s", res)
	}

	// A clock that goes backwards neither panics nor hands out extra requests.
	clock.Advance(-time.Hour)
	for range 200 {
		if res, _ := l.Allow(ctx, "k", limit); res.Allowed && res.Remaining > 58 {
			t.Fatalf("clock went back and the key got a fresh burst: %+v", res)
		}
	}
}

func TestMemoryEviction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("expired keys are swept", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		m := NewMemory(clock.Now).(*memoryLimiter)
		for i := range 20_000 {
			if _, err := m.Allow(ctx, "k"+strconv.Itoa(i), PerSecond(10)); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(sweepEvery + time.Second)
		for i := range 4096 { // enough fresh keys that every shard is swept
			m.Allow(ctx, "late"+strconv.Itoa(i), PerSecond(10))
		}
		if n := m.tats.len(); n > 4096 {
			t.Fatalf("%d keys kept after 20000 expired, want at most 4096", n)
		}
	})

	t.Run("cap holds under a key flood", func(t *testing.T) {
		t.Parallel()
		m := NewMemory(newFakeClock().Now, WithMaxKeys(numShards*100)).(*memoryLimiter)
		for i := range 50_000 {
			m.Allow(ctx, "k"+strconv.Itoa(i), PerHour(10))
		}
		if n := m.tats.len(); n > numShards*100 {
			t.Fatalf("%d keys kept, cap is %d", n, numShards*100)
		}
	})
}
