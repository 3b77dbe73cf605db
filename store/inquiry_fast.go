package store

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/contacthub/contacthub/inquiries/leadscore"
	"github.com/contacthub/contacthub/models"
)

// The one-statement inquiry create. Most inquiries name a status and a source the
// tenant has had for long (or take the defaults), no assignee and no tags: for those
// the transaction of CreateInquiry — BEGIN, find the status, find the source, hold
// the customer, insert, append the event, COMMIT — is one autocommitted statement on
// PostgreSQL. The statement cannot stop halfway to let Go score the inquiry and write
// its event with the status it found, so Go predicts the status and source from what
// earlier creates of the tenant resolved (inquiryRefCache), and the statement resolves
// them by name as resolveRefs does and inserts only when they are what Go predicted
// (same id, name and kind) and the customer, if any, is still there (held FOR KEY
// SHARE, as the transaction holds it). Otherwise it writes nothing and CreateInquiry
// runs its transaction, which decides as always and teaches the cache.

// inquiryRefCache remembers, per tenant, the status and source each key resolved to
// the last time: the prediction of the one-statement create, checked by the statement.
type inquiryRefCache struct {
	mu sync.Mutex
	m  map[inquiryRefKey]inquiryRef
	// weights are each tenant's score weights as its last create read them; the
	// statement checks their version.
	weights map[int64]*models.ScoreWeights
	// atOnce and transactions count the creates by how they were written.
	atOnce, transactions atomic.Int64
}

// InquiryCreateCounts says how many inquiries were created with one statement and how
// many with the transaction, for metrics and for tests that the statement is taken.
func (s *Store) InquiryCreateCounts() (atOnce, transaction int64) {
	return s.inquiryRefs.atOnce.Load(), s.inquiryRefs.transactions.Load()
}

// inquiryRefKey names a reference as an inquiry names it: a status or source by its
// name key; "" is the default status.
type inquiryRefKey struct {
	tenant int64
	status bool
	key    string
}

// inquiryRef is what a key resolved to.
type inquiryRef struct {
	id         int64
	name, kind string
}

// maxCachedRefs bounds the cache; past it, it starts again empty.
const maxCachedRefs = 10_000

func (c *inquiryRefCache) get(k inquiryRefKey) (inquiryRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[k]
	return r, ok
}

func (c *inquiryRefCache) put(k inquiryRefKey, r inquiryRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRefs {
		c.m = map[inquiryRefKey]inquiryRef{}
	}
	c.m[k] = r
}

func (c *inquiryRefCache) forget(tenant int64, keys ...inquiryRefKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.m, k)
	}
	delete(c.weights, tenant)
}

func (c *inquiryRefCache) getWeights(tenant int64) (*models.ScoreWeights, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.weights[tenant]
	return w, ok
}

func (c *inquiryRefCache) putWeights(tenant int64, w *models.ScoreWeights) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.weights == nil || len(c.weights) >= maxCachedRefs {
		c.weights = map[int64]*models.ScoreWeights{}
	}
	c.weights[tenant] = w
}

// inquiryRefKeys are the keys in names its status and source by, and whether the
// one-statement create can take in at all: names without a kind (a kind would have to
// be checked against the status's), no ids, no assignee, no tags.
func inquiryRefKeys(tenantID int64, in *models.InquiryInput) (status, source inquiryRefKey, ok bool) {
	status, source = inquiryRefKey{tenant: tenantID, status: true}, inquiryRefKey{tenant: tenantID, key: models.NameKey(models.DefaultSourceName)}
	if in.Status.Has() {
		if in.Status.Value.ID != 0 || in.Status.Value.Kind != "" {
			return status, source, false
		}
		status.key = models.NameKey(in.Status.Value.Name)
	}
	if in.Source.Has() {
		if in.Source.Value.ID != 0 {
			return status, source, false
		}
		source.key = models.NameKey(in.Source.Value.Name)
	}
	return status, source, !in.Assignee.Has() && (!in.Tags.Has() || len(*in.Tags.Value) == 0)
}

// learnInquiryRefs remembers what q's status and source resolved to for in, and the
// tenant's score weights q was scored with.
func (s *Store) learnInquiryRefs(tenantID int64, in *models.InquiryInput, q *models.Inquiry, w *models.ScoreWeights) {
	s.inquiryRefs.transactions.Add(1)
	status, source, ok := inquiryRefKeys(tenantID, in)
	if !ok || s.dialect != Postgres {
		return
	}
	s.inquiryRefs.putWeights(tenantID, w)
	s.inquiryRefs.put(status, inquiryRef{id: q.Status.ID, name: q.Status.Name, kind: q.Status.Kind})
	s.inquiryRefs.put(source, inquiryRef{id: q.Source.ID, name: q.Source.Name})
}

// createInquiryAtOnce writes a new inquiry with one statement when in and the cache
// allow it. ok is false when nothing was written: the caller runs the transaction.
func (s *Store) createInquiryAtOnce(ctx context.Context, tenantID int64, in *models.InquiryInput, customer *models.CustomerLink) (*models.Inquiry, bool, error) {
	statusKey, sourceKey, fits := inquiryRefKeys(tenantID, in)
	if s.dialect != Postgres || !fits || in.CustomerID.Has() {
		return nil, false, nil
	}
	status, ok := s.inquiryRefs.get(statusKey)
	if !ok {
		return nil, false, nil
	}
	source, ok := s.inquiryRefs.get(sourceKey)
	if !ok {
		return nil, false, nil
	}
	weights, ok := s.inquiryRefs.getWeights(tenantID)
	if !ok {
		return nil, false, nil
	}
	q := &models.Inquiry{TenantID: tenantID, Version: 1, Tags: []models.Tag{}}
	q.Apply(in, models.InquiryCreate)
	q.Status = &models.InquiryStatus{ID: status.id, TenantID: tenantID, Name: status.name, Kind: status.kind}
	q.Source = &models.InquirySource{ID: source.id, TenantID: tenantID, Name: source.name}
	if customer != nil {
		c := *customer
		q.Customer = &c
	}
	now := s.now()
	q.TouchedAt, q.CreatedAt, q.UpdatedAt = now, now, now
	q.Score, q.RescoreAt = leadscore.Score(q, now, weights)
	statusKeys := []string{statusKey.key}
	if statusKey.key == "" {
		statusKeys = defaultStatusKeys
	}
	r := toRow(q)
	before, after := splitAtID(inquiryData(q))
	args := []any{tenantID, pgTextArray(statusKeys), sourceKey.key, status.id, status.name, status.kind, source.id, source.name,
		before, after, now, weights.Version}
	args = append(args, inquiryRowValues(r)...)
	if customer != nil {
		args = append(args, customer.ID)
	}
	var id int64
	err := s.sqlDB.QueryRowContext(ctx, createInquirySQL(customer != nil), args...).Scan(&id)
	if err != nil {
		if retryable(err) || isForeignKey(err) || (connLost(err) && pgconn.SafeToRetry(err)) {
			return nil, false, nil // the transaction decides again
		}
		if connLost(err) {
			// The statement commits on its own: whether the inquiry was written is not
			// known, and the transaction could write it twice.
			s.noteLost()
			s.logFor(ctx).Warn("database connection lost", "unknown_outcome", true, "err", err)
			return nil, false, translate("create inquiry", unavailable(err, true))
		}
		return nil, false, translate("create inquiry", err)
	}
	if id == 0 {
		// A status or source is not what the cache said (renamed, deleted, a new
		// default), the score weights changed, or the customer is gone: the
		// transaction finds out which.
		s.inquiryRefs.forget(tenantID, statusKey, sourceKey)
		return nil, false, nil
	}
	q.ID = id
	s.inquiryRefs.atOnce.Add(1)
	return q, true, nil
}

// inquiryInsertColumns are the columns the one-statement create writes, in the order
// of inquiryRowValues.
var inquiryInsertColumns = []string{
	"tenant_id", "title", "contact_first_name", "contact_family_name", "contact_email", "contact_phone",
	"customer_id", "customer_matched", "customer_explanation", "street", "postal_code", "city", "country",
	"status_id", "source_id", "expected_value", "expected_currency", "probability", "urgency", "assignee_id",
	"follow_up_on", "expected_close_on", "desired_start_on", "category", "budget_min", "budget_max", "budget_currency",
	"notes", "lead_score", "lead_band", "lead_factors", "rescore_at", "version", "touched_at", "created_at", "updated_at",
}

func inquiryRowValues(r *inquiryRow) []any {
	return []any{
		r.TenantID, r.Title, r.ContactFirstName, r.ContactFamilyName, r.ContactEmail, r.ContactPhone,
		r.CustomerID, r.CustomerMatched, r.CustomerExplanation, r.Street, r.PostalCode, r.City, r.Country,
		r.StatusID, r.SourceID, r.ExpectedValue, r.ExpectedCurrency, r.Probability, r.Urgency, r.AssigneeID,
		r.FollowUpOn, r.ExpectedCloseOn, r.DesiredStartOn, r.Category, r.BudgetMin, r.BudgetMax, r.BudgetCurrency,
		r.Notes, r.LeadScore, r.LeadBand, r.LeadFactors, r.RescoreAt, r.Version, r.TouchedAt, r.CreatedAt, r.UpdatedAt,
	}
}

// createInquirySQL is the one-statement create, with or without a customer to hold.
// $1 tenant, $2 the status keys (the default's, in order of preference), $3 the source
// key, $4–$8 the predicted status (id, name, kind) and source (id, name), $9 and $10
// the event's data around the id, $11 its time, $12 the version of the tenant's score
// weights the score was computed with (0: none set), then the columns, then the
// customer.
// It answers the new inquiry's id, or 0 when it wrote nothing.
var createInquirySQL = func() func(bool) string {
	build := func(withCustomer bool) string {
		const fixed = 12
		var sb strings.Builder
		sb.WriteString("WITH st AS (SELECT id, name, kind FROM inquiry_statuses WHERE tenant_id = $1 AND name_key = ANY($2::text[]) " +
			"ORDER BY position, id LIMIT 1), " +
			"so AS (SELECT id, name FROM inquiry_sources WHERE tenant_id = $1 AND name_key = $3), ")
		customer := ""
		if withCustomer {
			n := strconv.Itoa(fixed + len(inquiryInsertColumns) + 1)
			sb.WriteString("cu AS (SELECT id FROM contacts WHERE tenant_id = $1 AND id = $" + n + " FOR KEY SHARE), ")
			customer = " AND EXISTS (SELECT FROM cu)"
		}
		sb.WriteString("ok AS (SELECT FROM st, so WHERE st.id = $4 AND st.name = $5 AND st.kind = $6 AND so.id = $7 AND so.name = $8" + customer +
			" AND coalesce((SELECT version FROM inquiry_score_weights WHERE tenant_id = $1), 0) = $12), ")
		sb.WriteString("i AS (INSERT INTO inquiries (" + strings.Join(inquiryInsertColumns, ", ") + ") SELECT ")
		for i := range inquiryInsertColumns {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("$" + strconv.Itoa(fixed+1+i))
		}
		sb.WriteString(" FROM ok RETURNING id), " +
			"e AS (INSERT INTO events (tenant_id, type, data, created_at) SELECT $1, '" + models.EventInquiryCreated + "', $9::text || i.id::text || $10::text, $11 FROM i) " +
			"SELECT coalesce((SELECT id FROM i), 0)")
		return sb.String()
	}
	with, without := build(true), build(false)
	return func(withCustomer bool) string {
		if withCustomer {
			return with
		}
		return without
	}
}()
