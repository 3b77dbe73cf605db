package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// This file probes the native create, the duplicate search, manual merges, the merge
// log, undo, and the request/flood/spam limits at their edges.

// mgeNative posts a native create and returns the status and the decoded answer.
func (b *bundle) mgeNative(t testing.TB, body map[string]any, want int) nativeCreated {
	t.Helper()
	var out nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", body, want, &out)
	return out
}

// mgeNew creates a contact through the native endpoint with check none.
func (b *bundle) mgeNew(t testing.TB, fields map[string]any) int64 {
	t.Helper()
	out := b.mgeNative(t, map[string]any{"contact": fields, "duplicate_check_method": "none"}, http.StatusCreated)
	if !out.Created || out.ID <= 0 {
		t.Fatalf("create %v = %+v", fields, out)
	}
	return out.ID
}

type mgeMergeAnswer struct {
	DryRun  bool           `json:"dry_run"`
	Contact map[string]any `json:"contact"`
	Changed []string       `json:"changed"`
	MergeID string         `json:"merge_id"`
}

// mgeMerge merges source into target and returns the merge id.
func (b *bundle) mgeMerge(t testing.TB, target, source int64, fields map[string]string) string {
	t.Helper()
	body := map[string]any{"target_id": target, "source_id": source}
	if fields != nil {
		body["fields"] = fields
	}
	var out mgeMergeAnswer
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", body, http.StatusOK, &out)
	if out.MergeID == "" || out.DryRun {
		t.Fatalf("merge %d <- %d = %+v", target, source, out)
	}
	return out.MergeID
}

type mgeUndoAnswer struct {
	Success        bool   `json:"success"`
	MergeID        string `json:"merge_id"`
	ContactID      int64  `json:"contact_id"`
	SplitContactID int64  `json:"split_contact_id"`
}

func (b *bundle) mgeUndo(t testing.TB, id string) mgeUndoAnswer {
	t.Helper()
	var out mgeUndoAnswer
	b.call(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusOK, &out)
	if !out.Success || out.MergeID != id {
		t.Fatalf("undo %s = %+v", id, out)
	}
	return out
}

// mgeFull is the full contact of GET /api/v1/contacts/{id} without "changed" (an undo
// stamps the time of the undo; everything else must come back exactly).
func (b *bundle) mgeFull(t testing.TB, id int64) map[string]any {
	t.Helper()
	var out map[string]any
	b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &out)
	delete(out, "changed")
	return out
}

func (b *bundle) mgeKeys(t testing.TB, id int64) []string {
	t.Helper()
	return b.queryStrings(t, "SELECT key FROM contact_keys WHERE tenant_id = ? AND contact_id = ? ORDER BY key", b.tenant.ID, id)
}

func (b *bundle) mgeComments(t testing.TB, id int64) []string {
	t.Helper()
	return b.queryStrings(t, "SELECT comment FROM comments WHERE tenant_id = ? AND contact_id = ? ORDER BY id", b.tenant.ID, id)
}

func mgeSame(t testing.TB, what string, got, want map[string]any) {
	t.Helper()
	g, w := fmt.Sprint(got), fmt.Sprint(want)
	if g != w {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// TestMergeEdgeManualUndoRestoresExactly: an undo of a manual merge gives back both
// contacts exactly — fields, consent, terms, custom fields (single and multi), comments
// and blocking keys — and the source under its old id.
func TestMergeEdgeManualUndoRestoresExactly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Budget", "field_type": "integer"})
	b.createField(t, map[string]any{"label": "Interests", "field_type": "selection", "multiple": true, "options": []string{"solar", "roof", "heat"}})
	t1, t2, t3 := b.postTerm(t, "mge-a"), b.postTerm(t, "mge-b"), b.postTerm(t, "mge-c")
	a := b.mgeNew(t, map[string]any{"mail": "exact-a@example.com", "first_name": "Anna", "mail_status": 1, "terms": []int64{t1, t2},
		"field_interests": []string{"solar"}, "comment": "a1"})
	src := b.mgeNew(t, map[string]any{"mail": "exact-b@example.com", "first_name": "Anne", "family_name": "Berg", "phone": "+49 30 5550101",
		"mail_status": 5, "terms": []int64{t2, t3}, "field_budget": 700, "field_interests": []string{"roof", "solar"}, "comment": "b1"})
	b.addComment(t, src, "b2")
	beforeA, beforeB := b.mgeFull(t, a), b.mgeFull(t, src)
	keysA, keysB := b.mgeKeys(t, a), b.mgeKeys(t, src)

	id := b.mgeMerge(t, a, src, map[string]string{"first_name": "source"})
	after := b.mgeFull(t, a)
	if after["first_name"] != "Anne" || after["family_name"] != "Berg" || after["mail_status"] != float64(5) ||
		fmt.Sprint(after["terms"]) != fmt.Sprint([]int64{t1, t2, t3}) || after["field_budget"] != float64(700) ||
		fmt.Sprint(after["field_interests"]) != "[solar roof]" {
		t.Fatalf("merged contact %v", after)
	}
	if got := b.mgeComments(t, a); !slices.Equal(got, []string{"a1", "b1", "b2"}) {
		t.Fatalf("comments after merge %v", got)
	}
	b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(src), nil, http.StatusNotFound)

	undo := b.mgeUndo(t, id)
	if undo.ContactID != a || undo.SplitContactID != src {
		t.Fatalf("undo = %+v, want contact %d split %d", undo, a, src)
	}
	mgeSame(t, "survivor after undo", b.mgeFull(t, a), beforeA)
	mgeSame(t, "source after undo", b.mgeFull(t, src), beforeB)
	if got := b.mgeComments(t, a); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("survivor comments after undo %v, want [a1]", got)
	}
	if got := b.mgeComments(t, src); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("source comments after undo %v, want [b1 b2]", got)
	}
	if got := b.mgeKeys(t, a); !slices.Equal(got, keysA) {
		t.Errorf("survivor keys after undo\n got %v\nwant %v", got, keysA)
	}
	if got := b.mgeKeys(t, src); !slices.Equal(got, keysB) {
		t.Errorf("source keys after undo\n got %v\nwant %v", got, keysB)
	}
	// The log says it was undone; a second undo is a conflict, not a second split.
	var m mergeView
	b.call(t, http.MethodGet, "/api/v1/merges/"+id, nil, http.StatusOK, &m)
	if m.Undoable || m.Kind != "manual" || m.SourceContactID == nil || *m.SourceContactID != src {
		t.Fatalf("merge after undo %+v", m)
	}
	e := b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
	if !strings.Contains(e.Message, "already undone") {
		t.Fatalf("double undo message %q", e.Message)
	}
	mgeSame(t, "source after double undo", b.mgeFull(t, src), beforeB)
}

// TestMergeEdgeIngestUndoRestoresExactly: undo of an ingest merge restores the
// survivor (terms, custom fields, consent, keys) and makes the submission — with its
// comment — a contact of its own.
func TestMergeEdgeIngestUndoRestoresExactly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Budget", "field_type": "integer"})
	t1, t2 := b.postTerm(t, "ing-a"), b.postTerm(t, "ing-b")
	a := b.mgeNew(t, map[string]any{"mail": "ingest@example.com", "first_name": "Ida", "terms": []int64{t1}, "field_budget": 3, "mail_status": 1, "comment": "first"})
	before, keys := b.mgeFull(t, a), b.mgeKeys(t, a)
	out := b.mgeNative(t, map[string]any{"contact": map[string]any{"mail": "INGEST@example.com", "family_name": "Iller", "phone": "+49 40 5550199",
		"terms": []int64{t2}, "field_budget": 9, "mail_status": 6, "comment": "second"}, "duplicate_check_method": "email"}, http.StatusOK)
	if out.Created || out.ID != a || out.MergeID == "" {
		t.Fatalf("ingest = %+v", out)
	}
	undo := b.mgeUndo(t, out.MergeID)
	if undo.ContactID != a || undo.SplitContactID == 0 || undo.SplitContactID == a {
		t.Fatalf("undo = %+v", undo)
	}
	mgeSame(t, "survivor after undo", b.mgeFull(t, a), before)
	if got := b.mgeKeys(t, a); !slices.Equal(got, keys) {
		t.Errorf("survivor keys after undo\n got %v\nwant %v", got, keys)
	}
	if got := b.mgeComments(t, a); !slices.Equal(got, []string{"first"}) {
		t.Errorf("survivor comments %v", got)
	}
	split := b.mgeFull(t, undo.SplitContactID)
	if split["mail"] != "INGEST@example.com" || split["family_name"] != "Iller" || split["field_budget"] != float64(9) ||
		fmt.Sprint(split["terms"]) != fmt.Sprint([]int64{t2}) || split["mail_status"] != float64(6) {
		t.Fatalf("split contact %v", split)
	}
	if got := b.mgeComments(t, undo.SplitContactID); !slices.Equal(got, []string{"second"}) {
		t.Errorf("split contact comments %v", got)
	}
	var m mergeView
	b.call(t, http.MethodGet, "/api/v1/merges/"+out.MergeID, nil, http.StatusOK, &m)
	if m.Undoable || m.SourceContactID == nil || *m.SourceContactID != undo.SplitContactID {
		t.Fatalf("merge after undo %+v", m)
	}
}

// TestMergeEdgeUndoChainNewestFirst: merges of one contact are undone newest first;
// an older one answers 409 while a newer one stands, and both work in order.
func TestMergeEdgeUndoChainNewestFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "chain-a@example.com", "first_name": "Carl"})
	s1 := b.mgeNew(t, map[string]any{"mail": "chain-b@example.com", "family_name": "Chan"})
	s2 := b.mgeNew(t, map[string]any{"mail": "chain-c@example.com", "company": "Chain AG"})
	before := b.mgeFull(t, a)
	m1 := b.mgeMerge(t, a, s1, nil)
	mid := b.mgeFull(t, a)
	m2 := b.mgeMerge(t, a, s2, nil)
	e := b.fail(t, http.MethodPost, "/api/v1/merges/"+m1+"/undo", nil, http.StatusConflict)
	if !strings.Contains(e.Message, "company") {
		t.Errorf("409 should name the field the newer merge changed: %q", e.Message)
	}
	b.mgeUndo(t, m2)
	mgeSame(t, "after undo of m2", b.mgeFull(t, a), mid)
	b.mgeUndo(t, m1)
	mgeSame(t, "after undo of m1", b.mgeFull(t, a), before)
	for _, id := range []int64{s1, s2} {
		b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, nil)
	}
	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges?contact_id="+itoa(a), nil, http.StatusOK, &list)
	if len(list.Merges) != 2 || list.Merges[0].ID != m2 || list.Merges[1].ID != m1 || list.Merges[0].Undoable || list.Merges[1].Undoable {
		t.Fatalf("merges %+v", list.Merges)
	}
}

// TestMergeEdgeUndoAfterChanges: a change of the survivor after the merge makes undo
// a 409 naming it; a deleted or absorbed survivor is a 409 too, and nothing is written.
func TestMergeEdgeUndoAfterChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "after")
	pair := func(n int) (int64, int64, string) {
		a := b.mgeNew(t, map[string]any{"mail": fmt.Sprintf("chg%d-a@example.com", n), "first_name": "Dora"})
		s := b.mgeNew(t, map[string]any{"mail": fmt.Sprintf("chg%d-b@example.com", n), "family_name": "Diehl"})
		return a, s, b.mgeMerge(t, a, s, nil)
	}
	t.Run("PUT", func(t *testing.T) {
		a, s, id := pair(1)
		b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(a), map[string]any{"job_title": "CEO"}, http.StatusOK, nil)
		e := b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
		if !strings.Contains(e.Message, "job_title") {
			t.Errorf("409 message %q does not name job_title", e.Message)
		}
		b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(s), nil, http.StatusNotFound)
		if got := b.mgeFull(t, a); got["job_title"] != "CEO" || got["family_name"] != "Diehl" {
			t.Fatalf("survivor after refused undo %v", got)
		}
	})
	t.Run("terms", func(t *testing.T) {
		a, _, id := pair(2)
		b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(a)+"/terms", []int64{term}, http.StatusOK, nil)
		e := b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
		if !strings.Contains(e.Message, "terms") {
			t.Errorf("409 message %q does not name terms", e.Message)
		}
	})
	t.Run("deleted survivor", func(t *testing.T) {
		a, s, id := pair(3)
		b.call(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(a), nil, http.StatusOK, nil)
		b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
		b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(s), nil, http.StatusNotFound)
		b.fail(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(s), nil, http.StatusNotFound)
	})
	t.Run("survivor absorbed elsewhere", func(t *testing.T) {
		a, s, id := pair(4)
		d := b.mgeNew(t, map[string]any{"mail": "chg4-d@example.com", "first_name": "Dieter"})
		beforeD := b.mgeFull(t, d)
		m2 := b.mgeMerge(t, d, a, nil)
		b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
		b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(s), nil, http.StatusNotFound)
		// Newest first works through the absorbed contact.
		b.mgeUndo(t, m2)
		mgeSame(t, "d after undo", b.mgeFull(t, d), beforeD)
		b.mgeUndo(t, id)
		if got := b.mgeFull(t, s); got["family_name"] != "Diehl" {
			t.Fatalf("source after both undos %v", got)
		}
	})
	t.Run("source merged elsewhere after an undo", func(t *testing.T) {
		a, s, id := pair(5)
		b.mgeUndo(t, id)
		other := b.mgeNew(t, map[string]any{"mail": "chg5-o@example.com", "first_name": "Olaf"})
		b.mgeMerge(t, other, s, nil)
		b.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusConflict)
		if got := b.mgeFull(t, a); got["family_name"] != "" {
			t.Fatalf("survivor %v", got)
		}
	})
}

// TestMergeEdgeUndoAfterVersionReuse: an undo gives the contact back an older version
// number, so a later edit can bring the number of another, still standing merge back.
// That merge's undo must still see that the contact changed since it.
func TestMergeEdgeUndoAfterVersionReuse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "aba@example.com", "first_name": "Anna"})
	sub := map[string]any{"contact": map[string]any{"mail": "aba@example.com", "family_name": "Alt"}, "duplicate_check_method": "email"}
	m1 := b.mgeNative(t, sub, http.StatusOK) // fills family_name: version 2
	m2 := b.mgeNative(t, sub, http.StatusOK) // the same form again: changes nothing, version stays 2
	if m1.MergeID == "" || m2.MergeID == "" || m1.ID != a || m2.ID != a {
		t.Fatalf("merges %+v %+v", m1, m2)
	}
	// The second merge changed nothing but still took a version of its own, so the
	// older merge cannot be undone while it stands, and no version number is reused.
	if rec := b.do(t, http.MethodPost, "/api/v1/merges/"+m1.MergeID+"/undo", nil); rec.Code != http.StatusConflict {
		t.Fatalf("undo of the older merge while a newer one stands: %d %s, want 409", rec.Code, rec.Body)
	}
	b.call(t, http.MethodPost, "/api/v1/merges/"+m2.MergeID+"/undo", nil, http.StatusOK, nil)
	b.call(t, http.MethodPost, "/api/v1/merges/"+m1.MergeID+"/undo", nil, http.StatusOK, nil)
	if got := b.mgeFull(t, a); got["first_name"] != "Anna" || got["family_name"] != "" {
		t.Fatalf("after both undos: first_name=%v family_name=%v, want Anna and empty", got["first_name"], got["family_name"])
	}
	// An edit after the undos leaves nothing to undo over it.
	b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(a), map[string]any{"first_name": "Anne"}, http.StatusOK, nil)
	for _, m := range []string{m1.MergeID, m2.MergeID} {
		if rec := b.do(t, http.MethodPost, "/api/v1/merges/"+m+"/undo", nil); rec.Code != http.StatusConflict {
			t.Errorf("undo of merge %s again: %d, want 409", m, rec.Code)
		}
	}
	if got := b.mgeFull(t, a); got["first_name"] != "Anne" {
		t.Errorf("first_name=%v after refused undos, want the edit Anne", got["first_name"])
	}
}

// TestMergeEdgeCrossTenant: another tenant's merges, contacts and merge ids are 404
// everywhere, and a refused merge writes nothing.
func TestMergeEdgeCrossTenant(t *testing.T) {
	t.Parallel()
	b, other := setup(t), setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "ten-a@example.com", "first_name": "Tim"})
	s := b.mgeNew(t, map[string]any{"mail": "ten-b@example.com", "family_name": "Tell"})
	o := other.mgeNew(t, map[string]any{"mail": "ten-o@example.com", "first_name": "Otto"})
	beforeA, beforeO := b.mgeFull(t, a), other.mgeFull(t, o)
	other.fail(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": o, "source_id": a}, http.StatusNotFound)
	other.fail(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": o}, http.StatusNotFound)
	other.fail(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": o, "source_id": a, "dry_run": true}, http.StatusNotFound)
	mgeSame(t, "own contact", b.mgeFull(t, a), beforeA)
	mgeSame(t, "other's contact", other.mgeFull(t, o), beforeO)

	id := b.mgeMerge(t, a, s, nil)
	other.fail(t, http.MethodGet, "/api/v1/merges/"+id, nil, http.StatusNotFound)
	other.fail(t, http.MethodPost, "/api/v1/merges/"+id+"/undo", nil, http.StatusNotFound)
	var list struct {
		Merges []mergeView `json:"merges"`
	}
	for _, q := range []string{"", "?contact_id=" + itoa(a), "?contact_id=" + itoa(s)} {
		other.call(t, http.MethodGet, "/api/v1/merges"+q, nil, http.StatusOK, &list)
		if len(list.Merges) != 0 {
			t.Fatalf("other tenant sees merges%s: %+v", q, list.Merges)
		}
	}
	// The filter by the absorbed contact finds the merge for its own tenant.
	b.call(t, http.MethodGet, "/api/v1/merges?contact_id="+itoa(s), nil, http.StatusOK, &list)
	if len(list.Merges) != 1 || list.Merges[0].ID != id {
		t.Fatalf("merges of the source %+v", list.Merges)
	}
	other.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": a}, http.StatusNotFound)
	b.mgeUndo(t, id)
}

// TestMergeEdgeConcurrentMergesOfOnePair: many concurrent merges of one pair, both
// ways: exactly one wins, the others are 404 (source or target gone), never a 500, and
// exactly one contact and one merge remain.
func TestMergeEdgeConcurrentMergesOfOnePair(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "race-a@example.com", "first_name": "Rita"})
	s := b.mgeNew(t, map[string]any{"mail": "race-b@example.com", "family_name": "Rau"})
	b.addComment(t, a, "ca")
	b.addComment(t, s, "cs")
	const n = 8
	codes := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"target_id": a, "source_id": s}
			if i%2 == 1 {
				body = map[string]any{"target_id": s, "source_id": a}
			}
			rec := b.do(t, http.MethodPost, "/api/v1/contacts/merge", body)
			codes[i], bodies[i] = rec.Code, rec.Body.String()
		}()
	}
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusNotFound, http.StatusConflict:
		default:
			t.Errorf("merge %d: %d %s", i, c, bodies[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d merges succeeded, want 1: %v", ok, codes)
	}
	alive := 0
	var survivor int64
	for _, id := range []int64{a, s} {
		if rec := b.do(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil); rec.Code == http.StatusOK {
			alive++
			survivor = id
		}
	}
	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, &list)
	if alive != 1 || len(list.Merges) != 1 {
		t.Fatalf("alive %d, merges %d", alive, len(list.Merges))
	}
	if got := b.mgeComments(t, survivor); len(got) != 2 {
		t.Fatalf("survivor comments %v", got)
	}
	// Concurrent undos of that merge: one wins, the others are 409.
	codes = make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := b.do(t, http.MethodPost, "/api/v1/merges/"+list.Merges[0].ID+"/undo", nil)
			codes[i], bodies[i] = rec.Code, rec.Body.String()
		}()
	}
	wg.Wait()
	ok = 0
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("undo %d: %d %s", i, c, bodies[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d undos succeeded, want 1: %v", ok, codes)
	}
	for _, id := range []int64{a, s} {
		if got := b.mgeComments(t, id); len(got) != 1 {
			t.Errorf("contact %d comments after undo %v", id, got)
		}
	}
	storetest.AssertConsistent(t, b.st)
}

// TestMergeEdgeTermsLimit: a contact carries at most 1,000 terms (README, Limits). A
// merge whose union would carry more must be refused, not written.
func TestMergeEdgeTermsLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	terms := make([]int64, models.MaxTermsPerContact+1)
	for i := range terms {
		terms[i] = b.newTerm(t, fmt.Sprintf("lim-%04d", i))
	}
	full := terms[:models.MaxTermsPerContact]
	extra := terms[models.MaxTermsPerContact:]
	// The terms API refuses the 1,001st term: the limit is real.
	a := b.mgeNew(t, map[string]any{"mail": "lim-a@example.com", "first_name": "Lia"})
	b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(a)+"/terms", full, http.StatusOK, nil)
	e := b.fail(t, http.MethodPut, "/public/api/V1/contact/"+itoa(a)+"/terms", extra, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "terms") {
		t.Fatalf("terms API error %+v", e)
	}

	t.Run("manual merge", func(t *testing.T) {
		s := b.mgeNew(t, map[string]any{"mail": "lim-b@example.com", "family_name": "Lang", "terms": extra})
		rec := b.do(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": s})
		n := len(b.contactTermIDs(t, a))
		if rec.Code == http.StatusOK || n > models.MaxTermsPerContact {
			t.Fatalf("POST /api/v1/contacts/merge answered %d and the survivor carries %d terms; want 422 naming terms and nothing written", rec.Code, n)
		}
		e := checkError(t, rec, http.MethodPost, "/api/v1/contacts/merge", http.StatusUnprocessableEntity)
		if !slices.Contains(e.fields(), "terms") {
			t.Fatalf("error %+v", e)
		}
		b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(s), nil, http.StatusOK, nil)
	})
	t.Run("ingest update_add", func(t *testing.T) {
		rec := b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "lim-a@example.com", "terms": extra},
			"duplicate_check_method": "email"})
		n := len(b.contactTermIDs(t, a))
		if rec.Code == http.StatusOK || n > models.MaxTermsPerContact {
			t.Fatalf("POST /api/v1/contacts answered %d and the contact carries %d terms; want 422 naming contact.terms", rec.Code, n)
		}
		e := checkError(t, rec, http.MethodPost, "/api/v1/contacts", http.StatusUnprocessableEntity)
		if !slices.Contains(e.fields(), "contact.terms") {
			t.Fatalf("error %+v", e)
		}
	})
}

// TestMergeEdgeUndoDoesNotResurrectDeletedCustomField: deleting a custom field removes
// its values from every contact; an undo must not bring a value of it back.
func TestMergeEdgeUndoDoesNotResurrectDeletedCustomField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Budget", "field_type": "integer"})
	a := b.mgeNew(t, map[string]any{"mail": "cf-a@example.com", "first_name": "Cora"})
	s := b.mgeNew(t, map[string]any{"mail": "cf-b@example.com", "family_name": "Cole", "field_budget": 5})
	id := b.mgeMerge(t, a, s, map[string]string{"field_budget": "target"})
	if got := b.mgeFull(t, a); got["field_budget"] != nil {
		t.Fatalf("survivor took the value despite the choice: %v", got)
	}
	b.call(t, http.MethodDelete, "/public/api/V1/custom-fields/budget", nil, http.StatusOK, nil)
	b.mgeUndo(t, id) // the survivor did not carry the field: unchanged, undo allowed
	got := b.mgeFull(t, s)
	if _, has := got["field_budget"]; has {
		t.Fatalf("GET /api/v1/contacts/%d shows field_budget=%v after the undo, although the field no longer exists", s, got["field_budget"])
	}
}

// TestMergeEdgeManualMergeValidation: every bad field of a merge request is named at
// once, nothing submitted is silently dropped, and a refused merge writes nothing.
func TestMergeEdgeManualMergeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "val-a@example.com", "first_name": "Vera", "uid": 3})
	s := b.mgeNew(t, map[string]any{"mail": "val-b@example.com", "family_name": "Voss", "uid": 7})
	beforeA, beforeS := b.mgeFull(t, a), b.mgeFull(t, s)
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"empty object", map[string]any{}, 422, []string{"source_id", "target_id"}},
		{"negative ids", map[string]any{"target_id": -1, "source_id": -2}, 422, []string{"source_id", "target_id"}},
		{"ids as strings", `{"target_id": "1", "source_id": 2}`, 422, []string{"target_id"}},
		{"id as float", `{"target_id": 1.5, "source_id": 2}`, 422, []string{"target_id"}},
		{"fields not an object", map[string]any{"target_id": a, "source_id": s, "fields": []string{"mail"}}, 422, []string{"fields"}},
		{"fields value not a string", `{"target_id": 1, "source_id": 2, "fields": {"mail": 1}}`, 422, []string{"fields"}},
		{"bad side and bad field together", map[string]any{"target_id": a, "source_id": s, "fields": map[string]string{"mail": "both", "nick": "source"}}, 422, []string{"fields.mail", "fields.nick"}},
		{"read-only fields", map[string]any{"target_id": a, "source_id": s, "fields": map[string]string{"id": "source", "created": "source", "changed": "source", "terms": "source"}}, 422,
			[]string{"fields.changed", "fields.created", "fields.id", "fields.terms"}},
		{"ids missing and bad field", map[string]any{"fields": map[string]string{"mail": "x"}}, 422, []string{"fields.mail", "source_id", "target_id"}},
		{"same contact", map[string]any{"target_id": a, "source_id": a}, 422, []string{"source_id"}},
		{"unknown option", map[string]any{"target_id": a, "source_id": s, "dryrun": true}, 422, []string{"dryrun"}},
		{"unknown source", map[string]any{"target_id": a, "source_id": 987654321}, 404, nil},
		{"unknown target dry run", map[string]any{"target_id": 987654321, "source_id": s, "dry_run": true}, 404, nil},
		{"malformed", `{"target_id": `, 400, nil},
		{"empty body", "", 400, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, "/api/v1/contacts/merge", tc.body, tc.status)
			got := e.fields()
			slices.Sort(got)
			if tc.fields != nil && !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%+v)", got, tc.fields, e)
			}
		})
	}
	t.Run("dry run writes nothing", func(t *testing.T) {
		var out mgeMergeAnswer
		b.call(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": s, "dry_run": true}, http.StatusOK, &out)
		if !out.DryRun || out.MergeID != "" || out.Contact["family_name"] != "Voss" || !slices.Contains(out.Changed, "family_name") {
			t.Fatalf("dry run %+v", out)
		}
	})
	mgeSame(t, "target after refused merges", b.mgeFull(t, a), beforeA)
	mgeSame(t, "source after refused merges", b.mgeFull(t, s), beforeS)
	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, &list)
	if len(list.Merges) != 0 {
		t.Fatalf("merges after refused requests: %+v", list.Merges)
	}
	t.Run("owner choice acts as uid", func(t *testing.T) {
		// owner is the name Quentn shows uid under (README: "uid / owner").
		var out mgeMergeAnswer
		b.call(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": s, "dry_run": true, "fields": map[string]string{"owner": "source"}}, http.StatusOK, &out)
		if out.Contact["uid"] != float64(7) {
			t.Fatalf("uid %v after choosing the source's owner, want 7", out.Contact["uid"])
		}
		e := b.fail(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": s, "dry_run": true,
			"fields": map[string]string{"owner": "source", "uid": "target"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"fields.owner"}) {
			t.Fatalf("owner and uid choosing different sides: errors %+v", e.Errors)
		}
	})
	t.Run("unknown custom field choice is not dropped", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a, "source_id": s, "dry_run": true, "fields": map[string]string{"field_nope": "source"}}, http.StatusUnprocessableEntity)
		if !slices.Contains(e.fields(), "fields.field_nope") {
			t.Fatalf("error %+v", e)
		}
	})
}

// TestMergeEdgeListAndGetValidation: the merge log's parameters are validated; odd
// merge ids and cursors are 404 / empty, never 500.
func TestMergeEdgeListAndGetValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "log-a@example.com", "first_name": "Lena"})
	var ids []string
	for i := range 3 {
		s := b.mgeNew(t, map[string]any{"mail": fmt.Sprintf("log-%d@example.com", i), "family_name": "Lutz"})
		ids = append(ids, b.mgeMerge(t, a, s, nil))
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=-1", "limit=x", "limit=1.5", "contact_id=0", "contact_id=-3", "contact_id=x"} {
		e := b.fail(t, http.MethodGet, "/api/v1/merges?"+q, nil, http.StatusUnprocessableEntity)
		if want := strings.SplitN(q, "=", 2)[0]; !slices.Equal(e.fields(), []string{want}) {
			t.Errorf("%s: fields %v", q, e.fields())
		}
	}
	// Paging newest first with next_before visits every merge once.
	var seen []string
	before := ""
	for range 5 {
		var page struct {
			Merges     []mergeView `json:"merges"`
			NextBefore string      `json:"next_before"`
		}
		b.call(t, http.MethodGet, "/api/v1/merges?limit=1&before="+before, nil, http.StatusOK, &page)
		for _, m := range page.Merges {
			seen = append(seen, m.ID)
		}
		if page.NextBefore == "" {
			break
		}
		before = page.NextBefore
	}
	if !slices.Equal(seen, []string{ids[2], ids[1], ids[0]}) {
		t.Fatalf("paged %v, want %v", seen, []string{ids[2], ids[1], ids[0]})
	}
	for _, p := range []string{"/api/v1/merges/not-a-merge", "/api/v1/merges/" + strings.Repeat("f", 300)} {
		b.fail(t, http.MethodGet, p, nil, http.StatusNotFound)
		b.fail(t, http.MethodPost, p+"/undo", nil, http.StatusNotFound)
	}
	b.fail(t, http.MethodGet, "/api/v1/merges?before=zzz%27%3B--", nil, http.StatusUnprocessableEntity) // not a merge id
	t.Run("NUL in id and cursor", func(t *testing.T) {
		codes := []int{
			b.do(t, http.MethodGet, "/api/v1/merges/a%00b", nil).Code,
			b.do(t, http.MethodPost, "/api/v1/merges/a%00b/undo", nil).Code,
			b.do(t, http.MethodGet, "/api/v1/merges?before=a%00b", nil).Code,
		}
		if codes[0] != 404 || codes[1] != 404 || (codes[2] != 200 && codes[2] != 422) {
			t.Fatalf("codes %v", codes)
		}
	})
}

// TestMergeEdgeDuplicatesEndpoint: validation of the duplicate search, and that it
// never writes and never lists another tenant's or an absorbed contact.
func TestMergeEdgeDuplicatesEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "dup@example.com", "first_name": "Hans", "family_name": "Meier"})
	s := b.mgeNew(t, map[string]any{"mail": "dup@example.com", "first_name": "Hans", "family_name": "Maier"})
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"both", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "contact_id": a}, 422, []string{"contact"}},
		{"limit 0 is the default, 101 too many", map[string]any{"contact_id": a, "limit": 101}, 422, []string{"limit"}},
		{"negative limit", map[string]any{"contact_id": a, "limit": -1}, 422, []string{"limit"}},
		{"limit string", `{"contact_id": 1, "limit": "5"}`, 422, []string{"limit"}},
		{"unknown field", map[string]any{"contact": map[string]any{"mail": "x@example.com", "nick": "x"}}, 422, []string{"contact.nick"}},
		{"no identity", map[string]any{"contact": map[string]any{"company": "ACME"}}, 422, []string{"contact.mail"}},
		{"unknown option", map[string]any{"contact_id": a, "max": 3}, 422, []string{"max"}},
		{"unknown contact", map[string]any{"contact_id": 987654321}, 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", tc.body, tc.status)
			if tc.fields != nil && !slices.Equal(e.fields(), tc.fields) {
				t.Fatalf("fields %v, want %v", e.fields(), tc.fields)
			}
		})
	}
	t.Run("bad contact and bad limit together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "not-a-mail", "first_name": "X"}, "limit": 500}, 422)
		got := e.fields()
		slices.Sort(got)
		if !slices.Equal(got, []string{"contact.mail", "limit"}) {
			t.Fatalf("fields %v, want contact.mail and limit", got)
		}
	})
	type cands struct {
		Candidates []struct {
			ID int64 `json:"id"`
		} `json:"candidates"`
	}
	var out cands
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "DUP@example.com"}, "limit": 1}, http.StatusOK, &out)
	if len(out.Candidates) != 1 {
		t.Fatalf("limit 1: %+v", out)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": a}, http.StatusOK, &out)
	if len(out.Candidates) != 1 || out.Candidates[0].ID != s {
		t.Fatalf("duplicates of %d: %+v", a, out)
	}
	b.mgeMerge(t, a, s, nil)
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "dup@example.com"}}, http.StatusOK, &out)
	if len(out.Candidates) != 1 || out.Candidates[0].ID != a {
		t.Fatalf("after merge: %+v", out)
	}
	b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": s}, http.StatusNotFound)
	other := setup(t)
	other.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "dup@example.com"}}, http.StatusOK, &out)
	if len(out.Candidates) != 0 {
		t.Fatalf("other tenant sees %+v", out)
	}
}

// TestMergeEdgeNativeCreate: 201/200, explanations, return_fields, and that option
// and contact problems are named together.
func TestMergeEdgeNativeCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.mgeNative(t, map[string]any{"contact": map[string]any{"first_name": "Jürgen", "family_name": "Müller", "phone": "030 7654321", "ba_postal_code": "10115"}}, http.StatusCreated)
	if !first.Created || first.MergeID != "" {
		t.Fatalf("first %+v", first)
	}
	// A weak candidate (same family name only) is explained but does not match.
	weak := b.mgeNative(t, map[string]any{"contact": map[string]any{"first_name": "Karla", "family_name": "Müller", "ba_postal_code": "10115"}}, http.StatusCreated)
	if !weak.Created || weak.ID == first.ID || weak.MergeID != "" || (weak.Explanation != nil && weak.Explanation.Match) {
		t.Fatalf("weak %+v", weak)
	}
	var merged struct {
		nativeCreated
		Contact map[string]any `json:"contact"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"first_name": "Juergen", "family_name": "Mueller", "phone": "+49 30 7654321", "job_title": "CTO"},
		"return_fields": []string{"job_title", "first_name"}}, http.StatusOK, &merged)
	if merged.Created || merged.ID != first.ID || merged.MergeID == "" || merged.Explanation == nil || !merged.Explanation.Match ||
		merged.Contact["job_title"] != "CTO" || merged.Contact["first_name"] != "Juergen" { // update_add: a submitted value overwrites
		t.Fatalf("merged %+v", merged)
	}
	t.Run("option and contact problems together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "not-a-mail"}, "duplicate_check_method": "fuzzy", "flood_limit": -1}, 422)
		got := e.fields()
		slices.Sort(got)
		want := []string{"contact.mail", "duplicate_check_method", "flood_limit"}
		if !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
	})
	for _, tc := range []struct {
		name  string
		body  string
		field string
	}{
		{"flood_limit string", `{"contact": {"mail": "o@example.com"}, "flood_limit": "5"}`, "flood_limit"},
		{"flood_limit float", `{"contact": {"mail": "o@example.com"}, "flood_limit": 1.5}`, "flood_limit"},
		{"flood_limit huge", `{"contact": {"mail": "o@example.com"}, "flood_limit": 1e30}`, "flood_limit"},
		{"flood_limit over max", `{"contact": {"mail": "o@example.com"}, "flood_limit": 10001}`, "flood_limit"},
		{"spam_protection string", `{"contact": {"mail": "o@example.com"}, "spam_protection": "yes"}`, "spam_protection"},
		{"request_ip with zone", `{"contact": {"mail": "o@example.com", "request_ip": "fe80::1%eth0"}}`, "contact.request_ip"},
		{"return field unknown", `{"contact": {"mail": "o@example.com"}, "return_fields": ["nick"]}`, "return_fields[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, "/api/v1/contacts", tc.body, 422)
			if !slices.Equal(e.fields(), []string{tc.field}) {
				t.Fatalf("fields %v, want [%s]", e.fields(), tc.field)
			}
		})
	}
	var list struct {
		Contacts []map[string]any `json:"contacts"`
	}
	b.call(t, http.MethodGet, "/api/v1/contacts?mail=o@example.com", nil, http.StatusOK, &list)
	if len(list.Contacts) != 0 {
		t.Fatalf("a refused create wrote %v", list.Contacts)
	}
}

// mgeRedis returns a Redis client for CONTACTHUB_TEST_REDIS_URL and a fresh key
// prefix, or nil when the variable is not set.
func mgeRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("CONTACTHUB_TEST_REDIS_URL")
	if url == "" {
		return nil, ""
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	prefix := fmt.Sprintf("contacthub-test-mge:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return rdb, prefix
}

// mgeLimitBackends are the limit set-ups under test: in memory, and on Redis when
// the test Redis is configured.
func mgeLimitBackends(t *testing.T, st *store.Store, quota string) map[string]func(*handlers.API) {
	t.Helper()
	out := map[string]func(*handlers.API){"memory": withLimits(st, quota)}
	if rdb, prefix := mgeRedis(t); rdb != nil {
		l, err := ratelimit.ParseLimit(quota)
		if err != nil {
			t.Fatal(err)
		}
		out["redis"] = func(a *handlers.API) {
			spam := spamlist.NewChecker(st, 0)
			a.RateLimits = handlers.RateLimits{Limiter: ratelimit.NewRedis(rdb, prefix), Default: l, Spam: spam}
			a.Spamlist = st
			a.Metrics = handlers.NewMetrics()
			a.ContactService = contacts.New(contacts.Config{Store: st, Flood: ratelimit.NewRedisFloodCounter(rdb, prefix+"flood:"),
				Spam: spam, Metrics: a.Metrics, Log: a.Log})
		}
	}
	return out
}

// TestMergeEdgeRateLimitBoundary: the quota admits exactly its rate, also under
// concurrency; the headers count down to 0; a 429 carries them, Retry-After and the
// error shape; and merges and undos are limited like every other API call.
func TestMergeEdgeRateLimitBoundary(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "5/m") {
		t.Run(name, func(t *testing.T) {
			b := setup(t, opt)
			for i := range 5 {
				rec := b.do(t, http.MethodGet, "/api/v1/merges", nil)
				h := rec.Header()
				if rec.Code != http.StatusOK || h.Get("X-Rate-Limit-Limit") != "5" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(4-i) {
					t.Fatalf("request %d: %d, headers %v", i, rec.Code, h)
				}
				if r, err := strconv.Atoi(h.Get("X-Rate-Limit-Reset")); err != nil || r < 1 || r > 60 {
					t.Fatalf("request %d: X-Rate-Limit-Reset %q", i, h.Get("X-Rate-Limit-Reset"))
				}
			}
			rec := b.do(t, http.MethodPost, "/api/v1/merges/whatever/undo", nil)
			checkError(t, rec, http.MethodPost, "/api/v1/merges/whatever/undo", http.StatusTooManyRequests)
			h := rec.Header()
			ra, err := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 12 {
				t.Fatalf("Retry-After %q (one request per 12 s)", h.Get("Retry-After"))
			}
			if h.Get("X-Rate-Limit-Limit") != "5" || h.Get("X-Rate-Limit-Remaining") != "0" {
				t.Fatalf("429 headers %v", h)
			}
			if r, err := strconv.Atoi(h.Get("X-Rate-Limit-Reset")); err != nil || r < 48 || r > 60 {
				t.Fatalf("429 X-Rate-Limit-Reset %q, want about 60", h.Get("X-Rate-Limit-Reset"))
			}
			// Another key of the tenant has its own quota, and concurrent requests get
			// exactly the quota.
			_, key, err := b.st.CreateKey(context.Background(), b.tenant.ID, "mge", "", "7/m")
			if err != nil {
				t.Fatal(err)
			}
			const n = 20
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = b.do(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": 1, "source_id": 1}, withKey(key)).Code
				}()
			}
			wg.Wait()
			ok, limited := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusUnprocessableEntity:
					ok++
				case http.StatusTooManyRequests:
					limited++
				default:
					t.Errorf("status %d", c)
				}
			}
			if ok != 7 || limited != n-7 {
				t.Fatalf("admitted %d, limited %d; want 7 and %d", ok, limited, n-7)
			}
		})
	}
}

// TestMergeEdgeFloodLimit: flood_limit boundaries (0 = off, 1, concurrency), IPv6 /64
// and IPv4-mapped spellings share a budget, tenants do not, merges and undos do not
// count.
func TestMergeEdgeFloodLimit(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "10000/m") {
		t.Run(name, func(t *testing.T) {
			b, other := setup(t, opt), setup(t, opt)
			post := func(b *bundle, mail, ip string, limit int) int {
				t.Helper()
				return b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": mail, "request_ip": ip},
					"flood_limit": limit, "duplicate_check_method": "email"}).Code
			}
			for i := range 5 {
				if c := post(b, fmt.Sprintf("off%d@example.com", i), "192.0.2.50", 0); c != http.StatusCreated {
					t.Fatalf("flood_limit 0 (off): create %d answered %d", i, c)
				}
			}
			if c := post(b, "one1@example.com", "192.0.2.51", 1); c != http.StatusCreated {
				t.Fatalf("first under limit 1: %d", c)
			}
			rec := b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "one2@example.com", "request_ip": "::ffff:192.0.2.51"}, "flood_limit": 1})
			e := checkError(t, rec, http.MethodPost, "/api/v1/contacts", http.StatusTooManyRequests)
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 3500 || ra > 3600 {
				t.Fatalf("Retry-After %q, want about an hour", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(e.Message, "at most 1 contacts per hour") {
				t.Fatalf("message %q", e.Message)
			}
			// A merge from the same address is not a creation, and a raised limit admits.
			if c := post(b, "ONE1@example.com", "192.0.2.51", 1); c != http.StatusOK {
				t.Fatalf("merge under a full budget: %d", c)
			}
			if c := post(b, "one3@example.com", "192.0.2.51", 2); c != http.StatusCreated {
				t.Fatalf("limit raised to 2: %d", c)
			}
			if c := post(other, "one4@example.com", "192.0.2.51", 1); c != http.StatusCreated {
				t.Fatalf("other tenant, same address: %d", c)
			}
			// IPv6: one /64 shares a budget.
			if c := post(b, "v6a@example.com", "2001:db8:7:1::1", 1); c != http.StatusCreated {
				t.Fatalf("v6 first: %d", c)
			}
			if c := post(b, "v6b@example.com", "2001:db8:7:1:ffff:ffff:ffff:fffe", 1); c != http.StatusTooManyRequests {
				t.Fatalf("v6 same /64: %d", c)
			}
			if c := post(b, "v6c@example.com", "2001:db8:7:2::1", 1); c != http.StatusCreated {
				t.Fatalf("v6 next /64: %d", c)
			}
			// Concurrent creates from one address: exactly the limit is created.
			const n, limit = 12, 4
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = post(b, fmt.Sprintf("conc%d@example.com", i), "198.18.0.9", limit)
				}()
			}
			wg.Wait()
			created, limited := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusCreated:
					created++
				case http.StatusTooManyRequests:
					limited++
				default:
					t.Errorf("status %d", c)
				}
			}
			if created != limit || limited != n-limit {
				t.Fatalf("created %d, limited %d; want %d and %d", created, limited, limit, n-limit)
			}
			// The budget is full; a merge from the address still goes through.
			if c := post(b, "conc-new@example.com", "198.18.0.9", limit); c != http.StatusTooManyRequests {
				t.Fatalf("create past the limit: %d", c)
			}
			merged := 0
			for i := range n {
				switch c := post(b, fmt.Sprintf("CONC%d@example.com", i), "198.18.0.9", limit); c {
				case http.StatusOK:
					merged++
				case http.StatusTooManyRequests:
				default:
					t.Fatalf("resubmission %d: %d", i, c)
				}
			}
			if merged != limit {
				t.Fatalf("resubmissions merged %d, want %d (the created ones)", merged, limit)
			}
		})
	}
}

// TestMergeEdgeSpamList: spam-list API validation names every bad entry, nothing is
// added on a refusal, and listed addresses (any spelling) are refused by the native
// create.
func TestMergeEdgeSpamList(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "10000/m"))
	e := b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24", "nope", "10.0.0.1", "1.2.3.4/33", " 2001:db8:55::/48 "},
		"source": strings.Repeat("s", 101)}, 422)
	got := e.fields()
	slices.Sort(got)
	if want := []string{"entries[1]", "entries[3]", "source"}; !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	var list struct {
		Entries []struct {
			ID    int64  `json:"id"`
			Entry string `json:"entry"`
		} `json:"entries"`
		NextAfter int64 `json:"next_after"`
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist", nil, http.StatusOK, &list)
	if len(list.Entries) != 0 {
		t.Fatalf("a refused add listed %+v", list.Entries)
	}
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{}}, 422)
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{}, 422)
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": make([]string, 10001)}, http.StatusRequestEntityTooLarge)
	b.fail(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"x"}}, 422)
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=-1", "after=x"} {
		b.fail(t, http.MethodGet, "/api/v1/spamlist?"+q, nil, 422)
	}
	for _, q := range []string{"", "ip=", "ip=1.2.3", "ip=fe80::1%25eth0", "ip=203.0.113.0/24"} {
		b.fail(t, http.MethodGet, "/api/v1/spamlist/check?"+q, nil, 422)
	}

	var added struct {
		Added int64 `json:"added"`
	}
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24", " 2001:db8:55::/48 ", "203.0.113.0/24"}}, http.StatusOK, &added)
	if added.Added != 2 {
		t.Fatalf("added %d, want 2 (a duplicate in one call counts once)", added.Added)
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist?limit=1", nil, http.StatusOK, &list)
	if len(list.Entries) != 1 || list.NextAfter != list.Entries[0].ID {
		t.Fatalf("page %+v", list)
	}
	for _, ip := range []string{"203.0.113.255", "::ffff:203.0.113.1", "2001:db8:55:ffff::1"} {
		rec := b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": ip}, "spam_protection": true})
		e := checkError(t, rec, http.MethodPost, "/api/v1/contacts", http.StatusForbidden)
		if !strings.Contains(e.Message, "tenant spam list") {
			t.Fatalf("%s: %q", ip, e.Message)
		}
	}
	for _, ip := range []string{"203.0.114.0", "2001:db8:56::1"} {
		b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "ham-" + strings.ReplaceAll(ip, ":", "-") + "@example.com", "request_ip": ip},
			"spam_protection": true}, http.StatusCreated, nil)
	}
	var removed struct {
		Removed int64 `json:"removed"`
	}
	b.call(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.7"}}, http.StatusOK, &removed)
	if removed.Removed != 0 {
		t.Fatalf("removing an address inside a listed range removed %d", removed.Removed)
	}
	b.call(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24"}}, http.StatusOK, &removed)
	if removed.Removed != 1 {
		t.Fatalf("removed %d", removed.Removed)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": "203.0.113.255"}, "spam_protection": true}, http.StatusCreated, nil)
}

// TestMergeEdgeUndoWithinBatch: an ingest merge into a contact created earlier in the
// same bulk call is recorded with that contact's id and undone exactly.
func TestMergeEdgeUndoWithinBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var results []map[string]any
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "batch@example.com", "first_name": "Bea", "comment": "one"},
		{"mail": "BATCH@example.com", "family_name": "Bach", "comment": "two"},
	}, "duplicate_check_method": "email"}, http.StatusOK, &results)
	if len(results) != 2 || results[0]["id"] == nil || results[0]["id"] != results[1]["id"] {
		t.Fatalf("results %v", results)
	}
	id := int64(results[0]["id"].(float64))
	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges?contact_id="+itoa(id), nil, http.StatusOK, &list)
	if len(list.Merges) != 1 || list.Merges[0].ContactID != id || list.Merges[0].Before["id"] != float64(id) || list.Merges[0].Before["family_name"] != "" {
		t.Fatalf("merges %+v", list.Merges)
	}
	undo := b.mgeUndo(t, list.Merges[0].ID)
	got := b.mgeFull(t, id)
	if got["first_name"] != "Bea" || got["family_name"] != "" || got["version"] != float64(1) {
		t.Fatalf("survivor after undo %v", got)
	}
	if c := b.mgeComments(t, id); !slices.Equal(c, []string{"one"}) {
		t.Fatalf("survivor comments %v", c)
	}
	split := b.mgeFull(t, undo.SplitContactID)
	if split["family_name"] != "Bach" || split["first_name"] != "" {
		t.Fatalf("split %v", split)
	}
	if c := b.mgeComments(t, undo.SplitContactID); !slices.Equal(c, []string{"two"}) {
		t.Fatalf("split comments %v", c)
	}
}

// TestMergeEdgeHugeKeyQuota: a per-key quota at the top of what the limiter accepts
// (one request per nanosecond) works and reports itself in the headers.
func TestMergeEdgeHugeKeyQuota(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "1/h") {
		t.Run(name, func(t *testing.T) {
			b := setup(t, opt)
			_, key, err := b.st.CreateKey(context.Background(), b.tenant.ID, "huge", "", "1000000000/s")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				rec := b.do(t, http.MethodGet, "/api/v1/merges", nil, withKey(key))
				h := rec.Header()
				rem, err := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
				if rec.Code != http.StatusOK || h.Get("X-Rate-Limit-Limit") != "1000000000" || err != nil || rem < 999999990 || rem > 999999999 {
					t.Fatalf("request %d: %d %v", i, rec.Code, h)
				}
			}
			// The tenant's default key is held to the default of one an hour.
			b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, nil)
			rec := b.do(t, http.MethodGet, "/api/v1/merges", nil)
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("second request on 1/h: %d", rec.Code)
			}
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 3590 || ra > 3600 {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
		})
	}
}
