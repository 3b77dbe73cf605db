package store

import (
	"context"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
)

// Re-scoring, and what other writes do to inquiries. Every inquiry stores when time
// alone changes its score next (rescore_at, from leadscore.Score); RescoreDue reads
// only those that are due, through a partial index, so a daily (or hourly) run costs
// what changed, not the table.

// RescoreDue re-scores up to limit inquiries (of every tenant) whose rescore_at has
// come, oldest first, in one transaction: each whose score or factors changed gets a
// new version and an inquiry.updated event; every one gets its next rescore_at. On
// PostgreSQL rows another run holds are skipped. It returns how many it read; fewer
// than limit means none is due now.
func (s *Store) RescoreDue(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.retry(ctx, func(tx *gorm.DB) error {
		q := tx.WithContext(ctx).Where("rescore_at IS NOT NULL AND rescore_at <= ?", s.now()).Order("rescore_at").Limit(limit)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []*inquiryRow
		if err := q.Find(&rows).Error; err != nil {
			return translate("find inquiries due for re-scoring", err)
		}
		n = len(rows)
		_, err := s.rescoreRows(ctx, tx, rows, true)
		return err
	})
	return n, err
}

// moveInquiries makes the inquiries of contact from inquiries of contact to, in tx:
// a merge absorbs from into to. Each moved inquiry gets an inquiry.updated event.
func (s *Store) moveInquiries(ctx context.Context, tx *gorm.DB, tenantID, from, to int64) error {
	return s.relinkInquiries(ctx, tx, tenantID, from, &to)
}

// unlinkInquiries clears the customer of contact id's inquiries, in tx: the contact is
// being deleted (the foreign key would clear it too, without events).
func (s *Store) unlinkInquiries(ctx context.Context, tx *gorm.DB, tenantID, id int64) error {
	return s.relinkInquiries(ctx, tx, tenantID, id, nil)
}

func (s *Store) relinkInquiries(ctx context.Context, tx *gorm.DB, tenantID, from int64, to *int64) error {
	var rows []*inquiryRow
	if err := tx.WithContext(ctx).Where("customer_id = ? AND tenant_id = ?", from, tenantID).Order("id").Find(&rows).Error; err != nil {
		return translate("find the contact's inquiries", err)
	}
	if len(rows) == 0 {
		return nil
	}
	now := s.now()
	update := map[string]any{"customer_id": to, "version": gorm.Expr("version + 1"), "updated_at": now}
	if to == nil {
		update["customer_matched"], update["customer_explanation"] = false, ""
	}
	if err := tx.WithContext(ctx).Model(&inquiryRow{}).Where("customer_id = ? AND tenant_id = ?", from, tenantID).Updates(update).Error; err != nil {
		return translate("move the contact's inquiries", err)
	}
	inqs, err := s.loadInquiries(ctx, tx, rows)
	if err != nil {
		return err
	}
	evs := make([]pendingEvent, len(inqs))
	for i, q := range inqs {
		q.Version++
		q.UpdatedAt = now
		if to == nil {
			q.Customer = nil
		} else {
			q.Customer.ID = *to
		}
		evs[i] = pendingEvent{models.EventInquiryUpdated, inquiryData(q)}
	}
	return s.appendEvents(ctx, tx, tenantID, evs)
}

// untagInquiries removes term id from every inquiry that has it, in tx: the term is
// being deleted. Each such inquiry gets a new version and an inquiry.updated event.
func (s *Store) untagInquiries(ctx context.Context, tx *gorm.DB, tenantID, termID int64) error {
	var ids []int64
	if err := tx.WithContext(ctx).Table("inquiry_terms").Where("term_id = ? AND tenant_id = ?", termID, tenantID).Order("inquiry_id").Pluck("inquiry_id", &ids).Error; err != nil {
		return translate("find the term's inquiries", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := tx.WithContext(ctx).Exec("DELETE FROM inquiry_terms WHERE term_id = ? AND tenant_id = ?", termID, tenantID).Error; err != nil {
		return translate("remove the term from inquiries", err)
	}
	now := s.now()
	for chunk := range slices.Chunk(ids, 1000) {
		if err := tx.WithContext(ctx).Model(&inquiryRow{}).Where("tenant_id = ? AND id IN ?", tenantID, chunk).
			Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": now}).Error; err != nil {
			return translate("touch the term's inquiries", err)
		}
		var rows []*inquiryRow
		if err := tx.WithContext(ctx).Where("tenant_id = ? AND id IN ?", tenantID, chunk).Order("id").Find(&rows).Error; err != nil {
			return translate("read the term's inquiries", err)
		}
		inqs, err := s.loadInquiries(ctx, tx, rows)
		if err != nil {
			return err
		}
		evs := make([]pendingEvent, len(inqs))
		for i, q := range inqs {
			evs[i] = pendingEvent{models.EventInquiryUpdated, inquiryData(q)}
		}
		if err := s.appendEvents(ctx, tx, tenantID, evs); err != nil {
			return err
		}
	}
	return nil
}
