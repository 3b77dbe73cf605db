package ratelimit

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

var (
	_ Limiter      = (*Fallback)(nil)
	_ Limiter      = (*memoryLimiter)(nil)
	_ Limiter      = (*redisLimiter)(nil)
	_ FloodCounter = (*FloodFallback)(nil)
	_ FloodCounter = (*memoryFlood)(nil)
	_ FloodCounter = (*redisFlood)(nil)
	_ pinger       = (*redisLimiter)(nil)
	_ pinger       = (*redisFlood)(nil)
)

// Fallback is a Limiter that survives the loss of its primary (Redis); see
// the package documentation for the policy.
type Fallback struct {
	primary  Limiter
	fallback Limiter
	failOpen bool
	b        *breaker
}

// NewFallback wraps primary. While primary fails, decisions come from
// fallback when it is not nil (normally NewMemory(nil)); otherwise every
// request is admitted when failOpen, or refused with an error wrapping
// ErrUnavailable when not. logger receives the outage start, a reminder per
// log interval and the recovery (nil discards them).
func NewFallback(primary, fallback Limiter, failOpen bool, logger *slog.Logger, opts ...FallbackOption) *Fallback {
	return &Fallback{
		primary:  primary,
		fallback: fallback,
		failOpen: failOpen,
		b:        newBreaker("limiter", policyName(fallback != nil, failOpen), logger, opts),
	}
}

// Allow implements Limiter. Errors: ErrInvalidLimit for an invalid limit; the
// caller's context error when it ends during the primary call;
// ErrUnavailable (wrapping the primary's error) when fail-closed and the
// primary is down, with a Result whose RetryAfter suits a Retry-After header.
func (f *Fallback) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	if f.b.allow() {
		var res Result
		err := f.b.call(ctx, func(ctx context.Context) (err error) {
			res, err = f.primary.Allow(ctx, key, limit)
			return err
		})
		if err == nil || ctx.Err() != nil {
			return res, err
		}
	}
	f.b.degradedCall()
	if f.fallback != nil {
		if res, err := f.fallback.Allow(ctx, key, limit); err == nil {
			return res, nil
		}
	}
	if f.failOpen {
		return Result{Allowed: true, Limit: limit, Remaining: limit.Rate - 1}, nil
	}
	return Result{Limit: limit, RetryAfter: f.b.retryAfter()}, f.b.unavailable()
}

// Healthy pings the primary (when it supports it, as the Redis limiter does)
// and returns its error, or nil. Whether an unhealthy primary should fail
// /readyz is the caller's decision: with a fallback or fail-open the replica
// still serves.
func (f *Fallback) Healthy(ctx context.Context) error { return f.b.healthy(ctx, f.primary) }

// Status reports the primary's state without I/O.
func (f *Fallback) Status() Status { return f.b.status() }

// localPrefix marks reservation IDs issued by the fallback counter, so
// Cancel knows where they live.
const localPrefix = "local:"

// FloodFallback is a FloodCounter that survives the loss of its primary
// (Redis), with the same policy as Fallback.
type FloodFallback struct {
	primary  FloodCounter
	fallback FloodCounter
	failOpen bool
	b        *breaker
}

// NewFloodFallback wraps primary like NewFallback does: while primary fails,
// reservations are made in fallback when it is not nil (normally
// NewMemoryFloodCounter(nil)); otherwise admitted without counting when
// failOpen (Reservation.ID is then empty), or refused with an error wrapping
// ErrUnavailable.
func NewFloodFallback(primary, fallback FloodCounter, failOpen bool, logger *slog.Logger, opts ...FallbackOption) *FloodFallback {
	return &FloodFallback{
		primary:  primary,
		fallback: fallback,
		failOpen: failOpen,
		b:        newBreaker("flood counter", policyName(fallback != nil, failOpen), logger, opts),
	}
}

// Reserve implements FloodCounter; errors as for ReserveN.
func (f *FloodFallback) Reserve(ctx context.Context, key string, limit int, window time.Duration) (Reservation, error) {
	b, err := f.ReserveN(ctx, key, limit, window, 1)
	return single(b), err
}

// ReserveN implements FloodCounter. Errors: ErrInvalidLimit; the caller's
// context error when it ends during the primary call; ErrUnavailable when
// fail-closed and the primary is down, with RetryAfter set.
func (f *FloodFallback) ReserveN(ctx context.Context, key string, limit int, window time.Duration, n int) (BatchReservation, error) {
	if err := validateFlood(limit, window, n); err != nil {
		return BatchReservation{}, err
	}
	if f.b.allow() {
		var res BatchReservation
		err := f.b.call(ctx, func(ctx context.Context) (err error) {
			res, err = f.primary.ReserveN(ctx, key, limit, window, n)
			return err
		})
		if err == nil || ctx.Err() != nil {
			return res, err
		}
	}
	f.b.degradedCall()
	if f.fallback != nil {
		if res, err := f.fallback.ReserveN(ctx, key, limit, window, n); err == nil {
			for i := range res.IDs {
				res.IDs[i] = localPrefix + res.IDs[i]
			}
			return res, nil
		}
	}
	if f.failOpen {
		return BatchReservation{Admitted: n, IDs: make([]string, n)}, nil
	}
	return BatchReservation{RetryAfter: f.b.retryAfter()}, f.b.unavailable()
}

// Cancel implements FloodCounter. IDs issued by the fallback are cancelled
// there; the others in the primary. A cancel that cannot reach the primary is
// dropped and nil returned (the outage is already logged): the reservation
// then simply expires with its window, erring on the strict side. It returns
// the caller's context error if that ends first.
func (f *FloodFallback) Cancel(ctx context.Context, key string, ids ...string) error {
	var remote, local []string
	for _, id := range ids {
		switch {
		case id == "":
		case strings.HasPrefix(id, localPrefix):
			local = append(local, strings.TrimPrefix(id, localPrefix))
		default:
			remote = append(remote, id)
		}
	}
	if len(local) > 0 && f.fallback != nil {
		if err := f.fallback.Cancel(ctx, key, local...); err != nil {
			return err
		}
	}
	if len(remote) > 0 && f.b.allow() {
		err := f.b.call(ctx, func(ctx context.Context) error {
			return f.primary.Cancel(ctx, key, remote...)
		})
		if err != nil && ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// Healthy pings the primary (when it supports it) and returns its error, or
// nil; see Fallback.Healthy.
func (f *FloodFallback) Healthy(ctx context.Context) error { return f.b.healthy(ctx, f.primary) }

// Status reports the primary's state without I/O.
func (f *FloodFallback) Status() Status { return f.b.status() }
