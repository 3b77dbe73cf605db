package inquiries

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

// A tenant's weights of the lead score's factors. A change is stored with its
// re-score jobs in one transaction (the store's SetInquiryScoreWeights); the jobs
// re-score the tenant's open inquiries in the background, batch by batch, each batch
// reading the weights anew. Closed inquiries score 100 or 0 whatever the weights.
//
// A write that read the old weights just before the change may commit after the
// first job read past its inquiry; every write finishes within WriteTimeout, so a
// second job, WriteTimeout (and a margin) later, catches those. Both skip themselves
// when a later change has come: its own jobs cover the tenant.

// WeightsStore is what the weights need of the store.
type WeightsStore interface {
	// InquiryScoreWeights returns the tenant's weights (the defaults, version 0, when
	// it set none).
	InquiryScoreWeights(ctx context.Context, tenantID int64) (*models.ScoreWeights, error)
	// SetInquiryScoreWeights stores w and calls enqueue with the new version in its
	// transaction; EINVALID naming bad factors, ENOTFOUND for an unknown tenant.
	SetInquiryScoreWeights(ctx context.Context, w *models.ScoreWeights, enqueue func(ctx context.Context, tx *sql.Tx, version int64) error) (*models.ScoreWeights, error)
	// RescoreOpenInquiries re-scores up to limit of the tenant's open inquiries after
	// cur and returns where to continue (nil: done) and how many it read.
	RescoreOpenInquiries(ctx context.Context, tenantID int64, cur *models.RescoreCursor, limit int) (*models.RescoreCursor, int, error)
}

// settleAfter is when the second re-score of a change runs: after every write that
// may have read the old weights has ended.
const settleAfter = WriteTimeout + 10*time.Second

// ScoreWeights returns the tenant's weights of the lead score's factors.
func (s *Service) ScoreWeights(ctx context.Context, tenant int64) (*models.ScoreWeights, error) {
	return s.store.InquiryScoreWeights(ctx, tenant)
}

// SetScoreWeights replaces the tenant's weights (every factor named, each 0 to
// models.MaxScoreWeight) and re-scores its open inquiries in the background. It
// returns the weights as stored; EINVALID naming each bad or unknown factor, nothing
// written; or the store's errors. Without a job engine (tests) nothing is re-scored:
// new scores take the weights, stored ones keep theirs until they change.
func (s *Service) SetScoreWeights(ctx context.Context, tenant int64, weights map[string]float64) (*models.ScoreWeights, error) {
	w := &models.ScoreWeights{TenantID: tenant, Weights: weights}
	return s.store.SetInquiryScoreWeights(ctx, w, func(ctx context.Context, tx *sql.Tx, version int64) error {
		if s.jobs == nil {
			return nil
		}
		now := time.Now()
		return s.jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{
			{Args: WeightsRescoreArgs{TenantID: tenant, Version: version}},
			{Args: WeightsRescoreArgs{TenantID: tenant, Version: version, Settle: true}, InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(settleAfter)}},
		})
	})
}

// WeightsRescoreArgs is the re-score of a tenant's open inquiries after its weights
// changed to Version; Settle marks the second, late run.
type WeightsRescoreArgs struct {
	TenantID int64 `json:"tenant_id"`
	Version  int64 `json:"version"`
	Settle   bool  `json:"settle,omitempty"`
}

// Kind names the job kind in River.
func (WeightsRescoreArgs) Kind() string { return "inquiry_rescore_weights" }

// InsertOpts: retried as the periodic re-score is; one job per change and pass while
// it waits or runs (the version tells changes apart).
func (WeightsRescoreArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// weightsRescorer works WeightsRescoreArgs.
type weightsRescorer struct {
	river.WorkerDefaults[WeightsRescoreArgs]
	Store WeightsStore
	Log   *slog.Logger
}

// Timeout allows a tenant of millions of inquiries: a run killed halfway is retried
// from the start, and re-writes nothing it wrote (unchanged scores are not written).
func (w *weightsRescorer) Timeout(*river.Job[WeightsRescoreArgs]) time.Duration { return time.Hour }

// Work re-scores the tenant's open inquiries, batch by batch, unless a later change
// of the weights has its own jobs.
func (w *weightsRescorer) Work(ctx context.Context, job *river.Job[WeightsRescoreArgs]) error {
	a := job.Args
	cur, err := w.Store.InquiryScoreWeights(ctx, a.TenantID)
	if err != nil {
		return fmt.Errorf("inquiries: weights of tenant %d: %w", a.TenantID, err)
	}
	if cur.Version > a.Version {
		return nil
	}
	var at *models.RescoreCursor
	total := 0
	for {
		next, n, err := w.Store.RescoreOpenInquiries(ctx, a.TenantID, at, rescoreBatch)
		if err != nil {
			return fmt.Errorf("inquiries: re-score tenant %d with its weights: %w", a.TenantID, err)
		}
		total += n
		if next == nil {
			break
		}
		at = next
	}
	if w.Log != nil && total > 0 {
		w.Log.Info("inquiries re-scored with new weights", "tenant", a.TenantID, "version", a.Version, "settle", a.Settle, "read", total)
	}
	return nil
}
