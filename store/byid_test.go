package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestLookupsByIDIgnoreStaleTenantStatistics: a tenant that grew after the last
// ANALYZE looks like one row to PostgreSQL's planner. Lookups of a contact and of its
// key rows by id must still use the id's index, not walk a tenant-prefixed index over
// all of the tenant's rows (byid.go; BENCHMARKS.md, issue 4, stale statistics).
func TestLookupsByIDIgnoreStaleTenantStatistics(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("PostgreSQL's planner only")
	}
	st, _, late := staleTenant(t)
	db := st.DB()
	ctx := context.Background()
	var id int64
	if err := db.QueryRowContext(ctx, "SELECT max(id) FROM contacts WHERE tenant_id = $1", late.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		stmt, wantIndex string
	}{
		{"SELECT * FROM contacts WHERE " + store.ContactByID, "contacts_pkey"},
		{"UPDATE contacts SET version = version WHERE " + store.ContactByID, "contacts_pkey"},
		{"DELETE FROM contact_keys WHERE " + store.KeysOfContact, "contact_keys_contact"},
		{"SELECT * FROM contacts WHERE " + store.ContactsByIDs, "contacts_pkey"},
		{"SELECT key FROM contact_keys WHERE " + store.KeysOfContacts, "contact_keys_contact"},
		{"SELECT contact_id, term_id FROM contact_terms WHERE " + store.TermsOfContacts, "contact_terms_contact"},
		{"DELETE FROM contact_terms WHERE " + store.TermsOfContact, "contact_terms_contact"},
	} {
		// Literal values, as PostgreSQL plans the first executions of a prepared
		// statement (custom plans): that is where the tenant's estimate is used.
		ids := fmt.Sprint(id)
		if strings.Contains(tt.stmt, "IN ?") {
			ids = fmt.Sprintf("(%d, %d)", id-1, id)
		}
		stmt := strings.Replace(strings.Replace(tt.stmt, "?", ids, 1), "?", fmt.Sprint(late.ID), 1)
		var plan string
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+stmt).Scan(&plan); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		if got := indexNames(t, plan); len(got) != 1 || got[0] != tt.wantIndex {
			t.Errorf("%s\nuses indexes %v, want only %s; plan: %s", stmt, got, tt.wantIndex, plan)
		}
	}
}

// TestLookupByMailIgnoresStaleTenantStatistics: GET contact/{mail} in a tenant the
// statistics do not know goes through the mail's key row and the contacts' id index,
// not a walk of a tenant-prefixed index for ORDER BY id.
func TestLookupByMailIgnoresStaleTenantStatistics(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("PostgreSQL's planner only")
	}
	st, known, late := staleTenant(t)
	db := st.DB()
	ctx := context.Background()
	mail := fmt.Sprintf("'p77@t%d.example'", late.ID)
	args := []string{fmt.Sprint(late.ID), "'e:' || " + mail, fmt.Sprint(late.ID), mail}
	stmt := "SELECT * FROM contacts WHERE " + store.ContactsWithMail + " ORDER BY id LIMIT 500"
	for _, a := range args {
		stmt = strings.Replace(stmt, "?", a, 1)
	}
	var plan string
	if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+stmt).Scan(&plan); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	got := indexNames(t, plan)
	slices.Sort(got)
	if !slices.Equal(got, []string{"contact_keys_pkey", "contacts_pkey"}) {
		t.Errorf("%s\nuses indexes %v, want contact_keys_pkey and contacts_pkey; plan: %s", stmt, got, plan)
	}
	cs, err := st.FindContactsByMail(ctx, late.ID, "P77@t"+fmt.Sprint(late.ID)+".example ")
	if err != nil || len(cs) != 1 || cs[0].TenantID != late.ID {
		t.Fatalf("FindContactsByMail = %+v, %v; want the one contact", cs, err)
	}
	if cs, err := st.FindContactsByMail(ctx, known.ID, "p77@t"+fmt.Sprint(late.ID)+".example"); err != nil || len(cs) != 0 {
		t.Fatalf("another tenant's mail = %+v, %v; want none", cs, err)
	}
}

// TestTermPageIgnoresStaleTenantStatistics: a page of a term's contacts in a tenant
// the statistics do not know walks the term's index and fetches each contact by id.
// Asked as "id IN (subquery)", the planner took both sides for one row and joined
// them by a nested loop that read the term's rows again for every contact of the
// tenant: 16 s in a 1M tenant (list.go, pageQuery).
func TestTermPageIgnoresStaleTenantStatistics(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("PostgreSQL's planner only")
	}
	st, _, late := staleTenant(t)
	ctx := context.Background()
	var term int64
	if err := st.DB().QueryRowContext(ctx, "SELECT id FROM terms WHERE tenant_id = $1", late.ID).Scan(&term); err != nil {
		t.Fatal(err)
	}
	stmt, args := store.PageSQL(st, late.ID, models.ContactFilter{TermID: term, Limit: 100})
	var plan string
	if err := st.DB().QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+stmt, args...).Scan(&plan); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	if got := indexNames(t, plan); !slices.Equal(got, []string{"contact_terms_term", "contacts_pkey"}) {
		t.Errorf("%s\nuses indexes %v, want contact_terms_term, then contacts_pkey per row; plan: %s", stmt, got, plan)
	}
}

// staleTenant returns a store with two tenants of 5,000 contacts: known, filled before
// an ANALYZE, and late, filled after it, so the statistics do not know late.
func staleTenant(t *testing.T) (st *store.Store, known, late storetest.Tenant) {
	t.Helper()
	st = storetest.Open(t)
	known, late = storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	fillTenant(t, st.DB(), known.ID)
	if _, err := st.DB().ExecContext(context.Background(), "ANALYZE contacts, contact_keys, contact_terms"); err != nil {
		t.Fatal(err)
	}
	fillTenant(t, st.DB(), late.ID)
	return st, known, late
}

// fillTenant inserts 5,000 contacts with their mail key rows and two more keys each,
// and a term on every second one, straight into the tables (fast, and without the
// statistics the write path keeps).
func fillTenant(t *testing.T, db *sql.DB, tenant int64) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), `
		WITH c AS (
			INSERT INTO contacts (tenant_id, first_name, family_name, company, mail, mail_key, custom_fields, created_at, updated_at)
			SELECT $1::bigint, 'First' || g, 'Family' || g, 'Company ' || g, 'p' || g || '@t' || $1::text || '.example',
			       'p' || g || '@t' || $1::text || '.example', '{}', now(), now()
			FROM generate_series(1, 5000) g
			RETURNING id, mail_key)
		INSERT INTO contact_keys (tenant_id, key, contact_id)
		SELECT $1::bigint, k, id FROM c, unnest(ARRAY['e:' || mail_key, 'x:' || id, 'y:' || id]) k`, tenant)
	if err != nil {
		t.Fatalf("fill tenant %d: %v", tenant, err)
	}
	_, err = db.ExecContext(context.Background(), `
		WITH t AS (INSERT INTO terms (tenant_id, name, name_key) VALUES ($1, 'Fill', 'fill') RETURNING id)
		INSERT INTO contact_terms (tenant_id, contact_id, term_id)
		SELECT $1, c.id, t.id FROM contacts c, t WHERE c.tenant_id = $1 AND c.id % 2 = 0`, tenant)
	if err != nil {
		t.Fatalf("fill tenant %d terms: %v", tenant, err)
	}
}

// indexNames lists the indexes a JSON plan scans.
func indexNames(t *testing.T, plan string) []string {
	t.Helper()
	var nodes []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		t.Fatalf("plan: %v", err)
	}
	var out []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if name, ok := n["Index Name"].(string); ok {
			out = append(out, name)
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, n := range nodes {
		walk(n.Plan)
	}
	return out
}
