package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// schemaTenantTables lists every table of the schema with a tenant_id column, from the
// database itself: what DeleteTenant must empty, whatever migrations were added.
func schemaTenantTables(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.columns
		WHERE column_name = 'tenant_id' AND table_schema = current_schema() ORDER BY table_name`
	if st.Dialect() == store.SQLite {
		q = `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY m.name`
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// tenantRows counts a tenant's rows in every tenant table of the schema, and its row
// in tenants.
func tenantRows(t *testing.T, st *store.Store, tenantID int64) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for _, table := range append(schemaTenantTables(t, st), "tenants") {
		col := "tenant_id"
		if table == "tenants" {
			col = "id"
		}
		var n int64
		if err := st.DB().QueryRow(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = $1", table, col), tenantID).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

// TestTenantTables: DeleteTenant knows every table that holds tenant rows. A migration
// that adds one must add it to the list, or this fails.
func TestTenantTables(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	got := slices.Sorted(slices.Values(store.TenantTables()))
	if want := schemaTenantTables(t, st); !slices.Equal(got, want) {
		t.Fatalf("DeleteTenant empties %v; the schema's tables with tenant_id are %v", got, want)
	}
}

// populateTenant gives a tenant rows in every table: contacts (with blocking keys, terms
// and comments, and their events), merges, custom fields, a spam list, a second key and
// an idempotency key, an inquiry with its status, source, assignee and tag, and a
// possible duplicate (two more contacts).
func populateTenant(t *testing.T, st *store.Store, tenantID int64, contacts int) {
	t.Helper()
	ctx := context.Background()
	term := &models.Term{TenantID: tenantID, Name: "vip"}
	if _, err := st.CreateTerm(ctx, term); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCustomField(ctx, &models.CustomField{TenantID: tenantID, Name: "score", Label: "Score", FieldType: models.FieldTypeInteger}); err != nil {
		t.Fatal(err)
	}
	for i := range contacts {
		r := ingestOne(t, st, tenantID, models.CheckNone, map[string]any{
			"mail": fmt.Sprintf("c%d@example.com", i), "first_name": "Anna", "terms": []int64{term.ID}, "comment": "hello",
		})
		if i == 0 { // a merge record
			if m := ingestOne(t, st, tenantID, models.CheckEmail, map[string]any{"mail": "c0@example.com", "family_name": "Berg"}); m.MergeID == "" || m.ID != r.ID {
				t.Fatalf("second ingest = %+v, want a merge into %d", m, r.ID)
			}
		}
	}
	reviewPair(t, st, tenantID)                                                                          // a possible duplicate
	if _, err := st.SaveDedupeModel(ctx, tenantID, dedupe.DefaultModel(), int64(contacts)); err != nil { // a learned model
		t.Fatal(err)
	}
	scan := &models.DuplicateScan{TenantID: tenantID, Action: models.ScanReview} // a duplicate scan
	if err := st.CreateDuplicateScan(ctx, scan, func(context.Context, *sql.Tx, *models.DuplicateScan) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ReindexKeysBatch(ctx, tenantID, 1000); err != nil { // its key version
		t.Fatal(err)
	}
	ranges := []spamlist.Range{mustParseRange(t, "192.0.2.0/24"), mustParseRange(t, "2001:db8::/32")}
	if _, err := st.AddSpamRanges(ctx, tenantID, ranges, "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateKey(ctx, tenantID, "second", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.BeginIdempotent(ctx, tenantID, "retry-1", "hash"); err != nil {
		t.Fatal(err)
	}
	customer, err := st.FindContactsByMail(ctx, tenantID, "c0@example.com")
	if err != nil || len(customer) == 0 {
		t.Fatalf("customer: %v", err)
	}
	in := &models.InquiryInput{Title: models.Given("Anfrage"), CustomerID: models.Given(customer[0].ID),
		Assignee: models.Given(models.StaffRef{Email: "staff@example.com"}), Tags: models.Given([]models.TagRef{{ID: term.ID}})}
	if _, err := st.CreateInquiry(ctx, tenantID, in, nil); err != nil {
		t.Fatal(err)
	}
	imported := &models.InquiryInput{Title: models.Given("Importiert"), ImportRow: &models.ImportRowRef{ImportID: 1, Row: 2}} // an import row's mark
	if _, err := st.CreateInquiry(ctx, tenantID, imported, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetInquiryScoreWeights(ctx, &models.ScoreWeights{TenantID: tenantID, Weights: models.DefaultScoreWeights(tenantID).Weights}, nil); err != nil {
		t.Fatal(err)
	}
	hook := &models.Webhook{TenantID: tenantID, URL: "https://example.com/hook", EventTypes: []string{"*"}, Active: true, Secret: "whsec_c2VjcmV0"}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	d := &models.WebhookDelivery{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenantID, WebhookID: hook.ID, MessageID: "msg_ping",
		Type: models.EventWebhookPing, Payload: []byte("{}"), State: models.DeliveryPending, MaxAttempts: 1, CreatedAt: now}
	if err := st.CreateDelivery(ctx, d, func(context.Context, *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// A delivery as the outbox publisher writes it, with the lease of its first attempt.
	leased := &models.WebhookDelivery{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenantID, WebhookID: hook.ID, EventID: 1, MessageID: "msg_1",
		Type: "contact.created", Payload: []byte("{}"), State: models.DeliveryPending, MaxAttempts: 10, NextAttemptAt: &now, CreatedAt: now}
	tx, err := st.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InsertDeliveries(ctx, tx, []*models.WebhookDelivery{leased}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	fi := &models.FileImport{TenantID: tenantID, UUID: uuid.NewString(), Type: "contacts", Mode: "store", Format: "csv"}
	if err := st.BeginFileImport(ctx, fi); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFileImportChunk(ctx, tenantID, fi.ID, importfile.Chunk{FirstRow: 1, Rows: 1, Data: []byte("1,2,,a@x.de\n")}); err != nil {
		t.Fatal(err)
	}
	// An import still processing (its payload kept) with an error row.
	imp := &models.Import{TenantID: tenantID, Kind: "json", Entity: "persons", Total: 2}
	if err := st.CreateImport(ctx, imp, []byte(`[{},{}]`), func(context.Context, *sql.Tx, *models.Import) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := st.ClaimImport(ctx, tenantID, imp.ID, "worker", now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("claim import: %v %v", ok, err)
	}
	err = st.WriteImportBatch(ctx, nil, models.ImportBatch{ImportID: imp.ID, TenantID: tenantID, Owner: "worker", From: 0, To: 1,
		LeaseUntil: now.Add(time.Minute), Errors: 1, Rows: []models.ImportRowError{{Row: 1, Field: "email", Error: "missing"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeleteTenant: every row of the tenant is gone, in batches smaller than its
// tables, the report counts what was there, and another tenant keeps all of its rows.
func TestDeleteTenant(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	gone, kept := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	populateTenant(t, st, gone.ID, 12)
	populateTenant(t, st, kept.ID, 3)
	before, keptBefore := tenantRows(t, st, gone.ID), tenantRows(t, st, kept.ID)
	for table, n := range before {
		if n == 0 {
			t.Fatalf("the tenant has no rows in %s to delete; fill it", table)
		}
	}
	if _, err := st.Authenticate(ctx, gone.Key); err != nil { // cached now
		t.Fatal(err)
	}

	var progress []string
	del, err := st.DeleteTenant(ctx, gone.ID, store.DeleteTenantOptions{BatchSize: 5, Progress: func(table string, rows int64) {
		progress = append(progress, fmt.Sprintf("%s:%d", table, rows))
	}})
	if err != nil {
		t.Fatal(err)
	}
	if del.Tenant.ID != gone.ID || del.RevokedKeys != 2 {
		t.Errorf("deletion = %+v, want tenant %d with 2 keys revoked", del, gone.ID)
	}
	removed := map[string]int64{}
	for _, r := range del.Removed {
		removed[r.Table] = r.Rows
	}
	for table, n := range before {
		if removed[table] != n {
			t.Errorf("reported %d rows of %s removed, the tenant had %d", removed[table], table, n)
		}
	}
	if before["contacts"] <= 5 || !slices.Contains(progress, "contacts:5") || !slices.Contains(progress, "contacts:10") {
		t.Errorf("progress %v: want contacts deleted 5 at a time", progress)
	}
	for table, n := range tenantRows(t, st, gone.ID) {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the deleted tenant", table, n)
		}
	}
	if after := tenantRows(t, st, kept.ID); !maps.Equal(after, keptBefore) {
		t.Errorf("the other tenant's rows changed: %v → %v", keptBefore, after)
	}
	if _, err := st.Authenticate(ctx, gone.Key); models.ErrorCode(err) != models.EUNAUTH {
		t.Errorf("the deleted tenant's key authenticates (cache not cleared?): %v", err)
	}
	if _, err := st.Authenticate(ctx, kept.Key); err != nil {
		t.Errorf("the other tenant's key: %v", err)
	}
	if _, err := st.DeleteTenant(ctx, gone.ID, store.DeleteTenantOptions{}); models.ErrorCode(err) != models.ENOTFOUND {
		t.Errorf("deleting it again = %v, want not found", err)
	}
	// Nothing can be written for it any more, not even where no foreign key stops it.
	if _, err := st.AddSpamRanges(ctx, gone.ID, []spamlist.Range{mustParseRange(t, "198.51.100.0/24")}, "test"); models.ErrorCode(err) != models.EUNAUTH {
		t.Errorf("spam range for the deleted tenant = %v, want refused", err)
	}
	if _, err := st.RemoveSpamRanges(ctx, gone.ID, []spamlist.Range{mustParseRange(t, "198.51.100.0/24")}); models.ErrorCode(err) != models.EUNAUTH {
		t.Errorf("spam range removal for the deleted tenant = %v, want refused", err)
	}
}

// TestTenantRemovedInSQL: a tenant deleted with plain SQL leaves nothing behind either,
// also in the tables without a foreign key to tenants (migration 00013's trigger).
func TestTenantRemovedInSQL(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	populateTenant(t, st, tn.ID, 3)
	if _, err := st.DB().Exec("DELETE FROM tenants WHERE id = $1", tn.ID); err != nil {
		t.Fatal(err)
	}
	for table, n := range tenantRows(t, st, tn.ID) {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the tenant deleted in SQL", table, n)
		}
	}
}

func TestListTenants(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	populateTenant(t, st, tn.ID, 2)
	list, err := st.ListTenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(s models.TenantSummary) bool { return s.ID == tn.ID })
	if i < 0 {
		t.Fatalf("tenant %d not listed in %+v", tn.ID, list)
	}
	if s := list[i]; s.Name != t.Name() || s.ActiveKeys != 2 || s.Contacts != 4 {
		t.Errorf("summary = %+v, want 2 keys and 4 contacts (2 and the possible duplicate's)", s)
	}
	if !slices.IsSortedFunc(list, func(a, b models.TenantSummary) int { return int(a.ID - b.ID) }) {
		t.Error("tenants not in id order")
	}
}
