package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// keyRows returns the tenant's contact_keys rows as "contact key", sorted.
func keyRows(t *testing.T, st *store.Store, tenant int64) []string {
	t.Helper()
	rows, err := st.DB().Query("SELECT contact_id, key FROM contact_keys WHERE tenant_id = $1", tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s", id, k))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestReindexKeys: a tenant whose contacts were written with the keys of version 1
// (no "m:" keys, no contact_key_versions row) is found, gets exactly the keys the
// write path gives a contact today, batch by batch, and is then left alone; running
// it again adds nothing; another tenant's keys are untouched.
func TestReindexKeys(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	old, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	for i := range 23 {
		f := map[string]any{"first_name": fmt.Sprintf("Vor%c", 'a'+i), "family_name": "Nachname", "mail": fmt.Sprintf("p%d@example.com", i)}
		if i%5 == 0 {
			delete(f, "family_name") // no name key
		}
		ingestOne(t, st, old.ID, models.CheckNone, f)
		ingestOne(t, st, other.ID, models.CheckNone, f)
	}
	want, otherWant := keyRows(t, st, old.ID), keyRows(t, st, other.ID)
	// As written before version 2: no name keys, no record of the version.
	for _, q := range []string{"DELETE FROM contact_keys WHERE tenant_id = $1 AND key LIKE 'm:%'", "DELETE FROM contact_key_versions WHERE tenant_id = $1"} {
		if _, err := st.DB().Exec(q, old.ID); err != nil {
			t.Fatal(err)
		}
	}
	stripped := len(want) - len(keyRows(t, st, old.ID))
	if stripped != 23-5 {
		t.Fatalf("%d name keys removed, want 18", stripped)
	}

	pending, err := st.TenantsToReindex(ctx)
	if err != nil || !slices.Contains(pending, old.ID) {
		t.Fatalf("tenants to reindex %v, %v: want %d among them", pending, err, old.ID)
	}
	var added int64
	batches := 0
	for done := false; !done; batches++ {
		var n int64
		done, n, err = st.ReindexKeysBatch(ctx, old.ID, 7)
		if err != nil {
			t.Fatal(err)
		}
		added += n
	}
	if added != int64(stripped) || batches != 5 { // 23 contacts in batches of 7, then the empty one
		t.Errorf("reindex added %d key rows in %d batches, want %d in 5", added, batches, stripped)
	}
	if got := keyRows(t, st, old.ID); !slices.Equal(got, want) {
		t.Errorf("keys after the reindex differ from the write path's:\n got %v\nwant %v", got, want)
	}
	if got := keyRows(t, st, other.ID); !slices.Equal(got, otherWant) {
		t.Errorf("the other tenant's keys changed")
	}
	pending, err = st.TenantsToReindex(ctx)
	if err != nil || slices.Contains(pending, old.ID) {
		t.Fatalf("tenants to reindex after it ran: %v, %v", pending, err)
	}
	if done, n, err := st.ReindexKeysBatch(ctx, old.ID, 7); !done || n != 0 || err != nil {
		t.Errorf("a done tenant's batch: done %v, added %d, %v", done, n, err)
	}
	// Marked as indexed with version 1 again: the whole walk adds nothing new.
	if _, err := st.DB().Exec("UPDATE contact_key_versions SET version = 1, done = true WHERE tenant_id = $1", old.ID); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		var n int64
		if done, n, err = st.ReindexKeysBatch(ctx, old.ID, 100); err != nil || n != 0 {
			t.Fatalf("second reindex: added %d, %v", n, err)
		}
	}
}

// TestCappedNameKey: records that share nothing but both names meet through the "m:"
// key while at most dedupe.NameKeyCap contacts share it — a name-only submission
// is compared with them and, unsure, queued for review — and not once more share it.
func TestCappedNameKey(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	tn := storetest.NewTenant(t, st)
	for i := range dedupe.NameKeyCap - 1 {
		ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma", "mail": fmt.Sprintf("oq%d@example.org", i)})
	}
	probe := &models.Contact{FirstName: "Oyelaran", FamilyName: "Quaresma"}
	found, _, err := st.FindDuplicates(ctx, tn.ID, probe, 0, 100)
	if err != nil || len(found) != dedupe.NameKeyCap-1 {
		t.Fatalf("candidates of a name among %d namesakes: %d, %v; want all of them", dedupe.NameKeyCap-1, len(found), err)
	}
	// The NameKeyCap-th contact of that name is compared with the others (its name
	// alone is not enough to merge; the pairs are queued for review).
	r := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma", "date_of_birth": "1970-03-04"})
	if !r.Created {
		t.Fatalf("a name alone merged: %+v", r)
	}
	page, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 100})
	if err != nil || len(page.Pairs) != dedupe.NameKeyCap-1 {
		t.Fatalf("review queue after the %d-th namesake: %d pairs, %v; want %d", dedupe.NameKeyCap, len(page.Pairs), err, dedupe.NameKeyCap-1)
	}
	// One more: the key now selects a crowd, and nothing.
	ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma", "mail": "crowd@example.org"})
	if found, _, err := st.FindDuplicates(ctx, tn.ID, probe, 0, 100); err != nil || len(found) != 0 {
		t.Fatalf("candidates of a name among %d namesakes: %d, %v; want none", dedupe.NameKeyCap+1, len(found), err)
	}
	r = ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma", "date_of_birth": "1980-05-06"})
	page, err = st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 100})
	if err != nil || !r.Created || len(page.Pairs) != dedupe.NameKeyCap-1 {
		t.Fatalf("after a name among a crowd: created %v, %d pairs queued, %v; want a new contact and no new pair", r.Created, len(page.Pairs), err)
	}
}

// TestCrowdedNameKeyMergeUndo: a merge into a contact whose name key is crowded (read
// cut short, then dropped) records only the keys it really adds, so undoing it leaves
// the contact's own name key in place.
func TestCrowdedNameKeyMergeUndo(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	tn := storetest.NewTenant(t, st)
	var target int64
	for i := range dedupe.NameKeyCap + 5 {
		r := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma", "mail": fmt.Sprintf("crowd%d@example.org", i)})
		target = r.ID
	}
	ownRows := func() []string { // the target's rows ("id key")
		return slices.DeleteFunc(keyRows(t, st, tn.ID), func(r string) bool { return !strings.HasPrefix(r, fmt.Sprintf("%d ", target)) })
	}
	before := ownRows()
	m := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"first_name": "Oyelaran", "family_name": "Quaresma",
		"mail": fmt.Sprintf("crowd%d@example.org", dedupe.NameKeyCap+4), "phone": "+49 30 1234567"})
	if m.ID != target || m.MergeID == "" {
		t.Fatalf("submission = %+v, want a merge into %d", m, target)
	}
	if _, err := st.UndoMerge(ctx, tn.ID, m.MergeID); err != nil {
		t.Fatal(err)
	}
	// The undo gives the submission a contact of its own; the target keeps its keys.
	if after := ownRows(); !slices.Equal(after, before) || !slices.ContainsFunc(after, func(r string) bool { return strings.Contains(r, " m:") }) {
		t.Errorf("the target's keys after merge and undo:\n got %v\nwant %v (with its m: key)", after, before)
	}
}
