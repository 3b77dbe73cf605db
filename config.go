package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
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
	// MaxUploadBytes caps a file uploaded to POST /api/v1/import.
	MaxUploadBytes int64
	// ImportMaxBodyBytes is the body limit of POST /api/v1/imports: 10,000 persons
	// exceed the general limit.
	ImportMaxBodyBytes int64
	DefaultRegion      string
	ShutdownTimeout    time.Duration
	// RateLimit is the default per-key request quota, e.g. "100/m".
	RateLimit string
	// RedisFailure is what limits do while Redis is unreachable: local (enforce per
	// replica in memory), open (admit everything) or closed (refuse with 503).
	RedisFailure string
	// RedisTimeout bounds one Redis call; a slower answer counts as Redis failing.
	RedisTimeout time.Duration
	// RedisPrefix starts every Redis key, so deployments can share one Redis.
	RedisPrefix string
	// MetricsAddr, when set, serves /metrics and Go's runtime profiles
	// (net/http/pprof) on a second listener, and /metrics leaves the API's address.
	// Off by default: profiles reveal internals, so bind it to localhost or a
	// private network only.
	MetricsAddr string
	// DebugAddr is the older form of MetricsAddr: profiles only, /metrics stays on
	// the API's address.
	DebugAddr string
	// BootstrapKeyFile is where a new bootstrap key goes when stdout is not a
	// terminal (bootstrapKeyFile).
	BootstrapKeyFile string
	// DBMaxConns caps the database connection pool; 0 = the store's default.
	DBMaxConns int
	// EventRetention is how long the outbox keeps events for the change feed.
	EventRetention time.Duration
	// OutboxPublishEvery is how often each server looks for new events to publish.
	OutboxPublishEvery time.Duration
	// DedupeRetrainGrowth is the growth, in percent of a tenant's size at its last
	// training, that has its duplicate model trained again; 0 = never.
	DedupeRetrainGrowth int
	// DedupeRetrainCheckEvery is how often tenants are looked at for that growth.
	DedupeRetrainCheckEvery time.Duration
	Webhooks                WebhookConfig
}

// A setting is one configuration value. Every setting is both an environment
// variable and a flag: CONTACTHUB_ + the flag's name in upper case, - as _
// (--db-max-conns is CONTACTHUB_DB_MAX_CONNS). Flags override the environment, which
// overrides the default.
type setting struct {
	flag  string
	def   string // the default, as it would be typed
	usage string
	// server settings are read only by the server: the other commands (keys,
	// tenants, spamlist, migrate) take just the database and log settings.
	server bool
	field  func(*Config) any // *string, *bool, *int, *int64 or *time.Duration
}

// settings is every setting of Config, in the order --help lists them.
var settings = []setting{
	{"addr", ":8080", "listen address of the API", true, func(c *Config) any { return &c.Addr }},
	{"database-url", "", "postgres://… or an SQLite path; empty = ./data/contacthub.db", false, func(c *Config) any { return &c.DatabaseURL }},
	{"db-max-conns", "0", "database connection pool size; 0 = 20 on PostgreSQL, 8 on SQLite", false, func(c *Config) any { return &c.DBMaxConns }},
	{"log-format", "text", "text or json", false, func(c *Config) any { return &c.LogFormat }},
	{"log-level", "info", "debug, info, warn or error", false, func(c *Config) any { return &c.LogLevel }},
	{"bootstrap-api-key", "", "value of tenant 1's first API key on an empty database; empty = a random one", true, func(c *Config) any { return &c.BootstrapAPIKey }},
	{"bootstrap-key-file", "", "where a new bootstrap key is written (mode 0600) when stdout is not a terminal; empty = bootstrap-api-key beside the SQLite database, or in the working directory", true, func(c *Config) any { return &c.BootstrapKeyFile }},
	{"redis-url", "", "redis://… for limits shared by replicas; empty = in-process", true, func(c *Config) any { return &c.RedisURL }},
	{"redis-prefix", "contacthub:", "start of every Redis key, so that deployments can share one Redis", true, func(c *Config) any { return &c.RedisPrefix }},
	{"redis-timeout", "500ms", "longest wait for one Redis call before limits follow redis-failure (10ms to 10s)", true, func(c *Config) any { return &c.RedisTimeout }},
	{"redis-failure", "local", "limits while Redis is down: local, open or closed", true, func(c *Config) any { return &c.RedisFailure }},
	{"rate-limit", "100/m", "default request quota per API key, e.g. 100/m", true, func(c *Config) any { return &c.RateLimit }},
	{"max-body-bytes", "10485760", "largest request body (413 beyond)", true, func(c *Config) any { return &c.MaxBodyBytes }},
	{"max-upload-bytes", "536870912", "largest file uploaded to POST /api/v1/import (413 beyond); uploads are streamed, never held in memory", true, func(c *Config) any { return &c.MaxUploadBytes }},
	{"import-max-body-bytes", "67108864", "largest body of POST /api/v1/imports (413 beyond)", true, func(c *Config) any { return &c.ImportMaxBodyBytes }},
	{"default-region", "DE", "country of phone numbers written without a country code (ISO 3166-1 alpha-2)", true, func(c *Config) any { return &c.DefaultRegion }},
	{"shutdown-timeout", "20s", "how long a stopping server lets requests and jobs finish", true, func(c *Config) any { return &c.ShutdownTimeout }},
	{"event-retention", "720h", "how long the change feed keeps events", true, func(c *Config) any { return &c.EventRetention }},
	{"outbox-publish-every", "100ms", "how often each server looks for new events to hand to subscribers (webhooks)", true, func(c *Config) any { return &c.OutboxPublishEvery }},
	{"dedupe-retrain-growth", "50", "retrain a tenant's trained duplicate model once the tenant has grown by this many percent since its last training; 0 = only when asked", true, func(c *Config) any { return &c.DedupeRetrainGrowth }},
	{"dedupe-retrain-check-every", "1h", "how often tenants are looked at for that growth (1m to 24h)", true, func(c *Config) any { return &c.DedupeRetrainCheckEvery }},
	{"webhook-allow-private", "", "ranges webhook deliveries may reach although loopback, private, link-local … (CIDRs, comma-separated); empty = none", true, func(c *Config) any { return &c.Webhooks.AllowPrivate }},
	{"webhook-allow-http", "false", "allow http:// webhook URLs; false = https only", true, func(c *Config) any { return &c.Webhooks.AllowHTTP }},
	{"webhook-timeout", "10s", "time for one webhook delivery attempt (100ms to 1m)", true, func(c *Config) any { return &c.Webhooks.Timeout }},
	{"webhook-retry-schedule", "", "delays before the retries of a failed webhook delivery, comma-separated; empty = 5s,5m,30m,2h,5h,10h,14h,20h,24h", true, func(c *Config) any { return &c.Webhooks.RetrySchedule }},
	{"webhook-disable-after", "120h", "a webhook endpoint failing this long without a success is disabled", true, func(c *Config) any { return &c.Webhooks.DisableAfter }},
	{"webhook-workers", "0", "webhook delivery jobs one replica runs at once (first attempts run in the publishing process, bounded per endpoint); 0 = 200 on PostgreSQL, 20 on SQLite", true, func(c *Config) any { return &c.Webhooks.Workers }},
	{"webhook-per-endpoint", "0", "deliveries of one webhook endpoint one replica runs at once; 0 = a quarter of webhook-workers", true, func(c *Config) any { return &c.Webhooks.PerEndpoint }},
	{"metrics-addr", "", "serve /metrics and /debug/pprof/ on this private address instead of /metrics on the API's; empty = /metrics on the API", true, func(c *Config) any { return &c.MetricsAddr }},
	{"debug-addr", "", "serve /debug/pprof/ on this address; empty = off (deprecated: --metrics-addr serves both)", true, func(c *Config) any { return &c.DebugAddr }},
}

// envName is the environment variable of a flag.
func envName(flag string) string {
	return "CONTACTHUB_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// define adds s's flag to fs, bound to c's field; its default is the field's value.
func (s setting) define(fs *pflag.FlagSet, c *Config) {
	usage := s.usage + " (" + envName(s.flag) + ")"
	switch p := s.field(c).(type) {
	case *string:
		fs.StringVar(p, s.flag, *p, usage)
	case *int:
		fs.IntVar(p, s.flag, *p, usage)
	case *int64:
		fs.Int64Var(p, s.flag, *p, usage)
	case *time.Duration:
		fs.DurationVar(p, s.flag, *p, usage)
	case *bool:
		fs.BoolVar(p, s.flag, *p, usage)
	default:
		panic(fmt.Sprintf("setting %s: field of type %T", s.flag, p))
	}
}

// configFromEnv reads the CONTACTHUB_* variables into a Config with defaults. It
// returns an error naming the variable whose value does not parse.
func configFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	fs := pflag.NewFlagSet("environment", pflag.ContinueOnError)
	for _, s := range settings {
		s.define(fs, &cfg)
		value := fs.Lookup(s.flag).Value
		if err := value.Set(s.def); err != nil {
			panic(fmt.Sprintf("setting %s: default %q: %v", s.flag, s.def, err))
		}
		if v := strings.TrimSpace(getenv(envName(s.flag))); v != "" {
			if err := value.Set(v); err != nil {
				return cfg, fmt.Errorf("config: %s %q: %w", envName(s.flag), v, err)
			}
		}
	}
	return cfg, nil
}

// bindFlags adds a flag for every setting to fs, the server's settings only when
// server is true; their defaults are what the environment set.
func (c *Config) bindFlags(fs *pflag.FlagSet, server bool) {
	for _, s := range settings {
		if server || !s.server {
			s.define(fs, c)
		}
	}
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
	if c.MaxUploadBytes < 1024 {
		return fmt.Errorf("config: CONTACTHUB_MAX_UPLOAD_BYTES %d: want at least 1024", c.MaxUploadBytes)
	}
	if c.ImportMaxBodyBytes < 1024 {
		return fmt.Errorf("config: CONTACTHUB_IMPORT_MAX_BODY_BYTES %d: want at least 1024", c.ImportMaxBodyBytes)
	}
	if c.EventRetention < time.Hour {
		return fmt.Errorf("config: CONTACTHUB_EVENT_RETENTION %v: want at least 1h", c.EventRetention)
	}
	if c.OutboxPublishEvery < 10*time.Millisecond || c.OutboxPublishEvery > time.Minute {
		return fmt.Errorf("config: CONTACTHUB_OUTBOX_PUBLISH_EVERY %v: want 10ms to 1m", c.OutboxPublishEvery)
	}
	if c.DedupeRetrainGrowth < 0 || c.DedupeRetrainGrowth > 10000 {
		return fmt.Errorf("config: CONTACTHUB_DEDUPE_RETRAIN_GROWTH %d: want 0 (off) to 10000 percent", c.DedupeRetrainGrowth)
	}
	if c.DedupeRetrainCheckEvery < time.Minute || c.DedupeRetrainCheckEvery > 24*time.Hour {
		return fmt.Errorf("config: CONTACTHUB_DEDUPE_RETRAIN_CHECK_EVERY %v: want 1m to 24h", c.DedupeRetrainCheckEvery)
	}
	if err := c.Webhooks.Validate(); err != nil {
		return err
	}
	if c.MetricsAddr != "" && c.DebugAddr != "" {
		return fmt.Errorf("config: set CONTACTHUB_METRICS_ADDR or CONTACTHUB_DEBUG_ADDR, not both: the metrics address serves the profiles too")
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
	if c.RedisTimeout < 10*time.Millisecond || c.RedisTimeout > 10*time.Second {
		return fmt.Errorf("config: CONTACTHUB_REDIS_TIMEOUT %v: want 10ms to 10s", c.RedisTimeout)
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
		slog.Int64("max_body_bytes", c.MaxBodyBytes), slog.Int64("max_upload_bytes", c.MaxUploadBytes), slog.Int64("import_max_body_bytes", c.ImportMaxBodyBytes), slog.String("default_region", c.DefaultRegion),
		slog.String("rate_limit", c.RateLimit), slog.String("redis_failure", c.RedisFailure), slog.Duration("redis_timeout", c.RedisTimeout),
		slog.String("metrics_addr", c.MetricsAddr), slog.String("debug_addr", c.DebugAddr), slog.Int("db_max_conns", c.DBMaxConns),
		slog.Duration("event_retention", c.EventRetention), slog.Duration("outbox_publish_every", c.OutboxPublishEvery),
		slog.Any("webhooks", c.Webhooks),
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
