package ratelimit

import (
	"context"
	"time"
)

// memoryLimiter is GCRA in process. Per key it stores the theoretical
// arrival time (TAT) in unix nanoseconds; a key whose TAT is not in the
// future is indistinguishable from a new key and is swept.
type memoryLimiter struct {
	clock func() time.Time
	tats  *shardMap[int64]
}

// NewMemory returns a Limiter that keeps its state in this process, with
// the same GCRA semantics as NewRedis. clock is the time source (nil means
// time.Now); tests pass a fake to move time. Keys are forgotten once they
// are back at full burst; WithMaxKeys caps memory under a flood of distinct
// keys. Limits are per process: with several replicas use NewRedis.
func NewMemory(clock func() time.Time, opts ...MemoryOption) Limiter {
	if clock == nil {
		clock = time.Now
	}
	return &memoryLimiter{
		clock: clock,
		tats:  newShardMap(newMemoryConfig(opts), func(tat, now int64) bool { return tat <= now }),
	}
}

// Allow implements Limiter. It returns an error only for an invalid limit.
func (m *memoryLimiter) Allow(_ context.Context, key string, limit Limit) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	now := m.clock().UnixNano()
	emission := int64(limit.emission())
	burstOffset := emission * int64(limit.Rate)

	sh := m.tats.lock(key, now)
	defer sh.mu.Unlock()

	tat, ok := sh.m[key]
	if !ok || tat < now {
		tat = now
	}
	newTAT := tat + emission
	diff := now - (newTAT - burstOffset)
	if diff < 0 {
		return Result{
			Limit:      limit,
			RetryAfter: time.Duration(-diff),
			ResetAfter: time.Duration(tat - now),
		}, nil
	}
	m.tats.put(sh, key, newTAT, now)
	return Result{
		Allowed:    true,
		Limit:      limit,
		Remaining:  int(diff / emission),
		ResetAfter: time.Duration(newTAT - now),
	}, nil
}
