package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// What an inquiry refers to — customer, status, source, assignee, tags — resolved
// inside the inquiry's transaction. Statuses, sources, staff and terms named for the
// first time are created there: "INSERT … ON CONFLICT DO NOTHING" on the tenant's
// unique name, then a read, so concurrent inquiries naming one new source create it
// once and all refer to it. (On PostgreSQL the insert of a name another transaction is
// inserting waits for that transaction; the read after it sees the winner's row.)
// Each new one writes its *.created event in the same transaction.

// resolveRefs sets q's references from in: those in gives, and for a create or
// replace (mode) the defaults of those it does not. customer is a customer the
// contact service matched (nil: none). Every reference to something the tenant does
// not have is reported at once (EINVALID).
func (s *Store) resolveRefs(ctx context.Context, tx *gorm.DB, q *models.Inquiry, in *models.InquiryInput, mode models.InquiryMode, customer *models.CustomerLink) error {
	var v models.ValidationError
	all := mode != models.InquiryPatch
	tenantID := q.TenantID
	if in.Status.Set || all {
		st, problem, err := s.resolveStatus(ctx, tx, tenantID, in.Status)
		if err != nil {
			return err
		}
		if problem != nil {
			v.Fields = append(v.Fields, *problem)
		} else {
			q.Status = st
		}
	}
	if in.Source.Set || all {
		so, problem, err := s.resolveSource(ctx, tx, tenantID, in.Source)
		if err != nil {
			return err
		}
		if problem != nil {
			v.Fields = append(v.Fields, *problem)
		} else {
			q.Source = so
		}
	}
	if in.Assignee.Set || all {
		q.Assignee = nil
		if in.Assignee.Has() {
			a, problem, err := s.resolveStaff(ctx, tx, tenantID, *in.Assignee.Value)
			if err != nil {
				return err
			}
			if problem != nil {
				v.Fields = append(v.Fields, *problem)
			}
			q.Assignee = a
		}
	}
	if in.Tags.Set || all {
		q.Tags = []models.Tag{}
		if in.Tags.Has() {
			tags, problem, err := s.resolveTags(ctx, tx, tenantID, *in.Tags.Value)
			if err != nil {
				return err
			}
			if problem != nil {
				v.Fields = append(v.Fields, *problem)
			}
			q.Tags = tags
		}
	}
	// The customer last: contact rows come after term rows in the lock order
	// (locks.go). Held with KEY SHARE, it cannot be deleted or merged away before the
	// inquiry commits.
	switch {
	case in.CustomerID.Has():
		id := *in.CustomerID.Value
		if err := s.lockContact(ctx, tx, tenantID, id, lockKeyShare); models.ErrorCode(err) == models.ENOTFOUND {
			v.Addf("customer_id", "the tenant has no contact %d", id)
		} else if err != nil {
			return err
		} else if q.Customer == nil || q.Customer.ID != id {
			q.Customer = &models.CustomerLink{ID: id, Matched: true}
		}
	case in.CustomerID.Set:
		q.Customer = nil
	case customer != nil:
		if err := s.lockContact(ctx, tx, tenantID, customer.ID, lockKeyShare); models.ErrorCode(err) == models.ENOTFOUND {
			return models.ErrCustomerGone
		} else if err != nil {
			return err
		}
		c := *customer
		q.Customer = &c
	case q.Customer != nil:
		// Kept. Gone meanwhile, the contact's delete or merge has changed this
		// inquiry's row too: the update starts over and reads it again.
		if err := s.lockContact(ctx, tx, tenantID, q.Customer.ID, lockKeyShare); models.ErrorCode(err) == models.ENOTFOUND {
			return errConcurrentChange
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}

// statusColumns and the others are what a reference's row holds.
const (
	statusColumns = "id, tenant_id, name, name_key, kind, position, created_at, updated_at"
	sourceColumns = "id, tenant_id, name, name_key, position, created_at, updated_at"
	staffColumns  = "id, tenant_id, email, email_key, name, created_at, updated_at"
)

// defaultStatusKeys name the default status: the tenant's "Neu", or "New" should it
// have renamed it so.
var defaultStatusKeys = []string{"neu", "new"}

// resolveStatus finds the status ref names (by id; by name, created on first use), or
// the default status when ref is not given or null. problem names what the tenant
// does not have.
func (s *Store) resolveStatus(ctx context.Context, tx *gorm.DB, tenantID int64, ref models.Field[models.StatusRef]) (*models.InquiryStatus, *models.FieldError, error) {
	var st models.InquiryStatus
	db := tx.WithContext(ctx).Table("inquiry_statuses").Select(statusColumns)
	switch {
	case !ref.Has():
		var found []*models.InquiryStatus
		if err := db.Where("tenant_id = ? AND name_key IN ?", tenantID, defaultStatusKeys).Order("position, id").Limit(1).Find(&found).Error; err != nil {
			return nil, nil, translate("find default status", err)
		}
		if len(found) == 1 {
			return found[0], nil, nil
		}
		return s.statusNamed(ctx, tx, tenantID, models.DefaultStatusName, models.StatusOpen)
	case ref.Value.ID != 0:
		found, err := takeOne(db.Where("tenant_id = ? AND id = ?", tenantID, ref.Value.ID), &st)
		if err != nil || !found {
			return nil, &models.FieldError{Field: "status.id", Error: fmt.Sprintf("the tenant has no inquiry status %d", ref.Value.ID)}, err
		}
		return &st, nil, nil
	}
	kind := ref.Value.Kind
	if kind == "" {
		kind = models.GuessStatusKind(ref.Value.Name)
	}
	return s.statusNamed(ctx, tx, tenantID, ref.Value.Name, kind)
}

// statusNamed finds the tenant's status called name, or creates it with kind. A kind
// the caller named that the existing status does not have is a problem.
func (s *Store) statusNamed(ctx context.Context, tx *gorm.DB, tenantID int64, name, kind string) (*models.InquiryStatus, *models.FieldError, error) {
	key := models.NameKey(name)
	var st models.InquiryStatus
	now := s.now()
	created, err := s.findOrCreate(ctx, tx, "inquiry_statuses", statusColumns, tenantID, key, &st,
		"INSERT INTO inquiry_statuses (tenant_id, name, name_key, kind, position, created_at, updated_at) "+
			"SELECT ?, ?, ?, ?, coalesce(max(position) + 1, 0), ?, ? FROM inquiry_statuses WHERE tenant_id = ? "+
			"ON CONFLICT (tenant_id, name_key) DO NOTHING RETURNING id",
		tenantID, name, key, kind, now, now, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if created {
		if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquiryStatusCreated, statusData(&st)}}); err != nil {
			return nil, nil, err
		}
	} else if kind != st.Kind && kind != models.GuessStatusKind(name) {
		return nil, &models.FieldError{Field: "status.kind", Error: fmt.Sprintf("status %q exists with kind %s; change its kind at /api/v1/inquiry-statuses/%d", st.Name, st.Kind, st.ID)}, nil
	}
	return &st, nil, nil
}

// resolveSource finds the source ref names, or the default source (API).
func (s *Store) resolveSource(ctx context.Context, tx *gorm.DB, tenantID int64, ref models.Field[models.SourceRef]) (*models.InquirySource, *models.FieldError, error) {
	name := models.DefaultSourceName
	if ref.Has() {
		if ref.Value.ID != 0 {
			var so models.InquirySource
			found, err := takeOne(tx.WithContext(ctx).Table("inquiry_sources").Select(sourceColumns).Where("tenant_id = ? AND id = ?", tenantID, ref.Value.ID), &so)
			if err != nil || !found {
				return nil, &models.FieldError{Field: "source.id", Error: fmt.Sprintf("the tenant has no inquiry source %d", ref.Value.ID)}, err
			}
			return &so, nil, nil
		}
		name = ref.Value.Name
	}
	key := models.NameKey(name)
	var so models.InquirySource
	now := s.now()
	created, err := s.findOrCreate(ctx, tx, "inquiry_sources", sourceColumns, tenantID, key, &so,
		"INSERT INTO inquiry_sources (tenant_id, name, name_key, position, created_at, updated_at) "+
			"SELECT ?, ?, ?, coalesce(max(position) + 1, 0), ?, ? FROM inquiry_sources WHERE tenant_id = ? "+
			"ON CONFLICT (tenant_id, name_key) DO NOTHING RETURNING id",
		tenantID, name, key, now, now, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if created {
		if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquirySourceCreated, sourceData(&so)}}); err != nil {
			return nil, nil, err
		}
	}
	return &so, nil, nil
}

// resolveStaff finds the staff member ref names: by id, or by e-mail (created on first
// use with ref's name).
func (s *Store) resolveStaff(ctx context.Context, tx *gorm.DB, tenantID int64, ref models.StaffRef) (*models.Staff, *models.FieldError, error) {
	var a models.Staff
	if ref.ID != 0 {
		found, err := takeOne(tx.WithContext(ctx).Table("staff").Select(staffColumns).Where("tenant_id = ? AND id = ?", tenantID, ref.ID), &a)
		if err != nil || !found {
			return nil, &models.FieldError{Field: "assignee.id", Error: fmt.Sprintf("the tenant has no staff member %d", ref.ID)}, err
		}
		return &a, nil, nil
	}
	key := models.NormalizeMail(ref.Email)
	now := s.now()
	created, err := s.findOrCreate(ctx, tx, "staff", staffColumns, tenantID, key, &a,
		"INSERT INTO staff (tenant_id, email, email_key, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "+
			"ON CONFLICT (tenant_id, email_key) DO NOTHING RETURNING id",
		tenantID, ref.Email, key, ref.Name, now, now)
	if err != nil {
		return nil, nil, err
	}
	if created {
		if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventStaffCreated, staffData(&a)}}); err != nil {
			return nil, nil, err
		}
	}
	return &a, nil, nil
}

// findOrCreate reads the tenant's row of table whose key column (name_key or
// email_key) is key into dest, inserting it with insert first when there is none.
// created says whether this call inserted it.
func (s *Store) findOrCreate(ctx context.Context, tx *gorm.DB, table, columns string, tenantID int64, key string, dest any, insert string, args ...any) (bool, error) {
	keyColumn := "name_key"
	if table == "staff" {
		keyColumn = "email_key"
	}
	read := func() (bool, error) {
		return takeOne(tx.WithContext(ctx).Table(table).Select(columns).Where("tenant_id = ? AND "+keyColumn+" = ?", tenantID, key), dest)
	}
	if found, err := read(); err != nil || found {
		return false, err
	}
	var ids []int64
	if err := tx.WithContext(ctx).Raw(insert, args...).Scan(&ids).Error; err != nil {
		return false, translate("create "+table, err)
	}
	found, err := read()
	if err == nil && !found {
		// Inserted and gone, or the conflicting row was deleted before we read it.
		return false, errConcurrentChange
	}
	return len(ids) == 1, err
}

// takeOne reads at most one row of q into dest; found says whether there was one.
func takeOne(q *gorm.DB, dest any) (bool, error) {
	res := q.Limit(1).Find(dest)
	if res.Error != nil {
		return false, translate("read", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// resolveTags finds the terms refs name: ids must be the tenant's terms; names are
// found ignoring case or created (with term.created events), as POST terms does. The
// tags come back by id ascending, each once.
func (s *Store) resolveTags(ctx context.Context, tx *gorm.DB, tenantID int64, refs []models.TagRef) ([]models.Tag, *models.FieldError, error) {
	var ids []int64
	var names []string
	for _, r := range refs {
		if r.ID != 0 {
			ids = append(ids, r.ID)
		} else {
			names = append(names, r.Name)
		}
	}
	var problem *models.FieldError
	if len(ids) > 0 {
		ids = compact(ids)
		missing, err := s.missingTerms(ctx, tx, tenantID, ids)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) > 0 {
			p := models.UnknownTerms(missing)
			p.Field = "tags"
			problem = &p
		}
	}
	// New names are inserted in key order, so two transactions creating the same
	// names wait for each other in one order and cannot deadlock.
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(models.TermKey(a), models.TermKey(b)) })
	var terms []*models.Term
	for _, name := range names {
		t := &models.Term{TenantID: tenantID, Name: name}
		if err := t.Validate(); err != nil {
			return nil, nil, err // names were checked by InquiryInput.Validate
		}
		var found []*models.Term
		if err := tx.WithContext(ctx).Where("tenant_id = ? AND name_key = ?", tenantID, t.NameKey).Limit(1).Find(&found).Error; err != nil {
			return nil, nil, translate("find term", err)
		}
		if len(found) == 1 {
			terms = append(terms, found[0])
			continue
		}
		var created []*models.Term
		err := tx.WithContext(ctx).Raw("INSERT INTO terms (tenant_id, name, name_key, description, deletion_blocked, created_at) VALUES (?, ?, ?, '', false, ?) "+
			"ON CONFLICT (tenant_id, name_key) DO NOTHING RETURNING id, tenant_id, name, name_key, description, deletion_blocked, created_at",
			tenantID, t.Name, t.NameKey, s.now()).Scan(&created).Error
		if err != nil {
			return nil, nil, translate("create term", err)
		}
		if len(created) == 1 {
			if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventTermCreated, termData(created[0])}}); err != nil {
				return nil, nil, err
			}
			terms = append(terms, created[0])
			continue
		}
		if err := tx.WithContext(ctx).Where("tenant_id = ? AND name_key = ?", tenantID, t.NameKey).Limit(1).Find(&found).Error; err != nil {
			return nil, nil, translate("find term", err)
		}
		if len(found) == 0 {
			return nil, nil, errConcurrentChange
		}
		terms = append(terms, found[0])
	}
	out := []models.Tag{}
	seen := map[int64]bool{}
	if problem == nil {
		var known []*models.Term
		if len(ids) > 0 {
			if err := tx.WithContext(ctx).Where("tenant_id = ? AND id IN ?", tenantID, ids).Find(&known).Error; err != nil {
				return nil, nil, translate("read terms", err)
			}
		}
		for _, t := range append(known, terms...) {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, models.Tag{ID: t.ID, Name: t.Name})
			}
		}
	}
	slices.SortFunc(out, func(a, b models.Tag) int { return cmp.Compare(a.ID, b.ID) })
	// Every tag's term is held (FOR KEY SHARE, ascending) before the inquiry row is
	// written: the tag rows' foreign-key checks then wait for nothing (locks.go).
	tagIDs := make([]int64, len(out))
	for i, t := range out {
		tagIDs[i] = t.ID
	}
	if err := s.lockTermRows(ctx, tx, tenantID, tagIDs); err != nil {
		return nil, nil, err
	}
	return out, problem, nil
}
