package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

type queuedPair struct {
	ID          int64              `json:"id"`
	ContactIDs  [2]int64           `json:"contact_ids"`
	Score       float64            `json:"score"`
	Status      string             `json:"status"`
	MergeID     string             `json:"merge_id"`
	Explanation models.Explanation `json:"explanation"`
	Contacts    []map[string]any   `json:"contacts"`
}

type queuePage struct {
	Duplicates []queuedPair `json:"duplicates"`
	NextCursor *string      `json:"next_cursor"`
}

// queueFive makes five possible duplicates: five people, each stored with birth date
// and address and then submitted again by name, another street of the town and a mail
// (17.6 bits: more than the review threshold, less than a match).
func (b *bundle) queueFive(t *testing.T) {
	t.Helper()
	people := []struct{ first, family, city, postal string }{
		{"Henrike", "Oltmanns", "Oldenburg", "26122"}, {"Jannes", "Terhorst", "Emden", "26721"}, {"Wiebke", "Dahlhoff", "Leer", "26789"},
		{"Okko", "Brüggemann", "Aurich", "26603"}, {"Talea", "Wiedemeyer", "Norden", "26506"},
	}
	for i, p := range people {
		family := p.family
		person := map[string]any{"first_name": p.first, "family_name": family, "date_of_birth": fmt.Sprintf("197%d-03-14", i),
			"ba_street": "Lindenweg 7", "ba_postal_code": p.postal, "ba_city": p.city}
		b.mgeNative(t, map[string]any{"contact": person, "duplicate_check_method": "auto"}, http.StatusCreated)
		again := map[string]any{"first_name": p.first, "family_name": family, "mail": fmt.Sprintf("h%d@example.org", i),
			"ba_street": "Am Hafen 3", "ba_city": p.city}
		if out := b.mgeNative(t, map[string]any{"contact": again, "duplicate_check_method": "auto"}, http.StatusCreated); !out.Created {
			t.Fatalf("second submission of %s merged: %+v (the setup no longer scores in the review band)", family, out)
		}
	}
}

func TestReviewQueueOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.queueFive(t)

	// Paged by score, then id; every pair with its explanation and both contacts.
	var all []queuedPair
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("more than three pages of two for five pairs")
		}
		var page queuePage
		b.call(t, http.MethodGet, "/api/v1/duplicates?limit=2"+cursor, nil, http.StatusOK, &page)
		all = append(all, page.Duplicates...)
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if len(all) != 5 {
		t.Fatalf("listed %d pairs over the pages, want 5: %+v", len(all), all)
	}
	for i, p := range all {
		if p.Status != "open" || p.Score < 12 || p.Score >= 20 || p.Explanation.Score != p.Score || len(p.Explanation.Fields) == 0 ||
			len(p.Contacts) != 2 || p.ContactIDs[0] >= p.ContactIDs[1] {
			t.Fatalf("pair %+v; want an open pair scored in [12, 20) with its explanation and both contacts", p)
		}
		if i > 0 && (p.Score > all[i-1].Score || p.Score == all[i-1].Score && p.ID <= all[i-1].ID) {
			t.Fatalf("pairs out of order (score descending, id ascending): %+v", all)
		}
	}

	for _, bad := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=201", "limit"}, {"status=maybe", "status"}, {"cursor=abc", "cursor"}, {"cursor=1.0", "cursor"},
	} {
		if e := b.fail(t, http.MethodGet, "/api/v1/duplicates?"+bad.query, nil, http.StatusUnprocessableEntity); len(e.fields()) != 1 || e.fields()[0] != bad.field {
			t.Errorf("?%s: error fields %v, want [%s]", bad.query, e.fields(), bad.field)
		}
	}

	// Merge the first (no body: into the older contact); the merge is an ordinary one.
	first := all[0]
	var merged struct {
		Duplicate queuedPair     `json:"duplicate"`
		MergeID   string         `json:"merge_id"`
		Contact   map[string]any `json:"contact"`
	}
	b.call(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", first.ID), nil, http.StatusOK, &merged)
	if merged.Duplicate.Status != "merged" || merged.MergeID == "" || merged.Duplicate.MergeID != merged.MergeID || merged.Contact["id"] != float64(first.ContactIDs[0]) {
		t.Fatalf("merge = %+v", merged)
	}
	b.fail(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", first.ID), nil, http.StatusConflict)
	b.mgeUndo(t, merged.MergeID)

	// Merge the second into its newer contact; a contact not of the pair is 422.
	second := all[1]
	b.fail(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", second.ID), map[string]any{"target_id": first.ContactIDs[0]}, http.StatusUnprocessableEntity)
	b.fail(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", second.ID), map[string]any{"into": 1}, http.StatusUnprocessableEntity)
	b.call(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", second.ID), map[string]any{"target_id": second.ContactIDs[1]}, http.StatusOK, &merged)
	if merged.Contact["id"] != float64(second.ContactIDs[1]) {
		t.Fatalf("merged into %v, want %d", merged.Contact["id"], second.ContactIDs[1])
	}

	// Dismiss the third; it leaves the open queue and shows under status=dismissed.
	third := all[2]
	var dismissed struct {
		Duplicate queuedPair `json:"duplicate"`
	}
	b.call(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/dismiss", third.ID), nil, http.StatusOK, &dismissed)
	if dismissed.Duplicate.Status != "dismissed" {
		t.Fatalf("dismiss = %+v", dismissed)
	}
	var open, gone, done queuePage
	b.call(t, http.MethodGet, "/api/v1/duplicates", nil, http.StatusOK, &open)
	b.call(t, http.MethodGet, "/api/v1/duplicates?status=dismissed", nil, http.StatusOK, &gone)
	b.call(t, http.MethodGet, "/api/v1/duplicates?status=merged", nil, http.StatusOK, &done)
	// Open: the last two. The first stays merged though its merge was undone: an undo
	// keeps the two apart for good, as a dismissal does.
	if len(open.Duplicates) != 2 || len(gone.Duplicates) != 1 || gone.Duplicates[0].ID != third.ID || len(done.Duplicates) != 2 {
		t.Fatalf("open %+v, dismissed %+v, merged %+v", open.Duplicates, gone.Duplicates, done.Duplicates)
	}

	// Another tenant's pair, or none, is 404.
	other := storetest.NewTenant(t, b.st)
	b.fail(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/dismiss", all[3].ID), nil, http.StatusNotFound, withKey(other.Key))
	b.fail(t, http.MethodPost, fmt.Sprintf("/api/v1/duplicates/%d/merge", all[3].ID), nil, http.StatusNotFound, withKey(other.Key))
	b.fail(t, http.MethodPost, "/api/v1/duplicates/999999999/dismiss", nil, http.StatusNotFound)
	b.fail(t, http.MethodPost, "/api/v1/duplicates/x/dismiss", nil, http.StatusNotFound)
	var otherPage queuePage
	b.call(t, http.MethodGet, "/api/v1/duplicates", nil, http.StatusOK, &otherPage, withKey(other.Key))
	if len(otherPage.Duplicates) != 0 {
		t.Fatalf("another tenant sees %+v", otherPage.Duplicates)
	}

	// The outbox has an event for each change of the queue.
	events, err := b.st.ListEvents(context.Background(), b.tenant.ID, models.EventFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events.Events {
		count[e.Type]++
	}
	if count[models.EventDuplicateFound] != 5 || count[models.EventDuplicateMerged] != 2 || count[models.EventDuplicateDismissed] != 1 {
		t.Fatalf("events %v; want 5 duplicate.found, 2 duplicate.merged, 1 duplicate.dismissed", count)
	}
}
