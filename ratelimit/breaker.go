package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// FallbackOption configures NewFallback and NewFloodFallback.
type FallbackOption func(*fallbackConfig)

type fallbackConfig struct {
	probeEvery time.Duration
	logEvery   time.Duration
	timeout    time.Duration
	clock      func() time.Time
}

// WithProbeInterval sets how long the primary is left alone after a failure
// before one call tries it again (default 1s).
func WithProbeInterval(d time.Duration) FallbackOption {
	return func(c *fallbackConfig) { c.probeEvery = d }
}

// WithLogInterval sets how often an ongoing outage is logged (default 1m).
// The start and the end of an outage are always logged.
func WithLogInterval(d time.Duration) FallbackOption {
	return func(c *fallbackConfig) { c.logEvery = d }
}

// WithTimeout bounds each call to the primary (default 500ms), so that a hung
// Redis costs a request at most this long before the fallback decides.
func WithTimeout(d time.Duration) FallbackOption {
	return func(c *fallbackConfig) { c.timeout = d }
}

// WithClock sets the time source of the breaker (default time.Now).
func WithClock(clock func() time.Time) FallbackOption {
	return func(c *fallbackConfig) { c.clock = clock }
}

// Status describes the primary of a Fallback or FloodFallback, for /readyz
// and metrics.
type Status struct {
	// Healthy is false from a failed call until a successful one.
	Healthy bool
	// Since is when the current outage started (zero when healthy).
	Since time.Time
	// LastError is the last error of the primary during this outage.
	LastError string
	// DegradedCalls counts the calls decided without the primary (by the
	// fallback or the fail-open/closed policy) during this outage.
	DegradedCalls int64
	// Policy is "fallback", "fail-open" or "fail-closed".
	Policy string
}

// pinger is implemented by the Redis limiter and flood counter.
type pinger interface {
	Ping(ctx context.Context) error
}

// breaker tracks whether the primary is up, decides who probes it while it
// is down, and rate-limits the outage logs. The healthy path is one atomic
// load.
type breaker struct {
	name   string
	policy string
	logger *slog.Logger
	cfg    fallbackConfig

	down atomic.Bool

	mu        sync.Mutex
	since     time.Time
	lastErr   error
	nextProbe time.Time
	probing   bool
	degraded  int64 // calls not served by the primary during this outage
	unlogged  int64 // of which not yet reported in a log line
	lastLog   time.Time
}

func newBreaker(name, policy string, logger *slog.Logger, opts []FallbackOption) *breaker {
	cfg := fallbackConfig{
		probeEvery: time.Second,
		logEvery:   time.Minute,
		timeout:    500 * time.Millisecond,
		clock:      time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &breaker{name: name, policy: policy, logger: logger, cfg: cfg}
}

// allow reports whether this call should go to the primary: always while it
// is up; while it is down, one call per probe interval.
func (b *breaker) allow() bool {
	if !b.down.Load() {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.down.Load() {
		return true
	}
	if !b.probing && !b.cfg.clock().Before(b.nextProbe) {
		b.probing = true
		return true
	}
	return false
}

// call runs fn against the primary with the breaker's timeout and records the
// outcome. It returns fn's error; a failure caused by the caller's own
// context is returned without counting as an outage.
func (b *breaker) call(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	err := fn(cctx)
	cancel()
	switch {
	case err == nil:
		b.success()
	case ctx.Err() != nil:
		b.abandon()
	case errors.Is(err, ErrInvalidLimit):
		b.abandon()
	default:
		b.failure(err)
	}
	return err
}

func (b *breaker) success() {
	if !b.down.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.down.Load() {
		return
	}
	now := b.cfg.clock()
	b.logger.Info("ratelimit: "+b.name+" primary recovered",
		"outage", now.Sub(b.since).Round(time.Millisecond).String(),
		"degraded_calls", b.degraded, "policy", b.policy)
	b.down.Store(false)
	b.since, b.lastErr, b.probing = time.Time{}, nil, false
	b.degraded, b.unlogged = 0, 0
}

// abandon releases a probe that ended without an answer about the primary.
func (b *breaker) abandon() {
	if !b.down.Load() {
		return
	}
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

func (b *breaker) failure(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.clock()
	b.lastErr = err
	b.probing = false
	b.nextProbe = now.Add(b.cfg.probeEvery)
	if !b.down.Load() {
		b.down.Store(true)
		b.since, b.lastLog = now, now
		b.degraded, b.unlogged = 0, 0
		b.logger.Warn("ratelimit: "+b.name+" primary unavailable",
			"err", err, "policy", b.policy, "probe_interval", b.cfg.probeEvery.String())
	}
}

// degradedCall counts a call decided without the primary and logs the
// ongoing outage at most once per log interval.
func (b *breaker) degradedCall() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.degraded++
	b.unlogged++
	now := b.cfg.clock()
	if b.down.Load() && now.Sub(b.lastLog) >= b.cfg.logEvery {
		b.logger.Warn("ratelimit: "+b.name+" primary still unavailable",
			"err", b.lastErr, "since", b.since, "degraded_calls", b.unlogged, "policy", b.policy)
		b.lastLog, b.unlogged = now, 0
	}
}

// retryAfter is what a fail-closed refusal tells the client: the time until
// the next probe, at least one second.
func (b *breaker) retryAfter() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.nextProbe.Sub(b.cfg.clock()), time.Second).Round(time.Second)
}

func (b *breaker) unavailable() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lastErr == nil {
		return ErrUnavailable
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, b.lastErr)
}

func (b *breaker) status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Status{Healthy: !b.down.Load(), Policy: b.policy}
	if !s.Healthy {
		s.Since, s.DegradedCalls = b.since, b.degraded
		if b.lastErr != nil {
			s.LastError = b.lastErr.Error()
		}
	}
	return s
}

// healthy pings the primary when it can be pinged (which also ends an outage
// early), and otherwise reports the breaker's state.
func (b *breaker) healthy(ctx context.Context, primary any) error {
	if p, ok := primary.(pinger); ok {
		return b.call(ctx, p.Ping)
	}
	if b.down.Load() {
		return b.unavailable()
	}
	return nil
}

func policyName(hasFallback, failOpen bool) string {
	switch {
	case hasFallback:
		return "fallback"
	case failOpen:
		return "fail-open"
	default:
		return "fail-closed"
	}
}
