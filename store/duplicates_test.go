package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// henrikeByMail is henrike with a mail at another street of her town: full name and
// town agree, the street does not, so it scores between the review threshold and the
// match threshold (17.6 bits): a new contact, queued with henrike for review.
var henrikeByMail = map[string]any{"first_name": "Henrike", "family_name": "Oltmanns", "mail": "h.oltmanns@example.org",
	"ba_street": "Am Hafen 3", "ba_city": "Oldenburg"}

// reviewPair stores henrike (a) and then henrikeByMail (b) with the auto check, and
// returns the pair the second queued.
func reviewPair(t *testing.T, st *store.Store, tenant int64) (a, b int64, pair *models.DuplicatePair) {
	t.Helper()
	a = ingestOne(t, st, tenant, models.CheckAuto, henrike).ID
	r := ingestOne(t, st, tenant, models.CheckAuto, henrikeByMail)
	if !r.Created {
		t.Fatalf("second submission = %+v; want a new contact (the setup no longer scores in the review band)", r)
	}
	b = r.ID
	page, err := st.ListDuplicates(context.Background(), tenant, models.DuplicateFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Pairs) != 1 {
		t.Fatalf("review queue = %+v; want the pair %d, %d", page.Pairs, a, b)
	}
	pair = page.Pairs[0]
	if pair.ContactA != a || pair.ContactB != b || pair.Status != models.DuplicateOpen || pair.Explanation == nil ||
		pair.Score != pair.Explanation.Score || pair.Score < 12 || pair.Score >= 20 || page.Contacts[a] == nil || page.Contacts[b] == nil {
		t.Fatalf("queued pair = %+v (contacts %v); want %d, %d open, scored in [12, 20) with its explanation", pair, page.Contacts, a, b)
	}
	return a, b, pair
}

// bothHenrikes matches a (name, birth date, address) and b (name, mail): a merges it,
// and b, which matches a as the submission leaves it, would be joined into a.
var bothHenrikes = withFields(henrike, map[string]any{"mail": henrikeByMail["mail"]})

func TestReviewQueueQueuesOnceAndJoinsWithoutDismissal(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b, _ := reviewPair(t, st, tn.ID)
	// The same pair found again is not queued twice.
	ingestOne(t, st, tn.ID, models.CheckAuto, withFields(henrikeByMail, map[string]any{"job_title": "Lotsin"}))
	if page, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 10}); err != nil || len(page.Pairs) != 1 {
		t.Fatalf("review queue = %+v, %v; want the one pair", page, err)
	}
	// Without a dismissal, a submission matching both joins them (the control for
	// the dismissal tests below); the open pair then leaves the queue.
	r := ingestOne(t, st, tn.ID, models.CheckAuto, bothHenrikes)
	if r.ID != a || !joinedContact(r, b) {
		t.Fatalf("submission = %+v; want a merge into %d joining %d", r, a, b)
	}
	if page, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 10}); err != nil || len(page.Pairs) != 0 {
		t.Fatalf("review queue = %+v, %v; want it empty once the pair is one contact", page, err)
	}
}

func TestDismissedPairIsNeverJoined(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b, pair := reviewPair(t, st, tn.ID)
	got, err := st.DismissDuplicate(ctx, tn.ID, pair.ID)
	if err != nil || got.Status != models.DuplicateDismissed {
		t.Fatalf("dismiss = %+v, %v", got, err)
	}
	if again, err := st.DismissDuplicate(ctx, tn.ID, pair.ID); err != nil || again.Status != models.DuplicateDismissed {
		t.Fatalf("dismissing again = %+v, %v; want the dismissed pair", again, err)
	}
	for range 3 {
		r := ingestOne(t, st, tn.ID, models.CheckAuto, bothHenrikes)
		if len(r.Joined) != 0 {
			t.Fatalf("submission = %+v; want no join of the dismissed pair", r)
		}
	}
	for _, id := range []int64{a, b} {
		if _, err := st.GetContact(ctx, tn.ID, id); err != nil {
			t.Fatalf("contact %d of the dismissed pair: %v", id, err)
		}
	}
	if ms := clusterMergesOf(t, st, tn.ID, a, b); len(ms) != 0 {
		t.Fatalf("cluster merges of the dismissed pair: %+v", ms)
	}
	// Never suggested again: the pair stays dismissed, the open queue empty.
	ingestOne(t, st, tn.ID, models.CheckAuto, henrikeByMail)
	if page, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 10}); err != nil || len(page.Pairs) != 0 {
		t.Fatalf("open review queue = %+v, %v; want it empty", page, err)
	}
	if _, _, err := st.MergeDuplicate(ctx, tn.ID, pair.ID, 0); models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("merging a dismissed pair: %v; want ECONFLICT", err)
	}
	other := storetest.NewTenant(t, st)
	if _, err := st.DismissDuplicate(ctx, other.ID, pair.ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("another tenant dismissing the pair: %v; want ENOTFOUND", err)
	}
}

// TestDismissalInJoinGapWins: the pair is dismissed after a join of it was decided and
// before the join's merge: the merge, which checks the dismissal in its transaction
// with both contacts locked, must not happen.
func TestDismissalInJoinGapWins(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b, pair := reviewPair(t, st, tn.ID)
	hooked := 0
	store.SetBeforeJoin(st, func(target, other int64) {
		hooked++
		if _, err := st.DismissDuplicate(ctx, tn.ID, pair.ID); err != nil {
			t.Errorf("dismiss in the join gap: %v", err)
		}
	})
	r := ingestOne(t, st, tn.ID, models.CheckAuto, bothHenrikes)
	if hooked != 1 {
		t.Fatalf("a join was decided %d times, want once", hooked)
	}
	if len(r.Joined) != 0 || clusterMergesOf(t, st, tn.ID, a, b) != nil {
		t.Fatalf("submission = %+v; want no join of the pair dismissed in the gap", r)
	}
	for _, id := range []int64{a, b} {
		if _, err := st.GetContact(ctx, tn.ID, id); err != nil {
			t.Fatalf("contact %d of the dismissed pair: %v", id, err)
		}
	}
}

// TestDismissRacesIngestAndJoins: submissions that would join the pair run at once
// with its dismissal. Whichever wins, a successful dismissal leaves both contacts
// apart for good, and a dismissal that lost answers ECONFLICT.
func TestDismissRacesIngestAndJoins(t *testing.T) {
	t.Parallel()
	for round := range 4 {
		st := joinStore(t)
		tn := storetest.NewTenant(t, st)
		ctx := context.Background()
		a, b, pair := reviewPair(t, st, tn.ID)
		var wg sync.WaitGroup
		var dismissErr error
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == round%4 {
					_, dismissErr = st.DismissDuplicate(ctx, tn.ID, pair.ID)
				}
				if _, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, bothHenrikes)}, models.IngestOptions{Check: models.CheckAuto}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		_, errA := st.GetContact(ctx, tn.ID, a)
		_, errB := st.GetContact(ctx, tn.ID, b)
		switch {
		case dismissErr == nil && (errA != nil || errB != nil):
			t.Fatalf("round %d: dismissed, yet a or b is gone (%v, %v)", round, errA, errB)
		case dismissErr != nil && models.ErrorCode(dismissErr) != models.ECONFLICT:
			t.Fatalf("round %d: dismiss: %v; want success or ECONFLICT", round, dismissErr)
		case dismissErr != nil && errA == nil && errB == nil:
			t.Fatalf("round %d: dismiss refused (%v), yet both contacts exist", round, dismissErr)
		}
		// Once dismissed, later submissions never join them either.
		if dismissErr == nil {
			if r := ingestOne(t, st, tn.ID, models.CheckAuto, bothHenrikes); len(r.Joined) != 0 {
				t.Fatalf("round %d: later submission joined %+v", round, r.Joined)
			}
		}
	}
}

func TestMergeDuplicateIsAnUndoableMerge(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b, pair := reviewPair(t, st, tn.ID)
	if _, _, err := st.MergeDuplicate(ctx, tn.ID, pair.ID, 12345); models.ErrorCode(err) != models.EINVALID {
		t.Fatalf("merge into a contact not of the pair: %v; want EINVALID", err)
	}
	out, got, err := st.MergeDuplicate(ctx, tn.ID, pair.ID, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.DuplicateMerged || got.MergeID != out.Merge.ID || out.Contact.ID != b || out.Contact.DateOfBirth == "" {
		t.Fatalf("merge = %+v, pair %+v; want a merged into b with its birth date", out, got)
	}
	if _, err := st.GetContact(ctx, tn.ID, a); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("absorbed contact: %v; want it gone", err)
	}
	if _, _, err := st.MergeDuplicate(ctx, tn.ID, pair.ID, 0); models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("merging a merged pair again: %v; want ECONFLICT", err)
	}
	if _, err := st.DismissDuplicate(ctx, tn.ID, pair.ID); models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("dismissing a merged pair: %v; want ECONFLICT", err)
	}
	merged, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Status: models.DuplicateMerged, Limit: 10})
	if err != nil || len(merged.Pairs) != 1 || merged.Pairs[0].MergeID != out.Merge.ID {
		t.Fatalf("merged pairs = %+v, %v", merged, err)
	}
	if _, err := st.UndoMerge(ctx, tn.ID, out.Merge.ID); err != nil {
		t.Fatalf("undo the merge: %v", err)
	}
	if _, err := st.GetContact(ctx, tn.ID, a); err != nil {
		t.Fatalf("undo did not bring %d back: %v", a, err)
	}
	// The events of the queue: found, merged.
	page, err := st.ListEvents(ctx, tn.ID, models.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range page.Events {
		seen[e.Type]++
	}
	if seen[models.EventDuplicateFound] != 1 || seen[models.EventDuplicateMerged] != 1 || seen[models.EventContactMerged] != 1 {
		t.Fatalf("events %v; want one duplicate.found, duplicate.merged and contact.merged", seen)
	}
}

// TestDismissalFollowsTheMergedContact: a and b are dismissed; b is then merged into c.
// c holds b's person now, so a and c must not be joined either.
func TestDismissalFollowsTheMergedContact(t *testing.T) {
	t.Parallel()
	st := joinStore(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a, b, pair := reviewPair(t, st, tn.ID)
	if _, err := st.DismissDuplicate(ctx, tn.ID, pair.ID); err != nil {
		t.Fatal(err)
	}
	c := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"first_name": "Henrike", "family_name": "Oltmanns", "phone": "0441 5550123"}).ID
	if _, err := st.MergeContacts(ctx, tn.ID, models.MergeRequest{TargetID: c, SourceID: b}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := ingestOne(t, st, tn.ID, models.CheckAuto, bothHenrikes); len(r.Joined) != 0 {
			t.Fatalf("submission = %+v; want no join of %d and %d, which holds the contact dismissed with it", r, a, c)
		}
	}
	for _, id := range []int64{a, c} {
		if _, err := st.GetContact(ctx, tn.ID, id); err != nil {
			t.Fatalf("contact %d: %v", id, err)
		}
	}
}
