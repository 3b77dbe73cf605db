package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// reserveScript is the whole flood decision in one atomic step: drop
// reservations older than the window, count the rest, admit up to the free
// slots, and keep the key only as long as its newest entry matters. Scores
// are milliseconds of the Redis server clock (replicas' clocks never enter),
// members are the reservation IDs base.1 … base.k. It returns
// {admitted, count, retry_after_ms}.
var reserveScript = redis.NewScript(`
local key = KEYS[1]
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local base = ARGV[4]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)

local k = max - count
if k > n then k = n end
if k < 0 then k = 0 end

-- ZADD in chunks: unpack() of a huge table would overflow the Lua stack.
local i = 1
while i <= k do
  local args = {}
  local j = i
  while j <= k and j < i + 1000 do
    args[#args + 1] = now
    args[#args + 1] = base .. '.' .. j
    j = j + 1
  end
  redis.call('ZADD', key, unpack(args))
  i = j
end
count = count + k
if k > 0 then
  redis.call('PEXPIRE', key, window)
end

local retry = 0
if k < n then
  local e = redis.call('ZRANGE', key, count - max, count - max, 'WITHSCORES')
  retry = tonumber(e[2]) + window - now
  if retry < 1 then retry = 1 end
end
return {k, count, retry}
`)

// redisFlood keeps the sliding log of each key in a Redis sorted set.
type redisFlood struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisFloodCounter returns a FloodCounter whose log lives in Redis under
// prefix + key (e.g. prefix "contacthub:flood:"), so the limit holds across
// replicas. Each Reserve/ReserveN/Cancel is one round trip.
func NewRedisFloodCounter(rdb redis.UniversalClient, prefix string) FloodCounter {
	return &redisFlood{rdb: rdb, prefix: prefix}
}

// Reserve implements FloodCounter.
func (r *redisFlood) Reserve(ctx context.Context, key string, limit int, window time.Duration) (Reservation, error) {
	b, err := r.ReserveN(ctx, key, limit, window, 1)
	return single(b), err
}

// ReserveN implements FloodCounter.
func (r *redisFlood) ReserveN(ctx context.Context, key string, limit int, window time.Duration, n int) (BatchReservation, error) {
	if err := validateFlood(limit, window, n); err != nil {
		return BatchReservation{}, err
	}
	base := reservationBase()
	v, err := reserveScript.Run(ctx, r.rdb, []string{r.prefix + key},
		limit, window.Milliseconds(), n, base).Int64Slice()
	if err != nil {
		return BatchReservation{}, fmt.Errorf("ratelimit: redis flood reserve: %w", err)
	}
	if len(v) != 3 {
		return BatchReservation{}, fmt.Errorf("ratelimit: redis flood reserve: unexpected reply %v", v)
	}
	b := BatchReservation{
		Admitted:   int(v[0]),
		Count:      int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Millisecond,
	}
	if b.Admitted > 0 {
		b.IDs = reservationIDs(base, b.Admitted)
	}
	return b, nil
}

// Cancel implements FloodCounter.
func (r *redisFlood) Cancel(ctx context.Context, key string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	if err := r.rdb.ZRem(ctx, r.prefix+key, members...).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis flood cancel: %w", err)
	}
	return nil
}

// Ping reports whether Redis answers; FloodFallback uses it for Healthy.
func (r *redisFlood) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis ping: %w", err)
	}
	return nil
}
