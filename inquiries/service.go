// Package inquiries is the inquiry service: leads that come in from a web form, a
// lead tool, a portal or a person (seed 002). It holds an inquiry write to its rules
// whatever door it came through — the native API, or an import later — and does what
// the store cannot do in the inquiry's transaction: the spam and flood guards of the
// request (the contact service's, with request_ip), and the customer — matched to an
// existing contact or created, by the contact service, the one write path of
// contacts. The store then writes the inquiry, creating the statuses, sources, staff
// and tags it names for the first time, scores it (leadscore) and writes its event.
//
// It declares the small interfaces it needs and never imports handlers or store;
// main wires it. The re-score job (rescore.go) keeps scores true as time passes.
package inquiries

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// Store is what the service needs of the store.
type Store interface {
	// CreateInquiry writes a new inquiry; EINVALID, or models.ErrCustomerGone when
	// customer was deleted meanwhile.
	CreateInquiry(ctx context.Context, tenantID int64, in *models.InquiryInput, customer *models.CustomerLink) (*models.Inquiry, error)
	// UpdateInquiry replaces or patches one; ENOTFOUND, ECONFLICT, EINVALID,
	// models.ErrCustomerGone.
	UpdateInquiry(ctx context.Context, tenantID, id int64, in *models.InquiryInput, mode models.InquiryMode, customer *models.CustomerLink) (*models.Inquiry, error)
	// GetInquiry returns ENOTFOUND for an unknown or another tenant's id.
	GetInquiry(ctx context.Context, tenantID, id int64) (*models.Inquiry, error)
	// UpdateInquiryStatus changes a status; a new kind marks its inquiries due for
	// re-scoring.
	UpdateInquiryStatus(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.InquiryStatus, error)
	WeightsStore
}

// Contacts is what the service needs of the contact service (contacts.Service).
type Contacts interface {
	Submit(ctx context.Context, tenant int64, inputs []contacts.Input, opts contacts.Options) ([]contacts.Result, error)
	Known(ctx context.Context, tenant int64, in contacts.Input, opts contacts.Options) (contacts.Result, bool, error)
	Guard(ctx context.Context, tenant int64, kind, requestIP string, o contacts.Options) (func(written bool), error)
}

// Jobs enqueues background work (jobs.Engine).
type Jobs interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) error
}

// Config is what New needs. Store and Contacts are required; a nil Jobs leaves
// re-scoring after a status's kind changed to the periodic run, and stored scores as
// they are after a change of the tenant's weights; a nil Log logs nothing.
type Config struct {
	Store    Store
	Contacts Contacts
	Jobs     Jobs
	Log      *slog.Logger
}

// Service is the inquiry service. It is safe for concurrent use.
type Service struct {
	store    Store
	contacts Contacts
	jobs     Jobs
	log      *slog.Logger
}

// New returns the service for cfg.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, contacts: cfg.Contacts, jobs: cfg.Jobs, log: cfg.Log}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}

// WriteTimeout bounds an inquiry write once it has begun: it is detached from its
// caller, so a client that gives up does not leave a customer without its inquiry.
const WriteTimeout = 30 * time.Second

// Options are the guards of a create, named as for contacts.
type Options struct {
	// RequestIP is the address the inquiry was sent from (the visitor of a web form).
	RequestIP string
	// SpamProtection refuses an inquiry whose RequestIP is spam-listed.
	SpamProtection *bool
	// FloodLimit, above 0, is the most inquiries created per RequestIP per hour.
	FloodLimit *int
}

func (o Options) validate() error {
	var v models.ValidationError
	if o.RequestIP != "" && !models.ValidIP(o.RequestIP) {
		v.Add("request_ip", "must be an IPv4 or IPv6 address")
	}
	if o.FloodLimit != nil && (*o.FloodLimit < 0 || *o.FloodLimit > contacts.MaxFloodLimit) {
		v.Addf("flood_limit", "must be 0 (disabled) or a number of inquiries per hour up to %d", contacts.MaxFloodLimit)
	}
	return v.Err()
}

// Create validates in and writes a new inquiry of the tenant: the guards of o, then the
// customer (in.CustomerID, or matched from the contact data by the contact service:
// by e-mail, else by name with address and phone as evidence, else created), then the
// inquiry. It is the one way to create an inquiry, for every door.
//
// It returns the inquiry as stored, or: EINVALID naming every problem of in and o at
// once (field names as in the JSON form, "contact.email"); EFORBIDDEN for a
// spam-listed request_ip with spam protection on; ELIMITED beyond the flood limit;
// EUNAVAILABLE when the write did not finish in WriteTimeout; or the store's errors.
// Nothing is written on an error, except a customer the contact service created just
// before the inquiry write failed (a retry finds it as a match).
func (s *Service) Create(ctx context.Context, tenant int64, in *models.InquiryInput, o Options) (*models.Inquiry, error) {
	if err := models.JoinProblems(in.Validate(models.InquiryCreate), o.validate()); err != nil {
		return nil, err
	}
	done, err := s.contacts.Guard(ctx, tenant, "inquiry", o.RequestIP, contacts.Options{SpamProtection: o.SpamProtection, FloodLimit: o.FloodLimit})
	if err != nil {
		return nil, err
	}
	written := false
	defer func() { done(written) }()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WriteTimeout)
	defer cancel()
	q, err := s.write(wctx, tenant, in, func(customer *models.CustomerLink) (*models.Inquiry, error) {
		return s.store.CreateInquiry(wctx, tenant, in, customer)
	}, true)
	if errors.Is(err, context.DeadlineExceeded) {
		err = &models.Error{Code: models.EUNAVAILABLE, RetryAfter: 5 * time.Second, Message: "the inquiry was not written within " + WriteTimeout.String() + "; try again"}
	}
	written = err == nil
	return q, err
}

// Update applies in to inquiry id: mode models.InquiryReplace (PUT) replaces every
// field, models.InquiryPatch (PATCH) the given ones. An inquiry that gets contact data
// and has no customer is matched as on Create; a change of contact data does not move
// an inquiry to another customer (customer_id does). It returns the inquiry as
// stored; ENOTFOUND; ECONFLICT for a stale version; EINVALID naming every problem; or
// the store's errors.
func (s *Service) Update(ctx context.Context, tenant, id int64, in *models.InquiryInput, mode models.InquiryMode) (*models.Inquiry, error) {
	if err := in.Validate(mode); err != nil {
		return nil, err
	}
	match := false
	if !in.CustomerID.Set && in.Contact.Has() && in.Contact.Value.Contact().CanIdentify() {
		cur, err := s.store.GetInquiry(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		match = cur.Customer == nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WriteTimeout)
	defer cancel()
	q, err := s.write(wctx, tenant, in, func(customer *models.CustomerLink) (*models.Inquiry, error) {
		return s.store.UpdateInquiry(wctx, tenant, id, in, mode, customer)
	}, match)
	if errors.Is(err, context.DeadlineExceeded) {
		err = &models.Error{Code: models.EUNAVAILABLE, RetryAfter: 5 * time.Second, Message: "the inquiry was not written within " + WriteTimeout.String() + "; try again"}
	}
	return q, err
}

// write matches the customer when match and in asks for it, and runs store with it;
// a customer deleted between the match and the write is matched once more.
func (s *Service) write(ctx context.Context, tenant int64, in *models.InquiryInput, store func(*models.CustomerLink) (*models.Inquiry, error), match bool) (*models.Inquiry, error) {
	match = match && !in.CustomerID.Set && in.Contact.Has() && in.Contact.Value.Contact().CanIdentify()
	for attempt := 0; ; attempt++ {
		var customer *models.CustomerLink
		if match {
			var err error
			if customer, err = s.matchCustomer(ctx, tenant, in); err != nil {
				return nil, err
			}
		}
		q, err := store(customer)
		if errors.Is(err, models.ErrCustomerGone) && attempt == 0 {
			continue
		}
		return q, err
	}
}
