package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
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
	storetest.AssertConsistent(t, st)
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

// TestIngestShortcutAndTransactionAgree races the one-statement shortcut for new
// contacts (PostgreSQL) against the full transaction, which a comment forces: both
// take the same locks, so 40 concurrent submissions of one mail still make one
// contact, and every comment lands on it.
func TestIngestShortcutAndTransactionAgree(t *testing.T) {
	t.Parallel()
	tn := storetest.NewTenant(t, storetest.Open(t))
	// A store of its own: the shared one's counters also count other tests' writes.
	st, err := store.Open(context.Background(), storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	opts := models.IngestOptions{Check: models.CheckEmail, Merge: models.MergeUpdateAdd}

	shortcuts, _ := st.IngestCounts()
	res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "new@example.com", "first_name": "New"})}, opts)
	if err != nil || res[0].Err != nil || !res[0].Created || res[0].ID == 0 {
		t.Fatalf("create: %v %+v", err, res)
	}
	after, _ := st.IngestCounts()
	if storetest.Dialect() == store.Postgres && after != shortcuts+1 {
		t.Fatalf("a new contact with check email took the full transaction on PostgreSQL, want the shortcut")
	}
	c, err := st.GetContact(ctx, tn.ID, res[0].ID)
	if err != nil || c.FirstName != "New" || c.Mail != "new@example.com" {
		t.Fatalf("created contact = %+v, %v", c, err)
	}
	again, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "NEW@example.com", "family_name": "Person"})}, opts)
	if err != nil || again[0].Err != nil || again[0].Created || again[0].ID != res[0].ID || again[0].MergeID == "" {
		t.Fatalf("same mail again: %v %+v, want a recorded merge into %d", err, again, res[0].ID)
	}

	// A BeforeCreate hook (the flood limit) is asked only for contacts that are
	// created: never for a submission that merges, never twice for one.
	asked := 0
	hooked := opts
	hooked.BeforeCreate = func(context.Context, int, *models.Submission) error { asked++; return nil }
	if _, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "new@example.com"})}, hooked); err != nil || asked != 0 {
		t.Fatalf("merging submission: err %v, BeforeCreate asked %d times, want 0", err, asked)
	}
	if _, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "hooked@example.com"})}, hooked); err != nil || asked != 1 {
		t.Fatalf("new submission: err %v, BeforeCreate asked %d times, want 1", err, asked)
	}
	// With the hook the shortcut still applies (its statement in a transaction of its
	// own, committed once the hook agreed); a refusal is the item's error and leaves
	// nothing behind.
	shortcuts, _ = st.IngestCounts()
	refusal := models.Errorf(models.ELIMITED, "flood limit reached")
	refusing := opts
	refusing.BeforeCreate = func(context.Context, int, *models.Submission) error { return refusal }
	res, err = st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "refused@example.com"})}, refusing)
	if err != nil || res[0].Err != refusal || res[0].Created || res[0].ID != 0 {
		t.Fatalf("refused by the hook: %v %+v, want the hook's error as the item's", err, res)
	}
	if found, err := st.FindContactsByMail(ctx, tn.ID, "refused@example.com"); err != nil || len(found) != 0 {
		t.Fatalf("a refused submission left %d contacts (%v), want none", len(found), err)
	}
	if after, _ := st.IngestCounts(); storetest.Dialect() == store.Postgres && after != shortcuts+1 {
		t.Fatalf("a new contact with a BeforeCreate hook took the full transaction on PostgreSQL, want the shortcut")
	}
	var hookedAsked atomic.Int64
	concurrent := opts
	concurrent.BeforeCreate = func(context.Context, int, *models.Submission) error { hookedAsked.Add(1); return nil }
	var hwg sync.WaitGroup
	for range 20 {
		hwg.Go(func() {
			r, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "hooked-race@example.com"})}, concurrent)
			if err == nil {
				err = r[0].Err
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	hwg.Wait()
	if found, err := st.FindContactsByMail(ctx, tn.ID, "hooked-race@example.com"); err != nil || len(found) != 1 || hookedAsked.Load() != 1 {
		t.Fatalf("20 concurrent hooked submissions of one mail: %d contacts (%v), hook asked %d times; want 1 and 1", len(found), err, hookedAsked.Load())
	}

	var wg sync.WaitGroup
	const n = 40
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			body := map[string]any{"mail": "mixed@example.com", "first_name": "Mixed"}
			if i%2 == 1 {
				body["comment"] = fmt.Sprintf("comment %d", i)
			}
			r, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, body)}, opts)
			if err == nil {
				err = r[0].Err
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
	}
	found, err := st.FindContactsByMail(ctx, tn.ID, "mixed@example.com")
	if err != nil || len(found) != 1 {
		t.Fatalf("%d concurrent submissions of one mail made %d contacts (%v), want 1", n, len(found), err)
	}
	_, total, err := st.ListComments(ctx, tn.ID, found[0].ID, 0, 50, false)
	if err != nil {
		t.Fatal(err)
	}
	if total != n/2 {
		t.Fatalf("contact has %d comments, want %d", total, n/2)
	}
	storetest.AssertConsistent(t, st)
}

// TestBatchInsertKeepsEveryValue: contacts written by the batch insert read back
// exactly — text with quotes, backslashes and braces, numbers, dates — in input order.
func TestBatchInsertKeepsEveryValue(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	odd := `Öz"gür \ {Müller}, "NULL"`
	subs := []*models.Submission{
		storetest.Submission(t, map[string]any{"mail": "one@example.com", "first_name": odd, "mail_status": 5,
			"date_of_birth": "1980-02-29", "ba_country": "DE", "company": "ACME, Inc."}),
		storetest.Submission(t, map[string]any{"mail": "two@example.com", "family_name": "Zwei"}),
	}
	res, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckNone})
	if err != nil || res[0].Err != nil || res[1].Err != nil || res[0].ID == 0 || res[1].ID <= res[0].ID {
		t.Fatalf("batch: %v %+v", err, res)
	}
	one, err := st.GetContact(ctx, tn.ID, res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if one.FirstName != odd || one.Mail != "one@example.com" || one.MailStatus != 5 || one.DateOfBirth != "1980-02-29" ||
		one.BaCountry != "DE" || one.Company != "ACME, Inc." || one.Version != 1 || one.CreatedAt.IsZero() {
		t.Fatalf("first contact read back as %+v", one)
	}
	two, err := st.GetContact(ctx, tn.ID, res[1].ID)
	if err != nil || two.FamilyName != "Zwei" || two.Mail != "two@example.com" {
		t.Fatalf("second contact = %+v, %v", two, err)
	}
}
