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

// TestChainedMatchesAreNotJoined: a submission B that matches two contacts A and C
// merges into one of them (A), but C is joined only when it matches A (as B left it)
// directly and contradicts none of the contacts put together. A~B and B~C do not make
// A~C.
func TestChainedMatchesAreNotJoined(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	anna := func(more map[string]any) map[string]any {
		return withFields(map[string]any{"first_name": "Anna", "family_name": "Schmidt"}, more)
	}
	tests := []struct {
		name string
		// a and c are stored in this order with check cCheck (a with auto); then
		// bridges is submitted as one batch with auto.
		a, c    map[string]any
		cCheck  models.CheckMethod
		bridges []map[string]any
		// extra is stored after c (auto) when set: a second contact to chain.
		extra map[string]any
	}{
		{
			// A and C contradict each other: numbered names. B has only what the
			// template shares, so it matches both equally.
			name: "numbered names", a: numbered(1), c: numbered(2), cCheck: models.CheckNone,
			bridges: []map[string]any{{"family_name": "Schneider", "phone": "+49 30 1234567",
				"ba_street": "Hauptstraße 5", "ba_postal_code": "10115", "ba_city": "Berlin"}},
		},
		{
			// C does not match A with its other mail address (18.6 bits); B without a
			// mail matches both.
			name: "no direct match",
			a: map[string]any{"first_name": "Robert", "family_name": "Allen", "mail": "roberta25@smith.net",
				"ba_city": "London", "date_of_birth": "1971-06-24"},
			c:       map[string]any{"first_name": "Robert", "family_name": "Alan", "mail": "robert255@smith.net", "date_of_birth": "1971-06-24"},
			cCheck:  models.CheckAuto,
			bridges: []map[string]any{{"first_name": "Robert", "family_name": "Alen", "ba_city": "Lonon", "date_of_birth": "1971-06-24"}},
		},
		{
			// A has no date of birth; B brings one that contradicts C's.
			name: "the submission contradicts C",
			a:    anna(map[string]any{"mail": "anna.s@example.org"}),
			c:    anna(map[string]any{"phone": "+49 30 1111111", "date_of_birth": "1980-01-01"}), cCheck: models.CheckAuto,
			bridges: []map[string]any{anna(map[string]any{"mail": "anna.s@example.org", "phone": "+49 30 1111111", "date_of_birth": "1990-05-05"})},
		},
		{
			// One batch joins C into A, then the extra contact, which contradicts C
			// (date of birth), while A in memory shows neither.
			name: "contradicts a contact joined earlier in the batch",
			a:    anna(map[string]any{"mail": "anna.s@example.org"}),
			c:    anna(map[string]any{"phone": "+49 30 1111111", "date_of_birth": "1980-01-01"}), cCheck: models.CheckAuto,
			extra: anna(map[string]any{"phone": "+49 30 2222222", "date_of_birth": "1990-05-05"}),
			bridges: []map[string]any{anna(map[string]any{"mail": "anna.s@example.org", "phone": "+49 30 1111111"}),
				anna(map[string]any{"mail": "anna.s@example.org", "phone": "+49 30 2222222"})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tn := storetest.NewTenant(t, st)
			a := ingestOne(t, st, tn.ID, models.CheckAuto, tt.a)
			c := ingestOne(t, st, tn.ID, tt.cCheck, tt.c)
			if !a.Created || !c.Created {
				t.Fatalf("A and C were not kept apart to begin with: %+v %+v", a, c)
			}
			apart := []int64{a.ID, c.ID}
			if tt.extra != nil {
				x := ingestOne(t, st, tn.ID, models.CheckAuto, tt.extra)
				if !x.Created {
					t.Fatalf("the extra contact merged: %+v", x)
				}
				apart = []int64{c.ID, x.ID} // one of them may join A, not both
			}
			subs := make([]*models.Submission, len(tt.bridges))
			for i, b := range tt.bridges {
				subs[i] = storetest.Submission(t, b)
			}
			res, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckAuto, Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				if r.Err != nil || r.ID != a.ID {
					t.Fatalf("bridge %d = %+v; want a merge into A (%d)", i, r, a.ID)
				}
			}
			survivors := 0
			for _, id := range apart {
				if _, err := st.GetContact(ctx, tn.ID, id); err == nil {
					survivors++
				} else if models.ErrorCode(err) != models.ENOTFOUND {
					t.Fatal(err)
				}
			}
			if tt.extra == nil && survivors != 2 || tt.extra != nil && survivors != 1 {
				t.Fatalf("%d of contacts %v left, want %d: results %+v", survivors, apart, map[bool]int{true: 1, false: 2}[tt.extra != nil], res)
			}
		})
	}
}
