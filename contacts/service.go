// Package contacts is the contact service: the one place that holds a contact write
// to its rules, whichever door it came through — POST contact and POST contacts
// (Quentn), POST /api/v1/contacts (native), PUT contact/{id}, and the JSON and CSV
// imports and inquiries to come. It decodes the submitted fields (JSON, or Go values
// of a CSV row or an import record, under one set of rules in models), applies the
// identity rule, reports unknown terms beside the other problems, checks the
// options (return_fields against the tenant's custom fields), guards against spam
// and floods, bounds the write in time, and calls the store's one write path
// (Ingest).
//
// It declares the small interfaces it needs (Store, SpamChecker, Metrics and
// ratelimit.FloodCounter) and never imports handlers: an import worker or an inquiry
// calls it exactly as a handler does.
package contacts

import (
	"context"
	"io"
	"log/slog"
	"net/netip"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
)

// Store is what the service needs of the store.
type Store interface {
	// Ingest is the one contact write path; see store.Ingest.
	Ingest(ctx context.Context, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error)
	// UpdateContact applies a submission to a stored contact; ENOTFOUND for an
	// unknown id, EINVALID naming unknown terms.
	UpdateContact(ctx context.Context, tenantID, id int64, sub *models.Submission) (*models.Contact, error)
	// CustomFields returns the definitions by name; naming fields in want makes sure
	// definitions just created elsewhere are seen.
	CustomFields(ctx context.Context, tenantID int64, want ...string) (map[string]*models.CustomField, error)
	// UnknownTerms returns the ids in ids that are not terms of the tenant.
	UnknownTerms(ctx context.Context, tenantID int64, ids []int64) ([]int64, error)
	// GetContact returns ENOTFOUND for another tenant's or an unknown id.
	GetContact(ctx context.Context, tenantID, id int64) (*models.Contact, error)
	// FindDuplicates ranks candidates for probe without writing.
	FindDuplicates(ctx context.Context, tenantID int64, probe *models.Contact, excludeID int64, limit int) ([]models.DuplicateCandidate, float64, error)
	// KnownContact finds, without writing, the contact a merge of sub would leave
	// unchanged; see store.KnownContact.
	KnownContact(ctx context.Context, tenantID int64, sub *models.Submission, opts models.IngestOptions) (models.IngestResult, bool, error)
	// DryRunIngest answers, reading only, what Ingest would do; see store.DryRunIngest.
	DryRunIngest(ctx context.Context, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error)
}

// SpamChecker tells whether an address is spam-listed, globally (scope "global") or
// by the tenant ("tenant").
type SpamChecker interface {
	Listed(ctx context.Context, tenantID int64, addr netip.Addr) (scope string, listed bool, err error)
}

// Metrics counts the contacts the guards refuse.
type Metrics interface {
	SpamRefused()
	FloodRefused()
}

// WriteCounter counts what submissions did: contacts created, merged into an existing
// duplicate, and other existing contacts joined into a submission's contact. A
// Config.Metrics that implements it is told after every Submit.
type WriteCounter interface {
	ContactsWritten(created, merged, joined int)
}

// Config is what New needs. Store is required; a nil Flood or Spam disables that
// guard, a nil Metrics counts nothing and a nil Log logs nothing.
type Config struct {
	Store   Store
	Flood   ratelimit.FloodCounter
	Spam    SpamChecker
	Metrics Metrics
	Log     *slog.Logger
}

// Service is the contact service. It is safe for concurrent use.
type Service struct {
	store   Store
	flood   ratelimit.FloodCounter
	spam    SpamChecker
	metrics Metrics
	writes  WriteCounter // nil: not counted
	log     *slog.Logger
}

// New returns the service for cfg.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, flood: cfg.Flood, spam: cfg.Spam, metrics: cfg.Metrics, log: cfg.Log}
	s.writes, _ = cfg.Metrics.(WriteCounter)
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}

type noMetrics struct{}

func (noMetrics) SpamRefused()  {}
func (noMetrics) FloodRefused() {}
