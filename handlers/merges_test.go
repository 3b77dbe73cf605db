package handlers_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

type nativeCreated struct {
	ID          int64   `json:"id"`
	Created     bool    `json:"created"`
	MergeID     string  `json:"merge_id"`
	Score       float64 `json:"score"`
	Explanation *struct {
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		Match     bool    `json:"match"`
		Fields    []struct {
			Field  string  `json:"field"`
			Weight float64 `json:"weight"`
		} `json:"fields"`
	} `json:"explanation"`
}

func TestNativeCreateExplainsMerge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Jürgen", "family_name": "Müller", "phone": "030 1234567", "ba_postal_code": "10115"}}, http.StatusCreated, &first)
	if !first.Created || first.ID == 0 {
		t.Fatalf("first = %+v", first)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Juergen", "family_name": "Mueller", "phone": "+49 30 1234567"}}, http.StatusOK, &second)
	if second.Created || second.ID != first.ID || second.MergeID == "" || second.Explanation == nil || !second.Explanation.Match {
		t.Fatalf("second = %+v, want an explained merge into %d", second, first.ID)
	}
	if second.Score != second.Explanation.Score || len(second.Explanation.Fields) == 0 {
		t.Fatalf("score %v, explanation %+v", second.Score, second.Explanation)
	}
}

func TestNativeCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name  string
		body  any
		want  int
		field string
	}{
		{"no identity", map[string]any{"contact": map[string]any{"company": "ACME"}}, http.StatusUnprocessableEntity, "contact.mail"},
		{"missing contact", map[string]any{}, http.StatusUnprocessableEntity, "contact"},
		{"bad check method", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "duplicate_check_method": "fuzzy"}, http.StatusUnprocessableEntity, "duplicate_check_method"},
		{"unknown field", map[string]any{"contact": map[string]any{"mail": "x@example.com", "nickname": "x"}}, http.StatusUnprocessableEntity, "contact.nickname"},
		{"qntn not native", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "qntn": map[string]any{}}, http.StatusUnprocessableEntity, "qntn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			b.call(t, http.MethodPost, "/api/v1/contacts", tc.body, tc.want, &e)
			if !e.Error || len(e.Errors) == 0 || e.Errors[0].Field != tc.field {
				t.Fatalf("error = %+v, want field %s", e, tc.field)
			}
		})
	}
}

type mergeView struct {
	ID              string         `json:"id"`
	Kind            string         `json:"kind"`
	ContactID       int64          `json:"contact_id"`
	SourceContactID *int64         `json:"source_contact_id"`
	Undoable        bool           `json:"undoable"`
	Before          map[string]any `json:"before"`
	After           map[string]any `json:"after"`
	Submission      map[string]any `json:"submission"`
}

func TestMergeListGetUndoOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "m@example.com", "first_name": "Max"}}, http.StatusCreated, &first)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "M@example.com", "family_name": "Mustermann"}, "duplicate_check_method": "email"}, http.StatusOK, &second)

	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, &list)
	if len(list.Merges) != 1 || list.Merges[0].ID != second.MergeID || list.Merges[0].Kind != "ingest" || !list.Merges[0].Undoable {
		t.Fatalf("merges = %+v", list.Merges)
	}
	var one mergeView
	b.call(t, http.MethodGet, "/api/v1/merges/"+second.MergeID, nil, http.StatusOK, &one)
	if one.Before["family_name"] != "" || one.After["family_name"] != "Mustermann" || one.Submission["family_name"] != "Mustermann" {
		t.Fatalf("merge images = %+v", one)
	}

	other := setup(t)
	other.call(t, http.MethodGet, "/api/v1/merges/"+second.MergeID, nil, http.StatusNotFound, nil)
	other.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusNotFound, nil)

	var undo struct {
		Success        bool  `json:"success"`
		ContactID      int64 `json:"contact_id"`
		SplitContactID int64 `json:"split_contact_id"`
	}
	b.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusOK, &undo)
	if !undo.Success || undo.ContactID != first.ID || undo.SplitContactID == 0 || undo.SplitContactID == first.ID {
		t.Fatalf("undo = %+v", undo)
	}
	var e apiError
	b.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusConflict, &e)
	if !e.Error || e.Message == "" {
		t.Fatalf("second undo error = %+v", e)
	}
}

func TestManualMergeOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var a, c nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "one@example.com", "first_name": "Eva"}, "duplicate_check_method": "none"}, http.StatusCreated, &a)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "two@example.com", "family_name": "Lang"}, "duplicate_check_method": "none"}, http.StatusCreated, &c)

	var preview struct {
		DryRun  bool           `json:"dry_run"`
		Contact map[string]any `json:"contact"`
		Changed []string       `json:"changed"`
		MergeID string         `json:"merge_id"`
	}
	body := map[string]any{"target_id": a.ID, "source_id": c.ID, "dry_run": true, "fields": map[string]string{"mail": "source"}}
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", body, http.StatusOK, &preview)
	if !preview.DryRun || preview.MergeID != "" || preview.Contact["mail"] != "two@example.com" || preview.Contact["family_name"] != "Lang" {
		t.Fatalf("preview = %+v", preview)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(c.ID), nil, http.StatusOK, nil)

	body["dry_run"] = false
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", body, http.StatusOK, &preview)
	if preview.MergeID == "" {
		t.Fatalf("merge = %+v", preview)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(c.ID), nil, http.StatusNotFound, nil)

	for _, bad := range []map[string]any{
		{"target_id": a.ID, "source_id": a.ID},
		{"target_id": a.ID},
		{"target_id": a.ID, "source_id": c.ID, "fields": map[string]string{"mail": "both"}},
		{"target_id": a.ID, "source_id": c.ID, "fields": map[string]string{"shoe_size": "source"}},
	} {
		b.call(t, http.MethodPost, "/api/v1/contacts/merge", bad, http.StatusUnprocessableEntity, nil)
	}
	other := setup(t)
	other.call(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a.ID, "source_id": c.ID}, http.StatusNotFound, nil)
}

func TestNativeCreateReturnFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var out struct {
		ID      int64          `json:"id"`
		Created bool           `json:"created"`
		Contact map[string]any `json:"contact"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"phone": "+49 30 9990001", "first_name": "Ida"},
		"return_fields": []string{"first_name", "phone", "mail_status"}}, http.StatusCreated, &out)
	if !out.Created || out.Contact["first_name"] != "Ida" || out.Contact["phone"] != "+49 30 9990001" || out.Contact["mail_status"] != float64(0) {
		t.Fatalf("native create = %+v", out)
	}
	var e apiError
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "x@example.com", "terms": []int{987654}}}, http.StatusUnprocessableEntity, &e)
	if len(e.Errors) != 1 || e.Errors[0].Field != "contact.terms" {
		t.Fatalf("unknown term error = %+v, want field contact.terms", e)
	}
}

// TestEdgeMergeTable checks the README's merge table cell by cell for a text field,
// a single-value custom field, mail_status and uid, with a value, "" and null.
func TestEdgeMergeTable(t *testing.T) {
	t.Parallel()
	type state struct {
		Company string `json:"company"`
		Job     string `json:"job_title"`
		Note    any    `json:"field_note"`
		Status  int    `json:"mail_status"`
		UID     int64  `json:"uid"`
	}
	// The contact has company "Old", no job_title, field_note "old", status 2, uid 3.
	tests := []struct {
		method string
		sent   map[string]any
		want   state
	}{
		{"update_add", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"New", "CTO", "new", 1, 4}},
		{"update_add", map[string]any{"company": "", "job_title": "", "field_note": "", "mail_status": 0, "uid": 0}, state{"Old", "", "old", 2, 3}},
		{"update_add", map[string]any{"company": nil, "job_title": nil, "field_note": nil, "mail_status": nil, "uid": nil}, state{"Old", "", "old", 2, 3}},
		{"update", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"New", "CTO", "new", 1, 4}},
		{"update", map[string]any{"company": "", "job_title": "", "field_note": ""}, state{"", "", nil, 2, 3}},
		{"update", map[string]any{"company": nil, "field_note": nil, "mail_status": nil, "uid": nil}, state{"", "", nil, 0, 0}},
		{"update", map[string]any{}, state{"Old", "", "old", 2, 3}},
		{"add", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"Old", "CTO", "old", 2, 3}},
		{"add", map[string]any{"company": "", "job_title": "", "field_note": nil}, state{"Old", "", "old", 2, 3}},
	}
	b := setup(t)
	b.createField(t, map[string]any{"label": "Note", "field_type": "text"})
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.method, tt.sent), func(t *testing.T) {
			t.Parallel()
			mail := fmt.Sprintf("table%d@example.com", i)
			id := b.createContact(t, map[string]any{"mail": mail, "company": "Old", "field_note": "old", "mail_status": 2, "uid": 3})
			sent := map[string]any{"mail": strings.ToUpper(mail)}
			for k, v := range tt.sent {
				sent[k] = v
			}
			var out struct{ ID int64 }
			b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": sent, "duplicate_check_method": "email", "duplicate_merge_method": tt.method}, http.StatusOK, &out)
			if out.ID != id {
				t.Fatalf("merged into %d, want %d", out.ID, id)
			}
			var got state
			b.call(t, http.MethodGet, edgeU+"/contact/"+itoa(id)+"?fields=company,job_title,field_note,mail_status,uid", nil, http.StatusOK, &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("after %s merge of %v: %+v, want %+v", tt.method, tt.sent, got, tt.want)
			}
		})
	}
}

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
