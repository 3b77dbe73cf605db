package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/store"
)

// Config is the server's typed configuration: flags override environment variables,
// which override defaults.
type Config struct {
	Addr            string
	DatabaseURL     string
	RedisURL        string
	BootstrapAPIKey string
	LogFormat       string
	LogLevel        string
	MaxBodyBytes    int64
	DefaultRegion   string
	ShutdownTimeout time.Duration
	// RateLimit is the default per-key request quota, e.g. "100/m".
	RateLimit string
	// RedisFailure is what limits do while Redis is unreachable: local (enforce per
	// replica in memory), open (admit everything) or closed (refuse with 503).
	RedisFailure string
	// RedisPrefix starts every Redis key, so deployments can share one Redis.
	RedisPrefix string
	// DebugAddr, when set, serves Go's runtime profiles (net/http/pprof) on a
	// second listener. Off by default: profiles reveal internals, so bind it
	// to localhost or a private network only.
	DebugAddr string
	// DBMaxConns caps the database connection pool; 0 = the store's default.
	DBMaxConns int
	// EventRetention is how long the outbox keeps events for the change feed.
	EventRetention time.Duration
	// OutboxPublishEvery is how often the publisher job hands new events on.
	OutboxPublishEvery time.Duration
}

// configFromEnv reads CONTACTHUB_* variables into a Config with defaults.
func configFromEnv(getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv("CONTACTHUB_" + name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		Addr:            env("ADDR", ":8080"),
		DatabaseURL:     env("DATABASE_URL", ""),
		RedisURL:        env("REDIS_URL", ""),
		BootstrapAPIKey: env("BOOTSTRAP_API_KEY", ""),
		LogFormat:       env("LOG_FORMAT", "text"),
		LogLevel:        env("LOG_LEVEL", "info"),
		DefaultRegion:   env("DEFAULT_REGION", "DE"),
		RateLimit:       env("RATE_LIMIT", "100/m"),
		RedisFailure:    env("REDIS_FAILURE", "local"),
		RedisPrefix:     env("REDIS_PREFIX", "contacthub:"),
		DebugAddr:       env("DEBUG_ADDR", ""),
	}
	var err error
	if cfg.MaxBodyBytes, err = strconv.ParseInt(env("MAX_BODY_BYTES", "10485760"), 10, 64); err != nil {
		return cfg, fmt.Errorf("config: CONTACTHUB_MAX_BODY_BYTES: %w", err)
	}
	if cfg.DBMaxConns, err = strconv.Atoi(env("DB_MAX_CONNS", "0")); err != nil {
		return cfg, fmt.Errorf("config: CONTACTHUB_DB_MAX_CONNS: %w", err)
	}
	if cfg.ShutdownTimeout, err = time.ParseDuration(env("SHUTDOWN_TIMEOUT", "20s")); err != nil {
		return cfg, fmt.Errorf("config: CONTACTHUB_SHUTDOWN_TIMEOUT: %w", err)
	}
	if cfg.EventRetention, err = time.ParseDuration(env("EVENT_RETENTION", "720h")); err != nil {
		return cfg, fmt.Errorf("config: CONTACTHUB_EVENT_RETENTION: %w", err)
	}
	if cfg.OutboxPublishEvery, err = time.ParseDuration(env("OUTBOX_PUBLISH_EVERY", "1s")); err != nil {
		return cfg, fmt.Errorf("config: CONTACTHUB_OUTBOX_PUBLISH_EVERY: %w", err)
	}
	return cfg, nil
}

// bindFlags lets flags override the environment for every setting.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (CONTACTHUB_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres://… or an SQLite path; empty = ./data/contacthub.db (CONTACTHUB_DATABASE_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL, "redis://… for limits shared by replicas; empty = in-process (CONTACTHUB_REDIS_URL)")
	fs.StringVar(&c.RateLimit, "rate-limit", c.RateLimit, "default request quota per API key, e.g. 100/m (CONTACTHUB_RATE_LIMIT)")
	fs.StringVar(&c.RedisFailure, "redis-failure", c.RedisFailure, "limits while Redis is down: local, open or closed (CONTACTHUB_REDIS_FAILURE)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", c.DBMaxConns, "database connection pool size; 0 = 20 on PostgreSQL, 8 on SQLite (CONTACTHUB_DB_MAX_CONNS)")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "serve /debug/pprof/ on this address; empty = off (CONTACTHUB_DEBUG_ADDR)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (CONTACTHUB_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (CONTACTHUB_LOG_LEVEL)")
	fs.DurationVar(&c.EventRetention, "event-retention", c.EventRetention, "how long the change feed keeps events (CONTACTHUB_EVENT_RETENTION)")
	fs.DurationVar(&c.OutboxPublishEvery, "outbox-publish-every", c.OutboxPublishEvery, "how often new events are published to subscribers (CONTACTHUB_OUTBOX_PUBLISH_EVERY)")
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log format %q: want text or json", c.LogFormat)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("config: log level %q: %w", c.LogLevel, err)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("config: max body bytes %d: want at least 1024", c.MaxBodyBytes)
	}
	if c.EventRetention < time.Hour {
		return fmt.Errorf("config: CONTACTHUB_EVENT_RETENTION %v: want at least 1h", c.EventRetention)
	}
	if c.OutboxPublishEvery < 10*time.Millisecond || c.OutboxPublishEvery > time.Minute {
		return fmt.Errorf("config: CONTACTHUB_OUTBOX_PUBLISH_EVERY %v: want 10ms to 1m", c.OutboxPublishEvery)
	}
	if c.DBMaxConns < 0 {
		return fmt.Errorf("config: CONTACTHUB_DB_MAX_CONNS %d: want 0 (default) or more", c.DBMaxConns)
	}
	if c.BootstrapAPIKey != "" && len(c.BootstrapAPIKey) < 16 {
		return fmt.Errorf("config: CONTACTHUB_BOOTSTRAP_API_KEY must be at least 16 characters")
	}
	if _, err := ratelimit.ParseLimit(c.RateLimit); err != nil {
		return fmt.Errorf("config: CONTACTHUB_RATE_LIMIT %q: %w", c.RateLimit, err)
	}
	if c.RedisFailure != "local" && c.RedisFailure != "open" && c.RedisFailure != "closed" {
		return fmt.Errorf("config: CONTACTHUB_REDIS_FAILURE %q: want local, open or closed", c.RedisFailure)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return fmt.Errorf("config: redis url must start with redis:// or rediss://")
	}
	return nil
}

// LogValue masks secrets when the config is logged.
func (c Config) LogValue() slog.Value {
	db := "sqlite (./data/contacthub.db)"
	if c.DatabaseURL != "" {
		db = maskCredentials(c.DatabaseURL)
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("database", db), slog.String("redis", maskCredentials(c.RedisURL)),
		slog.Bool("bootstrap_key_set", c.BootstrapAPIKey != ""), slog.String("log_format", c.LogFormat),
		slog.Int64("max_body_bytes", c.MaxBodyBytes), slog.String("default_region", c.DefaultRegion),
		slog.String("rate_limit", c.RateLimit), slog.String("redis_failure", c.RedisFailure),
		slog.String("debug_addr", c.DebugAddr), slog.Int("db_max_conns", c.DBMaxConns),
		slog.Duration("event_retention", c.EventRetention), slog.Duration("outbox_publish_every", c.OutboxPublishEvery),
	)
}

// secretParams are the connection settings that carry a secret, in a URL's query or
// a key/value DSN: pgx reads password and sslpassword (the key's passphrase) from
// either; sslkey, sslcert and sslrootcert are file paths and stay readable.
var secretParams = map[string]bool{"password": true, "sslpassword": true}

const masked = "***"

var (
	// kvSecret is a secret setting in a key/value DSN ("host=db password='a b'"):
	// a value in single quotes (with backslash escapes) or up to the next space.
	kvSecret = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*(?:'(?:[^'\\]|\\.)*'?|\S*)`)
	// querySecret is a secret query parameter in a URL the parser could not read.
	querySecret = regexp.MustCompile(`(?i)([?&;](?:ssl)?password=)[^&#]*`)
)

// maskCredentials hides every credential in a database or Redis connection string:
// the password of a URL's userinfo (postgres://, redis://: user:pass@ and :pass@), a
// password or sslpassword query parameter, and password/sslpassword settings of a
// key/value DSN. A URL is read as the drivers read it (net/url), so what they would
// take for a password is what is masked; one net/url refuses (several hosts, an
// unescaped / or ? in the password) is masked more widely: everything from the first
// colon to the last @.
func maskCredentials(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return kvSecret.ReplaceAllString(s, "${1}="+masked)
	}
	if u, err := url.Parse(s); err == nil {
		authority, tail := rest, ""
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority, tail = rest[:i], rest[i:]
		}
		if _, has := u.User.Password(); has {
			at := strings.LastIndexByte(authority, '@')
			user, _, _ := strings.Cut(authority[:at], ":")
			authority = user + ":" + masked + authority[at:]
		}
		return scheme + "://" + authority + maskQuery(tail)
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			rest = user + ":" + masked + rest[at:]
		}
	}
	return scheme + "://" + querySecret.ReplaceAllString(rest, "${1}"+masked)
}

// maskQuery masks the secret parameters in the query of a URL's path, query and
// fragment, keeping everything else as written.
func maskQuery(tail string) string {
	path, query, ok := strings.Cut(tail, "?")
	if !ok {
		return tail
	}
	query, fragment, hasFragment := strings.Cut(query, "#")
	params := strings.Split(query, "&")
	for i, p := range params {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err == nil && secretParams[strings.ToLower(key)] {
			params[i] = k + "=" + masked
		}
	}
	out := path + "?" + strings.Join(params, "&")
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

func (c *Config) storeConfig(log *slog.Logger) store.Config {
	cfg := store.Config{DatabaseURL: c.DatabaseURL, Logger: log, MaxOpenConns: c.DBMaxConns}
	cfg.Dedupe.DefaultRegion = c.DefaultRegion
	return cfg
}
