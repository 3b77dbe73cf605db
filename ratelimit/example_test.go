package ratelimit_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/contacthub/contacthub/ratelimit"
	"github.com/redis/go-redis/v9"
)

// A request quota per API key: 100 requests per minute, as the seeds ask.
func ExampleLimiter() {
	limit, err := ratelimit.ParseLimit("100/m")
	if err != nil {
		panic(err)
	}
	// Production uses NewRedis; the memory limiter has the same semantics.
	lim := ratelimit.NewMemory(nil)
	ctx := context.Background()

	var res ratelimit.Result
	for range 101 {
		res, _ = lim.Allow(ctx, "tenant-1:key-7", limit)
	}
	// What the middleware turns into X-Rate-Limit-* and Retry-After headers:
	fmt.Println(res.Allowed, res.Limit, res.Remaining, res.RetryAfter.Round(time.Second))
	// Output: false 100/m 0 1s
}

// A flood limit: at most 2 contacts created from one address per hour. The
// reservation of a submission that was merged into an existing contact is
// cancelled, so it does not count.
func ExampleFloodCounter() {
	flood := ratelimit.NewMemoryFloodCounter(nil)
	ctx := context.Background()
	key := "tenant-1:" + ratelimit.IPKey(netip.MustParseAddr("203.0.113.9"))

	first, _ := flood.Reserve(ctx, key, 2, time.Hour)
	merged, _ := flood.Reserve(ctx, key, 2, time.Hour)
	// ... the store merged the second submission into an existing contact:
	_ = flood.Cancel(ctx, key, merged.ID)
	third, _ := flood.Reserve(ctx, key, 2, time.Hour)
	fourth, _ := flood.Reserve(ctx, key, 2, time.Hour)

	fmt.Println(first.Allowed, third.Allowed, fourth.Allowed, fourth.Count, fourth.RetryAfter.Round(time.Minute))
	// Output: true true false 2 1h0m0s
}

// The wiring main does: Redis for global limits, memory when Redis is down.
func ExampleNewFallback() {
	// Nothing listens on port 1; without DialerRetries go-redis retries a
	// failed dial 5 times, 100ms apart.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	logger := slog.New(slog.DiscardHandler) // the server's logger

	lim := ratelimit.NewFallback(
		ratelimit.NewRedis(rdb, "contacthub:api:"),
		ratelimit.NewMemory(nil),
		false, logger,
	)
	res, err := lim.Allow(context.Background(), "tenant-1:key-7", ratelimit.PerMinute(100))
	fmt.Println(res.Allowed, res.Remaining, err, lim.Status().Healthy, lim.Status().Policy)
	// Output: true 99 <nil> false fallback
}
