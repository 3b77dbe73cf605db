package imports

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/models"
)

// ImportArgs is the job that processes one import.
type ImportArgs struct {
	TenantID int64 `json:"tenant_id"`
	ImportID int64 `json:"import_id"`
}

// Kind names the job kind in River.
func (ImportArgs) Kind() string { return "import" }

// maxAttempts is how often River runs an import's job before the import fails. A run
// that ends by losing its lease, or because its process stops, ends without error
// or is resumed from the checkpoint: attempts are spent only on errors.
const maxAttempts = 5

// InsertOpts: not unique. A job left "running" by a process that died would keep a
// unique job out until River rescues it (JobTimeout + 1 min): the resume job enqueues
// a fresh one instead, and the import's lease keeps two runs from working at once.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: maxAttempts} }

// importWorker runs ImportArgs.
type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	e *Engine
}

// Timeout: an import runs as long as it needs; the lease, renewed while it runs,
// is what tells a live run from a dead one.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return time.Hour }

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	err := w.e.run(ctx, job.Args.TenantID, job.Args.ImportID, uuid.NewString())
	if err == nil || ctx.Err() != nil || job.Attempt < maxAttempts {
		return err
	}
	// The last attempt failed: the import fails with the reason, rather than stay
	// processing forever.
	w.e.log.Error("import failed for good", "import", job.Args.ImportID, "tenant", job.Args.TenantID, "err", err)
	_, _, endErr := w.e.store.EndImport(context.WithoutCancel(ctx), job.Args.TenantID, job.Args.ImportID, models.ImportFailed,
		"processing failed repeatedly; the records written so far stay", "")
	return errors.Join(err, endErr)
}

// ResumeArgs is the periodic job that resumes imports whose worker died.
type ResumeArgs struct{}

// Kind names the job kind in River.
func (ResumeArgs) Kind() string { return "import_resume" }

// InsertOpts: runs may overlap safely (each import is requeued at most once per
// lease period, marked in the transaction that enqueues it).
func (ResumeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type resumeWorker struct {
	river.WorkerDefaults[ResumeArgs]
	e *Engine
}

func (w *resumeWorker) Work(ctx context.Context, _ *river.Job[ResumeArgs]) error {
	jobs, err := w.e.jobEngine()
	if err != nil {
		return nil // not attached yet: the next run will do it
	}
	n, err := w.e.store.RequeueStaleImports(ctx, w.e.lease, func(ctx context.Context, tx *sql.Tx, imps []*models.Import) error {
		params := make([]river.InsertManyParams, len(imps))
		for i, imp := range imps {
			params[i] = river.InsertManyParams{Args: ImportArgs{TenantID: imp.TenantID, ImportID: imp.ID}}
		}
		return jobs.InsertManyTx(ctx, tx, params)
	})
	if n > 0 {
		w.e.log.Info("resuming imports whose worker stopped", "imports", n)
	}
	return err
}

// Register adds the import workers to workers and returns the periodic resume job.
func (e *Engine) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &importWorker{e: e})
	river.AddWorker(workers, &resumeWorker{e: e})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(e.resume),
		func() (river.JobArgs, *river.InsertOpts) { return ResumeArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}
