package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// redisLogger carries go-redis's own log lines (a failed dial, a pool giving up, a
// recovered panic) into slog, so they have the configured format and level instead of
// go-redis's plain lines on stderr. It implements go-redis's logging interface
// (internal.Logging: Printf) for redis.SetLogger.
//
// During an outage go-redis logs every failed dial, one per request that needs Redis;
// the fallback limiter already reports the outage itself. So each kind of line (its
// format string) is logged at most once per interval, with the number of repeats left
// out since the last one.
type redisLogger struct {
	log *slog.Logger
	// secrets are masked should a line ever show one (the password of the Redis URL).
	secrets []string
	every   time.Duration
	now     func() time.Time

	mu   sync.Mutex
	last map[string]redisLine
}

type redisLine struct {
	at         time.Time
	suppressed int
}

func newRedisLogger(log *slog.Logger, every time.Duration, secrets ...string) *redisLogger {
	return &redisLogger{log: log, secrets: secrets, every: every, now: time.Now, last: map[string]redisLine{}}
}

// Printf logs one go-redis line at warning level: go-redis logs only what went wrong.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	line := l.last[format]
	if !line.at.IsZero() && now.Sub(line.at) < l.every {
		line.suppressed++
		l.last[format] = line
		l.mu.Unlock()
		return
	}
	l.last[format] = redisLine{at: now}
	l.mu.Unlock()

	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	for _, s := range l.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, masked)
		}
	}
	attrs := []slog.Attr{slog.String("component", "go-redis"), slog.String("detail", msg)}
	if line.suppressed > 0 {
		attrs = append(attrs, slog.Int("repeated", line.suppressed))
	}
	l.log.LogAttrs(ctx, slog.LevelWarn, "redis client", attrs...)
}
