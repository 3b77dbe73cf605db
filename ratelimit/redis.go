package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// redisLimiter delegates to redis_rate: one EVALSHA per decision running the
// GCRA script atomically on the Redis server, timed by the server's clock, so
// the limit is exact however many replicas share the key. Quotas above 100 per
// second are leased to the replica a few requests at a time (lease.go).
type redisLimiter struct {
	rdb    redis.UniversalClient
	rl     *redis_rate.Limiter
	prefix string
	leases leases
	now    func() time.Time
}

// NewRedis returns a Limiter whose state lives in Redis. Keys are stored as
// "rate:" + prefix + key (redis_rate adds "rate:"); choose a prefix per
// deployment and purpose, e.g. "contacthub:api:". Keys expire on their own
// once they are back at full burst.
func NewRedis(rdb redis.UniversalClient, prefix string) Limiter {
	return &redisLimiter{rdb: rdb, rl: redis_rate.NewLimiter(rdb), prefix: prefix, now: time.Now}
}

// Allow implements Limiter. It returns an error wrapping ErrInvalidLimit for
// an invalid limit and the Redis error (wrapped) when Redis cannot be reached.
func (r *redisLimiter) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	if maxLease(limit) > 1 {
		return r.allowLeased(ctx, key, limit)
	}
	res, err := r.allowAtMost(ctx, key, limit, 1)
	return res.Result, err
}

// allowLeased admits from key's lease on this replica, taking a new one from
// Redis when it is used up or too old.
func (r *redisLimiter) allowLeased(ctx context.Context, key string, limit Limit) (Result, error) {
	l := r.leases.get(key, r.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	if res, ok := l.take(r.now(), limit); ok {
		return res, nil
	}
	res, err := r.allowAtMost(ctx, key, limit, l.nextSize(limit))
	if err != nil || !res.Allowed {
		l.size = 0
		return res.Result, err
	}
	now := r.now()
	l.tokens, l.expires = res.granted-1, now.Add(LeaseWindow)
	l.remaining, l.resetAt = res.Remaining, now.Add(res.ResetAfter)
	res.Remaining = min(res.Remaining+l.tokens, limit.Rate-1)
	return res.Result, nil
}

// grant is the outcome of one Redis decision for up to n requests.
type grant struct {
	Result
	granted int
}

// allowAtMost admits up to n requests for key in one round trip.
func (r *redisLimiter) allowAtMost(ctx context.Context, key string, limit Limit, n int) (grant, error) {
	rl := redis_rate.Limit{Rate: limit.Rate, Burst: limit.Rate, Period: limit.Period}
	var res *redis_rate.Result
	var err error
	if n == 1 {
		res, err = r.rl.Allow(ctx, r.prefix+key, rl)
	} else {
		res, err = r.rl.AllowAtMost(ctx, r.prefix+key, rl, n)
	}
	if err != nil {
		return grant{}, fmt.Errorf("ratelimit: redis allow: %w", err)
	}
	out := Result{
		Allowed:    res.Allowed > 0,
		Limit:      limit,
		Remaining:  res.Remaining,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
		return grant{Result: out}, nil
	}
	// The script computes Remaining in float seconds since 2017 and Redis
	// truncates it to an integer, so an exact 99 can arrive as 98.99… → 98.
	// In GCRA Remaining = Rate - ceil(ResetAfter/emission); recompute it with
	// a microsecond of tolerance and keep the larger (truncation only errs
	// low).
	emission := limit.emission()
	used := (out.ResetAfter - time.Microsecond + emission - 1) / emission
	out.Remaining = min(max(out.Remaining, limit.Rate-int(used)), limit.Rate-1)
	return grant{Result: out, granted: res.Allowed}, nil
}

// Ping reports whether Redis answers; Fallback uses it for Healthy.
func (r *redisLimiter) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis ping: %w", err)
	}
	return nil
}
