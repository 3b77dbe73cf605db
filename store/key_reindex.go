package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// When the blocking keys change (dedupe.KeyVersion), contacts written before carry
// the old ones: a lookup by a new kind of key would not find them. contact_key_versions
// (migration 00038) records, per tenant, the version its contacts are being indexed
// with, the version they were indexed with before (from_version; 1 for every contact
// written before the table existed), and how far the reindex has come. Contacts the
// write path stores meanwhile get every key of the new version directly.

// keysBefore is the key version of every contact written before contact_key_versions
// existed.
const keysBefore = 1

// TenantsToReindex returns the tenants whose contacts are not yet indexed with the
// blocking keys of dedupe.KeyVersion.
func (s *Store) TenantsToReindex(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT t.id FROM tenants t WHERE NOT EXISTS (
		SELECT 1 FROM contact_key_versions v WHERE v.tenant_id = t.id AND v.version >= ? AND v.done) ORDER BY t.id`,
		dedupe.KeyVersion).Scan(&ids).Error
	return ids, translate("find tenants to reindex", err)
}

// ReindexKeysBatch indexes the tenant's next limit contacts (ascending id, from where
// the last batch stopped) under the kinds of key added since the version they were
// indexed with, in one transaction with the checkpoint; it reports whether the tenant
// is done (no contact left) and how many key rows it added. Keys a contact has are
// left alone, so a batch run twice adds nothing the second time.
func (s *Store) ReindexKeysBatch(ctx context.Context, tenantID int64, limit int) (done bool, added int64, err error) {
	err = s.retry(ctx, func(tx *gorm.DB) error {
		done, added = false, 0
		tx = tx.WithContext(ctx)
		var v struct {
			Version, FromVersion int
			LastContactID        int64
			Done                 bool
		}
		q := "SELECT version, from_version, last_contact_id, done FROM contact_key_versions WHERE tenant_id = ?"
		if s.dialect == Postgres {
			q += " FOR UPDATE"
		}
		err := tx.Raw(q, tenantID).Row().Scan(&v.Version, &v.FromVersion, &v.LastContactID, &v.Done)
		now := s.now().UTC()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.Version, v.FromVersion = dedupe.KeyVersion, keysBefore
			err = tx.Exec("INSERT INTO contact_key_versions (tenant_id, version, from_version, last_contact_id, done, updated_at) VALUES (?, ?, ?, 0, false, ?)",
				tenantID, v.Version, v.FromVersion, now).Error
		case err != nil:
		case v.Version >= dedupe.KeyVersion && v.Done:
			done = true
			return nil
		case v.Version < dedupe.KeyVersion:
			// A new version: what the last one reached (or began from, when it
			// did not finish) is what this one adds to.
			from := v.Version
			if !v.Done {
				from = v.FromVersion
			}
			v.Version, v.FromVersion, v.LastContactID = dedupe.KeyVersion, from, 0
			err = tx.Exec("UPDATE contact_key_versions SET version = ?, from_version = ?, last_contact_id = 0, done = false, updated_at = ? WHERE tenant_id = ?",
				v.Version, v.FromVersion, now, tenantID).Error
		}
		if err != nil {
			return err
		}
		var ids []int64
		if err := tx.Raw("SELECT id FROM contacts WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?", tenantID, v.LastContactID, limit).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			done = true
			return tx.Exec("UPDATE contact_key_versions SET done = true, updated_at = ? WHERE tenant_id = ?", now, tenantID).Error
		}
		// FOR SHARE: a contact is neither deleted (its key rows would outlive it)
		// nor changed (its new keys replace the old ones) between this read and
		// the insert. Level 3 of the lock order, and nothing of level 1 or 2.
		existing, err := s.lockContacts(ctx, tx, tenantID, ids, "SHARE")
		if err != nil {
			return err
		}
		var cs []*models.Contact
		if len(existing) > 0 {
			if err := tx.Where("tenant_id = ? AND id IN ?", tenantID, existing).Find(&cs).Error; err != nil {
				return err
			}
		}
		kinds := dedupe.KindsSince(v.FromVersion)
		var keys []string
		var owners []int64
		for _, c := range cs {
			for _, k := range s.storeKeys(c) {
				if slices.ContainsFunc(kinds, func(kind string) bool { return strings.HasPrefix(k, kind) }) {
					keys, owners = append(keys, k), append(owners, c.ID)
				}
			}
		}
		if added, err = s.insertContactKeysCounted(ctx, tx, tenantID, keys, owners, true); err != nil {
			return err
		}
		return tx.Exec("UPDATE contact_key_versions SET last_contact_id = ?, updated_at = ? WHERE tenant_id = ?", ids[len(ids)-1], now, tenantID).Error
	})
	return done, added, translate("reindex contact keys", err)
}
