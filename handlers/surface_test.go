package handlers_test

// Edges of the terms, comments, bulk and listing endpoints that the per-endpoint test
// files leave out: the default and maximum page sizes, answer shapes, a key on every
// route, tenant isolation by name, nothing half-applied, every problem in one answer.
// Everything goes through the real router.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(t testing.TB, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v; %s", err, raw)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTermsListDefaultAndCap: GET terms answers 500 terms by default and at most
// 500 whatever limit asks, and offset reaches the rest.
func TestTermsListDefaultAndCap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 501 {
		ids = append(ids, b.newTerm(t, fmt.Sprintf("cap-%03d", i)))
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", ids[:500]},
		{"?limit=500", ids[:500]},
		{"?limit=501", ids[:500]},
		{"?offset=500", ids[500:]},
		{"?offset=499&limit=1000", ids[499:]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var list []termView
			b.call(t, http.MethodGet, "/public/api/V1/terms"+tt.query, nil, http.StatusOK, &list)
			got := []int64{}
			for _, tv := range list {
				got = append(got, tv.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%d ids (%v…), want %d (%v…)", len(got), got[:min(3, len(got))], len(tt.want), tt.want[:min(3, len(tt.want))])
			}
		})
	}
}

// TestResponseShapes: the answers have exactly the keys of Quentn's documented
// shapes (API-NOTES.md), and the writes that answer {"success": true} do.
func TestResponseShapes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "shape")
	id := b.createContact(t, map[string]any{"mail": "shape@example.com", "terms": []int64{term}})
	cid := b.addComment(t, id, "shape")
	contact := "/public/api/V1/contact/" + itoa(id)
	success := []string{"success"}
	tests := []struct {
		name         string
		method, path string
		body         any
		keys         []string // of the object, or of the first array element
		body200      string   // the exact answer, when fixed
	}{
		{"POST terms", http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "shape2"}, []string{"id"}, ""},
		{"GET terms", http.MethodGet, "/public/api/V1/terms", nil, []string{"deletion_blocked", "description", "id", "name"}, ""},
		{"GET terms/{id}", http.MethodGet, "/public/api/V1/terms/" + itoa(term), nil, []string{"deletion_blocked", "description", "id", "name"}, ""},
		{"PUT terms/{id}", http.MethodPut, "/public/api/V1/terms/" + itoa(term), map[string]any{"description": "d"}, success, `{"success":true}`},
		{"GET contact terms", http.MethodGet, contact + "/terms", nil, []string{"description", "id", "name"}, ""},
		{"PUT contact terms", http.MethodPut, contact + "/terms", []int64{term}, success, `{"success":true}`},
		{"POST contact terms", http.MethodPost, contact + "/terms", []int64{term}, success, `{"success":true}`},
		{"DELETE contact terms", http.MethodDelete, contact + "/terms", []int64{}, success, `{"success":true}`},
		{"GET comments", http.MethodGet, contact + "/comments", nil, []string{"comments", "limit", "number_comments", "number_ranges", "range", "sort"}, ""},
		{"POST comments", http.MethodPost, contact + "/comments", map[string]any{"comment": "x"}, []string{"comment_id", "success"}, ""},
		{"PUT comments", http.MethodPut, contact + "/comments", map[string]any{"id": cid, "comment": "y"}, success, `{"success":true}`},
		{"POST contacts", http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "shape3@example.com"}}}, []string{"email", "id"}, ""},
		{"POST contacts error", http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "bad"}}}, []string{"email", "error", "errors", "message"}, ""},
		{"GET listing", http.MethodGet, "/api/v1/contacts", nil, []string{"contacts", "next_cursor"}, ""},
	}
	for _, tt := range tests { // in order: the writes change what later rows read
		rec := b.do(t, tt.method, tt.path, tt.body)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d; %s", tt.name, rec.Code, rec.Body)
		}
		if tt.body200 != "" && strings.TrimSpace(rec.Body.String()) != tt.body200 {
			t.Errorf("%s: body %s, want %s", tt.name, rec.Body, tt.body200)
		}
		raw := rec.Body.Bytes()
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			if len(arr) == 0 {
				t.Fatalf("%s: empty array", tt.name)
			}
			raw = arr[0]
		}
		if got := keysOf(t, raw); !slices.Equal(got, tt.keys) {
			t.Errorf("%s: keys %v, want %v", tt.name, got, tt.keys)
		}
	}
	// A comment of the page has exactly the documented keys.
	rec := b.do(t, http.MethodGet, contact+"/comments", nil)
	var page struct{ Comments []json.RawMessage }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Comments) == 0 {
		t.Fatalf("comments page: %v %s", err, rec.Body)
	}
	if got, want := keysOf(t, page.Comments[0]), []string{"changed", "comment", "contact_id", "created", "id", "uid"}; !slices.Equal(got, want) {
		t.Errorf("comment keys %v, want %v", got, want)
	}
	// DELETE terms/{id} and DELETE comments answer success too.
	var del struct{ Success bool }
	b.call(t, http.MethodDelete, contact+"/comments", []int64{cid}, http.StatusOK, &del)
	if !del.Success {
		t.Errorf("DELETE comments: success %v", del.Success)
	}
	rec = b.do(t, http.MethodDelete, "/public/api/V1/terms/"+itoa(term), nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"success":true}` {
		t.Errorf("DELETE terms: %d %s", rec.Code, rec.Body)
	}
}

// TestBlockedTermStaysOnContacts: a refused delete of a deletion_blocked term (by
// id or by name) leaves it on its contacts and leaves them unchanged.
func TestBlockedTermStaysOnContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "Blocked")
	b.call(t, http.MethodPut, "/public/api/V1/terms/"+itoa(term), map[string]any{"deletion_blocked": true}, http.StatusOK, nil)
	id := b.createContact(t, map[string]any{"mail": "blocked@example.com", "terms": []int64{term}})
	before := b.full(t, id)
	for _, ref := range []string{itoa(term), "blocked"} {
		e := b.fail(t, http.MethodDelete, "/public/api/V1/terms/"+ref, nil, http.StatusConflict)
		if !strings.Contains(e.Message, "deletion_blocked") {
			t.Errorf("DELETE terms/%s: message %q", ref, e.Message)
		}
	}
	after := b.full(t, id)
	if !slices.Equal(after.Terms, []int64{term}) || after.Version != before.Version {
		t.Errorf("after refused deletes: terms %v version %d, want [%d] version %d", after.Terms, after.Version, term, before.Version)
	}
	var got termView
	b.call(t, http.MethodGet, "/public/api/V1/terms/"+itoa(term), nil, http.StatusOK, &got)
	if !got.DeletionBlocked || got.Name != "Blocked" {
		t.Errorf("term after refused deletes: %+v", got)
	}
}

// TestContactTermsNothingHalfApplied: a change that names a valid new term and an
// unknown one (never existed, or another tenant's) is refused as a whole with 422 naming
// only the unknown ids, on every method; the contact keeps its terms and its version.
func TestContactTermsNothingHalfApplied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1, t2 := b.postTerm(t, "half-1"), b.postTerm(t, "half-2")
	other := storetest.NewTenant(t, b.st)
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "half-theirs"}, http.StatusOK, &theirs, withKey(other.Key))
	id := b.createContact(t, map[string]any{"mail": "half@example.com", "terms": []int64{t1}})
	path := "/public/api/V1/contact/" + itoa(id) + "/terms"
	version := b.full(t, id).Version
	tooMany := make([]int64, 1001)
	for i := range tooMany {
		tooMany[i] = int64(i + 1)
	}
	tests := []struct {
		name    string
		method  string
		body    []int64
		unknown int64 // must be named; 0: only the field is checked
	}{
		{"put new and unknown", http.MethodPut, []int64{t2, 99999999}, 99999999},
		{"post new and unknown", http.MethodPost, []int64{t2, 99999999}, 99999999},
		{"delete own and unknown", http.MethodDelete, []int64{t1, 99999999}, 99999999},
		{"put other tenant's term", http.MethodPut, []int64{t2, theirs.ID}, theirs.ID},
		{"post other tenant's term", http.MethodPost, []int64{t2, theirs.ID}, theirs.ID},
		{"delete other tenant's term", http.MethodDelete, []int64{t1, theirs.ID}, theirs.ID},
		{"put more than 1000 ids", http.MethodPut, tooMany, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := b.fail(t, tt.method, path, tt.body, http.StatusUnprocessableEntity)
			if len(e.Errors) != 1 || e.Errors[0].Field != "terms" {
				t.Fatalf("errors %+v, want one on terms", e.Errors)
			}
			if tt.unknown != 0 {
				msg := e.Errors[0].Error
				if !strings.Contains(msg, itoa(tt.unknown)) || strings.Contains(msg, "["+itoa(t2)) || strings.Contains(msg, " "+itoa(t2)+"]") {
					t.Errorf("error %q should name %d and only it", msg, tt.unknown)
				}
			}
			if got := b.full(t, id); !slices.Equal(got.Terms, []int64{t1}) || got.Version != version {
				t.Errorf("terms %v version %d after refused %s, want [%d] version %d", got.Terms, got.Version, tt.method, t1, version)
			}
		})
	}
}

// TestTermsTenantIsolationByName: another tenant reaches a term by name no more
// than by id (404 on GET, PUT, DELETE), and cannot put it on its contacts through the
// contact fields (422 naming it).
func TestTermsTenantIsolationByName(t *testing.T) {
	t.Parallel()
	b := setup(t)
	own := b.postTerm(t, "Only Mine")
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)
	for _, r := range []struct {
		method string
		body   any
	}{
		{http.MethodGet, nil},
		{http.MethodPut, map[string]any{"description": "stolen"}},
		{http.MethodDelete, nil},
	} {
		e := b.fail(t, r.method, "/public/api/V1/terms/"+url.PathEscape("only mine"), r.body, http.StatusNotFound, as)
		if !strings.Contains(e.Message, "not found") {
			t.Errorf("%s: message %q", r.method, e.Message)
		}
	}
	var got termView
	b.call(t, http.MethodGet, "/public/api/V1/terms/"+itoa(own), nil, http.StatusOK, &got)
	if got != (termView{ID: own, Name: "Only Mine"}) {
		t.Errorf("own term after the other tenant's attempts: %+v", got)
	}

	// Their contact fields: create, update and bulk refuse our term id as unknown.
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "iso-name@example.com"}}, http.StatusOK, &theirs, as)
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "iso-name2@example.com", "terms": []int64{own}}}, http.StatusUnprocessableEntity, as)
	if !slices.Contains(e.fields(), "contact.terms") || !strings.Contains(e.Errors[0].Error, itoa(own)) {
		t.Errorf("create with the other tenant's term: %+v", e)
	}
	e = b.fail(t, http.MethodPut, "/public/api/V1/contact/"+itoa(theirs.ID), map[string]any{"terms": []int64{own}}, http.StatusUnprocessableEntity, as)
	if !slices.Contains(e.fields(), "terms") || !strings.Contains(e.Errors[0].Error, itoa(own)) {
		t.Errorf("update with the other tenant's term: %+v", e)
	}
}

// TestCommentsDefaultAndMaxLimit: with 51 comments a range holds 50 by default and
// at most 50, and the second range holds the 51st.
func TestCommentsDefaultAndMaxLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "fifty@example.com"})
	var ids []int64
	for i := range 51 {
		ids = append(ids, b.addComment(t, id, fmt.Sprintf("c%d", i)))
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	tests := []struct {
		query      string
		limit, rng int
		want       []int64
	}{
		{"", 50, 0, ids[:50]},
		{"?limit=51", 50, 0, ids[:50]},
		{"?range=1", 50, 1, ids[50:]},
		{"?range=1&limit=1000", 50, 1, ids[50:]},
		{"?sort=desc", 50, 0, rev[:50]},
		{"?sort=desc&range=1", 50, 1, rev[50:]},
		{"?limit=10&range=5", 10, 5, ids[50:]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var got commentsView
			b.call(t, http.MethodGet, path+tt.query, nil, http.StatusOK, &got)
			wantRanges := int64((51 + tt.limit - 1) / tt.limit)
			if got.Limit != tt.limit || got.Range != tt.rng || got.NumberComments != 51 || got.NumberRanges != wantRanges {
				t.Errorf("limit %d range %d comments %d ranges %d, want %d %d 51 %d", got.Limit, got.Range, got.NumberComments, got.NumberRanges, tt.limit, tt.rng, wantRanges)
			}
			if !slices.Equal(got.ids(), tt.want) {
				t.Errorf("%d ids, want %d (%v…)", len(got.ids()), len(tt.want), tt.want[:min(2, len(tt.want))])
			}
		})
	}
}

// TestCommentsOtherTenantsIDs: a change naming another tenant's comment on one's
// own contact is 404 and all or nothing: one's own comment in the same DELETE stays,
// and the other tenant's comment is unchanged.
func TestCommentsOtherTenantsIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mine := b.createContact(t, map[string]any{"mail": "cmine@example.com"})
	own := b.addComment(t, mine, "own")
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "ctheirs@example.com"}}, http.StatusOK, &theirs, as)
	var added struct {
		CommentID int64 `json:"comment_id"`
	}
	b.call(t, http.MethodPost, "/public/api/V1/contact/"+itoa(theirs.ID)+"/comments", map[string]any{"comment": "theirs"}, http.StatusOK, &added, as)
	path := "/public/api/V1/contact/" + itoa(mine) + "/comments"

	e := b.fail(t, http.MethodDelete, path, []int64{own, added.CommentID}, http.StatusNotFound)
	if !strings.Contains(e.Message, itoa(added.CommentID)) {
		t.Errorf("404 message %q does not name %d", e.Message, added.CommentID)
	}
	b.fail(t, http.MethodPut, path, map[string]any{"id": added.CommentID, "comment": "changed"}, http.StatusNotFound)

	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if !slices.Equal(page.ids(), []int64{own}) {
		t.Errorf("own comments after the refused delete: %v, want [%d]", page.ids(), own)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(theirs.ID)+"/comments", nil, http.StatusOK, &page, as)
	if len(page.Comments) != 1 || page.Comments[0].Comment != "theirs" {
		t.Errorf("the other tenant's comments: %+v", page.Comments)
	}
}

// TestRoutesNeedAKey: every terms, comments, bulk and listing route answers 401
// without a key.
func TestRoutesNeedAKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "nokey@example.com"})
	term := b.postTerm(t, "nokey")
	c := "/public/api/V1/contact/" + itoa(id)
	routes := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/public/api/V1/terms", nil},
		{http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "x"}},
		{http.MethodGet, "/public/api/V1/terms/" + itoa(term), nil},
		{http.MethodPut, "/public/api/V1/terms/" + itoa(term), map[string]any{"name": "x"}},
		{http.MethodDelete, "/public/api/V1/terms/" + itoa(term), nil},
		{http.MethodGet, c + "/terms", nil},
		{http.MethodPost, c + "/terms", []int64{term}},
		{http.MethodPut, c + "/terms", []int64{term}},
		{http.MethodDelete, c + "/terms", []int64{term}},
		{http.MethodGet, c + "/comments", nil},
		{http.MethodPost, c + "/comments", map[string]any{"comment": "x"}},
		{http.MethodPut, c + "/comments", map[string]any{"id": 1, "comment": "x"}},
		{http.MethodDelete, c + "/comments", []int64{1}},
		{http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "x@example.com"}}}},
		{http.MethodGet, "/api/v1/contacts", nil},
		{http.MethodGet, "/api/v1/contacts/" + itoa(id), nil},
	}
	for _, r := range routes {
		rec := b.do(t, r.method, r.path, r.body, withKey(""))
		checkError(t, rec, r.method, r.path, http.StatusUnauthorized)
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", r.method, r.path)
		}
	}
	if got := b.contactTermIDs(t, id); len(got) != 0 {
		t.Errorf("unauthenticated calls changed the contact's terms: %v", got)
	}
}

// TestBulkPerItemFloodAndSpam: the flood limit and the spam list refuse single
// items of a bulk create, in input order, with their message; a merge is not counted.
func TestBulkPerItemFloodAndSpam(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.0/24"}}, http.StatusOK, nil)
	const ip = "192.0.2.44"
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "fl0@example.com", "request_ip": ip},
		{"mail": "fl1@example.com", "request_ip": ip},
		{"mail": "fl2@example.com", "request_ip": ip}, // third new contact from ip: over the limit
		{"mail": "FL0@example.com", "request_ip": ip}, // a merge: not counted
		{"mail": "spam@example.com", "request_ip": "198.51.100.9"},
		{"mail": "noip@example.com"},
	}, "duplicate_check_method": "email", "flood_limit": 2, "spam_protection": true}, http.StatusOK, &got)
	if len(got) != 6 {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	tests := []struct {
		i       int
		mail    string
		message string // "" = success
	}{
		{0, "fl0@example.com", ""},
		{1, "fl1@example.com", ""},
		{2, "fl2@example.com", "at most 2 contacts per hour"},
		{3, "FL0@example.com", ""},
		{4, "spam@example.com", "spam list"},
		{5, "noip@example.com", ""},
	}
	for _, tt := range tests {
		e := got[tt.i]
		if e.Email != tt.mail || e.Error != (tt.message != "") || !strings.Contains(e.Message, tt.message) || (tt.message == "") != (e.ID > 0) {
			t.Errorf("entry %d = %+v, want mail %s message %q", tt.i, e, tt.mail, tt.message)
		}
	}
	if got[3].ID != got[0].ID {
		t.Errorf("in-batch duplicate id %d, want %d", got[3].ID, got[0].ID)
	}
	for _, mail := range []string{"fl2@example.com", "spam@example.com"} {
		b.fail(t, http.MethodGet, "/public/api/V1/contact/"+mail, nil, http.StatusNotFound)
	}
}

// TestBulkMergesLikeSeparateCalls: for every merge method, two items of one batch
// that are the same person end as the contact two separate POST contact calls make.
func TestBulkMergesLikeSeparateCalls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1, t2 := b.postTerm(t, "merge-1"), b.postTerm(t, "merge-2")
	items := func(prefix string) []map[string]any {
		return []map[string]any{
			{"mail": prefix + "@example.com", "first_name": "Anna", "company": "Old GmbH", "phone": "+49 30 1111111", "terms": []int64{t1}},
			{"mail": strings.ToUpper(prefix) + "@Example.com", "first_name": "", "company": "New AG", "job_title": "CTO", "terms": []int64{t2}},
		}
	}
	strip := func(m map[string]any, prefix string) map[string]any {
		for _, k := range []string{"id", "created", "changed"} {
			delete(m, k)
		}
		m["mail"] = strings.NewReplacer(prefix, "P", strings.ToUpper(prefix), "P").Replace(fmt.Sprint(m["mail"]))
		return m
	}
	for _, method := range []string{"update_add", "update", "add"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			batch, seq := "batch-"+method, "seq-"+method
			var got []bulkEntry
			b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": items(batch),
				"duplicate_check_method": "email", "duplicate_merge_method": method}, http.StatusOK, &got)
			if len(got) != 2 || got[0].Error || got[1].Error || got[0].ID != got[1].ID {
				t.Fatalf("batch = %+v, want one contact", got)
			}
			var id int64
			for _, it := range items(seq) {
				var out struct{ ID int64 }
				b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": it,
					"duplicate_check_method": "email", "duplicate_merge_method": method}, http.StatusOK, &out)
				id = out.ID
			}
			var fromBatch, fromCalls map[string]any
			b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(got[0].ID), nil, http.StatusOK, &fromBatch)
			b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &fromCalls)
			a, c := fmt.Sprint(strip(fromBatch, batch)), fmt.Sprint(strip(fromCalls, seq))
			if a != c {
				t.Errorf("batch merge\n %s\nseparate calls\n %s", a, c)
			}
		})
	}
}

// TestListingDefaultAndCap: 100 contacts per page by default, at most 500, and
// the cursor walk at the cap reaches all of them.
func TestListingDefaultAndCap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	list := make([]map[string]any, 501)
	for i := range list {
		list[i] = map[string]any{"mail": fmt.Sprintf("cap%d@example.com", i)}
	}
	var created []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": list, "duplicate_check_method": "none"}, http.StatusOK, &created)
	var want []int64
	for _, e := range created {
		want = append(want, e.ID)
	}
	tests := []struct {
		query string
		n     int
	}{
		{"", 100},
		{"?limit=500", 500},
		{"?limit=501", 500},
		{"?limit=100000", 500},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var p listPage
			b.call(t, http.MethodGet, "/api/v1/contacts"+tt.query, nil, http.StatusOK, &p)
			if !slices.Equal(p.ids(), want[:tt.n]) || p.NextCursor == nil {
				t.Errorf("%d contacts (next %v), want the first %d and a cursor", len(p.Contacts), p.NextCursor, tt.n)
			}
		})
	}
	if got := b.listAll(t, nil, 500); !slices.Equal(got, want) {
		t.Errorf("walk at the cap: %d ids, want %d", len(got), len(want))
	}
}

// TestListingStableUnderDeletes: deletes (of a contact already shown and of one
// still ahead) and an insert during a walk neither repeat nor skip a remaining contact.
func TestListingStableUnderDeletes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 6 {
		ids = append(ids, b.createContact(t, map[string]any{"mail": fmt.Sprintf("del%d@example.com", i)}))
	}
	var first listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?limit=2", nil, http.StatusOK, &first)
	if !slices.Equal(first.ids(), ids[:2]) || first.NextCursor == nil {
		t.Fatalf("first page %v", first.ids())
	}
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(ids[1]), nil, http.StatusOK, nil)
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(ids[3]), nil, http.StatusOK, nil)
	late := b.createContact(t, map[string]any{"mail": "dellate@example.com"})
	got := first.ids()
	cursor := *first.NextCursor
	for range 10 {
		var p listPage
		b.call(t, http.MethodGet, "/api/v1/contacts?limit=2&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &p)
		got = append(got, p.ids()...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if want := []int64{ids[0], ids[1], ids[2], ids[4], ids[5], late}; !slices.Equal(got, want) {
		t.Errorf("walk = %v, want %v", got, want)
	}
}

// TestQueryErrorsNameEveryField: a query with several invalid parameters is one
// 422 naming each of them (README, Errors: "every problem at once").
func TestQueryErrorsNameEveryField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "qerr@example.com"})
	tests := []struct {
		name   string
		path   string
		fields []string
	}{
		{"listing", "/api/v1/contacts?limit=0&term=abc&updated_since=x", []string{"term", "updated_since", "limit"}},
		{"terms", "/public/api/V1/terms?offset=-1&limit=0", []string{"offset", "limit"}},
		{"comments", "/public/api/V1/contact/" + itoa(id) + "/comments?range=-1&limit=0&sort=x", []string{"range", "limit", "sort"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, http.MethodGet, tt.path, nil, http.StatusUnprocessableEntity)
			if got := e.fields(); !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

// TestTermRefDecodedOnce: terms/{name} finds the term whose name is the path
// segment decoded once, whatever characters the name has.
func TestTermRefDecodedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	names := []string{"A/B", "50% off", "a+b", "Grüße & Co", "x%20y", "p%2Fq"}
	ids := map[string]int64{"x y": b.postTerm(t, "x y"), "p/q": b.postTerm(t, "p/q")} // decoys a second decoding finds
	for _, name := range names {
		ids[name] = b.postTerm(t, name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Both spellings of the prefix and a trailing slash: the path is rewritten
			// before routing and must keep the escaped form of the name.
			for _, path := range []string{
				"/public/api/V1/terms/" + url.PathEscape(name),
				"/public/api/v1/terms/" + url.PathEscape(name),
				"/public/api/v1/terms/" + url.PathEscape(name) + "/",
			} {
				var got termView
				b.call(t, http.MethodGet, path, nil, http.StatusOK, &got)
				if got.ID != ids[name] || got.Name != name {
					t.Errorf("GET %s = %+v, want id %d", path, got, ids[name])
				}
			}
		})
	}
}

// TestCommentUID: a comment's uid is the id of the API key that wrote it, and 0
// for the comment that came with a created contact (README, Comments).
func TestCommentUID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key, secret, err := b.st.CreateKey(context.Background(), b.tenant.ID, "second", "", "")
	if err != nil {
		t.Fatal(err)
	}
	id := b.createContact(t, map[string]any{"mail": "uid@example.com", "comment": "from the form"})
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	b.call(t, http.MethodPost, path, map[string]any{"comment": "by the second key"}, http.StatusOK, nil, withKey(secret))
	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if len(page.Comments) != 2 || page.Comments[0].UID != 0 || page.Comments[1].UID != key.ID {
		t.Errorf("comments %+v, want uid 0 then %d", page.Comments, key.ID)
	}
}

// TestBulkItemReportsEveryFieldError: an item that fails reports all its field
// errors at once (README, Bulk create), an unknown term id among them.
func TestBulkItemReportsEveryFieldError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	known := b.postTerm(t, "known")
	const unknown = 99999999
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "every@example.com", "phone": "call me", "terms": []int64{known, unknown}},
		{"mail": "knownonly@example.com", "phone": "call me", "terms": []int64{known}},
		{"mail": "fine@example.com", "terms": []int64{known}},
		{"mail": "termonly@example.com", "terms": []int64{unknown}},
	}}, http.StatusOK, &got)
	want := [][]string{{"phone", "terms"}, {"phone"}, nil, {"terms"}}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		var fields []string
		for _, f := range e.Errors {
			fields = append(fields, f.Field)
			if f.Field == "terms" && f.Error != "unknown term ids [99999999]" {
				t.Errorf("entry %d: terms error %q, want it to name only the unknown id", i, f.Error)
			}
		}
		if !slices.Equal(fields, want[i]) || e.Error != (want[i] != nil) {
			t.Errorf("entry %d = %+v, want errors on %v", i, e, want[i])
		}
	}

	// The single create and the update answer the same way.
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{
		"mail": "single@example.com", "phone": "call me", "terms": []int64{unknown}}}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"contact.phone", "contact.terms"}) {
		t.Errorf("POST contact: fields %v, want contact.phone and contact.terms", got)
	}
	path := "/public/api/V1/contact/" + itoa(got[2].ID)
	e = b.fail(t, http.MethodPut, path, map[string]any{"phone": "call me", "terms": []int64{unknown}}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"phone", "terms"}) {
		t.Errorf("PUT contact: fields %v, want phone and terms", got)
	}
}

// TestBulkReturnFieldsNeedDefinedCustomFields: return_fields naming a custom field the
// tenant does not have fails the whole call, as GET's fields does, and writes nothing.
func TestBulkReturnFieldsNeedDefinedCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := b.fail(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{
		"contacts":      []map[string]any{{"mail": "rfbulk@example.com"}},
		"return_fields": []string{"first_name", "field_nope"},
	}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"return_fields[1]"}) {
		t.Errorf("fields %v, want return_fields[1]", got)
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact/rfbulk@example.com", nil, http.StatusNotFound)
}

// TestQueryParameterGivenTwice: a repeated query parameter is refused rather than read
// once and the rest dropped; fields lists are joined.
func TestQueryParameterGivenTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "twice@example.com", "first_name": "Tia"})
	e := b.fail(t, http.MethodGet, "/api/v1/contacts?q=tia&q=zed&limit=5&limit=6", nil, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"limit", "q"}) {
		t.Errorf("fields %v, want limit and q", got)
	}
	var got map[string]any
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(id)+"?fields=mail&fields=first_name", nil, http.StatusOK, &got)
	if got["mail"] != "twice@example.com" || got["first_name"] != "Tia" {
		t.Errorf("GET with fields twice = %v, want mail and first_name", got)
	}
}

// TestContactTermsAsNumericStrings: a contact body's terms may be numeric strings, as
// the contact terms endpoints take them; a string that is no id is a 422.
func TestContactTermsAsNumericStrings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "Strings")
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{
		"mail": "strterms@example.com", "terms": []any{itoa(term)}}}, http.StatusOK, &out)
	var got contact
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(out.ID)+"?fields=terms", nil, http.StatusOK, &got)
	if !slices.Equal(got.Terms, []int64{term}) {
		t.Errorf("terms %v, want [%d]", got.Terms, term)
	}
	e := b.fail(t, http.MethodPut, "/public/api/V1/contact/"+itoa(out.ID), map[string]any{"terms": []any{"vip"}}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"terms"}) {
		t.Errorf("fields %v, want terms", e.fields())
	}
}

// TestMailLookupSaysWhenItIsCut: a mail shared by more contacts than a lookup answers
// gives the first ones, oldest first, and a header saying there are more.
func TestMailLookupSaysWhenItIsCut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := make([]map[string]any, models.MaxMailMatches+1)
	for i := range items {
		items[i] = map[string]any{"mail": "shared-inbox@example.com", "first_name": fmt.Sprintf("P%d", i)}
	}
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": items, "duplicate_check_method": "none"}, http.StatusOK, nil)
	rec := b.do(t, http.MethodGet, "/public/api/V1/contact/shared-inbox@example.com", nil)
	var got []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET: %d %v", rec.Code, err)
	}
	if len(got) != models.MaxMailMatches || rec.Header().Get("X-Contacthub-Truncated") != "true" {
		t.Errorf("%d contacts, truncated header %q; want %d and true", len(got), rec.Header().Get("X-Contacthub-Truncated"), models.MaxMailMatches)
	}
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+fmt.Sprint(got[0]["id"]), nil, http.StatusOK, nil)
	rec = b.do(t, http.MethodGet, "/public/api/V1/contact/shared-inbox@example.com", nil)
	if rec.Header().Get("X-Contacthub-Truncated") != "" {
		t.Errorf("exactly %d contacts: truncated header %q, want none", models.MaxMailMatches, rec.Header().Get("X-Contacthub-Truncated"))
	}
}
