package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/webhooks"
)

// WebhookConfig is the webhooks' part of the configuration (CONTACTHUB_WEBHOOK_*, read
// by the settings table in config.go).
type WebhookConfig struct {
	// AllowPrivate lists ranges deliveries may reach although the SSRF guard refuses
	// them (loopback, private, link-local …): "127.0.0.0/8,10.1.0.0/16".
	AllowPrivate string
	// AllowHTTP lets endpoints use http:// (default https only).
	AllowHTTP bool
	// Timeout bounds one attempt.
	Timeout time.Duration
	// RetrySchedule is the delay before each retry, comma-separated ("" = Standard
	// Webhooks' schedule over about three days). Tests compress it.
	RetrySchedule string
	// DisableAfter: an endpoint failing this long without a success is disabled.
	DisableAfter time.Duration
	// Workers is how many deliveries run at once per replica.
	Workers int
	// PerEndpoint is how many of them one endpoint may take (0: a quarter).
	PerEndpoint int
}

// Validate reports the first invalid webhook setting.
func (c WebhookConfig) Validate() error {
	if _, err := webhooks.ParseAllowList(c.AllowPrivate); err != nil {
		return fmt.Errorf("config: CONTACTHUB_WEBHOOK_ALLOW_PRIVATE: %w", err)
	}
	if _, err := c.schedule(); err != nil {
		return err
	}
	if c.Timeout < 100*time.Millisecond || c.Timeout > time.Minute {
		return fmt.Errorf("config: CONTACTHUB_WEBHOOK_TIMEOUT %v: want 100ms to 1m", c.Timeout)
	}
	if c.DisableAfter < time.Minute {
		return fmt.Errorf("config: CONTACTHUB_WEBHOOK_DISABLE_AFTER %v: want at least 1m", c.DisableAfter)
	}
	if c.Workers < 0 || c.Workers > 1000 {
		return fmt.Errorf("config: CONTACTHUB_WEBHOOK_WORKERS %d: want 0 (default) to 1000", c.Workers)
	}
	if c.PerEndpoint < 0 || c.PerEndpoint > 1000 {
		return fmt.Errorf("config: CONTACTHUB_WEBHOOK_PER_ENDPOINT %d: want 0 (default) to 1000", c.PerEndpoint)
	}
	return nil
}

// schedule parses RetrySchedule; nil means the default.
func (c WebhookConfig) schedule() ([]time.Duration, error) {
	if strings.TrimSpace(c.RetrySchedule) == "" {
		return nil, nil
	}
	var out []time.Duration
	for part := range strings.SplitSeq(c.RetrySchedule, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || d > 7*24*time.Hour {
			return nil, fmt.Errorf("config: CONTACTHUB_WEBHOOK_RETRY_SCHEDULE: %q: want durations from 1ns to 168h, comma-separated", part)
		}
		out = append(out, d)
	}
	if len(out) > 50 {
		return nil, fmt.Errorf("config: CONTACTHUB_WEBHOOK_RETRY_SCHEDULE: %d retries; at most 50", len(out))
	}
	return out, nil
}

// LogValue shows the settings in the start-up log.
func (c WebhookConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("allow_private", c.AllowPrivate), slog.Bool("allow_http", c.AllowHTTP),
		slog.Duration("timeout", c.Timeout), slog.String("retry_schedule", c.RetrySchedule),
		slog.Duration("disable_after", c.DisableAfter), slog.Int("workers", c.Workers), slog.Int("per_endpoint", c.PerEndpoint))
}

// workers is the delivery queue's size: deliveries wait on receivers and on the
// batched statements they share (webhooks.batcher), not on a connection each, so many
// run at once; throughput is workers / a job's time, which on a busy machine is
// mostly waiting its turn. SQLite's single writer still bounds them.
func (c WebhookConfig) workers(dialect string) int {
	if c.Workers > 0 {
		return c.Workers
	}
	if dialect == store.SQLite {
		return 20
	}
	return 200
}

// perEndpoint is how many deliveries of one endpoint run at once per replica: a
// quarter of the workers unless configured, so one slow receiver leaves most of them
// to the others.
func (c WebhookConfig) perEndpoint(dialect string) int {
	if c.PerEndpoint > 0 {
		return c.PerEndpoint
	}
	return max(1, c.workers(dialect)/4)
}

// newWebhooks builds the webhook service on the store (the config is validated).
func newWebhooks(cfg Config, st *store.Store, log *slog.Logger) *webhooks.Service {
	allow, _ := webhooks.ParseAllowList(cfg.Webhooks.AllowPrivate)
	schedule, _ := cfg.Webhooks.schedule()
	return webhooks.New(webhooks.Config{
		Store: st, Schedule: schedule, Timeout: cfg.Webhooks.Timeout, AllowHTTP: cfg.Webhooks.AllowHTTP,
		AllowPrivate: allow, DisableAfter: cfg.Webhooks.DisableAfter, Retention: cfg.EventRetention,
		PerEndpoint: cfg.Webhooks.perEndpoint(st.Dialect()), Log: log,
	})
}
