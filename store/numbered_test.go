package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// numbered is the i-th record of a bulk whose names and mail addresses differ only in
// their numbers, made from one template (family name, phone, address): a load test's
// or an import's numbered rows, as reported (Cr0 … Cr463, i0@ … i463@).
func numbered(i int) map[string]any {
	return map[string]any{"first_name": fmt.Sprintf("Cr%d", i), "family_name": "Schneider",
		"mail": fmt.Sprintf("i%d@example.com", i), "phone": "+49 30 1234567",
		"ba_street": "Hauptstraße 5", "ba_postal_code": "10115", "ba_city": "Berlin"}
}

// TestNumberedBulkStaysApart: 464 records that differ only in the numbers of their
// names and mail addresses are 464 contacts with the auto check, sent in one bulk
// call or one by one. They merged into one contact: Cr1 and Cr2 are one edit apart,
// and what the template shares reaches the threshold.
func TestNumberedBulkStaysApart(t *testing.T) {
	t.Parallel()
	const n = 464
	st := storetest.Open(t)
	ctx := context.Background()
	check := func(t *testing.T, tenant int64, res []models.IngestResult) {
		t.Helper()
		ids := map[int64]bool{}
		for i, r := range res {
			if r.Err != nil || !r.Created || r.MergeID != "" || len(r.Joined) != 0 {
				t.Fatalf("item %d = %+v; want a contact of its own", i, r)
			}
			ids[r.ID] = true
		}
		if len(ids) != n {
			t.Fatalf("%d records became %d contacts, want %d", n, len(ids), n)
		}
		list := make([]int64, 0, n)
		for id := range ids {
			list = append(list, id)
		}
		got, err := st.GetContacts(ctx, tenant, list)
		if err != nil || len(got) != n {
			t.Fatalf("stored contacts: %d, %v; want %d", len(got), err, n)
		}
	}
	t.Run("bulk", func(t *testing.T) {
		t.Parallel()
		tn := storetest.NewTenant(t, st)
		subs := make([]*models.Submission, n)
		for i := range subs {
			subs[i] = storetest.Submission(t, numbered(i))
		}
		res, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckAuto})
		if err != nil {
			t.Fatal(err)
		}
		check(t, tn.ID, res)
	})
	t.Run("one by one", func(t *testing.T) {
		t.Parallel()
		tn := storetest.NewTenant(t, st)
		res := make([]models.IngestResult, n)
		for i := range res {
			res[i] = ingestOne(t, st, tn.ID, models.CheckAuto, numbered(i))
		}
		check(t, tn.ID, res)
	})
}
