package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// A scan reads the contacts it compares as the few columns the engine compares
// (recordOf) and lookupKeys reads, never their terms, custom fields or profile: a
// candidate's terms were a query per candidate, its custom fields and profile JSON to
// decode, and neither is compared.

// scanColumns are the contacts columns a scan reads, in scanDest's order.
var scanColumns = []string{"id", "version", "first_name", "family_name", "company", "mail", "mail2", "phone", "phone2",
	"ba_street", "ba_street2", "ba_city", "ba_postal_code", "ba_state", "ba_country", "date_of_birth", "external_id"}

func scanDest(c *models.Contact) []any {
	return []any{&c.ID, &c.Version, &c.FirstName, &c.FamilyName, &c.Company, &c.Mail, &c.Mail2, &c.Phone, &c.Phone2,
		&c.BaStreet, &c.BaStreet2, &c.BaCity, &c.BaPostalCode, &c.BaState, &c.BaCountry, &c.DateOfBirth, &c.ExternalID}
}

// readScanBatch reads the next limit contacts after id last, as scanColumns.
func (s *Store) readScanBatch(ctx context.Context, tenantID, last int64, limit int) ([]*models.Contact, error) {
	rows, err := s.db.WithContext(ctx).Raw("SELECT "+strings.Join(scanColumns, ", ")+" FROM contacts WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
		tenantID, last, limit).Rows()
	if err != nil {
		return nil, translate("read contacts to scan", err)
	}
	defer rows.Close()
	var out []*models.Contact
	for rows.Next() {
		c := &models.Contact{TenantID: tenantID}
		if err := rows.Scan(scanDest(c)...); err != nil {
			return nil, translate("read contacts to scan", err)
		}
		out = append(out, c)
	}
	return out, translate("read contacts to scan", rows.Err())
}

// scanCandidates loads the contacts ids as scanColumns with their earlier versions
// (as loadHistory), for comparison only: they are not written.
func (s *Store) scanCandidates(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) (map[int64]*working, error) {
	byID := make(map[int64]*working, len(ids))
	if s.dialect != Postgres {
		for chunk := range slices.Chunk(ids, 1000) {
			rows, err := tx.WithContext(ctx).Raw("SELECT "+strings.Join(scanColumns, ", ")+" FROM contacts WHERE "+contactsByIDs, chunk, tenantID).Rows()
			if err != nil {
				return nil, translate("load candidates", err)
			}
			err = func() error {
				defer rows.Close()
				for rows.Next() {
					c := &models.Contact{TenantID: tenantID}
					if err := rows.Scan(scanDest(c)...); err != nil {
						return err
					}
					byID[c.ID] = &working{c: c, version: c.Version, keys: map[string]bool{}}
				}
				return rows.Err()
			}()
			if err != nil {
				return nil, translate("load candidates", err)
			}
		}
		return byID, loadHistory(ctx, tx, tenantID, slices.Sorted(maps.Keys(byID)), byID)
	}
	for chunk := range slices.Chunk(ids, 1000) {
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, scanCandidatesSQL(), tenantID, pgArray(chunk), models.MergeKindIngest, maxHistory, models.MergeKindCluster)
		if err != nil {
			return nil, translate("load candidates", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				c := &models.Contact{TenantID: tenantID}
				var before sql.NullString // a JSON array of before-images, newest first
				if err := rows.Scan(append(scanDest(c), &before)...); err != nil {
					return err
				}
				w := &working{c: c, version: c.Version, keys: map[string]bool{}}
				if before.Valid {
					var images []string
					if err := json.Unmarshal([]byte(before.String), &images); err != nil {
						return fmt.Errorf("history of contact %d: %w", c.ID, err)
					}
					for i := len(images) - 1; i >= 0; i-- { // oldest first, so remember leaves the newest in front
						if err := w.rememberImage(images[i]); err != nil {
							return err
						}
					}
				}
				byID[c.ID] = w
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, translate("load candidates", err)
		}
	}
	return byID, nil
}

// scanCandidatesSQL is loadCandidatesPG's statement with history, reading scanColumns
// (and no terms).
var scanCandidatesSQL = sync.OnceValue(func() string {
	return "SELECT c." + strings.Join(scanColumns, ", c.") + ", " + candidateHistorySQL +
		" FROM unnest($2::bigint[]) AS u(id) CROSS JOIN LATERAL " +
		"(SELECT " + strings.Join(scanColumns, ", ") + " FROM contacts WHERE id = u.id AND tenant_id + 0 = $1 OFFSET 0) AS c" // see byid.go
})
