package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/inquiries/leadscore"
	"github.com/contacthub/contacthub/models"
)

// Inquiries. Each write runs in one transaction that resolves what the inquiry names
// (status, source, assignee and tags, creating those named for the first time; see
// inquiry_refs.go), checks the customer, scores the inquiry (leadscore) and writes it
// with its inquiry.* event. The customer itself is matched or created before, through
// the contact service (package inquiries): contacts have one write path.

// inquiryRow is an inquiries row.
type inquiryRow struct {
	ID                  int64 `gorm:"primaryKey"`
	TenantID            int64
	Title               string
	ContactFirstName    string
	ContactFamilyName   string
	ContactEmail        string
	ContactPhone        string
	CustomerID          *int64
	CustomerMatched     bool
	CustomerExplanation string
	Street              string
	PostalCode          string
	City                string
	Country             string
	StatusID            int64
	SourceID            int64
	ExpectedValue       *int64
	ExpectedCurrency    string
	Probability         *int
	Urgency             string
	AssigneeID          *int64
	FollowUpOn          *string
	ExpectedCloseOn     *string
	DesiredStartOn      *string
	Category            string
	BudgetMin           *int64
	BudgetMax           *int64
	BudgetCurrency      string
	Notes               string
	LeadScore           int
	LeadBand            string
	LeadFactors         string
	RescoreAt           *time.Time
	Version             int64
	TouchedAt           time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (inquiryRow) TableName() string { return "inquiries" }

// toRow is q as a row; q's references must be resolved.
func toRow(q *models.Inquiry) *inquiryRow {
	r := &inquiryRow{
		ID: q.ID, TenantID: q.TenantID, Title: q.Title,
		ContactFirstName: q.Contact.FirstName, ContactFamilyName: q.Contact.FamilyName,
		ContactEmail: q.Contact.Email, ContactPhone: q.Contact.Phone,
		Street: q.Address.Street, PostalCode: q.Address.PostalCode, City: q.Address.City, Country: q.Address.Country,
		StatusID: q.Status.ID, SourceID: q.Source.ID, Probability: q.Probability, Urgency: q.Urgency,
		FollowUpOn: nullable(q.FollowUpOn), ExpectedCloseOn: nullable(q.ExpectedCloseOn), DesiredStartOn: nullable(q.DesiredStartOn),
		Category: q.Category, Notes: q.Notes,
		LeadScore: q.Score.Score, LeadBand: q.Score.Band, LeadFactors: string(eventData(q.Score.Factors)),
		RescoreAt: q.RescoreAt, Version: q.Version, TouchedAt: q.TouchedAt, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
	if c := q.Customer; c != nil {
		id := c.ID
		r.CustomerID, r.CustomerMatched = &id, c.Matched
		if c.Explanation != nil {
			r.CustomerExplanation = string(eventData(c.Explanation))
		}
	}
	if m := q.ExpectedValue; m != nil {
		cents := m.Cents
		r.ExpectedValue, r.ExpectedCurrency = &cents, m.Currency
	}
	if a := q.Assignee; a != nil {
		id := a.ID
		r.AssigneeID = &id
	}
	if b := q.Budget; b != nil {
		r.BudgetMin, r.BudgetMax, r.BudgetCurrency = b.MinCents, b.MaxCents, b.Currency
	}
	return r
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// model is the row as an inquiry, references not loaded (ids only).
func (r *inquiryRow) model() (*models.Inquiry, error) {
	q := &models.Inquiry{
		ID: r.ID, TenantID: r.TenantID, Title: r.Title,
		Contact: models.InquiryContact{FirstName: r.ContactFirstName, FamilyName: r.ContactFamilyName, Email: r.ContactEmail, Phone: r.ContactPhone},
		Address: models.InquiryAddress{Street: r.Street, PostalCode: r.PostalCode, City: r.City, Country: r.Country},
		Status:  &models.InquiryStatus{ID: r.StatusID}, Source: &models.InquirySource{ID: r.SourceID},
		Probability: r.Probability, Urgency: r.Urgency,
		FollowUpOn: deref(r.FollowUpOn), ExpectedCloseOn: deref(r.ExpectedCloseOn), DesiredStartOn: deref(r.DesiredStartOn),
		Category: r.Category, Notes: r.Notes, Tags: []models.Tag{},
		Score:     models.LeadScore{Score: r.LeadScore, Band: r.LeadBand},
		RescoreAt: r.RescoreAt, Version: r.Version,
		TouchedAt: r.TouchedAt.UTC(), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var err error
	if q.Score.Factors, err = decodeFactors(r.LeadFactors); err != nil {
		return nil, fmt.Errorf("store: inquiry %d: lead factors: %w", r.ID, err)
	}
	if r.CustomerID != nil {
		q.Customer = &models.CustomerLink{ID: *r.CustomerID, Matched: r.CustomerMatched}
		if r.CustomerExplanation != "" {
			q.Customer.Explanation = &models.Explanation{}
			if err := json.Unmarshal([]byte(r.CustomerExplanation), q.Customer.Explanation); err != nil {
				return nil, fmt.Errorf("store: inquiry %d: customer explanation: %w", r.ID, err)
			}
		}
	}
	if r.ExpectedValue != nil {
		q.ExpectedValue = &models.Money{Cents: *r.ExpectedValue, Currency: r.ExpectedCurrency}
	}
	if r.AssigneeID != nil {
		q.Assignee = &models.Staff{ID: *r.AssigneeID}
	}
	if r.BudgetMin != nil || r.BudgetMax != nil {
		q.Budget = &models.Budget{MinCents: r.BudgetMin, MaxCents: r.BudgetMax, Currency: r.BudgetCurrency}
	}
	return q, nil
}

// inquiryByID is the condition of one inquiry of a tenant.
const inquiryByID = "tenant_id = ? AND id = ?"

// GetInquiry returns one inquiry of the tenant with its status, source, assignee and
// tags. It returns ENOTFOUND for an unknown id or another tenant's.
func (s *Store) GetInquiry(ctx context.Context, tenantID, id int64) (*models.Inquiry, error) {
	return s.getInquiry(ctx, s.db, tenantID, id)
}

func (s *Store) getInquiry(ctx context.Context, db *gorm.DB, tenantID, id int64) (*models.Inquiry, error) {
	q := db.WithContext(ctx).Where(inquiryByID, tenantID, id)
	var rows []*inquiryRow
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return nil, translate(fmt.Sprintf("get inquiry %d", id), err)
	}
	if len(rows) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "inquiry %d not found", id)
	}
	out, err := s.loadInquiries(ctx, db, rows)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// loadInquiries turns rows (of any tenants) into inquiries with their references, with
// one query per kind of reference.
func (s *Store) loadInquiries(ctx context.Context, db *gorm.DB, rows []*inquiryRow) ([]*models.Inquiry, error) {
	out := make([]*models.Inquiry, len(rows))
	var statusIDs, sourceIDs, staffIDs []int64
	for i, r := range rows {
		q, err := r.model()
		if err != nil {
			return nil, err
		}
		out[i] = q
		statusIDs, sourceIDs = append(statusIDs, r.StatusID), append(sourceIDs, r.SourceID)
		if r.AssigneeID != nil {
			staffIDs = append(staffIDs, *r.AssigneeID)
		}
	}
	if len(rows) == 0 {
		return out, nil
	}
	db = db.WithContext(ctx)
	var statuses []*models.InquiryStatus
	if err := db.Table("inquiry_statuses").Where("id IN ?", compact(statusIDs)).Find(&statuses).Error; err != nil {
		return nil, translate("load inquiry statuses", err)
	}
	var sources []*models.InquirySource
	if err := db.Table("inquiry_sources").Where("id IN ?", compact(sourceIDs)).Find(&sources).Error; err != nil {
		return nil, translate("load inquiry sources", err)
	}
	var staff []*models.Staff
	if len(staffIDs) > 0 {
		if err := db.Table("staff").Where("id IN ?", compact(staffIDs)).Find(&staff).Error; err != nil {
			return nil, translate("load staff", err)
		}
	}
	for _, q := range out {
		for _, st := range statuses {
			if st.ID == q.Status.ID {
				q.Status = st
			}
		}
		for _, so := range sources {
			if so.ID == q.Source.ID {
				q.Source = so
			}
		}
		if q.Assignee != nil {
			for _, a := range staff {
				if a.ID == q.Assignee.ID {
					q.Assignee = a
				}
			}
		}
	}
	return out, s.loadInquiryTags(ctx, db, out)
}

// loadInquiryTags sets the tags of inqs (of any tenants), with one query.
func (s *Store) loadInquiryTags(ctx context.Context, db *gorm.DB, inqs []*models.Inquiry) error {
	if len(inqs) == 0 {
		return nil
	}
	tenants := map[int64]bool{}
	byID := make(map[int64]*models.Inquiry, len(inqs))
	ids := make([]int64, len(inqs))
	for i, q := range inqs {
		tenants[q.TenantID] = true
		byID[q.ID], ids[i] = q, q.ID
	}
	var tags []struct {
		InquiryID int64
		ID        int64
		Name      string
	}
	err := db.WithContext(ctx).Raw("SELECT it.inquiry_id, t.id, t.name FROM inquiry_terms it JOIN terms t ON t.id = it.term_id "+
		"WHERE it.tenant_id IN ? AND it.inquiry_id IN ? ORDER BY it.inquiry_id, t.id", slices.Sorted(maps.Keys(tenants)), ids).Scan(&tags).Error
	if err != nil {
		return translate("load inquiry tags", err)
	}
	for _, t := range tags {
		q := byID[t.InquiryID]
		q.Tags = append(q.Tags, models.Tag{ID: t.ID, Name: t.Name})
	}
	return nil
}

func compact(ids []int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// CreateInquiry validates in (models.InquiryCreate) and stores a new inquiry of the
// tenant. customer, when not nil, is the customer the contact service matched or
// created; else in.CustomerID may name one. Statuses, sources, staff and tags named by
// name are created on first use; the default status (Neu, or New) and source (API)
// too. It returns the inquiry as stored; EINVALID naming every problem (unknown ids of
// a customer, status, source, staff member or term among them), nothing written; or
// ENOTFOUND when customer was deleted meanwhile (match again).
func (s *Store) CreateInquiry(ctx context.Context, tenantID int64, in *models.InquiryInput, customer *models.CustomerLink) (*models.Inquiry, error) {
	if err := in.Validate(models.InquiryCreate); err != nil {
		return nil, err
	}
	if in.ImportRow == nil { // an import's row is marked in the transaction below
		if q, ok, err := s.createInquiryAtOnce(ctx, tenantID, in, customer); err != nil || ok {
			return q, err
		}
	}
	var out *models.Inquiry
	var weights *models.ScoreWeights
	err := s.retry(ctx, func(tx *gorm.DB) error {
		q := &models.Inquiry{TenantID: tenantID, Version: 1}
		q.Apply(in, models.InquiryCreate)
		if err := s.resolveRefs(ctx, tx, q, in, models.InquiryCreate, customer); err != nil {
			return err
		}
		w, err := s.scoreWeightsFor(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		weights = w
		now := s.now()
		q.TouchedAt, q.CreatedAt, q.UpdatedAt = now, now, now
		q.Score, q.RescoreAt = leadscore.Score(q, now, w)
		row := toRow(q)
		if err := tx.WithContext(ctx).Create(row).Error; err != nil {
			return insertError("create inquiry", err)
		}
		q.ID = row.ID
		if in.ImportRow != nil {
			if err := markImportRow(ctx, tx, tenantID, *in.ImportRow, q.ID); err != nil {
				return err
			}
		}
		if err := s.setInquiryTags(ctx, tx, q, nil); err != nil {
			return err
		}
		out = q
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquiryCreated, inquiryData(q)}})
	})
	if err == nil {
		s.learnInquiryRefs(tenantID, in, out, weights)
	}
	return out, err
}

// markImportRow records that an import's row wrote inquiry id, in the inquiry's
// transaction. A row marked already (a batch written again after a crash, or by two
// workers at once: the second waits for the first's commit) is ErrImportRowWritten,
// and the transaction, with its inquiry, rolls back.
func markImportRow(ctx context.Context, tx *gorm.DB, tenantID int64, r models.ImportRowRef, id int64) error {
	res := tx.WithContext(ctx).Exec("INSERT INTO inquiry_import_rows (tenant_id, import_id, row, inquiry_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		tenantID, r.ImportID, r.Row, id)
	if res.Error != nil {
		return translate("mark import row", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.ErrImportRowWritten
	}
	return nil
}

// ImportedInquiries returns, of the rows of the tenant's import importID, those that
// wrote an inquiry already, with the inquiry's id.
func (s *Store) ImportedInquiries(ctx context.Context, tenantID, importID int64, rows []int) (map[int]int64, error) {
	out := map[int]int64{}
	if len(rows) == 0 {
		return out, nil
	}
	lo, hi := slices.Min(rows), slices.Max(rows)
	var found []struct {
		Row       int
		InquiryID int64
	}
	err := s.db.WithContext(ctx).Raw("SELECT row, inquiry_id FROM inquiry_import_rows WHERE tenant_id = ? AND import_id = ? AND row BETWEEN ? AND ?",
		tenantID, importID, lo, hi).Scan(&found).Error
	if err != nil {
		return nil, translate("find imported inquiries", err)
	}
	for _, f := range found {
		if slices.Contains(rows, f.Row) {
			out[f.Row] = f.InquiryID
		}
	}
	return out, nil
}

// insertError translates the error of writing an inquiry row: a foreign key that
// fails means a status, source, staff member or customer it refers to was deleted
// after it was resolved, and the transaction is tried again (it resolves again).
func insertError(op string, err error) error {
	if isForeignKey(err) {
		return errConcurrentChange
	}
	return translate(op, err)
}

// UpdateInquiry applies in to inquiry id of the tenant: with models.InquiryReplace
// every field is replaced (those not given cleared; status and source to the
// defaults), with models.InquiryPatch only those given. customer, when not nil, is a
// customer the contact service matched for the inquiry's contact data: it is set only
// if the inquiry has no customer and in does not name one. A change that leaves the
// inquiry as it was writes nothing. It returns the inquiry as stored; ENOTFOUND;
// ECONFLICT when in.Version is given and is not the current version; EINVALID as
// CreateInquiry.
func (s *Store) UpdateInquiry(ctx context.Context, tenantID, id int64, in *models.InquiryInput, mode models.InquiryMode, customer *models.CustomerLink) (*models.Inquiry, error) {
	if err := in.Validate(mode); err != nil {
		return nil, err
	}
	var out *models.Inquiry
	err := s.retry(ctx, func(tx *gorm.DB) error {
		// Read without a lock; the UPDATE below is optimistic (version), so the row is
		// locked last, after the terms and the contact (locks.go).
		q, err := s.getInquiry(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if in.Version.Has() && *in.Version.Value != q.Version {
			return models.Errorf(models.ECONFLICT, "inquiry %d is at version %d, not %d: read it again and repeat the change", id, q.Version, *in.Version.Value)
		}
		before := inquiryData(q)
		if q.Customer != nil || in.CustomerID.Set {
			customer = nil
		}
		q.Apply(in, mode)
		if err := s.resolveRefs(ctx, tx, q, in, mode, customer); err != nil {
			return err
		}
		if bytes.Equal(inquiryData(q), before) {
			out = q
			return nil
		}
		weights, err := s.scoreWeightsFor(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		now := s.now()
		version := q.Version
		q.Version++
		q.TouchedAt, q.UpdatedAt = now, now
		q.Score, q.RescoreAt = leadscore.Score(q, now, weights)
		row := toRow(q)
		res := tx.WithContext(ctx).Select("*").Omit("id", "tenant_id", "created_at").
			Where(inquiryByID+" AND version = ?", tenantID, id, version).Updates(row)
		if res.Error != nil {
			return insertError(fmt.Sprintf("update inquiry %d", id), res.Error)
		}
		if res.RowsAffected == 0 {
			return errConcurrentChange // changed or deleted since it was read: read again
		}
		if in.Tags.Set || mode != models.InquiryPatch {
			if err := s.setInquiryTags(ctx, tx, q, &id); err != nil {
				return err
			}
		}
		out = q
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquiryUpdated, inquiryData(q)}})
	})
	return out, err
}

// DeleteInquiry deletes an inquiry of the tenant with its tags. It returns ENOTFOUND.
func (s *Store) DeleteInquiry(ctx context.Context, tenantID, id int64) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		// The inquiry first: a write of it in flight commits before (its tags are then
		// seen and deleted below) or finds it gone.
		res := tx.WithContext(ctx).Where(inquiryByID, tenantID, id).Delete(&inquiryRow{})
		if res.Error != nil {
			return translate(fmt.Sprintf("delete inquiry %d", id), res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "inquiry %d not found", id)
		}
		if err := tx.WithContext(ctx).Exec("DELETE FROM inquiry_terms WHERE tenant_id = ? AND inquiry_id = ?", tenantID, id).Error; err != nil {
			return translate("delete inquiry tags", err)
		}
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquiryDeleted, eventData(contactwire.Deleted{V: contactwire.Version, ID: id})}})
	})
}

// setInquiryTags writes q.Tags (resolved) as the inquiry's tags; existing says the
// inquiry had tags before (an update), whose rows are replaced.
func (s *Store) setInquiryTags(ctx context.Context, tx *gorm.DB, q *models.Inquiry, existing *int64) error {
	if existing != nil {
		if err := tx.WithContext(ctx).Exec("DELETE FROM inquiry_terms WHERE tenant_id = ? AND inquiry_id = ?", q.TenantID, q.ID).Error; err != nil {
			return translate("replace inquiry tags", err)
		}
	}
	if len(q.Tags) == 0 {
		return nil
	}
	rows := make([]map[string]any, len(q.Tags))
	for i, t := range q.Tags {
		rows[i] = map[string]any{"tenant_id": q.TenantID, "inquiry_id": q.ID, "term_id": t.ID}
	}
	if err := tx.WithContext(ctx).Table("inquiry_terms").Create(rows).Error; err != nil {
		return insertError("write inquiry tags", err)
	}
	return nil
}

// inquiryData is an inquiry's wire form, the data of its inquiry.* events.
func inquiryData(q *models.Inquiry) []byte {
	return eventData(contactwire.InquiryFromModel(q))
}
