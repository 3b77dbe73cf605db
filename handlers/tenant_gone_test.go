package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store"
)

// goneTenantWrites are writes of every kind a key can make; each must answer 401 once
// the key's tenant is gone, never 500 from a foreign key that no longer holds.
var goneTenantWrites = []struct {
	method, path string
	body         any
}{
	{http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "gone@example.com"}, "duplicate_check_method": "none"}},
	{http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "gone1@example.com"}, map[string]any{"mail": "gone2@example.com"}}}},
	{http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "gone3@example.com"}}},
	{http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "gone"}},
	{http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Gone", "field_type": "text"}},
	{http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"192.0.2.1"}}},
}

// TestKeyOfDeletedTenant: DeleteTenant revokes the tenant's keys in this process at
// once, not when the key cache (30 s) expires: reads and writes answer 401.
func TestKeyOfDeletedTenant(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Spamlist = a.Contacts.(*store.Store) })
	id := b.createContact(t, map[string]any{"mail": "deleted@example.com"}) // the key is cached now
	if _, err := b.st.DeleteTenant(context.Background(), b.tenant.ID, store.DeleteTenantOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range goneTenantWrites {
		b.fail(t, r.method, r.path, r.body, http.StatusUnauthorized)
	}
	b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized)
	b.fail(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d", id), nil, http.StatusUnauthorized)
	b.fail(t, http.MethodGet, "/api/v1/contacts", nil, http.StatusUnauthorized)
}

// TestKeyOfTenantRemovedInSQL: a tenant deleted behind the server's back (SQL, another
// replica) takes its keys with it (ON DELETE CASCADE), but this replica still holds the
// key in its cache. A write then fails on the tenant's foreign key; it must answer 401
// (and forget the key, so reads do too), not 500, and write nothing that outlives the
// tenant (spam_ranges has no foreign key to tenants).
func TestKeyOfTenantRemovedInSQL(t *testing.T) {
	for _, r := range goneTenantWrites {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(a *handlers.API) { a.Spamlist = a.Contacts.(*store.Store) })
			b.createContact(t, map[string]any{"mail": "cached@example.com"}) // the key is cached now
			b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.1"}}, http.StatusOK, nil)
			if _, err := b.st.DB().Exec("DELETE FROM tenants WHERE id = $1", b.tenant.ID); err != nil {
				t.Fatal(err)
			}
			b.fail(t, r.method, r.path, r.body, http.StatusUnauthorized)
			b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized)
			for _, table := range []string{"contacts", "contact_keys", "terms", "custom_fields", "spam_ranges", "spam_list_versions", "events", "idempotency_keys"} {
				var n int
				if err := b.st.DB().QueryRow("SELECT count(*) FROM "+table+" WHERE tenant_id = $1", b.tenant.ID).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%s holds %d rows of the deleted tenant", table, n)
				}
			}
		})
	}
}
