// Package outbox publishes the events every mutation writes into the outbox table (see
// store/event.go) and keeps the table to its retention. Both are River jobs: a periodic
// publisher hands new events, in feed order, to the subscribers (webhooks will be one)
// inside the transaction that records them as published, so a subscriber that
// enqueues work in that transaction sees each event exactly once; a periodic pruner
// deletes events older than the retention.
package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/models"
)

// Store is what the jobs need from the store.
type Store interface {
	// ConsumeEvents hands the next events after consumer's cursor to fn inside the
	// transaction that advances the cursor; it returns how many it handed over.
	ConsumeEvents(ctx context.Context, consumer string, limit int, fn func(ctx context.Context, tx *sql.Tx, events []models.Event) error) (int, error)
	// PruneEvents deletes events created before cutoff.
	PruneEvents(ctx context.Context, cutoff time.Time) (int64, error)
}

// Subscriber is told about every event once, in feed order. What it writes in tx
// commits together with the publisher's progress; an error rolls both back and the
// batch is offered again on the next run.
type Subscriber interface {
	Publish(ctx context.Context, tx *sql.Tx, events []models.Event) error
}

// Ender is a Subscriber that is told, after the publisher's transaction ended,
// whether what it wrote in tx committed: to start work that must not begin before its
// rows are visible, nor at all when they are not written.
type Ender interface {
	Ended(tx *sql.Tx, committed bool)
}

// consumer is the publisher's cursor name in event_cursors.
const consumer = "publisher"

// Batch limits: one transaction hands over at most publishBatch events, one run at
// most publishBatches transactions (the next run continues).
const (
	publishBatch   = 1000
	publishBatches = 50
)

// PublishArgs is the publisher job. It has no arguments: each run continues from the
// publisher's cursor.
type PublishArgs struct{}

// Kind names the job kind in River.
func (PublishArgs) Kind() string { return "outbox_publish" }

// InsertOpts: the publisher is not unique. Runs may overlap safely (the cursor row
// is locked until a run's transaction ends, so they take turns), and a unique job
// would be kept out by a run left "running" by a crashed replica until River rescues
// it, minutes later: no event would be published meanwhile.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3}
}

// uniqueWhileUnfinished keeps a second job of a kind out while one is waiting or
// running, and only then. River's default states count completed jobs too, which
// stay in river_job for an hour: every periodic insert after the first run would be
// skipped until the cleaner removed it.
var uniqueWhileUnfinished = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

// Publisher works PublishArgs.
type Publisher struct {
	river.WorkerDefaults[PublishArgs]
	Store       Store
	Subscribers []Subscriber
	Log         *slog.Logger
	// published counts events handed over (for metrics and tests).
	Published func(n int)
}

// Work publishes every visible event after the cursor, batch by batch.
func (p *Publisher) Work(ctx context.Context, _ *river.Job[PublishArgs]) error {
	for range publishBatches {
		// The transactions fn ran in: several when a transaction lost a race and ran
		// again. Only the last can have committed, and only when events were consumed
		// (the last run may have found none, so fn did not run in it).
		var txs []*sql.Tx
		n, err := p.Store.ConsumeEvents(ctx, consumer, publishBatch, func(ctx context.Context, tx *sql.Tx, events []models.Event) error {
			txs = append(txs, tx)
			for _, s := range p.Subscribers {
				if err := s.Publish(ctx, tx, events); err != nil {
					return err
				}
			}
			return nil
		})
		for i, tx := range txs {
			committed := err == nil && n > 0 && i == len(txs)-1
			for _, s := range p.Subscribers {
				if e, ok := s.(Ender); ok {
					e.Ended(tx, committed)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("outbox: publish: %w", err)
		}
		if n > 0 && p.Published != nil {
			p.Published(n)
		}
		if n < publishBatch {
			return nil
		}
	}
	return nil
}

// Poller runs the publisher in this process as soon as new events are visible,
// looking every Every (two indexed reads when there is nothing new; the publisher's
// own transaction only when there is). The periodic job alone would leave an event
// waiting up to its interval before the first delivery attempt is even enqueued,
// and a periodic River job at a tenth of a second would write ten job rows a second
// and go through River's fetch each time. Pollers of several replicas take turns on
// the publisher's cursor row; the periodic job stays as the backstop.
type Poller struct {
	Publisher *Publisher
	Every     time.Duration
	Log       *slog.Logger
}

// NewPoller is the poller of the publisher cfg describes.
func NewPoller(cfg Config, every time.Duration) *Poller {
	cfg = cfg.withDefaults()
	return &Poller{Publisher: cfg.publisher(), Every: every, Log: cfg.Log}
}

// Run publishes until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.Publisher.Work(ctx, nil); err != nil && ctx.Err() == nil {
			// The periodic job and the next tick try again; the events stay.
			p.Log.Warn("outbox: publishing failed", "err", err)
		}
	}
}

// PruneArgs is the retention job.
type PruneArgs struct{}

// Kind names the job kind in River.
func (PruneArgs) Kind() string { return "outbox_prune" }

// InsertOpts: one prune at a time.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileUnfinished}
}

// Pruner works PruneArgs.
type Pruner struct {
	river.WorkerDefaults[PruneArgs]
	Store Store
	// Retention is how long events are kept.
	Retention time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

// Work deletes the events older than the retention.
func (p *Pruner) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	n, err := p.Store.PruneEvents(ctx, p.Now().Add(-p.Retention))
	if err != nil {
		return fmt.Errorf("outbox: prune: %w", err)
	}
	if n > 0 {
		p.Log.Info("events pruned", "count", n, "retention", p.Retention)
	}
	return nil
}

// Config sets up the outbox jobs.
type Config struct {
	Store       Store
	Subscribers []Subscriber
	// PublishEvery is how often the publisher runs (default 1 s).
	PublishEvery time.Duration
	// Retention is how long events are kept (default 30 days); pruning runs hourly.
	Retention time.Duration
	Now       func() time.Time
	Log       *slog.Logger
	Published func(n int)
}

func (cfg Config) withDefaults() Config {
	if cfg.PublishEvery <= 0 {
		cfg.PublishEvery = time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return cfg
}

func (cfg Config) publisher() *Publisher {
	return &Publisher{Store: cfg.Store, Subscribers: cfg.Subscribers, Log: cfg.Log, Published: cfg.Published}
}

// Register adds the outbox's workers to workers and returns its periodic jobs.
func Register(workers *river.Workers, cfg Config) []*river.PeriodicJob {
	cfg = cfg.withDefaults()
	river.AddWorker(workers, cfg.publisher())
	river.AddWorker(workers, &Pruner{Store: cfg.Store, Retention: cfg.Retention, Now: cfg.Now, Log: cfg.Log})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cfg.PublishEvery),
			func() (river.JobArgs, *river.InsertOpts) { return PublishArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "outbox_publish"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "outbox_prune"}),
	}
}
