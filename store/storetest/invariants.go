package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/store"
)

// orphanChecks find rows that belong to a contact (or a term) which no longer exists.
// contact_keys has no foreign key on PostgreSQL (migration 00005), so nothing but the
// store's locking keeps its rows from outliving their contact; the other tables have
// foreign keys, checked here too so a lost ON DELETE or a disabled pragma shows up.
var orphanChecks = []struct{ what, query string }{
	{"contact_keys rows without their contact", `SELECT k.tenant_id, k.contact_id, COUNT(*) FROM contact_keys k
		WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = k.contact_id AND c.tenant_id = k.tenant_id)
		GROUP BY k.tenant_id, k.contact_id ORDER BY k.tenant_id, k.contact_id`},
	{"contact_terms rows without their contact", `SELECT t.tenant_id, t.contact_id, COUNT(*) FROM contact_terms t
		WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.contact_id AND c.tenant_id = t.tenant_id)
		GROUP BY t.tenant_id, t.contact_id ORDER BY t.tenant_id, t.contact_id`},
	{"contact_terms rows without their term", `SELECT t.tenant_id, t.contact_id, COUNT(*) FROM contact_terms t
		WHERE NOT EXISTS (SELECT 1 FROM terms x WHERE x.id = t.term_id AND x.tenant_id = t.tenant_id)
		GROUP BY t.tenant_id, t.contact_id ORDER BY t.tenant_id, t.contact_id`},
	{"comments without their contact", `SELECT m.tenant_id, m.contact_id, COUNT(*) FROM comments m
		WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = m.contact_id AND c.tenant_id = m.tenant_id)
		GROUP BY m.tenant_id, m.contact_id ORDER BY m.tenant_id, m.contact_id`},
}

// AssertConsistent fails the test when the database holds a row that outlived what
// it belongs to: a contact_keys, contact_terms or comments row whose contact (of the
// same tenant) is gone, or a contact_terms row whose term is gone. It checks every
// tenant of the package's database, so a test that breaks the invariant is caught by
// whichever concurrency test looks next; committed states must always satisfy it, so
// tests running in parallel do not disturb it. Call it at the end of every test that
// writes concurrently.
func AssertConsistent(t testing.TB, st *store.Store) {
	t.Helper()
	for _, c := range orphanChecks {
		rows, err := st.DB().Query(c.query)
		if err != nil {
			t.Fatalf("storetest: check %s: %v", c.what, err)
		}
		var found []string
		total := 0
		for rows.Next() {
			var tenant, contact, n int64
			if err := rows.Scan(&tenant, &contact, &n); err != nil {
				rows.Close()
				t.Fatalf("storetest: check %s: %v", c.what, err)
			}
			total += int(n)
			if len(found) < 10 {
				found = append(found, fmt.Sprintf("tenant %d contact %d: %d", tenant, contact, n))
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			t.Fatalf("storetest: check %s: %v", c.what, err)
		}
		if total > 0 {
			t.Errorf("invariant broken: %d %s (%s)", total, c.what, strings.Join(found, "; "))
		}
	}
}
