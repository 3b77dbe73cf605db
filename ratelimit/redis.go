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
// the limit is exact however many replicas share the key.
type redisLimiter struct {
	rdb    redis.UniversalClient
	rl     *redis_rate.Limiter
	prefix string
}

// NewRedis returns a Limiter whose state lives in Redis. Keys are stored as
// "rate:" + prefix + key (redis_rate adds "rate:"); choose a prefix per
// deployment and purpose, e.g. "contacthub:api:". Keys expire on their own
// once they are back at full burst.
func NewRedis(rdb redis.UniversalClient, prefix string) Limiter {
	return &redisLimiter{rdb: rdb, rl: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow implements Limiter. It returns an error wrapping ErrInvalidLimit for
// an invalid limit and the Redis error (wrapped) when Redis cannot be reached.
func (r *redisLimiter) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	res, err := r.rl.Allow(ctx, r.prefix+key, redis_rate.Limit{
		Rate:   limit.Rate,
		Burst:  limit.Rate,
		Period: limit.Period,
	})
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis allow: %w", err)
	}
	out := Result{
		Allowed:    res.Allowed > 0,
		Limit:      limit,
		Remaining:  res.Remaining,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
		return out, nil
	}
	// The script computes Remaining in float seconds since 2017 and Redis
	// truncates it to an integer, so an exact 99 can arrive as 98.99… → 98.
	// In GCRA Remaining = Rate - ceil(ResetAfter/emission); recompute it with
	// a microsecond of tolerance and keep the larger (truncation only errs
	// low).
	emission := limit.emission()
	used := (out.ResetAfter - time.Microsecond + emission - 1) / emission
	out.Remaining = min(max(out.Remaining, limit.Rate-int(used)), limit.Rate-1)
	return out, nil
}

// Ping reports whether Redis answers; Fallback uses it for Healthy.
func (r *redisLimiter) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis ping: %w", err)
	}
	return nil
}
