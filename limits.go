package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/ratelimit"
)

// limiters builds the request quota and the flood counter (the contact service's):
// on Redis when a URL is configured (global across replicas), with the configured
// behaviour while Redis is down; in memory otherwise. close releases the Redis client.
func limiters(ctx context.Context, cfg Config, log *slog.Logger) (rl handlers.RateLimits, flood ratelimit.FloodCounter, ready func(context.Context) handlers.Check, close func(), err error) {
	def, err := ratelimit.ParseLimit(cfg.RateLimit)
	if err != nil {
		return rl, nil, nil, nil, err
	}
	rl.Default = def
	if cfg.RedisURL == "" {
		rl.Limiter = ratelimit.NewMemory(nil)
		return rl, ratelimit.NewMemoryFloodCounter(nil), nil, func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		// net/url's errors quote the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = maskCredentials(ue.URL)
		}
		return rl, nil, nil, nil, fmt.Errorf("redis url: %w", err)
	}
	// go-redis has one logger for the whole process; this server has one client.
	redis.SetLogger(newRedisLogger(log, time.Minute, opts.Password))
	// Fail fast: a down Redis must cost a request milliseconds, not go-redis's default
	// five dial retries.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, cfg.RedisTimeout, cfg.RedisTimeout
	opts.MaxRetries, opts.DialerRetries = 1, 1
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		log.Warn("redis is not reachable at start; limits follow CONTACTHUB_REDIS_FAILURE until it is", "policy", cfg.RedisFailure, "err", err)
	}
	var fbLimiter ratelimit.Limiter
	var fbFlood ratelimit.FloodCounter
	if cfg.RedisFailure == "local" {
		fbLimiter, fbFlood = ratelimit.NewMemory(nil), ratelimit.NewMemoryFloodCounter(nil)
	}
	failOpen := cfg.RedisFailure == "open"
	timeout := ratelimit.WithTimeout(cfg.RedisTimeout)
	limiter := ratelimit.NewFallback(ratelimit.NewRedis(rdb, cfg.RedisPrefix), fbLimiter, failOpen, log, timeout)
	flood = ratelimit.NewFloodFallback(ratelimit.NewRedisFloodCounter(rdb, cfg.RedisPrefix), fbFlood, failOpen, log, timeout)
	rl.Limiter = limiter
	ready = func(ctx context.Context) handlers.Check {
		return handlers.Check{Name: "redis", Err: limiter.Healthy(ctx), Critical: cfg.RedisFailure == "closed"}
	}
	return rl, flood, ready, func() { rdb.Close() }, nil
}
