package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestIngestEmailCheckMergesCaseInsensitively(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	opts := models.IngestOptions{Check: models.CheckEmail, Merge: models.MergeUpdateAdd}

	first, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "Jane@Example.com", "first_name": "Jane"})}, opts)
	if err != nil || first[0].Err != nil || !first[0].Created {
		t.Fatalf("first ingest: %v %+v", err, first)
	}
	second, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": " jane@example.COM ", "family_name": "Doe"})}, opts)
	if err != nil || second[0].Err != nil {
		t.Fatalf("second ingest: %v %+v", err, second)
	}
	if second[0].Created || second[0].ID != first[0].ID {
		t.Fatalf("second ingest created %v id %d, want merge into %d", second[0].Created, second[0].ID, first[0].ID)
	}
	c, err := st.GetContact(ctx, tn.ID, first[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Jane" || c.FamilyName != "Doe" {
		t.Fatalf("merged contact = %q %q, want Jane Doe", c.FirstName, c.FamilyName)
	}
}

func TestIngestConcurrentIdenticalCreatesYieldOneContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	for _, check := range []models.CheckMethod{models.CheckEmail, models.CheckAuto} {
		mail := fmt.Sprintf("race-%s@example.com", check)
		var wg sync.WaitGroup
		ids := make([]int64, 50)
		errs := make([]error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": mail, "first_name": "Race", "family_name": "Condition"})},
					models.IngestOptions{Check: check, Merge: models.MergeUpdateAdd})
				if err == nil {
					err = res[0].Err
					ids[i] = res[0].ID
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: ingest %d: %v", check, i, err)
			}
		}
		found, err := st.FindContactsByMail(ctx, tn.ID, mail)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 {
			t.Fatalf("%s: 50 concurrent identical creates made %d contacts, want 1", check, len(found))
		}
		for i, id := range ids {
			if id != found[0].ID {
				t.Fatalf("%s: ingest %d answered id %d, want %d", check, i, id, found[0].ID)
			}
		}
	}
}

func TestIngestBatchMergesWithinBatchAndReportsEachItem(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	subs := []*models.Submission{
		storetest.Submission(t, map[string]any{"mail": "a@example.com", "first_name": "A"}),
		storetest.Submission(t, map[string]any{"mail": "b@example.com"}),
		storetest.Submission(t, map[string]any{"mail": "A@example.com", "family_name": "Alpha"}),
		storetest.Submission(t, map[string]any{"mail": "c@example.com", "terms": []int64{999999}}),
	}
	res, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckEmail})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Created || !res[1].Created || res[2].Created || res[2].ID != res[0].ID {
		t.Fatalf("results = %+v, want item 2 merged into item 0", res)
	}
	if models.ErrorCode(res[3].Err) != models.EINVALID {
		t.Fatalf("item 3 err = %v, want invalid unknown term", res[3].Err)
	}
	c, err := st.GetContact(ctx, tn.ID, res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "A" || c.FamilyName != "Alpha" {
		t.Fatalf("merged = %q %q", c.FirstName, c.FamilyName)
	}
	if found, _ := st.FindContactsByMail(ctx, tn.ID, "c@example.com"); len(found) != 0 {
		t.Fatalf("failed item was written: %+v", found)
	}
}

func TestIngestCheckNoneAlwaysCreates(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	for range 2 {
		res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "same@example.com"})}, models.IngestOptions{Check: models.CheckNone})
		if err != nil || !res[0].Created {
			t.Fatalf("ingest: %v %+v", err, res)
		}
	}
	found, err := st.FindContactsByMail(ctx, tn.ID, "same@example.com")
	if err != nil || len(found) != 2 {
		t.Fatalf("found %d contacts (%v), want 2", len(found), err)
	}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	a, b := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	ctx := context.Background()
	res, err := st.Ingest(ctx, a.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "iso@example.com"})}, models.IngestOptions{Check: models.CheckEmail})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetContact(ctx, b.ID, res[0].ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("other tenant's get = %v, want not found", err)
	}
	if err := st.DeleteContact(ctx, b.ID, res[0].ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("other tenant's delete = %v, want not found", err)
	}
	// The same mail in tenant b is a new contact, not a merge across tenants.
	res2, err := st.Ingest(ctx, b.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "iso@example.com"})}, models.IngestOptions{Check: models.CheckEmail})
	if err != nil || !res2[0].Created {
		t.Fatalf("tenant b ingest: %v %+v", err, res2)
	}
}
