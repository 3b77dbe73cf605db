package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var errDown = errors.New("connection refused")

// flaky is a primary whose failure can be switched on and off; it counts the
// calls that reached it.
type flaky struct {
	calls atomic.Int64
	fail  atomic.Bool
	block bool // wait for the context instead of answering
	ok    Limiter
	okF   FloodCounter
}

func newFlaky() *flaky {
	f := &flaky{ok: NewMemory(nil), okF: NewMemoryFloodCounter(nil)}
	f.fail.Store(true)
	return f
}

func (f *flaky) err(ctx context.Context) error {
	f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.fail.Load() {
		return errDown
	}
	return nil
}

func (f *flaky) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if err := f.err(ctx); err != nil {
		return Result{}, err
	}
	return f.ok.Allow(ctx, key, l)
}

func (f *flaky) ReserveN(ctx context.Context, key string, max int, w time.Duration, n int) (BatchReservation, error) {
	if err := f.err(ctx); err != nil {
		return BatchReservation{}, err
	}
	return f.okF.ReserveN(ctx, key, max, w, n)
}

func (f *flaky) Reserve(ctx context.Context, key string, max int, w time.Duration) (Reservation, error) {
	b, err := f.ReserveN(ctx, key, max, w, 1)
	return single(b), err
}

func (f *flaky) Cancel(ctx context.Context, key string, ids ...string) error {
	if err := f.err(ctx); err != nil {
		return err
	}
	return f.okF.Cancel(ctx, key, ids...)
}

// levelCounter is a slog.Handler that counts records per level.
type levelCounter struct {
	mu sync.Mutex
	n  map[slog.Level]int
}

func (h *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *levelCounter) WithGroup(string) slog.Handler            { return h }
func (h *levelCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[slog.Level]int{}
	}
	h.n[r.Level]++
	return nil
}

func (h *levelCounter) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[l]
}

func TestFallbackPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fallback    Limiter
		failOpen    bool
		wantAllowed []bool // for 3 calls with a limit of 2/h
		wantErr     error
	}{
		{"fallback", NewMemory(nil), false, []bool{true, true, false}, nil},
		{"fail-open", nil, true, []bool{true, true, true}, nil},
		{"fail-closed", nil, false, []bool{false, false, false}, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := NewFallback(newFlaky(), tt.fallback, tt.failOpen, nil)
			for i, want := range tt.wantAllowed {
				res, err := f.Allow(context.Background(), "k", PerHour(2))
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("call %d: error %v, want %v", i+1, err, tt.wantErr)
				}
				if err != nil && !errors.Is(err, errDown) {
					t.Errorf("call %d: error %v does not wrap the primary's error", i+1, err)
				}
				if err != nil && res.RetryAfter < time.Second {
					t.Errorf("call %d: fail-closed RetryAfter = %v, want at least 1s", i+1, res.RetryAfter)
				}
				if res.Allowed != want {
					t.Fatalf("call %d: allowed = %v, want %v", i+1, res.Allowed, want)
				}
			}
			if st := f.Status(); st.Healthy || st.Policy != tt.name || st.DegradedCalls != 3 || st.LastError == "" {
				t.Errorf("Status = %+v", st)
			}
			if _, err := f.Allow(context.Background(), "k", Limit{}); !errors.Is(err, ErrInvalidLimit) {
				t.Errorf("invalid limit: %v", err)
			}
		})
	}
}

// TestFallbackBreaker: during an outage the primary is probed once per
// interval, not per request, and the outage is logged once per log interval.
func TestFallbackBreaker(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	primary := newFlaky()
	logs := &levelCounter{}
	f := NewFallback(primary, NewMemory(clock.Now), false, slog.New(logs),
		WithClock(clock.Now), WithProbeInterval(time.Second), WithLogInterval(time.Minute))
	ctx := context.Background()
	allow := func(n int) {
		t.Helper()
		for range n {
			if _, err := f.Allow(ctx, "k", PerSecond(1000)); err != nil {
				t.Fatal(err)
			}
		}
	}

	allow(100)
	if got := primary.calls.Load(); got != 1 {
		t.Fatalf("primary called %d times during the probe interval, want 1", got)
	}
	clock.Advance(time.Second)
	allow(100)
	if got := primary.calls.Load(); got != 2 {
		t.Fatalf("primary called %d times after one probe interval, want 2", got)
	}
	if w := logs.count(slog.LevelWarn); w != 1 {
		t.Fatalf("%d warnings within one log interval, want 1", w)
	}
	clock.Advance(time.Minute)
	allow(100)
	if w := logs.count(slog.LevelWarn); w != 2 {
		t.Fatalf("%d warnings after a log interval, want 2", w)
	}
	if st := f.Status(); st.Healthy || st.DegradedCalls != 300 || !st.Since.Equal(newFakeClock().Now()) {
		t.Fatalf("Status during outage = %+v", st)
	}

	primary.fail.Store(false)
	allow(10) // still within the probe interval: not noticed yet
	if f.Status().Healthy {
		t.Fatal("recovered without a probe")
	}
	clock.Advance(time.Second)
	before := primary.calls.Load()
	allow(10)
	if got := primary.calls.Load() - before; got != 10 {
		t.Fatalf("after recovery the primary got %d of 10 calls", got)
	}
	if st := f.Status(); !st.Healthy || st.DegradedCalls != 0 {
		t.Fatalf("Status after recovery = %+v", st)
	}
	if i := logs.count(slog.LevelInfo); i != 1 {
		t.Fatalf("%d info records, want 1 (recovery)", i)
	}
}

func TestFallbackContexts(t *testing.T) {
	t.Parallel()

	t.Run("caller gone is not an outage", func(t *testing.T) {
		t.Parallel()
		primary := &flaky{block: true}
		f := NewFallback(primary, NewMemory(nil), false, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := f.Allow(ctx, "k", PerMinute(1)); !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if !f.Status().Healthy {
			t.Fatal("a cancelled caller marked the primary down")
		}
	})

	t.Run("hung primary times out to the fallback", func(t *testing.T) {
		t.Parallel()
		primary := &flaky{block: true}
		f := NewFallback(primary, NewMemory(nil), false, nil, WithTimeout(20*time.Millisecond))
		start := time.Now()
		res, err := f.Allow(context.Background(), "k", PerMinute(1))
		if err != nil || !res.Allowed {
			t.Fatalf("Allow = %+v, %v; want the fallback's answer", res, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
		}
		if f.Status().Healthy {
			t.Fatal("timeout not counted as an outage")
		}
	})
}

// TestFallbackRedisUnreachable runs the real Redis implementations against a
// port where nothing listens: requests go on, Healthy reports the outage.
func TestFallbackRedisUnreachable(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()

	lim := NewFallback(NewRedis(rdb, "x:"), NewMemory(nil), false, nil)
	for i := range 3 {
		res, err := lim.Allow(ctx, "k", PerHour(2))
		if err != nil || res.Allowed != (i < 2) {
			t.Fatalf("call %d: %+v, %v", i+1, res, err)
		}
	}
	if err := lim.Healthy(ctx); err == nil {
		t.Fatal("Healthy = nil with Redis unreachable")
	}

	flood := NewFloodFallback(NewRedisFloodCounter(rdb, "x:"), nil, false, nil)
	r, err := flood.Reserve(ctx, "k", 5, time.Hour)
	if !errors.Is(err, ErrUnavailable) || r.Allowed {
		t.Fatalf("fail-closed Reserve = %+v, %v; want ErrUnavailable", r, err)
	}
	if err := flood.Healthy(ctx); err == nil {
		t.Fatal("flood Healthy = nil with Redis unreachable")
	}
}

func TestFloodFallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("fallback", func(t *testing.T) {
		t.Parallel()
		primary := newFlaky()
		f := NewFloodFallback(primary, NewMemoryFloodCounter(nil), false, nil)
		b, err := f.ReserveN(ctx, "k", 3, time.Hour, 5)
		if err != nil || b.Admitted != 3 || len(b.IDs) != 3 {
			t.Fatalf("ReserveN = %+v, %v", b, err)
		}
		for _, id := range b.IDs {
			if !strings.HasPrefix(id, localPrefix) {
				t.Fatalf("fallback ID %q is not marked local", id)
			}
		}
		// Cancelling local IDs frees fallback slots without touching the primary.
		calls := primary.calls.Load()
		if err := f.Cancel(ctx, "k", b.IDs[0], b.IDs[1]); err != nil {
			t.Fatal(err)
		}
		if primary.calls.Load() != calls {
			t.Fatal("local cancel went to the primary")
		}
		if r, err := f.Reserve(ctx, "k", 3, time.Hour); err != nil || !r.Allowed || r.Count != 2 {
			t.Fatalf("after cancel: %+v, %v", r, err)
		}
		// A primary ID during the outage is dropped, not an error.
		if err := f.Cancel(ctx, "k", "abc.1"); err != nil {
			t.Fatalf("Cancel of a primary ID during the outage: %v", err)
		}
		if st := f.Status(); st.Healthy || st.Policy != "fallback" {
			t.Fatalf("Status = %+v", st)
		}
	})

	t.Run("fail-open", func(t *testing.T) {
		t.Parallel()
		f := NewFloodFallback(newFlaky(), nil, true, nil)
		r, err := f.Reserve(ctx, "k", 1, time.Hour)
		if err != nil || !r.Allowed || r.ID != "" {
			t.Fatalf("Reserve = %+v, %v", r, err)
		}
		if err := f.Cancel(ctx, "k", r.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("fail-closed", func(t *testing.T) {
		t.Parallel()
		f := NewFloodFallback(newFlaky(), nil, false, nil)
		b, err := f.ReserveN(ctx, "k", 5, time.Hour, 2)
		if !errors.Is(err, ErrUnavailable) || b.Admitted != 0 || b.RetryAfter < time.Second {
			t.Fatalf("ReserveN = %+v, %v", b, err)
		}
	})

	t.Run("healthy primary", func(t *testing.T) {
		t.Parallel()
		primary := newFlaky()
		primary.fail.Store(false)
		f := NewFloodFallback(primary, NewMemoryFloodCounter(nil), false, nil)
		r, err := f.Reserve(ctx, "k", 1, time.Hour)
		if err != nil || !r.Allowed || strings.HasPrefix(r.ID, localPrefix) {
			t.Fatalf("Reserve = %+v, %v", r, err)
		}
		if err := f.Cancel(ctx, "k", r.ID); err != nil {
			t.Fatal(err)
		}
		if r, _ := f.Reserve(ctx, "k", 1, time.Hour); !r.Allowed {
			t.Fatal("cancel did not reach the primary")
		}
		if err := f.Healthy(ctx); err != nil {
			t.Fatalf("Healthy = %v", err)
		}
	})
}
