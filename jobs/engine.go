// Package jobs runs contacthub's background work on River: one engine for imports,
// webhook deliveries, the outbox publisher and retention, on PostgreSQL (pgx driver,
// LISTEN/NOTIFY) or on SQLite (River's SQLite driver on the store's own pool). Jobs are
// inserted in the transaction of the change that causes them (InsertTx), are worked
// by any replica, retried with backoff, and stopped gracefully with the server.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Dialects, as the store names them.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Config says where River keeps its jobs and what it runs.
type Config struct {
	// Dialect is Postgres or SQLite.
	Dialect string
	// DB is the store's pool. On SQLite River works on it; on PostgreSQL jobs are
	// inserted through it inside the store's transactions.
	DB *sql.DB
	// DatabaseURL is the PostgreSQL URL the working client opens its own pgx pool
	// with (LISTEN/NOTIFY needs pgx). Unused on SQLite.
	DatabaseURL string
	Logger      *slog.Logger
	// Workers are the job kinds this process works; nil makes an insert-only engine.
	Workers      *river.Workers
	PeriodicJobs []*river.PeriodicJob
	// MaxWorkers is how many jobs run at once (default 10; 2 on SQLite, one writer).
	MaxWorkers int
	// Queues are further queues and how many of their jobs run at once, beside the
	// default queue (webhook deliveries wait on receivers, not on the database).
	Queues map[string]int
	// FetchPollInterval is how often the engine looks for new jobs without a
	// notification (default 1 s; SQLite has no notifications).
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches of a queue (default
	// 100 ms). A fetch takes at most as many jobs as the queue has free workers, so a
	// queue runs at most MaxWorkers jobs per cooldown: short jobs in volume (webhook
	// deliveries) need a short one.
	FetchCooldown time.Duration
	// JobTimeout bounds one run of a job (default 5 min).
	JobTimeout time.Duration
}

// Engine is River for the rest of the program. It is safe for concurrent use.
type Engine struct {
	dialect string
	db      *sql.DB
	log     *slog.Logger
	// inserter inserts jobs inside a database/sql transaction (the store's).
	inserter *river.Client[*sql.Tx]
	// start and stop run the working client, whatever its driver's transaction type.
	start, stop, stopAndCancel func(context.Context) error
	pool                       *pgxpool.Pool
}

// New builds the engine; it does not migrate (Migrate) or start (Start).
func New(ctx context.Context, cfg Config) (*Engine, error) {
	log := cmp.Or(cfg.Logger, slog.Default())
	// River reports routine work at info level every few seconds; the program's log
	// keeps its warnings and errors.
	e := &Engine{dialect: cfg.Dialect, db: cfg.DB, log: slog.New(atLeast{log.Handler(), slog.LevelWarn}).With("component", "river")}
	maxWorkers := cmp.Or(cfg.MaxWorkers, 10)
	if cfg.Dialect == SQLite {
		maxWorkers = cmp.Or(cfg.MaxWorkers, 2)
	}
	rc := &river.Config{
		Logger:                      e.log,
		Workers:                     cfg.Workers,
		PeriodicJobs:                cfg.PeriodicJobs,
		FetchPollInterval:           cmp.Or(cfg.FetchPollInterval, time.Second),
		FetchCooldown:               min(cmp.Or(cfg.FetchPollInterval, time.Second), cmp.Or(cfg.FetchCooldown, 100*time.Millisecond)),
		JobTimeout:                  cmp.Or(cfg.JobTimeout, 5*time.Minute),
		CompletedJobRetentionPeriod: time.Hour,
		RescueStuckJobsAfter:        cmp.Or(cfg.JobTimeout, 5*time.Minute) + time.Minute,
	}
	if cfg.Workers != nil {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
		for name, n := range cfg.Queues {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: max(n, 1)}
		}
	}
	switch cfg.Dialect {
	case Postgres:
		pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("jobs: connect: %w", err)
		}
		e.pool = pool
		worker, err := river.NewClient(riverpgxv5.New(pool), rc)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("jobs: %w", err)
		}
		e.start, e.stop, e.stopAndCancel = worker.Start, worker.Stop, worker.StopAndCancel
		// Inserts go through database/sql, inside the store's GORM transactions.
		if e.inserter, err = river.NewClient(riverdatabasesql.New(cfg.DB), insertOnly(rc)); err != nil {
			pool.Close()
			return nil, fmt.Errorf("jobs: %w", err)
		}
	case SQLite:
		client, err := river.NewClient(riversqlite.New(cfg.DB), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		e.inserter = client
		e.start, e.stop, e.stopAndCancel = client.Start, client.Stop, client.StopAndCancel
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", cfg.Dialect)
	}
	return e, nil
}

// insertOnly is the configuration of a client that inserts the same job kinds the
// working client works, and runs nothing itself.
func insertOnly(rc *river.Config) *river.Config {
	return &river.Config{Logger: rc.Logger, Workers: rc.Workers, JobTimeout: rc.JobTimeout}
}

// migrationLock is the advisory lock that keeps replicas starting together from
// running River's migrations at the same time (River's migrator takes none).
const migrationLock = 0x72697665 // "rive"

// Migrate creates or updates River's tables.
func (e *Engine) Migrate(ctx context.Context) error {
	if e.dialect == SQLite {
		return migrate(ctx, riversqlite.New(e.db), e.log)
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // the session ends with conn anyway
	return migrate(ctx, riverpgxv5.New(e.pool), e.log)
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Start starts working jobs. It returns at once; Stop ends the work.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx ends; then it cancels
// those still running (they are retried later, by this or another replica).
func (e *Engine) Stop(ctx context.Context) error {
	err := e.stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		e.log.Warn("jobs still running at the shutdown timeout; cancelling them")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = e.stopAndCancel(cctx)
	}
	return err
}

// Close releases the engine's own connections (PostgreSQL). Call it after Stop.
func (e *Engine) Close() {
	if e.pool != nil {
		e.pool.Close()
	}
}

// InsertTx enqueues a job in tx, the transaction of the change that causes it: the job
// exists exactly when the change committed.
func (e *Engine) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := e.inserter.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res, nil
}

// InsertManyTx enqueues several jobs in tx with one statement.
func (e *Engine) InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	if _, err := e.inserter.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: insert %d jobs: %w", len(params), err)
	}
	return nil
}

// Insert enqueues a job on its own.
func (e *Engine) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := e.inserter.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Pending counts the jobs that are due and not finished: available, running, and
// retryable or scheduled ones whose time has come.
func (e *Engine) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE "+e.pending()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("jobs: count pending: %w", err)
	}
	return n, nil
}

// PendingByKind is Pending by job kind (outbox publisher, webhook deliveries,
// imports …): the depth of each queue of work, for metrics.
func (e *Engine) PendingByKind(ctx context.Context) (map[string]int64, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT kind, count(*) FROM river_job WHERE "+e.pending()+" GROUP BY kind")
	if err != nil {
		return nil, fmt.Errorf("jobs: count pending by kind: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var kind string
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("jobs: count pending by kind: %w", err)
		}
		out[kind] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: count pending by kind: %w", err)
	}
	return out, nil
}

// pending is the condition of a job that is due and not finished.
func (e *Engine) pending() string {
	now := "now()"
	if e.dialect == SQLite {
		now = "datetime('now', 'subsec')" // River's SQLite format
	}
	return "(state IN ('available', 'running') OR (state IN ('retryable', 'scheduled') AND scheduled_at <= " + now + "))"
}

// WaitIdle returns once no job is due or running (tests, and a CLI waiting for an
// import), polling every interval, or ctx's error.
func (e *Engine) WaitIdle(ctx context.Context, interval time.Duration) error {
	for {
		n, err := e.Pending(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs: %d jobs still pending: %w", n, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// atLeast is a slog handler that drops records below a level.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(attrs), h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.min}
}

// UniqueWhileQueued are the states in which a unique job keeps out another with the
// same kind (and args, with ByArgs): waiting, scheduled, running or waiting for a
// retry — not completed, so the next one can be queued as soon as this one ends
// (River's default counts completed jobs too).
func UniqueWhileQueued() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}
}
