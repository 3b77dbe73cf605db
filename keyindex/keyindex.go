// Package keyindex brings every tenant's blocking keys up to the duplicate engine's
// current scheme (dedupe.KeyVersion) after an upgrade that changed it: a periodic
// check finds the tenants not yet done and a River job per tenant adds the new kinds
// of key to its contacts, batch by batch from a checkpoint, so that a lookup by a new
// key finds contacts written before the upgrade too.
//
// It never imports handlers.
package keyindex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/jobs"
)

// Store is what reindexing needs of the store.
type Store interface {
	TenantsToReindex(ctx context.Context) ([]int64, error)
	ReindexKeysBatch(ctx context.Context, tenantID int64, limit int) (done bool, added int64, err error)
}

// Jobs enqueues River jobs.
type Jobs interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Batch is the number of contacts one checkpoint covers; Slice bounds one run of a
// tenant's job, which then puts itself back, as the duplicate scan does; CheckEvery
// is how often tenants are looked at (and once when the server starts).
const (
	Batch      = 1000
	Slice      = 20 * time.Second
	CheckEvery = 10 * time.Minute
)

// Service finds the tenants to reindex and works their jobs.
type Service struct {
	store Store
	jobs  Jobs
	log   *slog.Logger
}

// New returns a Service; Attach gives it River.
func New(st Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, log: log}
}

// Attach gives the service the job engine it enqueues on.
func (s *Service) Attach(j Jobs) { s.jobs = j }

// ReindexArgs is the job of one tenant.
type ReindexArgs struct {
	TenantID int64 `json:"tenant_id"`
}

// Kind names the job kind in River.
func (ReindexArgs) Kind() string { return "contact_keys_reindex" }

// InsertOpts keeps one job per tenant waiting or running.
func (ReindexArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.UniqueWhileQueued()}}
}

// CheckArgs is the periodic look for tenants to reindex.
type CheckArgs struct{}

// Kind names the job kind in River.
func (CheckArgs) Kind() string { return "contact_keys_reindex_check" }

// InsertOpts keeps one check waiting or running across replicas.
func (CheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: jobs.UniqueWhileQueued()}}
}

// Queue enqueues a job for every tenant not yet indexed with the current keys and
// returns those tenants.
func (s *Service) Queue(ctx context.Context) ([]int64, error) {
	if s.jobs == nil {
		return nil, errors.New("keyindex: no job engine attached")
	}
	tenants, err := s.store.TenantsToReindex(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		if _, err := s.jobs.Insert(ctx, ReindexArgs{TenantID: t}, nil); err != nil {
			return nil, fmt.Errorf("keyindex: queue tenant %d: %w", t, err)
		}
	}
	return tenants, nil
}

// Run reindexes the tenant batch after batch until it is done or slice has passed
// (0: no bound); it reports whether the tenant is done and the key rows it added.
func (s *Service) Run(ctx context.Context, tenant int64, slice time.Duration) (done bool, added int64, err error) {
	start := time.Now()
	for {
		d, n, err := s.store.ReindexKeysBatch(ctx, tenant, Batch)
		added += n
		if err != nil || d {
			return d, added, err
		}
		if slice > 0 && time.Since(start) >= slice {
			return false, added, nil
		}
	}
}

type checker struct {
	river.WorkerDefaults[CheckArgs]
	svc *Service
}

func (w *checker) Work(ctx context.Context, _ *river.Job[CheckArgs]) error {
	_, err := w.svc.Queue(ctx)
	return err
}

type reindexer struct {
	river.WorkerDefaults[ReindexArgs]
	svc *Service
}

// Timeout: a slice and the batch it ends in.
func (w *reindexer) Timeout(*river.Job[ReindexArgs]) time.Duration { return 5 * time.Minute }

func (w *reindexer) Work(ctx context.Context, job *river.Job[ReindexArgs]) error {
	done, added, err := w.svc.Run(ctx, job.Args.TenantID, Slice)
	if err != nil {
		return fmt.Errorf("keyindex: tenant %d: %w", job.Args.TenantID, err)
	}
	if added > 0 || done {
		w.svc.log.Info("contact keys reindexed", "tenant", job.Args.TenantID, "added", added, "done", done)
	}
	if !done {
		return river.JobSnooze(time.Millisecond)
	}
	return nil
}

// Register adds the workers to workers and returns the periodic check, which also
// runs when the server starts.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &checker{svc: s})
	river.AddWorker(workers, &reindexer{svc: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(CheckEvery),
		func() (river.JobArgs, *river.InsertOpts) { return CheckArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}
