// Package dupscan runs tenant-wide duplicate scans (POST /api/v1/duplicates/scan): a
// River job walks the tenant's existing contacts — after an import with deduplication
// none, or after the tenant's duplicate model changed — and queues the possible
// duplicates it finds for review or, when asked, merges those that match through the
// ordinary undoable merge.
//
// It never imports handlers.
package dupscan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/models"
)

// Store is what scans need of the store.
type Store interface {
	CreateDuplicateScan(ctx context.Context, scan *models.DuplicateScan, enqueue func(ctx context.Context, tx *sql.Tx, scan *models.DuplicateScan) error) error
	GetDuplicateScan(ctx context.Context, tenantID, id int64) (*models.DuplicateScan, error)
	ScanDuplicatesBatch(ctx context.Context, tenantID, id int64, limit int) (done bool, err error)
	FailDuplicateScan(ctx context.Context, tenantID, id int64, reason string) error
}

// Jobs enqueues River jobs in the store's transactions.
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Batch is the number of contacts one checkpoint covers; Slice bounds one run of the
// job, which then puts itself back (so a long scan never holds a worker for hours, and
// a restarted server carries on from the checkpoint).
const (
	Batch = 500
	Slice = 20 * time.Second
)

// Service starts scans and works their jobs.
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

// Attach gives the service the job engine it enqueues scans on.
func (s *Service) Attach(j Jobs) { s.jobs = j }

// ScanArgs is the job of one scan.
type ScanArgs struct {
	TenantID int64 `json:"tenant_id"`
	ScanID   int64 `json:"scan_id"`
}

// Kind names the job kind in River.
func (ScanArgs) Kind() string { return "duplicate_scan" }

// InsertOpts: a failing batch is retried, then the scan is marked failed.
func (ScanArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// Start begins a scan of the tenant with action (models.ScanReview or
// models.ScanMerge): EINVALID for another action, ECONFLICT while one runs.
func (s *Service) Start(ctx context.Context, tenant int64, action string) (*models.DuplicateScan, error) {
	if action == "" {
		action = models.ScanReview
	}
	if action != models.ScanReview && action != models.ScanMerge {
		return nil, &models.Error{Code: models.EINVALID, Message: "invalid fields",
			Fields: []models.FieldError{{Field: "action", Error: `must be "review" (queue what is found) or "merge" (merge the matches, queue the rest)`}}}
	}
	if s.jobs == nil {
		return nil, errors.New("dupscan: no job engine attached")
	}
	scan := &models.DuplicateScan{TenantID: tenant, Action: action}
	err := s.store.CreateDuplicateScan(ctx, scan, func(ctx context.Context, tx *sql.Tx, scan *models.DuplicateScan) error {
		_, err := s.jobs.InsertTx(ctx, tx, ScanArgs{TenantID: tenant, ScanID: scan.ID}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return scan, nil
}

// Get returns a scan of the tenant.
func (s *Service) Get(ctx context.Context, tenant, id int64) (*models.DuplicateScan, error) {
	return s.store.GetDuplicateScan(ctx, tenant, id)
}

// Run scans batch after batch until the scan ends or slice has passed; it reports
// whether the scan ended.
func (s *Service) Run(ctx context.Context, tenant, id int64, slice time.Duration) (bool, error) {
	start := time.Now()
	for {
		done, err := s.store.ScanDuplicatesBatch(ctx, tenant, id, Batch)
		if err != nil || done {
			return done, err
		}
		if slice > 0 && time.Since(start) >= slice {
			return false, nil
		}
	}
}

// Scanner works ScanArgs.
type Scanner struct {
	river.WorkerDefaults[ScanArgs]
	svc *Service
}

// Timeout: a slice and the batch it ends in.
func (w *Scanner) Timeout(*river.Job[ScanArgs]) time.Duration { return 10 * time.Minute }

// Work runs one slice of the scan and puts the job back while the scan goes on. The
// last failed attempt marks the scan failed.
func (w *Scanner) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	a := job.Args
	done, err := w.svc.Run(ctx, a.TenantID, a.ScanID, Slice)
	if err != nil {
		if job.Attempt >= job.MaxAttempts {
			if ferr := w.svc.store.FailDuplicateScan(context.WithoutCancel(ctx), a.TenantID, a.ScanID, err.Error()); ferr != nil {
				w.svc.log.Error("mark duplicate scan failed", "scan", a.ScanID, "err", ferr)
			}
		}
		return fmt.Errorf("dupscan: scan %d: %w", a.ScanID, err)
	}
	if !done {
		return river.JobSnooze(time.Millisecond)
	}
	if scan, err := w.svc.store.GetDuplicateScan(ctx, a.TenantID, a.ScanID); err == nil {
		w.svc.log.Info("duplicate scan ended", "tenant", a.TenantID, "scan", a.ScanID, "status", scan.Status,
			"contacts", scan.Processed, "queued", scan.Queued, "merged", scan.Merged, "skipped", scan.Skipped)
	}
	return nil
}

// Register adds the scan worker to workers.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &Scanner{svc: s})
	return nil
}
