// Package dedupetrain trains each tenant's duplicate model (dedupe.Engine.Train) in
// a River job, keeps its versions, and rolls back to an earlier one or the defaults.
// The store applies the active version to the tenant's scoring (store.engineFor).
//
// It never imports handlers.
package dedupetrain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/models"
)

// Store is what training needs of the store.
type Store interface {
	Engine() *dedupe.Engine
	CountContacts(ctx context.Context, tenantID int64) (int64, error)
	DedupeTrainingData(ctx context.Context, tenantID int64, sample, seeds int) (dedupe.TrainingData, error)
	SaveDedupeModel(ctx context.Context, tenantID int64, m *dedupe.Model, contacts int64) (int, error)
	DedupeModels(ctx context.Context, tenantID int64) ([]models.DedupeModelVersion, int, error)
	DedupeModel(ctx context.Context, tenantID int64, version int) (*dedupe.Model, error)
	ActivateDedupeModel(ctx context.Context, tenantID int64, version int) error
	DedupeGrownTenants(ctx context.Context, growthPercent int) ([]int64, error)
}

// Jobs enqueues River jobs.
type Jobs interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// How much of a tenant one training reads: a random sample of SampleSize contacts
// (u-probabilities, term frequencies) and the candidates of Seeds of them (EM).
const (
	SampleSize = 50_000
	Seeds      = 3_000
)

// Service trains and rolls back tenants' models.
type Service struct {
	store   Store
	jobs    Jobs
	log     *slog.Logger
	retrain Retrain
}

// Retrain is when a tenant's model is trained again without being asked: once the
// tenant has grown by GrowthPercent of its size at the last training, looked for
// every CheckEvery. Only tenants whose active model is a trained one are retrained:
// a tenant on the defaults (never trained, or rolled back to them) stays there until
// someone asks for a training. GrowthPercent 0 turns it off.
type Retrain struct {
	GrowthPercent int
	CheckEvery    time.Duration
}

// WithRetrain sets when tenants are retrained on growth; call it before Register.
func (s *Service) WithRetrain(r Retrain) *Service {
	s.retrain = r
	return s
}

// New returns a Service; Attach gives it River once River runs.
func New(st Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, log: log}
}

// Attach gives the service the job engine it enqueues training on.
func (s *Service) Attach(j Jobs) { s.jobs = j }

// TrainArgs is the training job of one tenant.
type TrainArgs struct {
	TenantID int64 `json:"tenant_id"`
}

// Kind names the job kind in River.
func (TrainArgs) Kind() string { return "dedupe_train" }

// InsertOpts keeps one training per tenant waiting or running.
func (TrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.UniqueWhileQueued()}}
}

// TrainRequest is the answer to a training request.
type TrainRequest struct {
	Status   string `json:"status"` // "queued", or "already_queued" while one waits or runs
	JobID    int64  `json:"job_id"`
	Contacts int64  `json:"contacts"`
}

// Train enqueues the tenant's training. A tenant below dedupe.MinTrainingContacts is
// a 422: it keeps the defaults.
func (s *Service) Train(ctx context.Context, tenant int64) (*TrainRequest, error) {
	n, err := s.store.CountContacts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if n < dedupe.MinTrainingContacts {
		return nil, &models.Error{Code: models.EINVALID, Message: "too few contacts to learn from",
			Fields: []models.FieldError{{Field: "contacts", Error: fmt.Sprintf("the tenant has %d contacts; a model is trained from %d on, below that the defaults apply", n, dedupe.MinTrainingContacts)}}}
	}
	if s.jobs == nil {
		return nil, errors.New("dedupetrain: no job engine attached")
	}
	res, err := s.jobs.Insert(ctx, TrainArgs{TenantID: tenant}, nil)
	if err != nil {
		return nil, err
	}
	status := "queued"
	if res.UniqueSkippedAsDuplicate {
		status = "already_queued"
	}
	return &TrainRequest{Status: status, JobID: res.Job.ID, Contacts: n}, nil
}

// ModelView is GET /api/v1/dedupe/model: the active model with its tables, and every
// version the tenant has.
type ModelView struct {
	ActiveVersion int                         `json:"active_version"`
	Model         *dedupe.Model               `json:"model"`
	Versions      []models.DedupeModelVersion `json:"versions"`
	MinContacts   int                         `json:"min_contacts"`
}

// Model returns the tenant's active model (the defaults when none) and its versions.
func (s *Service) Model(ctx context.Context, tenant int64) (*ModelView, error) {
	versions, active, err := s.store.DedupeModels(ctx, tenant)
	if err != nil {
		return nil, err
	}
	m, err := s.store.DedupeModel(ctx, tenant, active)
	if err != nil {
		return nil, err
	}
	return &ModelView{ActiveVersion: active, Model: m, Versions: versions, MinContacts: dedupe.MinTrainingContacts}, nil
}

// Rollback targets.
const (
	RollbackPrevious = "previous"
	RollbackDefaults = "defaults"
)

// Rollback activates another model: "previous" (the newest version older than the
// active one, or the defaults when there is none), "defaults", or a version number.
// It answers the model view after the change.
func (s *Service) Rollback(ctx context.Context, tenant int64, to string, version int) (*ModelView, error) {
	versions, active, err := s.store.DedupeModels(ctx, tenant)
	if err != nil {
		return nil, err
	}
	target := version
	switch to {
	case RollbackDefaults:
		target = 0
	case RollbackPrevious:
		if active == 0 {
			return nil, &models.Error{Code: models.EINVALID, Message: "nothing to roll back",
				Fields: []models.FieldError{{Field: "to", Error: "the tenant already uses the defaults"}}}
		}
		target = 0
		for _, v := range versions { // newest first
			if v.Version < active {
				target = v.Version
				break
			}
		}
	case "":
		if version < 0 {
			return nil, &models.Error{Code: models.EINVALID, Message: "invalid version",
				Fields: []models.FieldError{{Field: "version", Error: "must be 0 (the defaults) or a version of the tenant's"}}}
		}
	default:
		return nil, &models.Error{Code: models.EINVALID, Message: "invalid rollback target",
			Fields: []models.FieldError{{Field: "to", Error: `must be "previous" or "defaults" (or give "version")`}}}
	}
	if err := s.store.ActivateDedupeModel(ctx, tenant, target); err != nil {
		return nil, err
	}
	s.log.Info("dedupe model activated", "tenant", tenant, "version", target, "was", active)
	return s.Model(ctx, tenant)
}

// Trainer works TrainArgs.
type Trainer struct {
	river.WorkerDefaults[TrainArgs]
	svc *Service
}

// Timeout bounds one training: sampling and candidate queries of a large tenant.
func (w *Trainer) Timeout(*river.Job[TrainArgs]) time.Duration { return 30 * time.Minute }

// Work trains the tenant's model and makes it the active one.
func (w *Trainer) Work(ctx context.Context, job *river.Job[TrainArgs]) error {
	_, err := w.svc.TrainNow(ctx, job.Args.TenantID)
	if errors.Is(err, dedupe.ErrTooFewContacts) {
		w.svc.log.Info("dedupe training skipped: too few contacts", "tenant", job.Args.TenantID)
		return nil
	}
	return err
}

// TrainNow trains the tenant's model in the caller's goroutine (the job's work),
// stores it as the next version and activates it; it returns the version. A tenant
// below dedupe.MinTrainingContacts is dedupe.ErrTooFewContacts.
func (s *Service) TrainNow(ctx context.Context, tenant int64) (int, error) {
	start := time.Now()
	d, err := s.store.DedupeTrainingData(ctx, tenant, SampleSize, Seeds)
	if err != nil {
		return 0, fmt.Errorf("dedupetrain: gather tenant %d: %w", tenant, err)
	}
	m, err := s.store.Engine().Train(d, dedupe.TrainOptions{})
	if err != nil {
		return 0, err
	}
	v, err := s.store.SaveDedupeModel(ctx, tenant, m, int64(d.TenantSize))
	if err != nil {
		return 0, err
	}
	r := m.Training
	s.log.Info("dedupe model trained", "tenant", tenant, "version", v, "contacts", d.TenantSize, "sampled", r.Contacts,
		"candidate_pairs", r.CandidatePairs, "em_iterations", r.Iterations, "converged", r.Converged, "took", time.Since(start).Round(time.Millisecond))
	return v, nil
}

// RetrainCheckArgs is the periodic look for tenants grown enough to be retrained.
type RetrainCheckArgs struct{}

// Kind names the job kind in River.
func (RetrainCheckArgs) Kind() string { return "dedupe_retrain_check" }

// InsertOpts keeps one check waiting or running at a time across replicas.
func (RetrainCheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: jobs.UniqueWhileQueued()}}
}

type retrainChecker struct {
	river.WorkerDefaults[RetrainCheckArgs]
	svc *Service
}

func (w *retrainChecker) Work(ctx context.Context, _ *river.Job[RetrainCheckArgs]) error {
	_, err := w.svc.RetrainGrown(ctx)
	return err
}

// RetrainGrown enqueues a training for every tenant grown by the configured share
// since its last training, and returns those tenants. A training already waiting or
// running for a tenant is not queued twice (TrainArgs is unique per tenant).
func (s *Service) RetrainGrown(ctx context.Context) ([]int64, error) {
	if s.retrain.GrowthPercent <= 0 {
		return nil, nil
	}
	if s.jobs == nil {
		return nil, errors.New("dedupetrain: no job engine attached")
	}
	tenants, err := s.store.DedupeGrownTenants(ctx, s.retrain.GrowthPercent)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		if _, err := s.jobs.Insert(ctx, TrainArgs{TenantID: t}, nil); err != nil {
			return nil, fmt.Errorf("dedupetrain: queue retraining of tenant %d: %w", t, err)
		}
		s.log.Info("dedupe model retraining queued: the tenant has grown", "tenant", t, "growth_percent", s.retrain.GrowthPercent)
	}
	return tenants, nil
}

// Register adds the training worker to workers and, when retraining on growth is on,
// the periodic check that queues it.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &Trainer{svc: s})
	if s.retrain.GrowthPercent <= 0 || s.retrain.CheckEvery <= 0 {
		return nil
	}
	river.AddWorker(workers, &retrainChecker{svc: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(s.retrain.CheckEvery),
		func() (river.JobArgs, *river.InsertOpts) { return RetrainCheckArgs{}, nil }, nil)}
}
