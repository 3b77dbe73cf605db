package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/store/storetest"
)

type termView struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	DeletionBlocked bool   `json:"deletion_blocked"`
}

// postTerm creates (or finds) a term over HTTP and returns its id.
func (b *bundle) postTerm(t testing.TB, name string) int64 {
	t.Helper()
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": name}, http.StatusOK, &out)
	if out.ID <= 0 {
		t.Fatalf("POST terms %q: id %d", name, out.ID)
	}
	return out.ID
}

// contactTermIDs reads a contact's term ids through GET contact/{id}/terms.
func (b *bundle) contactTermIDs(t testing.TB, id int64) []int64 {
	t.Helper()
	var list []termView
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(id)+"/terms", nil, http.StatusOK, &list)
	ids := []int64{}
	for _, tv := range list {
		ids = append(ids, tv.ID)
	}
	return ids
}

// full reads a contact through the native API (all fields, with version).
func (b *bundle) full(t testing.TB, id int64) fullContact {
	t.Helper()
	var out fullContact
	b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &out)
	return out
}

func TestTermsCreateGetUpdateDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var created struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": " VIP Kunde ", "description": "paying"}, http.StatusOK, &created)

	// An existing name, in any case, answers the existing id and changes nothing.
	var again struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/v1/terms/", map[string]any{"name": "vip KUNDE", "description": "other"}, http.StatusOK, &again)
	if again.ID != created.ID {
		t.Fatalf("POST existing name answered id %d, want %d", again.ID, created.ID)
	}

	want := termView{ID: created.ID, Name: "VIP Kunde", Description: "paying"}
	for _, ref := range []string{itoa(created.ID), url.PathEscape("VIP Kunde"), url.PathEscape("vip kunde"), "VIP%20KUNDE"} {
		var got termView
		b.call(t, http.MethodGet, "/public/api/V1/terms/"+ref, nil, http.StatusOK, &got)
		if got != want {
			t.Errorf("GET terms/%s = %+v, want %+v", ref, got, want)
		}
	}

	b.call(t, http.MethodPut, "/public/api/V1/terms/"+itoa(created.ID), map[string]any{"name": "VIP", "deletion_blocked": true}, http.StatusOK, nil)
	var got termView
	b.call(t, http.MethodGet, "/public/api/V1/terms/vip", nil, http.StatusOK, &got)
	if want := (termView{ID: created.ID, Name: "VIP", Description: "paying", DeletionBlocked: true}); got != want {
		t.Fatalf("after PUT: %+v, want %+v", got, want)
	}

	e := b.fail(t, http.MethodDelete, "/public/api/V1/terms/"+itoa(created.ID), nil, http.StatusConflict)
	if !strings.Contains(e.Message, "deletion_blocked") {
		t.Errorf("blocked delete message %q does not say why", e.Message)
	}
	b.call(t, http.MethodPut, "/public/api/V1/terms/VIP", map[string]any{"deletion_blocked": false, "description": ""}, http.StatusOK, nil)
	b.call(t, http.MethodDelete, "/public/api/V1/terms/"+itoa(created.ID), nil, http.StatusOK, nil)
	b.fail(t, http.MethodGet, "/public/api/V1/terms/"+itoa(created.ID), nil, http.StatusNotFound)

	// A term named like a number stays reachable by name.
	numeric := b.postTerm(t, "2024")
	b.call(t, http.MethodGet, "/public/api/V1/terms/2024", nil, http.StatusOK, &got)
	if got.ID != numeric {
		t.Errorf("GET terms/2024 = %+v, want the term named 2024 (id %d)", got, numeric)
	}
}

func TestTermsList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 5 {
		ids = append(ids, b.postTerm(t, fmt.Sprintf("list-%d", i)))
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", ids},
		{"?limit=2", ids[:2]},
		{"?offset=2&limit=2", ids[2:4]},
		{"?offset=4", ids[4:]},
		{"?offset=5", nil},
		{"?limit=100000", ids}, // capped at 500, not refused
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var list []termView
			b.call(t, http.MethodGet, "/public/api/V1/terms"+tt.query, nil, http.StatusOK, &list)
			var got []int64
			for _, tv := range list {
				got = append(got, tv.ID)
				if tv.Name == "" {
					t.Errorf("term %d without name", tv.ID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTermsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.postTerm(t, "alpha")
	b.postTerm(t, "beta")
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		field  string
	}{
		{"create without name", http.MethodPost, "/terms", map[string]any{"description": "x"}, 422, "name"},
		{"create blank name", http.MethodPost, "/terms", map[string]any{"name": "  "}, 422, "name"},
		{"create long name", http.MethodPost, "/terms", map[string]any{"name": strings.Repeat("n", 256)}, 422, "name"},
		{"create long description", http.MethodPost, "/terms", map[string]any{"name": "x", "description": strings.Repeat("d", 1001)}, 422, "description"},
		{"create unknown field", http.MethodPost, "/terms", map[string]any{"name": "x", "colour": "red"}, 422, "colour"},
		{"create name not a string", http.MethodPost, "/terms", map[string]any{"name": 12}, 422, "name"},
		{"create malformed", http.MethodPost, "/terms", `{"name": "x",}`, 400, ""},
		{"update nothing", http.MethodPut, "/terms/" + itoa(a), map[string]any{}, 422, "body"},
		{"update onto other name", http.MethodPut, "/terms/" + itoa(a), map[string]any{"name": "BETA"}, 409, ""},
		{"update blank name", http.MethodPut, "/terms/" + itoa(a), map[string]any{"name": ""}, 422, "name"},
		{"update unknown", http.MethodPut, "/terms/99999999", map[string]any{"name": "x"}, 404, ""},
		{"get unknown id", http.MethodGet, "/terms/99999999", nil, 404, ""},
		{"get unknown name", http.MethodGet, "/terms/gamma", nil, 404, ""},
		{"delete unknown", http.MethodDelete, "/terms/99999999", nil, 404, ""},
		{"list limit zero", http.MethodGet, "/terms?limit=0", nil, 422, "limit"},
		{"list limit text", http.MethodGet, "/terms?limit=ten", nil, 422, "limit"},
		{"list negative offset", http.MethodGet, "/terms?offset=-1", nil, 422, "offset"},
		{"no key", http.MethodGet, "/terms", nil, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []reqOpt
			if tt.want == 401 {
				opts = append(opts, withKey(""))
			}
			e := b.fail(t, tt.method, "/public/api/V1"+tt.path, tt.body, tt.want, opts...)
			if tt.field != "" && !slices.Contains(e.fields(), tt.field) {
				t.Errorf("errors %+v do not name %q", e.Errors, tt.field)
			}
		})
	}
	// Renaming to its own name in another case is not a conflict.
	b.call(t, http.MethodPut, "/public/api/V1/terms/"+itoa(a), map[string]any{"name": "Alpha"}, http.StatusOK, nil)
}

// TestTermsCreateConcurrently posts one name in different cases at once: every request
// answers the same id and the tenant has one term.
func TestTermsCreateConcurrently(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 20
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := "Race"
			if i%2 == 1 {
				name = "rACE"
			}
			rec := b.do(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": name})
			if rec.Code != http.StatusOK {
				t.Errorf("POST %d: %d %s", i, rec.Code, rec.Body)
				return
			}
			fmt.Sscanf(rec.Body.String(), `{"id":%d}`, &ids[i])
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] || id == 0 {
			t.Fatalf("POST %d answered id %d, POST 0 id %d", i, id, ids[0])
		}
	}
	var list []termView
	b.call(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusOK, &list)
	if len(list) != 1 {
		t.Fatalf("tenant has %d terms, want 1: %+v", len(list), list)
	}
	storetest.AssertConsistent(t, b.st)
}

func TestDeleteTermRemovesItFromContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gone, kept := b.postTerm(t, "gone"), b.postTerm(t, "kept")
	tagged := b.createContact(t, map[string]any{"mail": "tagged@example.com", "terms": []int64{gone, kept}})
	untagged := b.createContact(t, map[string]any{"mail": "untagged@example.com", "terms": []int64{kept}})
	before, beforeOther := b.full(t, tagged), b.full(t, untagged)

	b.call(t, http.MethodDelete, "/public/api/V1/terms/gone", nil, http.StatusOK, nil)

	after := b.full(t, tagged)
	if !slices.Equal(after.Terms, []int64{kept}) {
		t.Errorf("terms after delete = %v, want [%d]", after.Terms, kept)
	}
	if after.Version != before.Version+1 || after.Changed < before.Changed {
		t.Errorf("version %d→%d changed %d→%d, want the version bumped", before.Version, after.Version, before.Changed, after.Changed)
	}
	if other := b.full(t, untagged); other.Version != beforeOther.Version {
		t.Errorf("a contact without the term changed version %d→%d", beforeOther.Version, other.Version)
	}
	if got := b.contactTermIDs(t, tagged); !slices.Equal(got, []int64{kept}) {
		t.Errorf("GET contact terms = %v", got)
	}
}

func TestContactTerms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1, t2, t3 := b.postTerm(t, "one"), b.postTerm(t, "two"), b.postTerm(t, "three")
	id := b.createContact(t, map[string]any{"mail": "terms@example.com"})
	path := "/public/api/V1/contact/" + itoa(id) + "/terms"

	steps := []struct {
		method  string
		body    any
		want    []int64
		changes bool
	}{
		{http.MethodPut, []int64{t2, t1}, []int64{t1, t2}, true},
		{http.MethodPut, []any{t3, fmt.Sprint(t2)}, []int64{t1, t2, t3}, true}, // numeric strings as PHP sends them
		{http.MethodPut, []int64{t3}, []int64{t1, t2, t3}, false},
		{http.MethodDelete, []int64{t1, t1}, []int64{t2, t3}, true},
		{http.MethodDelete, []int64{t1}, []int64{t2, t3}, false},
		{http.MethodPost, []int64{t1}, []int64{t1}, true},
		{http.MethodPost, []int64{}, []int64{}, true},
		{http.MethodPut, []int64{}, []int64{}, false},
	}
	version := b.full(t, id).Version
	for i, s := range steps {
		var out struct{ Success bool }
		b.call(t, s.method, path, s.body, http.StatusOK, &out)
		if !out.Success {
			t.Fatalf("step %d: %+v", i, out)
		}
		if got := b.contactTermIDs(t, id); !slices.Equal(got, s.want) {
			t.Fatalf("step %d %s %v: terms %v, want %v", i, s.method, s.body, got, s.want)
		}
		next := b.full(t, id).Version
		if s.changes != (next == version+1) || (!s.changes && next != version) {
			t.Fatalf("step %d: version %d→%d, change %v", i, version, next, s.changes)
		}
		version = next
	}

	// The term objects carry name and description.
	b.call(t, http.MethodPut, path, []int64{t1}, http.StatusOK, nil)
	var list []map[string]any
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0]["name"] != "one" || list[0]["description"] != "" || list[0]["id"] != float64(t1) {
		t.Errorf("GET contact terms = %+v", list)
	}
}

func TestContactTermsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1 := b.postTerm(t, "known")
	id := b.createContact(t, map[string]any{"mail": "termerr@example.com", "terms": []int64{t1}})
	path := "/public/api/V1/contact/" + itoa(id) + "/terms"
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		field  string
	}{
		{"put unknown ids", http.MethodPut, path, []int64{t1, 99999998, 99999999}, 422, "terms"},
		{"post unknown ids", http.MethodPost, path, []int64{99999999}, 422, "terms"},
		{"delete unknown ids", http.MethodDelete, path, []int64{99999999}, 422, "terms"},
		{"zero id", http.MethodPut, path, []int64{0}, 422, "terms[0]"},
		{"text id", http.MethodPut, path, []any{t1, "abc"}, 422, "terms[1]"},
		{"fraction", http.MethodPut, path, []any{1.5}, 422, "terms[0]"},
		{"object body", http.MethodPut, path, map[string]any{"terms": []int64{t1}}, 400, ""},
		{"null body", http.MethodPut, path, "null", 422, "terms"},
		{"no body", http.MethodPut, path, nil, 400, ""},
		{"malformed", http.MethodPut, path, "[1,", 400, ""},
		{"unknown contact", http.MethodGet, "/public/api/V1/contact/99999999/terms", nil, 404, ""},
		{"unknown contact put", http.MethodPut, "/public/api/V1/contact/99999999/terms", []int64{t1}, 404, ""},
		{"contact by mail", http.MethodGet, "/public/api/V1/contact/termerr@example.com/terms", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, tt.method, tt.path, tt.body, tt.want)
			if tt.field != "" && !slices.Contains(e.fields(), tt.field) {
				t.Errorf("errors %+v do not name %q", e.Errors, tt.field)
			}
			if tt.name == "put unknown ids" && !strings.Contains(e.Errors[0].Error, "99999998 99999999") {
				t.Errorf("422 does not name the unknown ids: %+v", e.Errors)
			}
		})
	}
	// Nothing was half-applied.
	if got := b.contactTermIDs(t, id); !slices.Equal(got, []int64{t1}) {
		t.Errorf("terms after failed changes = %v, want [%d]", got, t1)
	}
}

// TestTermsAsContactField checks terms through the contact endpoints: fields=terms,
// and terms in create and update bodies.
func TestTermsAsContactField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1, t2 := b.postTerm(t, "field-a"), b.postTerm(t, "field-b")
	id := b.createContact(t, map[string]any{"mail": "fieldterms@example.com", "terms": []int64{t2, t1}})
	if got := b.getFields(t, id, "terms")["terms"]; fmt.Sprint(got) != fmt.Sprint([]any{float64(t1), float64(t2)}) {
		t.Errorf("fields=terms = %v, want [%d %d]", got, t1, t2)
	}
	b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(id), map[string]any{"terms": []int64{t2}}, http.StatusOK, nil)
	if got := b.contactTermIDs(t, id); !slices.Equal(got, []int64{t2}) {
		t.Errorf("after PUT contact terms = %v, want [%d]", got, t2)
	}
	// update_add on a duplicate unions the lists.
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "fieldterms@example.com", "terms": []int64{t1}}, "duplicate_check_method": "email"}, http.StatusOK, &out)
	if got := b.contactTermIDs(t, id); out.ID != id || !slices.Equal(got, []int64{t1, t2}) {
		t.Errorf("after merge: id %d terms %v, want id %d terms [%d %d]", out.ID, got, id, t1, t2)
	}
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "x@example.com", "terms": []int64{99999999}}}, 422)
	if !slices.Contains(e.fields(), "contact.terms") {
		t.Errorf("unknown term on create: %+v", e)
	}
	b.fail(t, http.MethodPut, "/public/api/V1/contact/"+itoa(id), map[string]any{"terms": []int64{99999999}}, 422)
}

// TestTermsTenantIsolation: another tenant's terms and contacts answer 404 on every
// term route, and its term ids are unknown (422) on one's own contacts.
func TestTermsTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	own := b.postTerm(t, "own")
	ownContact := b.createContact(t, map[string]any{"mail": "own@example.com", "terms": []int64{own}})
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)

	// The other tenant may use the same name: names are unique per tenant only.
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "OWN"}, http.StatusOK, &theirs, as)
	if theirs.ID == own {
		t.Fatalf("other tenant's POST of an existing name answered this tenant's id")
	}
	var list []termView
	b.call(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusOK, &list, as)
	if len(list) != 1 || list[0].ID != theirs.ID {
		t.Fatalf("other tenant's list = %+v, want only its own term", list)
	}

	contactPath := "/public/api/V1/contact/" + itoa(ownContact) + "/terms"
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/public/api/V1/terms/" + itoa(own), nil},
		{http.MethodPut, "/public/api/V1/terms/" + itoa(own), map[string]any{"name": "stolen"}},
		{http.MethodDelete, "/public/api/V1/terms/" + itoa(own), nil},
		{http.MethodGet, contactPath, nil},
		{http.MethodPost, contactPath, []int64{theirs.ID}},
		{http.MethodPut, contactPath, []int64{theirs.ID}},
		{http.MethodDelete, contactPath, []int64{theirs.ID}},
	} {
		b.fail(t, r.method, r.path, r.body, http.StatusNotFound, as)
	}
	// Their term on our contact is an unknown term.
	b.fail(t, http.MethodPut, contactPath, []int64{theirs.ID}, http.StatusUnprocessableEntity)
	var got termView
	b.call(t, http.MethodGet, "/public/api/V1/terms/"+itoa(own), nil, http.StatusOK, &got)
	if got.Name != "own" {
		t.Errorf("own term changed by the other tenant: %+v", got)
	}
	if ids := b.contactTermIDs(t, ownContact); !slices.Equal(ids, []int64{own}) {
		t.Errorf("own contact's terms = %v", ids)
	}
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
				if !strings.Contains(msg, itoa(tt.unknown)) || slices.Contains(strings.FieldsFunc(msg, func(r rune) bool { return r < '0' || r > '9' }), itoa(t2)) {
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
