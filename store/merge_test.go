package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

func ingestOne(t *testing.T, st interface {
	Ingest(context.Context, int64, []*models.Submission, models.IngestOptions) ([]models.IngestResult, error)
}, tenant int64, check models.CheckMethod, fields map[string]any) models.IngestResult {
	t.Helper()
	res, err := st.Ingest(context.Background(), tenant, []*models.Submission{storetest.Submission(t, fields)}, models.IngestOptions{Check: check, Source: "test"})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if res[0].Err != nil {
		t.Fatalf("ingest item: %v", res[0].Err)
	}
	return res[0]
}

func TestUndoIngestMergeRestoresContactAndSplitsSubmission(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	first := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "undo@example.com", "first_name": "Anna", "comment": "original"})
	second := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "undo@example.com", "first_name": "Anne", "family_name": "Berg", "comment": "merged in"})
	if second.Created || second.MergeID == "" {
		t.Fatalf("second ingest = %+v, want a merge with an id", second)
	}
	merged, err := st.GetContact(ctx, tn.ID, first.ID)
	if err != nil || merged.FirstName != "Anne" || merged.FamilyName != "Berg" {
		t.Fatalf("merged contact = %+v, %v", merged, err)
	}

	res, err := st.UndoMerge(ctx, tn.ID, second.MergeID)
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	restored, err := st.GetContact(ctx, tn.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if restored.FirstName != "Anna" || restored.FamilyName != "" {
		t.Fatalf("restored = %q %q, want Anna and no family name", restored.FirstName, restored.FamilyName)
	}
	split, err := st.GetContact(ctx, tn.ID, res.SplitContactID)
	if err != nil || split.FirstName != "Anne" || split.FamilyName != "Berg" {
		t.Fatalf("split contact = %+v, %v", split, err)
	}
	if _, err := st.UndoMerge(ctx, tn.ID, second.MergeID); models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("second undo = %v, want conflict", err)
	}
	if _, err := st.UndoMerge(ctx, tn.ID+1000000, second.MergeID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("other tenant's undo = %v, want not found", err)
	}
}

func TestUndoRefusedWhenContactChangedSince(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	first := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "changed@example.com", "first_name": "Otto"})
	second := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "changed@example.com", "company": "ACME"})
	if _, err := st.UpdateContact(ctx, tn.ID, first.ID, storetest.Submission(t, map[string]any{"job_title": "CEO"})); err != nil {
		t.Fatal(err)
	}
	_, err := st.UndoMerge(ctx, tn.ID, second.MergeID)
	if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(err.Error(), "job_title") {
		t.Fatalf("undo after change = %v, want conflict naming job_title", err)
	}
}

func TestMergeNeverWeakensUnsubscribe(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	first := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "optout@example.com", "mail_status": models.MailStatusUnsubscribed})
	ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "optout@example.com", "mail_status": models.MailStatusSingleOptIn})
	c, err := st.GetContact(ctx, tn.ID, first.ID)
	if err != nil || c.MailStatus != models.MailStatusUnsubscribed {
		t.Fatalf("mail_status after merge = %d (%v), want unsubscribed kept", c.MailStatus, err)
	}
}

func TestManualMergeAndUndoRestoreBothContacts(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"mail": "a@merge.example", "first_name": "Alex", "comment": "on a"})
	b := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"mail": "b@merge.example", "first_name": "Alexander", "family_name": "Stone",
		"mail_status": models.MailStatusBlocked, "comment": "on b"})

	preview, err := st.MergeContacts(ctx, tn.ID, models.MergeRequest{TargetID: a.ID, SourceID: b.ID, DryRun: true,
		Choices: map[string]models.FieldChoice{"first_name": models.ChooseSource}})
	if err != nil {
		t.Fatal(err)
	}
	if preview.Merge != nil || preview.Contact.FirstName != "Alexander" || preview.Contact.FamilyName != "Stone" || preview.Contact.Mail != "a@merge.example" {
		t.Fatalf("preview = %+v", preview.Contact)
	}
	if _, err := st.GetContact(ctx, tn.ID, b.ID); err != nil {
		t.Fatalf("dry run deleted the source: %v", err)
	}

	out, err := st.MergeContacts(ctx, tn.ID, models.MergeRequest{TargetID: a.ID, SourceID: b.ID,
		Choices: map[string]models.FieldChoice{"first_name": models.ChooseSource}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Contact.MailStatus != models.MailStatusBlocked {
		t.Fatalf("merged mail_status = %d, want blocked (consent never weakened)", out.Contact.MailStatus)
	}
	if _, err := st.GetContact(ctx, tn.ID, b.ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("source after merge: %v, want not found", err)
	}

	if _, err := st.UndoMerge(ctx, tn.ID, out.Merge.ID); err != nil {
		t.Fatalf("undo: %v", err)
	}
	ra, err := st.GetContact(ctx, tn.ID, a.ID)
	if err != nil || ra.FirstName != "Alex" || ra.FamilyName != "" || ra.MailStatus != 0 {
		t.Fatalf("restored target = %+v, %v", ra, err)
	}
	rb, err := st.GetContact(ctx, tn.ID, b.ID)
	if err != nil || rb.FirstName != "Alexander" || rb.MailStatus != models.MailStatusBlocked {
		t.Fatalf("restored source = %+v, %v", rb, err)
	}
	// The restored source is found by mail again (its keys came back).
	if found, err := st.FindContactsByMail(ctx, tn.ID, "b@merge.example"); err != nil || len(found) != 1 || found[0].ID != b.ID {
		t.Fatalf("lookup restored source: %+v, %v", found, err)
	}
	again := ingestOne(t, st, tn.ID, models.CheckEmail, map[string]any{"mail": "b@merge.example"})
	if again.Created || again.ID != b.ID {
		t.Fatalf("ingest after undo = %+v, want merge into restored %d", again, b.ID)
	}
}

func TestFindDuplicatesRanksWithoutWriting(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"mail": "dup@example.com", "first_name": "Maria", "family_name": "Schmidt"})
	probe := storetest.Submission(t, map[string]any{"mail": "DUP@example.com", "first_name": "Marie", "family_name": "Schmidt"}).NewContact(tn.ID)
	cands, threshold, err := st.FindDuplicates(ctx, tn.ID, probe, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 1 || cands[0].Contact.ID != a.ID || !cands[0].Explanation.Match || threshold <= 0 {
		t.Fatalf("candidates = %+v threshold %v", cands, threshold)
	}
	if len(cands[0].Explanation.Fields) == 0 {
		t.Fatal("explanation has no field contributions")
	}
}

func TestAutoMatchesEarlierVersionOfMergedContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	first := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"mail": "old@example.com", "phone": "030 5550101", "first_name": "Anna", "family_name": "Schmidt"})
	second := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"mail": "new@example.com", "phone": "+49 30 5550101", "first_name": "Anna", "family_name": "Schmidt", "ba_city": "Berlin"})
	if second.Created || second.ID != first.ID {
		t.Fatalf("second = %+v, want merge into %d by phone", second, first.ID)
	}
	// The merge replaced the mail; a later submission with the old mail still belongs here.
	third := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"mail": "old@example.com", "first_name": "Anna"})
	if third.Created || third.ID != first.ID {
		t.Fatalf("third = %+v, want merge into %d through the earlier version", third, first.ID)
	}
	if third.Explanation == nil || third.Explanation.History != 1 {
		t.Fatalf("explanation = %+v, want a match on history version 1", third.Explanation)
	}
}

func TestUndoOfEmailMergeKeepsTheContactsOwnKeys(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	person := map[string]any{"mail": "keys@example.com", "phone": "030 5550199", "first_name": "Lee", "family_name": "Park"}
	first := ingestOne(t, st, tn.ID, models.CheckAuto, person)
	keysOf := func() []string {
		rows, err := st.DB().QueryContext(ctx, "SELECT key FROM contact_keys WHERE tenant_id = "+itoa(tn.ID)+" AND contact_id = "+itoa(first.ID)+" ORDER BY key")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	before := keysOf()
	second := ingestOne(t, st, tn.ID, models.CheckEmail, person)
	if second.Created || second.MergeID == "" {
		t.Fatalf("second = %+v, want a merge", second)
	}
	if _, err := st.UndoMerge(ctx, tn.ID, second.MergeID); err != nil {
		t.Fatal(err)
	}
	if after := keysOf(); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Fatalf("keys after undo = %v, want the contact's own %v", after, before)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSubmissionMatchingTwoContactsJoinsThem: when an auto submission matches two
// contacts of one person (split earlier), it merges into the best and the other is
// merged into that one as a cluster merge — recorded with the engine's explanation and
// undoable back to the old id.
func TestSubmissionMatchingTwoContactsJoinsThem(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	person := henrike
	a := ingestOne(t, st, tn.ID, models.CheckNone, person)
	// and an address a merge into a would not keep
	withMail := withFields(person, map[string]any{"mail": "h.oltmanns@example.org", "ba_street": "Am Hafen 3"})
	b := ingestOne(t, st, tn.ID, models.CheckNone, withMail) // the same person, split by check none
	c := ingestOne(t, st, tn.ID, models.CheckAuto, person)
	if c.Created || c.ID != a.ID || c.MergeID == "" {
		t.Fatalf("third submission = %+v, want a merge into the older contact %d", c, a.ID)
	}
	if len(c.Joined) != 1 || c.Joined[0].ContactID != b.ID || c.Joined[0].MergeID == "" {
		t.Fatalf("joined = %+v, want contact %d merged in", c.Joined, b.ID)
	}
	if _, err := st.GetContact(ctx, tn.ID, b.ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("absorbed contact still readable: %v", err)
	}
	merged, err := st.GetContact(ctx, tn.ID, a.ID)
	if err != nil || merged.Mail != "h.oltmanns@example.org" {
		t.Fatalf("surviving contact = %+v, %v; want the absorbed contact's mail filled in", merged, err)
	}
	m, err := st.GetMerge(ctx, tn.ID, c.Joined[0].MergeID)
	if err != nil || m.Kind != models.MergeKindCluster || m.Explanation == nil || !m.Explanation.Match || m.Source != "test" {
		t.Fatalf("join merge = %+v, %v; want kind cluster with the match's explanation", m, err)
	}
	// The absorbed contact is remembered as an earlier state of the survivor.
	probe := storetest.Submission(t, map[string]any{"first_name": "Henrike", "family_name": "Oltmanns",
		"ba_street": "Am Hafen 3", "ba_postal_code": "26122"}).NewContact(tn.ID)
	dups, _, err := st.FindDuplicates(ctx, tn.ID, probe, 0, 5)
	if err != nil || len(dups) == 0 || dups[0].Contact.ID != a.ID {
		t.Fatalf("duplicates of the absorbed contact's address = %+v, %v; want contact %d", dups, err, a.ID)
	}
	var street *models.FieldScore
	for i, f := range dups[0].Explanation.Fields {
		if f.Field == "street" {
			street = &dups[0].Explanation.Fields[i]
		}
	}
	if street == nil || street.Comparison != "exact" || street.History == 0 {
		t.Fatalf("street comparison = %+v, want an exact match with an earlier state", street)
	}
	undo, err := st.UndoMerge(ctx, tn.ID, c.Joined[0].MergeID)
	if err != nil || undo.SplitContactID != b.ID {
		t.Fatalf("undo join = %+v, %v; want contact %d back", undo, err, b.ID)
	}
	if back, err := st.GetContact(ctx, tn.ID, b.ID); err != nil || back.Mail != "h.oltmanns@example.org" {
		t.Fatalf("restored contact = %+v, %v", back, err)
	}
	// Undone newest first, the ingest merge that led to the join can be undone too.
	if _, err := st.UndoMerge(ctx, tn.ID, c.MergeID); err != nil {
		t.Fatalf("undo the ingest merge after undoing its join: %v", err)
	}
	// A pair someone split is not joined again by the next submission.
	again := ingestOne(t, st, tn.ID, models.CheckAuto, person)
	for _, j := range again.Joined {
		if (again.ID == a.ID && j.ContactID == b.ID) || (again.ID == b.ID && j.ContactID == a.ID) {
			t.Fatalf("submission rejoined %d and %d after their join was undone: %+v", a.ID, b.ID, again)
		}
	}
}

// TestHouseholdSubmissionDoesNotJoinItsMembers: a submission carrying only what a
// household shares (its mail) matches every member; it merges into one of them, but
// the members, whose first names differ, are not joined.
func TestHouseholdSubmissionDoesNotJoinItsMembers(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	home := map[string]any{"family_name": "Müller", "mail": "mueller.family@example.org",
		"ba_street": "Birkenweg 12", "ba_postal_code": "34117", "ba_city": "Kassel"}
	member := func(first string) map[string]any {
		m := map[string]any{"first_name": first}
		for k, v := range home {
			m[k] = v
		}
		return m
	}
	anna := ingestOne(t, st, tn.ID, models.CheckAuto, member("Anna"))
	peter := ingestOne(t, st, tn.ID, models.CheckAuto, member("Peter"))
	if !anna.Created || !peter.Created {
		t.Fatalf("household members were not kept apart to begin with: %+v %+v", anna, peter)
	}
	r := ingestOne(t, st, tn.ID, models.CheckAuto, map[string]any{"mail": "mueller.family@example.org"})
	if r.Created || len(r.Joined) != 0 {
		t.Fatalf("mail-only submission = %+v; want a merge into one member and no join", r)
	}
	for _, id := range []int64{anna.ID, peter.ID} {
		if _, err := st.GetContact(ctx, tn.ID, id); err != nil {
			t.Fatalf("household member %d: %v", id, err)
		}
	}
}

// TestBatchItemWhoseContactIsJoinedLaterAnswersTheSurvivor: an item that created a
// contact which a later item of the batch joined into another answers that other
// contact, and not as created.
func TestBatchItemWhoseContactIsJoinedLaterAnswersTheSurvivor(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	person := henrike
	a := ingestOne(t, st, tn.ID, models.CheckAuto, person)
	mailOnly := storetest.Submission(t, map[string]any{"first_name": "Henrike", "mail": "henny@example.org"})
	both := withFields(person, map[string]any{"mail": "henny@example.org"})
	res, err := st.Ingest(ctx, tn.ID, []*models.Submission{mailOnly, storetest.Submission(t, both)}, models.IngestOptions{Check: models.CheckAuto})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("batch: %v %+v", err, res)
	}
	if res[1].ID != a.ID || len(res[1].Joined) != 1 {
		t.Fatalf("item 1 = %+v; want a merge into %d joining item 0's contact", res[1], a.ID)
	}
	if res[0].ID != a.ID || res[0].Created {
		t.Fatalf("item 0 = %+v; want contact %d, not created", res[0], a.ID)
	}
}
