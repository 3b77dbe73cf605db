package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidLimit is returned (wrapped) by ParseLimit and by every Allow or
// Reserve call given a limit that cannot be enforced: a rate or max below 1,
// a period or window below 1ms, or a rate so high that one request would cost
// less than a nanosecond.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// ErrUnavailable is returned (wrapped) by a fail-closed Fallback or
// FloodFallback while its primary is down. Handlers answer 503 with a
// Retry-After header: the client is not over its quota, the server cannot
// tell.
var ErrUnavailable = errors.New("ratelimit: limiter unavailable")

// Limit is Rate events per Period. Under GCRA it allows a burst of Rate
// events and then one every Period/Rate.
type Limit struct {
	Rate   int
	Period time.Duration
}

// PerSecond, PerMinute and PerHour build the common limits.
func PerSecond(rate int) Limit { return Limit{Rate: rate, Period: time.Second} }

// PerMinute returns rate events per minute.
func PerMinute(rate int) Limit { return Limit{Rate: rate, Period: time.Minute} }

// PerHour returns rate events per hour.
func PerHour(rate int) Limit { return Limit{Rate: rate, Period: time.Hour} }

// IsZero reports whether l is the zero Limit, which callers use for "no limit
// configured".
func (l Limit) IsZero() bool { return l == Limit{} }

// Validate returns an error wrapping ErrInvalidLimit when l cannot be
// enforced.
func (l Limit) Validate() error {
	switch {
	case l.Rate < 1:
		return fmt.Errorf("%w: rate %d must be at least 1", ErrInvalidLimit, l.Rate)
	case l.Period < time.Millisecond:
		return fmt.Errorf("%w: period %s must be at least 1ms", ErrInvalidLimit, l.Period)
	case l.Period/time.Duration(l.Rate) < 1:
		return fmt.Errorf("%w: %d per %s is more than one per nanosecond", ErrInvalidLimit, l.Rate, l.Period)
	}
	return nil
}

// emission is the GCRA emission interval: the cost of one event.
func (l Limit) emission() time.Duration { return l.Period / time.Duration(l.Rate) }

// String formats l the way ParseLimit reads it: "600/m", "100/30s".
func (l Limit) String() string {
	unit := ""
	switch l.Period {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	case 24 * time.Hour:
		unit = "d"
	default:
		unit = l.Period.String()
	}
	return strconv.Itoa(l.Rate) + "/" + unit
}

// ParseLimit reads "RATE/PERIOD": the period is a unit (s, sec, second,
// m, min, minute, h, hour, d, day; plurals allowed) or a Go duration
// ("1m", "30s", "1h30m"), e.g. "600/m", "100/1m", "5/h", "10/30s". It returns
// an error wrapping ErrInvalidLimit for anything else, including a rate below
// 1 (use the zero Limit, not "0/m", to disable limiting).
func ParseLimit(s string) (Limit, error) {
	rateStr, periodStr, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Limit{}, fmt.Errorf("%w: %q: want RATE/PERIOD, e.g. 100/m", ErrInvalidLimit, s)
	}
	rate, err := strconv.Atoi(strings.TrimSpace(rateStr))
	if err != nil {
		return Limit{}, fmt.Errorf("%w: %q: rate is not an integer", ErrInvalidLimit, s)
	}
	period, err := parsePeriod(strings.TrimSpace(periodStr))
	if err != nil {
		return Limit{}, fmt.Errorf("%w: %q: %v", ErrInvalidLimit, s, err)
	}
	l := Limit{Rate: rate, Period: period}
	if err := l.Validate(); err != nil {
		return Limit{}, fmt.Errorf("%q: %w", s, err)
	}
	return l, nil
}

var periodUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

func parsePeriod(s string) (time.Duration, error) {
	if d, ok := periodUnits[strings.ToLower(s)]; ok {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("period %q is neither a unit (s, m, h, d) nor a duration", s)
	}
	return d, nil
}

// Result is the outcome of one Allow call.
type Result struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// Limit is the limit the decision was made against (X-Rate-Limit-Limit).
	Limit Limit
	// Remaining is how many more requests would be admitted right now
	// (X-Rate-Limit-Remaining).
	Remaining int
	// RetryAfter is, when not allowed, how long until one request will be
	// admitted (Retry-After); 0 when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back at its full burst
	// (X-Rate-Limit-Reset); 0 for a key never seen.
	ResetAfter time.Duration
}

// Limiter decides whether one more request for key is within limit.
//
// Allow returns an error wrapping ErrInvalidLimit for an unusable limit, and
// the backend's error (e.g. Redis unreachable) otherwise; a refusal is not an
// error but a Result with Allowed false.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Result, error)
}
