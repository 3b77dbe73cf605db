package store_test

import (
	"context"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestKnownContact: the contact a merge would leave unchanged is found by a read;
// anything the merge would change or decide otherwise is left to Ingest, and the
// read writes nothing.
func TestKnownContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	person := map[string]any{"first_name": "Jürgen", "family_name": "Bauer", "mail": "j.bauer@example.de", "phone": "089 123456",
		"ba_street": "Lindenweg 3", "ba_postal_code": "80331", "ba_city": "München", "ba_country": "DE"}
	existing := ingestOne(t, st, tn.ID, models.CheckNone, person)
	before, err := st.GetContact(ctx, tn.ID, existing.ID)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range person {
			out[k] = v
		}
		for k, v := range change {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	add := models.IngestOptions{Check: models.CheckAuto, Merge: models.MergeAdd}
	for _, tc := range []struct {
		name   string
		fields map[string]any
		opts   models.IngestOptions
		known  bool
	}{
		{"the same data", person, add, true},
		{"mail in other case, phone in E.164, less data", with(map[string]any{"mail": "J.Bauer@Example.DE", "phone": "+49 89 123456", "ba_street": nil, "ba_city": nil}), add, true},
		{"by e-mail alone", map[string]any{"mail": "j.bauer@example.de"}, models.IngestOptions{Check: models.CheckEmail, Merge: models.MergeAdd}, true},
		{"by name, address and phone, no mail", with(map[string]any{"mail": nil}), add, true},
		{"another phone: a new key", with(map[string]any{"phone": "0171 9999999"}), add, false},
		{"update_add overwrites the name", with(map[string]any{"first_name": "Jürgen-Peter"}), models.IngestOptions{Check: models.CheckAuto, Merge: models.MergeUpdateAdd}, false},
		{"a field the contact lacks", with(map[string]any{"company": "Bauer GmbH"}), add, false},
		{"a comment", with(map[string]any{"comment": "hello"}), add, false},
		{"a new person", map[string]any{"first_name": "Greta", "family_name": "Wolf", "mail": "greta@example.de"}, add, false},
		{"check none", person, models.IngestOptions{Check: models.CheckNone, Merge: models.MergeAdd}, false},
	} {
		r, ok, err := st.KnownContact(ctx, tn.ID, storetest.Submission(t, tc.fields), tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ok != tc.known || (ok && (r.ID != existing.ID || r.Created || r.MergeID != "")) {
			t.Errorf("%s: known %v %+v, want %v", tc.name, ok, r, tc.known)
		}
		if ok && tc.opts.Check == models.CheckAuto && (r.Explanation == nil || !r.Explanation.Match) {
			t.Errorf("%s: explanation %+v", tc.name, r.Explanation)
		}
	}
	after, err := st.GetContact(ctx, tn.ID, existing.ID)
	if err != nil || after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("the reads changed the contact: %+v, %v", after, err)
	}
	if types := eventTypes(t, st, tn.ID); len(types) != 1 {
		t.Fatalf("events %v: want only the contact's creation", types)
	}

	// Two contacts a submission without a mail matches are joined by Ingest: not known.
	twin := ingestOne(t, st, tn.ID, models.CheckNone, with(map[string]any{"mail": nil}))
	if _, ok, err := st.KnownContact(ctx, tn.ID, storetest.Submission(t, with(map[string]any{"mail": nil})), add); err != nil || ok {
		t.Fatalf("two matching contacts: known %v, %v", ok, err)
	}
	// With a mail, the contact holding it is the one (matched by e-mail first, seed 002):
	// the look-alike under the name, phone and address keys is not ranked.
	if r, ok, err := st.KnownContact(ctx, tn.ID, storetest.Submission(t, person), add); err != nil || !ok || r.ID != existing.ID || r.Explanation == nil || !r.Explanation.Match {
		t.Fatalf("by e-mail beside a look-alike: known %v %+v, %v; want contact %d", ok, r, err, existing.ID)
	}
	// The look-alike itself, named by its own data plus a mail nobody holds, is no known
	// contact: a new mail is something to write.
	if _, ok, err := st.KnownContact(ctx, tn.ID, storetest.Submission(t, with(map[string]any{"mail": "twin@example.de"})), add); err != nil || ok {
		t.Fatalf("a new mail: known %v, %v (twin %d)", ok, err, twin.ID)
	}
	// Another tenant's contact is nobody here.
	other := storetest.NewTenant(t, st)
	if _, ok, err := st.KnownContact(ctx, other.ID, storetest.Submission(t, person), add); err != nil || ok {
		t.Fatalf("another tenant: known %v, %v", ok, err)
	}
}
