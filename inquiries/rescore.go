package inquiries

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/models"
)

// Re-scoring. A lead score depends on time (a follow-up date passes, an inquiry
// nobody touches cools down), so each inquiry stores when its score changes next by
// time alone and a periodic River job re-scores those that are due. A status whose
// kind changes marks its inquiries due and enqueues a run at once.

// RescoreStore is what the job needs of the store.
type RescoreStore interface {
	// RescoreDue re-scores up to limit due inquiries and returns how many it read.
	RescoreDue(ctx context.Context, limit int) (int, error)
}

// RescoreEvery is how often the periodic re-score runs: at least daily, as scores
// change by the day; each run reads only the inquiries that are due, so running
// hourly costs little and keeps a score at most an hour behind its day.
const RescoreEvery = time.Hour

// Batch limits of one run: rescoreBatch inquiries per transaction, at most
// rescoreBatches transactions (the next run continues).
const (
	rescoreBatch   = 500
	rescoreBatches = 200
)

// RescoreArgs is the re-score job. It has no arguments: each run takes what is due.
type RescoreArgs struct{}

// Kind names the job kind in River.
func (RescoreArgs) Kind() string { return "inquiry_rescore" }

// InsertOpts makes the job unique while one waits or runs, and only then: River's
// default unique states count completed jobs too, which would keep a kick after a
// status's kind changed (and the next periodic run) out for an hour.
func (RescoreArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// Rescorer works RescoreArgs.
type Rescorer struct {
	river.WorkerDefaults[RescoreArgs]
	Store RescoreStore
	Log   *slog.Logger
}

// Work re-scores every due inquiry, batch by batch.
func (w *Rescorer) Work(ctx context.Context, _ *river.Job[RescoreArgs]) error {
	total := 0
	for range rescoreBatches {
		n, err := w.Store.RescoreDue(ctx, rescoreBatch)
		if err != nil {
			return fmt.Errorf("inquiries: re-score: %w", err)
		}
		total += n
		if n < rescoreBatch {
			break
		}
	}
	if total > 0 && w.Log != nil {
		w.Log.Info("inquiries re-scored", "read", total)
	}
	return nil
}

// Register adds the re-score workers (the periodic one and the one after a change of
// a tenant's weights) to workers and returns the periodic job (run at start, then
// every RescoreEvery).
func Register(workers *river.Workers, st interface {
	RescoreStore
	WeightsStore
}, log *slog.Logger) []*river.PeriodicJob {
	river.AddWorker(workers, &Rescorer{Store: st, Log: log})
	river.AddWorker(workers, &weightsRescorer{Store: st, Log: log})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(RescoreEvery),
		func() (river.JobArgs, *river.InsertOpts) { return RescoreArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// UpdateStatus renames, re-kinds or moves a status of the tenant (see the store's
// UpdateInquiryStatus for its errors). A new kind changes how its inquiries score
// (won 100, lost 0): they are re-scored by a job enqueued here, or else by the next
// periodic run.
func (s *Service) UpdateStatus(ctx context.Context, tenant, id int64, ch models.RefChange) (*models.InquiryStatus, error) {
	out, err := s.store.UpdateInquiryStatus(ctx, tenant, id, ch)
	if err != nil || ch.Kind == nil || s.jobs == nil {
		return out, err
	}
	if _, err := s.jobs.Insert(ctx, RescoreArgs{}, nil); err != nil {
		s.log.Warn("enqueue inquiry re-score; the periodic run will do it", "err", err)
	}
	return out, nil
}
