package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/spamlist"
)

// GlobalSpamList is the tenant id of the list that applies to every tenant.
const GlobalSpamList = 0

type spamRow struct {
	ID        int64 `gorm:"primaryKey"`
	TenantID  int64
	FromKey   []byte
	ToKey     []byte
	Entry     string
	Source    string
	CreatedAt time.Time
}

func (spamRow) TableName() string { return "spam_ranges" }

func (s *Store) bumpSpamVersion(ctx context.Context, tx *gorm.DB, tenantID int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO spam_list_versions (tenant_id, version) VALUES (?, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET version = spam_list_versions.version + 1`, tenantID).Error
	return translate("bump spam list version", err)
}

// requireSpamTenant makes sure the tenant of a list exists until tx ends (see
// requireTenant): the spam tables have no foreign key to tenants, and rows written for
// a deleted tenant would outlive it. The global list belongs to no tenant.
func (s *Store) requireSpamTenant(tx *gorm.DB, tenantID int64) error {
	if tenantID == GlobalSpamList {
		return nil
	}
	return requireTenant(tx, s.dialect, tenantID)
}

// AddSpamRanges lists ranges for a tenant (GlobalSpamList for all). Ranges already
// listed are skipped; it returns how many were new. It returns models.TenantGone for a
// tenant that does not exist.
func (s *Store) AddSpamRanges(ctx context.Context, tenantID int64, ranges []spamlist.Range, source string) (int64, error) {
	var added int64
	err := s.retry(ctx, func(tx *gorm.DB) error {
		if err := s.requireSpamTenant(tx.WithContext(ctx), tenantID); err != nil {
			return err
		}
		now := s.now()
		for chunk := range slices.Chunk(ranges, 2000) {
			rows := make([]spamRow, len(chunk))
			for i, r := range chunk {
				from, to := r.Key()
				rows[i] = spamRow{TenantID: tenantID, FromKey: from, ToKey: to, Entry: r.String(), Source: source, CreatedAt: now}
			}
			res := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
			if res.Error != nil {
				return translate("add spam ranges", res.Error)
			}
			added += res.RowsAffected
		}
		if added == 0 {
			return nil
		}
		return s.bumpSpamVersion(ctx, tx, tenantID)
	})
	return added, err
}

// LoadSpamList parses a blocklist (see spamlist.Parse for the formats) and lists every
// range in it, idempotently. On PostgreSQL the rows go in with COPY. It returns
// models.TenantGone for a tenant that does not exist.
func (s *Store) LoadSpamList(ctx context.Context, tenantID int64, r io.Reader, source string) (spamlist.ParseStats, int64, error) {
	var ranges []spamlist.Range
	stats, err := spamlist.Parse(r, func(rg spamlist.Range) error {
		ranges = append(ranges, rg)
		return nil
	})
	if err != nil {
		return stats, 0, fmt.Errorf("store: load spam list: %w", err)
	}
	if s.dialect != Postgres {
		added, err := s.AddSpamRanges(ctx, tenantID, ranges, source)
		return stats, added, err
	}
	added, err := s.copySpamRanges(ctx, tenantID, ranges, source)
	return stats, added, err
}

// copySpamRanges bulk-loads through a temporary table: COPY is an order of magnitude
// faster than INSERT for a million rows, and the final INSERT … ON CONFLICT keeps the
// load idempotent.
func (s *Store) copySpamRanges(ctx context.Context, tenantID int64, ranges []spamlist.Range, source string) (int64, error) {
	var added int64
	// The load is idempotent, so repeat may run it again after a lost connection.
	err := s.repeat(ctx, func() (err error) {
		added, err = s.copySpamRangesOnce(ctx, tenantID, ranges, source)
		return err
	})
	return added, err
}

func (s *Store) copySpamRangesOnce(ctx context.Context, tenantID int64, ranges []spamlist.Range, source string) (int64, error) {
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return 0, translate("load spam list", err)
	}
	defer conn.Close()
	var added int64
	committing := false
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if tenantID != GlobalSpamList {
			// requireTenant's check, on this pgx transaction.
			var found bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM tenants WHERE id = $1 FOR KEY SHARE)", tenantID).Scan(&found); err != nil {
				return err
			}
			if !found {
				return models.TenantGone(tenantID)
			}
		}
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE spam_load (from_key bytea, to_key bytea, entry text) ON COMMIT DROP"); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"spam_load"}, []string{"from_key", "to_key", "entry"},
			pgx.CopyFromSlice(len(ranges), func(i int) ([]any, error) {
				from, to := ranges[i].Key()
				return []any{from, to, ranges[i].String()}, nil
			}))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO spam_ranges (tenant_id, from_key, to_key, entry, source)
			SELECT $1, from_key, to_key, min(entry), $2 FROM spam_load GROUP BY from_key, to_key
			ON CONFLICT (tenant_id, from_key, to_key) DO NOTHING`, tenantID, source)
		if err != nil {
			return err
		}
		added = tag.RowsAffected()
		if added > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO spam_list_versions (tenant_id, version) VALUES ($1, 1)
				ON CONFLICT (tenant_id) DO UPDATE SET version = spam_list_versions.version + 1`, tenantID); err != nil {
				return err
			}
		}
		committing = true
		return tx.Commit(ctx)
	})
	if err != nil && committing && connLost(err) && !pgconn.SafeToRetry(err) {
		err = &commitUnknownError{err: err}
	}
	if err != nil {
		return 0, fmt.Errorf("store: load spam list: %w", err)
	}
	return added, nil
}

// RemoveSpamRanges unlists exactly these ranges; it returns how many were listed. It
// returns models.TenantGone for a tenant that does not exist.
func (s *Store) RemoveSpamRanges(ctx context.Context, tenantID int64, ranges []spamlist.Range) (int64, error) {
	var removed int64
	err := s.retry(ctx, func(tx *gorm.DB) error {
		if err := s.requireSpamTenant(tx.WithContext(ctx), tenantID); err != nil {
			return err
		}
		for _, r := range ranges {
			from, to := r.Key()
			res := tx.WithContext(ctx).Where("tenant_id = ? AND from_key = ? AND to_key = ?", tenantID, from, to).Delete(&spamRow{})
			if res.Error != nil {
				return translate("remove spam range", res.Error)
			}
			removed += res.RowsAffected
		}
		if removed == 0 {
			return nil
		}
		return s.bumpSpamVersion(ctx, tx, tenantID)
	})
	return removed, err
}

// ListSpamRanges pages through a tenant's own entries by id.
func (s *Store) ListSpamRanges(ctx context.Context, tenantID, afterID int64, limit int) ([]models.SpamEntry, error) {
	var rows []spamRow
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND id > ?", tenantID, afterID).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate("list spam ranges", err)
	}
	out := make([]models.SpamEntry, len(rows))
	for i, r := range rows {
		out[i] = models.SpamEntry{ID: r.ID, Entry: r.Entry, Source: r.Source, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// SpamListVersion returns the change counter of a list (0 when never changed).
func (s *Store) SpamListVersion(ctx context.Context, tenantID int64) (int64, error) {
	var v []int64
	err := s.db.WithContext(ctx).Table("spam_list_versions").Where("tenant_id = ?", tenantID).Pluck("version", &v).Error
	if err != nil {
		return 0, translate("spam list version", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	return v[0], nil
}

// SpamRanges streams every range of a list.
func (s *Store) SpamRanges(ctx context.Context, tenantID int64, fn func(spamlist.Range)) error {
	rows, err := s.db.WithContext(ctx).Model(&spamRow{}).Select("entry").Where("tenant_id = ?", tenantID).Rows()
	if err != nil {
		return translate("load spam ranges", err)
	}
	defer rows.Close()
	for rows.Next() {
		var entry string
		if err := rows.Scan(&entry); err != nil {
			return translate("load spam ranges", err)
		}
		r, err := spamlist.ParseRange(entry)
		if err != nil {
			return fmt.Errorf("store: stored spam entry %q: %w", entry, err)
		}
		fn(r)
	}
	return translate("load spam ranges", rows.Err())
}
