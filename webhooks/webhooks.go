// Package webhooks tells receivers about a tenant's events: endpoints with their
// subscriptions and signing secrets, deliveries that follow Standard Webhooks
// (standardwebhooks.com: webhook-id, webhook-timestamp, webhook-signature), a River
// delivery per (event, endpoint) written from the outbox in the publisher's
// transaction, its first attempt made by the publishing process and every other by a
// River job (dispatch.go),
// retries with backoff and jitter for about three days, endpoints disabled by a 410 or
// by five days of failures, a delivery log with redelivery, and an SSRF guard that
// checks every connection's address after DNS.
//
// Service is both the outbox subscriber (Publish) and what the HTTP handlers call;
// the River worker that sends deliveries is added by Register.
package webhooks

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/models"
)

// Store is what webhooks need from the store.
type Store interface {
	CreateWebhook(ctx context.Context, w *models.Webhook) error
	ListWebhooks(ctx context.Context, tenantID int64) ([]*models.Webhook, error)
	GetWebhook(ctx context.Context, tenantID, id int64) (*models.Webhook, error)
	UpdateWebhook(ctx context.Context, tenantID, id int64, change func(w *models.Webhook) error) (*models.Webhook, error)
	DeleteWebhook(ctx context.Context, tenantID, id int64) error
	// ActiveWebhooks and InsertDeliveries run in the outbox publisher's transaction.
	ActiveWebhooks(ctx context.Context, tx *sql.Tx, tenantIDs []int64) ([]*models.Webhook, error)
	InsertDeliveries(ctx context.Context, tx *sql.Tx, ds []*models.WebhookDelivery, leaseUntil time.Time) error
	CreateDelivery(ctx context.Context, d *models.WebhookDelivery, enqueue func(ctx context.Context, tx *sql.Tx) error) error
	// DeliveriesForAttempt reads deliveries with their endpoints, in the order of
	// refs, nil where gone; RecordAttempts writes several outcomes (of one batch).
	DeliveriesForAttempt(ctx context.Context, refs []models.DeliveryRef) ([]*models.WebhookDelivery, []*models.Webhook, error)
	GetDelivery(ctx context.Context, tenantID, webhookID int64, id string) (*models.WebhookDelivery, error)
	ListDeliveries(ctx context.Context, tenantID, webhookID int64, f models.DeliveryFilter) ([]*models.WebhookDelivery, error)
	RecordAttempts(ctx context.Context, os []models.DeliveryOutcome) error
	FinishDelivery(ctx context.Context, tenantID int64, id string, run int, state string) error
	// RecordFirstAttempts writes outcomes of first attempts made in this process while
	// their leases hold; ClaimLeases hands leased deliveries to jobs (dispatch.go).
	RecordFirstAttempts(ctx context.Context, os []models.DeliveryOutcome, retry func(ctx context.Context, tx *sql.Tx, os []models.DeliveryOutcome) error) (map[string]bool, error)
	ClaimLeases(ctx context.Context, ids []string, expired time.Time, limit int, enqueue func(ctx context.Context, tx *sql.Tx, refs []models.DeliveryRef) error) (int, error)
	RestartDelivery(ctx context.Context, tenantID, webhookID int64, id string, enqueue func(ctx context.Context, tx *sql.Tx, run int) error) (*models.WebhookDelivery, error)
	PendingDeliveries(ctx context.Context) (int64, time.Time, error)
	PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error)
}

// Jobs enqueues River jobs inside a database transaction (jobs.Engine).
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) error
}

// DefaultSchedule is the delay before each retry: Standard Webhooks' example
// schedule, 9 retries over about three days (75.6 h after the first attempt).
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// Queue is the River queue deliveries run in, apart from other jobs: slow receivers
// never hold up imports or the outbox publisher, nor the reverse.
const Queue = "webhooks"

// Config sets up webhooks. Zero values take the defaults.
type Config struct {
	Store Store
	// Schedule is the delay before each retry (default DefaultSchedule); its length
	// plus one is how many attempts a delivery gets. Each delay varies by ±10 %.
	Schedule []time.Duration
	// Timeout bounds one attempt: connect, send, answer (default 10 s).
	Timeout time.Duration
	// AllowHTTP lets endpoints use http:// URLs (default: https only).
	AllowHTTP bool
	// AllowPrivate are ranges the SSRF guard lets deliveries reach although they are
	// loopback, private, link-local … (CONTACTHUB_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate []netip.Prefix
	// DisableAfter: an endpoint whose attempts all failed for this long is disabled
	// (default 5 days).
	DisableAfter time.Duration
	// PerEndpoint caps the attempts one endpoint has running at once in this process
	// (default 8), so a slow receiver cannot take every worker of the queue.
	PerEndpoint int
	// Retention is how long the delivery log is kept (default 30 days).
	Retention time.Duration
	// Lease is how long the publishing process has for a delivery's first attempt
	// before another replica's sweep hands it to a job (default DefaultLease); an
	// attempt starts only while Timeout plus 10 s of it are left. SweepEvery is how
	// often each replica looks for leases that ran out (default 1 s).
	Lease      time.Duration
	SweepEvery time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// Service manages endpoints, publishes events to them and delivers.
type Service struct {
	store        Store
	jobs         Jobs
	schedule     []time.Duration
	allowHTTP    bool
	guard        *Guard
	sender       *sender
	disableAfter time.Duration
	perEndpoint  int
	retention    time.Duration
	now          func() time.Time
	log          *slog.Logger
	metrics      *Metrics

	// reads and records batch the database work of attempts running together.
	reads   *batcher[models.DeliveryRef, attemptInput]
	records *batcher[models.DeliveryOutcome, struct{}]

	// changes tells first attempts whether their endpoint changed (changes.go);
	// dispatch makes them (dispatch.go).
	changes    *changes
	dispatch   *dispatcher
	lease      time.Duration
	sweepEvery time.Duration

	mu       sync.Mutex
	inFlight map[int64]endpointSlots // running attempts per endpoint (this process)
}

// New returns the service. Call Register before the job engine is built and Attach
// once it is.
func New(cfg Config) *Service {
	s := &Service{
		store:        cfg.Store,
		schedule:     cfg.Schedule,
		allowHTTP:    cfg.AllowHTTP,
		guard:        NewGuard(cfg.AllowPrivate),
		disableAfter: cmp.Or(cfg.DisableAfter, 5*24*time.Hour),
		perEndpoint:  cmp.Or(cfg.PerEndpoint, 8),
		retention:    cmp.Or(cfg.Retention, 30*24*time.Hour),
		now:          cfg.Now,
		log:          cmp.Or(cfg.Log, slog.Default()),
		metrics:      newMetrics(),
		inFlight:     map[int64]endpointSlots{},
		changes:      newChanges(),
		lease:        cmp.Or(cfg.Lease, DefaultLease),
		sweepEvery:   cmp.Or(cfg.SweepEvery, time.Second),
	}
	if s.schedule == nil {
		s.schedule = DefaultSchedule
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.sender = newSender(s.guard, cmp.Or(cfg.Timeout, 10*time.Second))
	s.reads, s.records = newBatchers(s.store)
	s.dispatch = newDispatcher(s)
	return s
}

// Attach gives the service the job engine: for retries, redeliveries, pings and the
// first attempts this process does not make. Call Start after it.
func (s *Service) Attach(j Jobs) { s.jobs = j }

// Register adds the delivery worker and the log's retention job to workers and
// returns the periodic jobs.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &deliverWorker{s: s})
	river.AddWorker(workers, &pruneWorker{s: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "webhook_prune"}),
	}
}

// checkURL applies the server's policy to an endpoint URL already valid in form
// (models.Webhook.Validate): https unless http is allowed, and no address the SSRF
// guard refuses when the host is one. A name is checked at every connection.
func (s *Service) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // Validate reports it
	}
	var v models.ValidationError
	if u.Scheme == "http" && !s.allowHTTP {
		v.Add("url", "must be https; this server does not allow http:// endpoints (CONTACTHUB_WEBHOOK_ALLOW_HTTP)")
	}
	if addr, err := netip.ParseAddr(u.Hostname()); err == nil {
		var blocked *BlockedError
		if err := s.guard.Check(addr); errors.As(err, &blocked) {
			v.Add("url", blocked.Error())
		}
	}
	return v.Err()
}

// PruneArgs is the delivery log's retention job.
type PruneArgs struct{}

// Kind names the job in River.
func (PruneArgs) Kind() string { return "webhook_prune" }

// InsertOpts: one prune at a time.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	s *Service
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	n, err := w.s.store.PruneDeliveries(ctx, w.s.now().Add(-w.s.retention))
	if err != nil {
		return fmt.Errorf("webhooks: prune: %w", err)
	}
	if n > 0 {
		w.s.log.Info("webhook deliveries pruned", "count", n, "retention", w.s.retention)
	}
	return nil
}
