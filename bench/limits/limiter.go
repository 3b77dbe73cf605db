package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/contacthub/contacthub/ratelimit"
)

// runLimiter measures Allow in process.
func runLimiter(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("limiter", stderr)
	redisURL := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis on this machine")
	prefix := fs.String("prefix", "benchL:", "prefix of every Redis key the run writes (deleted afterwards)")
	n := fs.Int("n", 20000, "calls per run")
	clientsFlag := fs.String("c", "1,16", "concurrencies, a comma list")
	keys := fs.Int("keys", 100, "distinct limiter keys (API keys) the calls are spread over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients, err := parseClients(*clientsFlag)
	if err != nil {
		return err
	}
	if err := checkN(*n); err != nil {
		return err
	}
	if err := checkLocal("redis", *redisURL); err != nil {
		return err
	}
	if *prefix == "" || !strings.HasSuffix(*prefix, ":") {
		return fmt.Errorf("-prefix %q: want a non-empty prefix ending in ':'", *prefix)
	}
	opts, err := redis.ParseURL(*redisURL)
	if err != nil {
		return err
	}
	// The server's client settings (limits.go); the default pool (10 per CPU) is
	// larger than -c 16 on this machine.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	opts.MaxRetries, opts.DialerRetries = 1, 1
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer func() {
		if n, err := deleteKeys(context.Background(), rdb, *prefix); err != nil {
			fmt.Fprintln(stderr, "cleanup:", err)
		} else {
			fmt.Fprintf(stdout, "deleted %d Redis keys matching *%s*\n", n, *prefix)
		}
	}()

	limit := ratelimit.PerMinute(1_000_000) // always admitted: the cost of a decision, not of a refusal
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	redisLim := ratelimit.NewRedis(rdb, *prefix+"api:")
	fallback := ratelimit.NewFallback(ratelimit.NewRedis(rdb, *prefix+"api:"), ratelimit.NewMemory(nil), false, quiet)
	memory := ratelimit.NewMemory(nil)
	flood := ratelimit.NewRedisFloodCounter(rdb, *prefix+"flood:")
	key := func(i int) string { return fmt.Sprintf("key:%d", i%*keys) }
	runs := []struct {
		name string
		fn   func(ctx context.Context, w, i int) error
	}{
		{"redis PING (round-trip floor)", func(ctx context.Context, _, _ int) error { return rdb.Ping(ctx).Err() }},
		{"ratelimit.NewRedis Allow", func(ctx context.Context, _, i int) error {
			_, err := redisLim.Allow(ctx, key(i), limit)
			return err
		}},
		{"Fallback(Redis, memory) Allow (server path)", func(ctx context.Context, _, i int) error {
			_, err := fallback.Allow(ctx, key(i), limit)
			return err
		}},
		{"Redis flood Reserve (10000/h)", func(ctx context.Context, _, i int) error {
			_, err := flood.Reserve(ctx, fmt.Sprintf("ip:10.0.%d.%d", i%*keys/256, i%*keys%256), 10000, time.Hour)
			return err
		}},
		{"ratelimit.NewMemory Allow", func(ctx context.Context, _, i int) error {
			_, err := memory.Allow(ctx, key(i), limit)
			return err
		}},
	}
	t := newTable(stdout)
	for _, c := range clients {
		for _, r := range runs {
			if _, err := measure(ctx, r.name, c, min(*n, 1000), r.fn); err != nil { // warm-up
				return err
			}
			st, err := measure(ctx, r.name, c, *n, r.fn)
			if err != nil {
				return err
			}
			t.add(st)
		}
	}
	t.flush()
	return nil
}

// deleteKeys removes every key containing prefix (redis_rate adds "rate:" in front).
func deleteKeys(ctx context.Context, rdb *redis.Client, prefix string) (int, error) {
	n := 0
	iter := rdb.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	if len(batch) > 0 {
		if err := rdb.Del(ctx, batch...).Err(); err != nil {
			return n, err
		}
		n += len(batch)
	}
	return n, nil
}

// runE2E measures GET check-credentials on a running server.
func runE2E(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("e2e", stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "server on this machine")
	key := fs.String("key", "", "API key (its quota must not be reached: use CONTACTHUB_RATE_LIMIT=1000000/m)")
	label := fs.String("label", "", "label of the row, e.g. redis or memory")
	n := fs.Int("n", 20000, "requests per run")
	clientsFlag := fs.String("c", "1,16", "concurrencies, a comma list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients, err := parseClients(*clientsFlag)
	if err != nil {
		return err
	}
	if err := checkN(*n); err != nil {
		return err
	}
	if err := checkLocal("url", *base); err != nil {
		return err
	}
	if *key == "" {
		return fmt.Errorf("-key is required")
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: maxConcurrency, DisableCompression: true}}
	target := strings.TrimRight(*base, "/") + "/public/api/V1/check-credentials"
	get := func(ctx context.Context, _, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+*key)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if resp.Header.Get("X-Rate-Limit-Limit") == "" {
			return fmt.Errorf("no X-Rate-Limit-Limit header: is the limiter on?")
		}
		return nil
	}
	t := newTable(stdout)
	for _, c := range clients {
		if _, err := measure(ctx, "warm-up", c, min(*n, 2000), get); err != nil {
			return err
		}
		st, err := measure(ctx, "GET check-credentials "+*label, c, *n, get)
		if err != nil {
			return err
		}
		t.add(st)
	}
	t.flush()
	return nil
}
