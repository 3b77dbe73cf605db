package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// henrike is one person (the join tests here and in merge_test.go); splitPerson
// stores her twice.
var henrike = map[string]any{"first_name": "Henrike", "family_name": "Oltmanns", "date_of_birth": "1979-03-14",
	"ba_street": "Lindenweg 7", "ba_postal_code": "26122", "ba_city": "Oldenburg"}

// withFields returns a copy of fields with more set.
func withFields(fields map[string]any, more map[string]any) map[string]any {
	out := maps.Clone(fields)
	maps.Copy(out, more)
	return out
}

// joinStore opens a store of its own on the package's database: the join hook it
// gets must not fire for other tests' submissions.
func joinStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// splitPerson stores henrike twice, a and b (b with a mail and another street), with
// check none: one person split early. An auto submission of henrike then merges into
// a, the older one, and decides to join b into it.
func splitPerson(t *testing.T, st *store.Store, tenant int64) (a, b int64) {
	t.Helper()
	a = ingestOne(t, st, tenant, models.CheckNone, henrike).ID
	b = ingestOne(t, st, tenant, models.CheckNone, withFields(henrike, map[string]any{"mail": "h.oltmanns@example.org", "ba_street": "Am Hafen 3"})).ID
	return a, b
}

// clusterMergesOf returns the cluster merges recorded between a and b, either way.
func clusterMergesOf(t *testing.T, st *store.Store, tenant, a, b int64) []*models.Merge {
	t.Helper()
	all, err := st.ListMerges(context.Background(), tenant, b, "", 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []*models.Merge
	for _, m := range all {
		if m.Kind != models.MergeKindCluster || m.SourceContactID == nil {
			continue
		}
		if (m.ContactID == a && *m.SourceContactID == b) || (m.ContactID == b && *m.SourceContactID == a) {
			out = append(out, m)
		}
	}
	return out
}

// submitWithEditInJoinGap submits henrike (auto) after splitPerson made a and b, and
// has another client edit the contact edited (a or b) between the decision to join b
// into a and that merge. The join was decided on the old state, so it must not
// happen; the submission's own merge into a stands.
func submitWithEditInJoinGap(t *testing.T, st *store.Store, tenant, a, b, edited int64) {
	t.Helper()
	hooked := 0
	store.SetBeforeJoin(st, func(target, other int64) {
		hooked++
		if target != a || other != b {
			t.Errorf("join of %d into %d decided, want %d into %d", other, target, b, a)
			return
		}
		if _, err := st.UpdateContact(context.Background(), tenant, edited, storetest.Submission(t, map[string]any{"job_title": "Lotsin"})); err != nil {
			t.Errorf("edit %d: %v", edited, err)
		}
	})
	r := ingestOne(t, st, tenant, models.CheckAuto, henrike)
	if hooked != 1 {
		t.Fatalf("a join was decided %d times, want once (the setup no longer leads to a join)", hooked)
	}
	if r.Created || r.ID != a || r.MergeID == "" || len(r.Joined) != 0 {
		t.Fatalf("submission = %+v; want its merge into %d and no join", r, a)
	}
	if ms := clusterMergesOf(t, st, tenant, a, b); len(ms) != 0 {
		t.Fatalf("cluster merges of %d and %d = %+v, want none", a, b, ms)
	}
}

// TestJoinSkippedWhenSourceChangedAfterDecision: the contact to be joined is edited
// in the gap; it stays, with its edit and its own data.
func TestJoinSkippedWhenSourceChangedAfterDecision(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b := splitPerson(t, st, tn.ID)
	before, err := st.GetContact(ctx, tn.ID, b)
	if err != nil {
		t.Fatal(err)
	}
	submitWithEditInJoinGap(t, st, tn.ID, a, b, b)
	got, err := st.GetContact(ctx, tn.ID, b)
	if err != nil {
		t.Fatalf("the edited contact was merged away: %v", err)
	}
	if got.JobTitle != "Lotsin" || got.Version <= before.Version || got.Mail != before.Mail || got.BaStreet != before.BaStreet {
		t.Fatalf("edited contact = %+v; want its edit (job_title Lotsin, version past %d) and its own data", got, before.Version)
	}
}

// TestJoinSkippedWhenTargetChangedAfterDecision: the same with the contact the
// submission merged into edited in the gap; the join would merge into a state it was
// not decided on.
func TestJoinSkippedWhenTargetChangedAfterDecision(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b := splitPerson(t, st, tn.ID)
	submitWithEditInJoinGap(t, st, tn.ID, a, b, a)
	if got, err := st.GetContact(ctx, tn.ID, a); err != nil || got.JobTitle != "Lotsin" {
		t.Fatalf("edited contact = %+v, %v; want job_title Lotsin", got, err)
	}
	if _, err := st.GetContact(ctx, tn.ID, b); err != nil {
		t.Fatalf("the other contact was merged away: %v", err)
	}
}

// TestItemFollowsItsContactJoinedAwayConcurrently: a submission merges into a and is
// about to join b into it, when a concurrent submission joins a into a third contact,
// c. The first submission's join then finds a gone; its answer must name c, which
// holds its data now, and a must not come back.
func TestItemFollowsItsContactJoinedAwayConcurrently(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b := splitPerson(t, st, tn.ID)
	// c is henrike too, known by name, mail and phone: the first submission, which
	// shares only her name with c, does not match it; the concurrent one, which also
	// brings her date of birth, matches c best and a as well.
	henny := map[string]any{"first_name": "Henrike", "family_name": "Oltmanns", "mail": "henny@example.org", "phone": "0441 5550123"}
	c := ingestOne(t, st, tn.ID, models.CheckNone, henny).ID

	var concurrent models.IngestResult
	hooked := 0
	store.SetBeforeJoin(st, func(target, other int64) {
		hooked++
		if hooked > 1 {
			return // the concurrent submission's own joins
		}
		if target != a || other != b {
			t.Errorf("join of %d into %d decided, want %d into %d", other, target, b, a)
		}
		concurrent = ingestOne(t, st, tn.ID, models.CheckAuto, withFields(henny, map[string]any{"date_of_birth": henrike["date_of_birth"]}))
	})
	r := ingestOne(t, st, tn.ID, models.CheckAuto, withFields(henrike, map[string]any{"job_title": "Lotsin", "comment": "call back"}))
	if hooked == 0 {
		t.Fatal("no join was decided (the setup no longer leads to one)")
	}
	if concurrent.ID != c || !joinedContact(concurrent, a) {
		t.Fatalf("concurrent submission = %+v; want a merge into %d that joins %d", concurrent, c, a)
	}
	if r.ID != c || r.Created {
		t.Fatalf("submission = %+v; want it to answer %d, which absorbed %d", r, c, a)
	}
	// Neither a nor anything else was created again: the concurrent submission joined
	// b into c as well, so c is the tenant's one contact.
	page, err := st.ListContacts(ctx, tn.ID, models.ContactFilter{Limit: 10})
	if err != nil || len(page.Contacts) != 1 || page.Contacts[0].ID != c {
		t.Fatalf("tenant's contacts = %+v, %v; want only %d", page, err, c)
	}
	got, err := st.GetContact(ctx, tn.ID, c)
	if err != nil || got.JobTitle != "Lotsin" {
		t.Fatalf("survivor = %+v, %v; want the submission's job_title", got, err)
	}
	comments, _, err := st.ListComments(ctx, tn.ID, c, 0, 50, false)
	if err != nil || len(comments) != 1 || comments[0].Comment != "call back" {
		t.Fatalf("survivor's comments = %+v, %v; want the submission's", comments, err)
	}
}

func joinedContact(r models.IngestResult, id int64) bool {
	for _, j := range r.Joined {
		if j.ContactID == id {
			return true
		}
	}
	return false
}
