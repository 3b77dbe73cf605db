package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestCustomFieldDefinedOnAnotherReplicaIsUsableAtOnce guards the definitions cache: a
// field created through one replica is accepted by another replica right away.
func TestCustomFieldDefinedOnAnotherReplicaIsUsableAtOnce(t *testing.T) {
	t.Parallel()
	a := setup(t)
	st2, err := store.Open(context.Background(), storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	b := &bundle{e: handlers.New(&handlers.API{Auth: st2, Contacts: st2, CustomFields: st2, Merges: st2, Log: a.api.Log,
		ContactService: contacts.New(contacts.Config{Store: st2})}), st: st2, tenant: a.tenant}

	// Replica b caches the tenant's (empty) definitions.
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "r1@example.com"}}, http.StatusOK, nil)
	a.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Budget", "field_type": "integer"}, http.StatusOK, nil)
	var got map[string]any
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "r2@example.com", "field_budget": 5000}, "return_fields": []string{"field_budget"}}, http.StatusOK, &got)
	if got["field_budget"] != float64(5000) {
		t.Fatalf("field_budget = %v, want 5000", got["field_budget"])
	}
}
