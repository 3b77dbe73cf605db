package store

import (
	"cmp"
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
)

// tenantTables are the tables that hold a tenant's rows: every table with a tenant_id
// column (migrations 00001 init, 00002 merges, 00004 spam lists, 00010 idempotency keys,
// 00011 events, 00018 inquiries, 00025 webhooks, 00041 webhook leases, 00026 duplicate pairs, 00030 file imports, 00031 imports, 00032 score weights, 00037 inquiry import rows; TestTenantTables
// compares the list with the schema, so a new table cannot be forgotten). Children come
// before their parents: each delete then removes and counts its own rows instead of
// leaving them to a cascade.
//
// order is the order of an index that leads with tenant_id, for SQLite: a batch is the
// next stretch of that index (no sort), and its deletes touch neighbouring pages —
// contact_terms went twice as fast in primary key order as in contact_terms_term's.
// PostgreSQL gets no ORDER BY: with tenant_id fixed it may read "ORDER BY id" off the
// primary key instead, walking every other tenant's rows to find this one's.
var tenantTables = []struct{ name, order string }{
	{"webhook_leases", "delivery_id"},
	{"webhook_deliveries", "tenant_id, webhook_id, id"},
	{"webhooks", "tenant_id, id"},
	{"file_import_chunks", "tenant_id, file_import_id, seq"},
	{"file_imports", "tenant_id, uuid"},
	{"import_errors", "tenant_id, import_id, row, id"},
	{"import_payloads", "tenant_id, import_id"},
	{"imports", "tenant_id, id"},
	{"inquiry_terms", "tenant_id, inquiry_id, term_id"},
	{"inquiry_import_rows", "tenant_id, import_id, row"},
	{"inquiries", "tenant_id, created_at, id"},
	{"inquiry_score_weights", "tenant_id"},
	{"inquiry_statuses", "tenant_id, name_key"},
	{"inquiry_sources", "tenant_id, name_key"},
	{"staff", "tenant_id, email_key"},
	{"contact_terms", "tenant_id, contact_id, term_id"},
	{"comments", "tenant_id, contact_id, id"},
	{"contact_keys", "tenant_id, key, contact_id"},
	{"merges", "tenant_id, contact_id"},
	{"duplicate_pairs", "tenant_id, contact_a, contact_b"},
	{"dedupe_models", "tenant_id, version"},
	{"duplicate_scans", "tenant_id, id"},
	{"contact_key_versions", "tenant_id"},
	{"contacts", "tenant_id, id"},
	{"terms", "tenant_id, id"},
	{"custom_fields", "tenant_id, name"},
	{"spam_ranges", "tenant_id, from_key, to_key"},
	{"spam_list_versions", "tenant_id"},
	{"events", "tenant_id, id"},
	{"idempotency_keys", "tenant_id, key"},
	{"api_keys", "tenant_id, id"},
}

// deleteBatchSQL deletes the next batch of a tenant's rows of table. Rows are picked by
// their physical address (ctid, rowid): one statement shape for every table, composite
// keys included, and a direct lookup of each row — "id IN (SELECT id …)" let
// PostgreSQL hash-join against a scan of the whole table for every batch.
func deleteBatchSQL(dialect, table, order string) string {
	if dialect == Postgres {
		return "DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + table + " WHERE tenant_id = ? LIMIT ?))"
	}
	return "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid FROM " + table + " WHERE tenant_id = ? ORDER BY " + order + " LIMIT ?)"
}

// defaultDeleteBatch is how many rows one statement of DeleteTenant removes: big enough
// that a million contacts take a few hundred statements, small enough that none holds
// its locks (or SQLite's one writer lock) for long.
const defaultDeleteBatch = 5000

// DeleteTenantOptions tune DeleteTenant.
type DeleteTenantOptions struct {
	// BatchSize is how many rows one statement deletes; 0 means 5,000.
	BatchSize int
	// Progress, when set, is called after each batch with the table and the number of
	// its rows deleted so far.
	Progress func(table string, rows int64)
}

// DeleteTenant removes a tenant and every row it owns, in three steps:
//
//  1. One transaction revokes all of its keys (they stop authenticating in this
//     process at once; other processes stop within the key cache's lifetime, and their
//     writes are caught by step 3).
//  2. Each table is emptied of the tenant's rows in batches of BatchSize, each batch a
//     transaction of its own, so a big tenant never holds one huge transaction.
//  3. One last transaction locks the tenant row (writes that need it wait, then fail),
//     deletes whatever was written meanwhile and then the tenant itself.
//
// A call that fails part-way leaves the keys revoked and can simply be repeated. It
// returns ENOTFOUND for an unknown tenant.
func (s *Store) DeleteTenant(ctx context.Context, id int64, opts DeleteTenantOptions) (*models.TenantDeletion, error) {
	batch := cmp.Or(opts.BatchSize, defaultDeleteBatch)
	del := &models.TenantDeletion{}
	err := s.retry(ctx, func(tx *gorm.DB) error {
		if err := lockTenantRow(tx, s.dialect, id, &del.Tenant); err != nil {
			return err
		}
		res := tx.Model(&models.APIKey{}).Where("tenant_id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.now())
		del.RevokedKeys = res.RowsAffected
		return translate("revoke keys of tenant", res.Error)
	})
	s.keys.clear()
	s.fields.forget(id)
	if err != nil {
		return nil, err
	}

	removed := make(map[string]int64, len(tenantTables)+1)
	for _, t := range tenantTables {
		stmt := deleteBatchSQL(s.dialect, t.name, t.order)
		for {
			var n int64
			err := s.retry(ctx, func(tx *gorm.DB) error {
				res := tx.Exec(stmt, id, batch)
				n = res.RowsAffected
				return res.Error
			})
			if err != nil {
				return nil, translate("delete "+t.name+" of tenant", err)
			}
			removed[t.name] += n
			if n > 0 && opts.Progress != nil {
				opts.Progress(t.name, removed[t.name])
			}
			if n < int64(batch) {
				break
			}
		}
	}

	err = s.retry(ctx, func(tx *gorm.DB) error {
		var gone models.Tenant
		if err := lockTenantRow(tx, s.dialect, id, &gone); err != nil {
			return err
		}
		late := make(map[string]int64, len(tenantTables))
		for _, t := range tenantTables {
			res := tx.Exec("DELETE FROM "+t.name+" WHERE tenant_id = ?", id)
			if res.Error != nil {
				return translate("delete "+t.name+" of tenant", res.Error)
			}
			late[t.name] = res.RowsAffected
		}
		res := tx.Exec("DELETE FROM tenants WHERE id = ?", id)
		if res.Error != nil {
			return translate("delete tenant", res.Error)
		}
		for name, n := range late {
			removed[name] += n
		}
		removed["tenants"] = res.RowsAffected
		return nil
	})
	s.keys.clear() // a key read during the deletion (a write that raced it) is not kept
	if err != nil {
		return nil, err
	}
	for _, t := range tenantTables {
		del.Removed = append(del.Removed, models.TableRows{Table: t.name, Rows: removed[t.name]})
	}
	del.Removed = append(del.Removed, models.TableRows{Table: "tenants", Rows: removed["tenants"]})
	return del, nil
}

// lockTenantRow reads tenant id into t and, on PostgreSQL, locks its row FOR UPDATE:
// that waits for the writes in flight that reference it (their foreign key checks
// hold FOR KEY SHARE) and makes new ones wait until the transaction ends. SQLite's
// one writer lock does the same. It returns ENOTFOUND for an unknown tenant.
func lockTenantRow(tx *gorm.DB, dialect string, id int64, t *models.Tenant) error {
	q := tx
	if dialect == Postgres {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(t, id).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return models.Errorf(models.ENOTFOUND, "tenant %d not found", id)
		}
		return translate(fmt.Sprintf("lock tenant %d", id), err)
	}
	return nil
}

// requireTenant makes sure tenant id exists until tx ends, for writes to tables with no
// foreign key to tenants (the spam lists: their tenant 0 is the global list, not a
// tenant). On PostgreSQL it holds the row FOR KEY SHARE as a foreign key check would,
// so DeleteTenant's last step waits for the write and then deletes its rows. It returns
// models.TenantGone for a tenant that does not exist.
func requireTenant(tx *gorm.DB, dialect string, id int64) error {
	q := tx.Model(&models.Tenant{}).Select("id").Where("id = ?", id)
	if dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "KEY SHARE"})
	}
	var ids []int64
	if err := q.Pluck("id", &ids).Error; err != nil {
		return translate(fmt.Sprintf("find tenant %d", id), err)
	}
	if len(ids) == 0 {
		return models.TenantGone(id)
	}
	return nil
}

// SummarizeTenant returns one tenant with its number of active keys and of contacts.
// It returns ENOTFOUND for an unknown tenant.
func (s *Store) SummarizeTenant(ctx context.Context, id int64) (*models.TenantSummary, error) {
	var t models.Tenant
	if err := s.db.WithContext(ctx).Take(&t, id).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "tenant %d not found", id)
		}
		return nil, translate(fmt.Sprintf("get tenant %d", id), err)
	}
	list, err := s.summarize(ctx, []models.Tenant{t}, id)
	if err != nil {
		return nil, err
	}
	return &list[0], nil
}

// ListTenants returns every tenant in id order with its number of active keys and of
// contacts (one count over each table, so it takes a moment on a big database).
func (s *Store) ListTenants(ctx context.Context) ([]models.TenantSummary, error) {
	var tenants []models.Tenant
	if err := s.db.WithContext(ctx).Order("id").Find(&tenants).Error; err != nil {
		return nil, translate("list tenants", err)
	}
	return s.summarize(ctx, tenants, 0)
}

// summarize counts the active keys and contacts of tenants: of tenant only, when it is
// not 0, else of all.
func (s *Store) summarize(ctx context.Context, tenants []models.Tenant, tenant int64) ([]models.TenantSummary, error) {
	db := s.db.WithContext(ctx)
	type count struct {
		TenantID int64
		N        int64
	}
	scope := func(q *gorm.DB) *gorm.DB {
		if tenant != 0 {
			q = q.Where("tenant_id = ?", tenant)
		}
		return q.Select("tenant_id, count(*) AS n").Group("tenant_id")
	}
	var keys, contacts []count
	if err := scope(db.Model(&models.APIKey{}).Where("revoked_at IS NULL")).Scan(&keys).Error; err != nil {
		return nil, translate("count keys", err)
	}
	if err := scope(db.Table("contacts")).Scan(&contacts).Error; err != nil {
		return nil, translate("count contacts", err)
	}
	byTenant := func(cs []count) map[int64]int64 {
		m := make(map[int64]int64, len(cs))
		for _, c := range cs {
			m[c.TenantID] = c.N
		}
		return m
	}
	k, c := byTenant(keys), byTenant(contacts)
	out := make([]models.TenantSummary, len(tenants))
	for i, t := range tenants {
		out[i] = models.TenantSummary{Tenant: t, ActiveKeys: k[t.ID], Contacts: c[t.ID]}
	}
	return out, nil
}
