package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestCustomFieldChangesReachOtherReplicas: a replica that cached a tenant's
// definitions sees another replica's change within moments — a field becoming
// required, its deletion — not only when its cache would expire (a minute while it
// listens), and a rolled-back change sends nothing.
func TestCustomFieldChangesReachOtherReplicas(t *testing.T) {
	t.Parallel()
	if storetest.Dialect() != store.Postgres {
		t.Skip("one SQLite process forgets its own changes; there are no other replicas")
	}
	a := storetest.Open(t)
	ctx := context.Background()
	b, err := store.Open(ctx, storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tn := storetest.NewTenant(t, a)
	f := &models.CustomField{TenantID: tn.ID, Name: "budget", Label: "Budget", FieldType: models.FieldTypeInteger}
	if err := a.CreateCustomField(ctx, f); err != nil {
		t.Fatal(err)
	}
	// b loads and caches the definitions; its listener is up by now or soon.
	eventually := func(what string, ok func(map[string]*models.CustomField) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			defs, err := b.CustomFields(ctx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ok(defs) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica b did not see %s within 10 s", what)
			}
		}
	}
	eventually("the new field", func(d map[string]*models.CustomField) bool { return d["budget"] != nil && !d["budget"].Required })
	time.Sleep(200 * time.Millisecond) // b's copy is cached now, fresh for a minute

	f.Required = true
	if err := a.UpdateCustomField(ctx, f); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually("the field become required", func(d map[string]*models.CustomField) bool { return d["budget"] != nil && d["budget"].Required })
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the change took %s to reach replica b", took)
	}
	if err := a.DeleteCustomField(ctx, tn.ID, "budget"); err != nil {
		t.Fatal(err)
	}
	eventually("the field deleted", func(d map[string]*models.CustomField) bool { return d["budget"] == nil })
}
