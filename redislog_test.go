package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// records is a slog handler that keeps what it is given.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
	return nil
}

// fromGoRedis returns the attributes of the records that came from go-redis.
func (r *records) fromGoRedis() []map[string]slog.Value {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]slog.Value
	for _, rec := range r.list {
		attrs := map[string]slog.Value{}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value
			return true
		})
		if attrs["component"].String() == "go-redis" {
			out = append(out, attrs)
		}
	}
	return out
}

// TestGoRedisLogsReachSlog: what go-redis logs while Redis is unreachable (here: the
// failed dial of the ping at start) goes through the server's slog handler, not to
// stderr on its own, and without the Redis password.
func TestGoRedisLogsReachSlog(t *testing.T) {
	t.Parallel()
	var rec records
	cfg := Config{RedisURL: "redis://:s3cret-redis@127.0.0.1:1/0", RedisFailure: "local", RateLimit: "100/m", RedisPrefix: "test:"}
	_, _, _, closeRedis, err := limiters(context.Background(), cfg, slog.New(&rec))
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	lines := rec.fromGoRedis()
	if len(lines) == 0 {
		t.Fatal("no go-redis line reached the slog handler")
	}
	for _, l := range lines {
		if l["detail"].String() == "" || strings.Contains(l["detail"].String(), "s3cret-redis") {
			t.Errorf("go-redis line %v: want a detail without the password", l)
		}
	}
}

// TestRedisLoggerRepeats: one kind of go-redis line is logged once per interval, the
// next one says how many were left out.
func TestRedisLoggerRepeats(t *testing.T) {
	t.Parallel()
	var rec records
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newRedisLogger(slog.New(&rec), time.Minute, "pw")
	l.now = func() time.Time { return now }
	ctx := context.Background()
	for range 3 {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 1, "dial tcp: refused")
	}
	l.Printf(ctx, "other %s", "pw") // another kind is logged at once, masked
	now = now.Add(time.Minute)
	l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 1, "dial tcp: refused")

	lines := rec.fromGoRedis()
	if len(lines) != 3 {
		t.Fatalf("logged %d lines, want 3: %v", len(lines), lines)
	}
	if d := lines[0]["detail"].String(); d != "connection pool: failed to dial after 1 attempts: dial tcp: refused" {
		t.Errorf("first line detail %q", d)
	}
	if d := lines[1]["detail"].String(); d != "other ***" {
		t.Errorf("second line detail %q, want the secret masked", d)
	}
	if n := lines[2]["repeated"]; n.Int64() != 2 {
		t.Errorf("third line repeated = %v, want 2", n)
	}
}

// TestRedisURLErrorMasksPassword: a Redis URL that does not parse is reported without
// its password (net/url quotes the whole URL in its errors).
func TestRedisURLErrorMasksPassword(t *testing.T) {
	t.Parallel()
	cfg := Config{RedisURL: "redis://:s3cret-redis@redis host:6379/0", RedisFailure: "local", RateLimit: "100/m"}
	_, _, _, _, err := limiters(context.Background(), cfg, slog.New(&records{}))
	if err == nil || strings.Contains(err.Error(), "s3cret-redis") {
		t.Fatalf("limiters = %v, want an error without the password", err)
	}
}
