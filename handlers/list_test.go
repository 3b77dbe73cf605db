package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// fullContact is the native API's view of a contact (contactwire).
type fullContact struct {
	ID         int64   `json:"id"`
	FirstName  string  `json:"first_name"`
	FamilyName string  `json:"family_name"`
	Company    string  `json:"company"`
	Mail       string  `json:"mail"`
	MailStatus int     `json:"mail_status"`
	Terms      []int64 `json:"terms"`
	Created    int64   `json:"created"`
	Changed    int64   `json:"changed"`
	Version    int64   `json:"version"`
}

type listPage struct {
	Contacts   []fullContact `json:"contacts"`
	NextCursor *string       `json:"next_cursor"`
}

func (p listPage) ids() []int64 {
	out := []int64{}
	for _, c := range p.Contacts {
		out = append(out, c.ID)
	}
	return out
}

// listAll pages through GET /api/v1/contacts with query and limit, following next_cursor.
func (b *bundle) listAll(t testing.TB, query url.Values, limit int) []int64 {
	t.Helper()
	var all []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("listing does not end")
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var p listPage
		b.call(t, http.MethodGet, "/api/v1/contacts?"+q.Encode(), nil, http.StatusOK, &p)
		all = append(all, p.ids()...)
		if p.NextCursor == nil {
			return all
		}
		if len(p.Contacts) != limit {
			t.Fatalf("page of %d with a next_cursor, want full pages of %d", len(p.Contacts), limit)
		}
		cursor = *p.NextCursor
	}
}

func TestGetContactFull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Budget", "field_type": "integer"}, http.StatusOK, nil)
	term := b.postTerm(t, "full")
	id := b.createContact(t, map[string]any{"mail": "Full@Example.com", "first_name": "Full", "family_name": "Contact",
		"mail_status": 2, "terms": []int64{term}, "field_budget": 500, "ba_country": "de"})

	var got map[string]any
	b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &got)
	for _, name := range append(models.TextFieldNames(), "id", "mail_status", "uid", "terms", "created", "changed", "version") {
		if _, ok := got[name]; !ok {
			t.Errorf("full contact lacks %q", name)
		}
	}
	if got["mail"] != "Full@Example.com" || got["ba_country"] != "DE" || got["mail_status"] != float64(2) ||
		got["field_budget"] != float64(500) || fmt.Sprint(got["terms"]) != fmt.Sprintf("[%d]", term) || got["version"] != float64(1) {
		t.Errorf("full contact = %v", got)
	}
	if c := got["created"].(float64); time.Since(time.Unix(int64(c), 0)) > time.Hour {
		t.Errorf("created %v is not a recent unix time", c)
	}

	b.fail(t, http.MethodGet, "/api/v1/contacts/99999999", nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/api/v1/contacts/abc", nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusUnauthorized, withKey(""))
	other := storetest.NewTenant(t, b.st)
	b.fail(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusNotFound, withKey(other.Key))
}

// TestListContactsPaging walks the listing with a small page size: every contact once,
// in id order, and a contact created mid-walk shows up on a later page.
func TestListContactsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var want []int64
	for i := range 7 {
		want = append(want, b.createContact(t, map[string]any{"mail": fmt.Sprintf("page%d@example.com", i)}))
	}
	if got := b.listAll(t, nil, 3); !slices.Equal(got, want) {
		t.Fatalf("listing = %v, want %v", got, want)
	}

	// Insert while paging: the first page is taken, then a contact is created.
	var first listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?limit=4", nil, http.StatusOK, &first)
	late := b.createContact(t, map[string]any{"mail": "late@example.com"})
	var second listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?limit=4&cursor="+url.QueryEscape(*first.NextCursor), nil, http.StatusOK, &second)
	got := append(first.ids(), second.ids()...)
	if !slices.Equal(got, append(slices.Clone(want), late)) || second.NextCursor != nil {
		t.Fatalf("pages during insert = %v (next %v), want %v then %d", got, second.NextCursor, want, late)
	}

	// Default page size and the cap.
	var all listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?limit=100000", nil, http.StatusOK, &all)
	if len(all.Contacts) != 8 || all.NextCursor != nil {
		t.Errorf("capped listing: %d contacts, next %v", len(all.Contacts), all.NextCursor)
	}
	if all.Contacts[0].Mail != "page0@example.com" || all.Contacts[0].Version != 1 || all.Contacts[0].Terms == nil {
		t.Errorf("listing shows %+v, want full contacts", all.Contacts[0])
	}
}

func TestListContactsFilters(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t)
	vip := b.postTerm(t, "vip")
	jane := b.createContact(t, map[string]any{"mail": "Jane.Doe@Example.com", "first_name": "Jane", "family_name": "Doe", "terms": []int64{vip}})
	john := b.createContact(t, map[string]any{"mail": "john@example.com", "first_name": "John", "family_name": "Doell", "company": "ACME GmbH"})
	acme := b.createContact(t, map[string]any{"mail": "info@acme.example", "company": "Acme"})
	pct := b.createContact(t, map[string]any{"mail": "pct@example.com", "company": "100% Bio"})
	under := b.createContact(t, map[string]any{"mail": "under@example.com", "company": "Bio_Markt"})
	bio := b.createContact(t, map[string]any{"mail": "bio@example.com", "company": "BioXMarkt"})
	umlaut := b.createContact(t, map[string]any{"mail": "jurgen@example.com", "first_name": "Jürgen", "family_name": "Özdemir"})
	all := []int64{jane, john, acme, pct, under, bio, umlaut}

	// updated_since: change john two seconds later (unix seconds are whole), then ask
	// for what changed since then.
	clock.Advance(2 * time.Second)
	mark := clock.Now()
	b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(john), map[string]any{"job_title": "CEO"}, http.StatusOK, nil)

	tests := []struct {
		query string
		want  []int64
	}{
		{"", all},
		{"mail=JANE.DOE@example.COM", []int64{jane}},
		{"mail=nobody@example.com", nil},
		{"term=" + itoa(vip), []int64{jane}},
		{"term=99999999", nil},
		{"q=jan", []int64{jane}},
		{"q=JA", []int64{jane}},
		{"q=do", []int64{jane, john}},
		{"q=doe", []int64{jane, john}},
		{"q=doell", []int64{john}},
		{"q=acme", []int64{john, acme}},
		{"q=jo+ac", []int64{john}}, // every word must match some field
		{"q=ane", nil},             // prefix, not contains
		{"q=100%25", []int64{pct}},
		{"q=10%25", nil}, // % is literal, not a wildcard
		{"q=bio", []int64{under, bio}},
		{"q=bio_", []int64{under}}, // _ is literal, not a wildcard
		{"q=_", nil},
		{"q=markt", nil}, // a prefix of the field, not of a word inside it
		{"q=jürgen", []int64{umlaut}},
		{"q=doe&mail=john@example.com", []int64{john}},
		{"q=doe&term=" + itoa(vip), []int64{jane}},
		{"updated_since=" + url.QueryEscape(mark.Format(time.RFC3339Nano)), []int64{john}},
		{"updated_since=" + url.QueryEscape(mark.Add(-time.Second).Format(time.RFC3339)), []int64{john}},
		{"updated_since=" + fmt.Sprint(mark.Unix()), []int64{john}},
		{"updated_since=" + url.QueryEscape(mark.Add(time.Hour).Format(time.RFC3339Nano)), nil},
		{"updated_since=0", []int64{jane, acme, pct, under, bio, umlaut, john}}, // change order: john last
		{"updated_since=" + strings.Replace(mark.Add(-time.Second).In(time.FixedZone("", 7200)).Format(time.RFC3339), "+", "%2B", 1), []int64{john}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{1, 100} {
				got := b.listAll(t, q, limit)
				if len(got) == 0 && len(tt.want) == 0 {
					continue
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("limit %d: ids = %v, want %v", limit, got, tt.want)
				}
			}
		})
	}
}

func TestListContactsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		query string
		want  int
		field string
	}{
		{"limit=0", 422, "limit"},
		{"limit=-5", 422, "limit"},
		{"limit=many", 422, "limit"},
		{"cursor=garbage!", 422, "cursor"},
		{"cursor=" + "YWJj", 422, "cursor"}, // valid base64, not ours
		{"updated_since=yesterday", 422, "updated_since"},
		{"term=abc", 422, "term"},
		{"term=-1", 422, "term"},
		{"q=" + url.QueryEscape("a b c d e f"), 422, "q"},
		{"q=" + strings.Repeat("x", 256), 422, "q"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, http.MethodGet, "/api/v1/contacts?"+tt.query, nil, tt.want)
			if !slices.Contains(e.fields(), tt.field) {
				t.Errorf("errors %+v do not name %q", e.Errors, tt.field)
			}
		})
	}
	b.fail(t, http.MethodGet, "/api/v1/contacts", nil, http.StatusUnauthorized, withKey(""))
	b.fail(t, http.MethodGet, "/api/v1/contacts", nil, http.StatusUnauthorized, withKey("chk_not-a-real-key-000000"))
}

// TestListContactsTenantIsolation: a listing shows only the caller's contacts, whatever
// the filter, and another tenant's term id filters to nothing.
func TestListContactsTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "mine")
	mine := b.createContact(t, map[string]any{"mail": "shared@example.com", "first_name": "Shared", "terms": []int64{term}})
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "shared@example.com", "first_name": "Shared"}}, http.StatusOK, &theirs, as)

	for _, q := range []string{"", "mail=shared@example.com", "q=shared", "term=" + itoa(term), "updated_since=0"} {
		var p listPage
		b.call(t, http.MethodGet, "/api/v1/contacts?"+q, nil, http.StatusOK, &p, as)
		for _, id := range p.ids() {
			if id == mine {
				t.Errorf("other tenant's listing %q shows this tenant's contact %d", q, mine)
			}
		}
		if q != "term="+itoa(term) && !slices.Equal(p.ids(), []int64{theirs.ID}) {
			t.Errorf("other tenant's listing %q = %v, want [%d]", q, p.ids(), theirs.ID)
		}
	}
}

// TestListContactsChangeOrder pages with updated_since, which orders by change: a
// contact changed mid-walk comes again behind the cursor with its new data, and a
// cursor of one order is refused by the other.
func TestListContactsChangeOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 4 {
		ids = append(ids, b.createContact(t, map[string]any{"mail": fmt.Sprintf("change%d@example.com", i)}))
	}
	var first listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?updated_since=0&limit=2", nil, http.StatusOK, &first)
	if !slices.Equal(first.ids(), ids[:2]) || first.NextCursor == nil {
		t.Fatalf("first page = %v", first.ids())
	}
	b.call(t, http.MethodPut, "/public/api/V1/contact/"+itoa(ids[0]), map[string]any{"first_name": "Changed"}, http.StatusOK, nil)
	var rest []int64
	var changed fullContact
	cursor := *first.NextCursor
	for {
		var p listPage
		b.call(t, http.MethodGet, "/api/v1/contacts?updated_since=0&limit=2&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &p)
		for _, c := range p.Contacts {
			rest = append(rest, c.ID)
			if c.ID == ids[0] {
				changed = c
			}
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if !slices.Equal(rest, []int64{ids[2], ids[3], ids[0]}) || changed.FirstName != "Changed" {
		t.Fatalf("pages after the change = %v (changed %+v), want %v then the changed %d", rest, changed, ids[2:], ids[0])
	}

	var byID listPage
	b.call(t, http.MethodGet, "/api/v1/contacts?limit=1", nil, http.StatusOK, &byID)
	e := b.fail(t, http.MethodGet, "/api/v1/contacts?updated_since=0&cursor="+url.QueryEscape(*byID.NextCursor), nil, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "cursor") {
		t.Errorf("id cursor with updated_since: %+v", e)
	}
	b.fail(t, http.MethodGet, "/api/v1/contacts?cursor="+url.QueryEscape(*first.NextCursor), nil, http.StatusUnprocessableEntity)
}

// TestNativeReadsCarryWireVersion: every native read that shows a whole contact shows
// it in the one wire form, versioned "v": 1 (contactwire); Quentn reads stay as Quentn
// shows a contact, without it.
func TestNativeReadsCarryWireVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second, third nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "wire@example.com", "first_name": "Wanda"}}, http.StatusCreated, &first)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "Wire@example.com", "family_name": "Wire"}, "duplicate_check_method": "email"}, http.StatusOK, &second)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "other-wire@example.com"}, "duplicate_check_method": "none"}, http.StatusCreated, &third)
	wire := func(where string, c map[string]any) {
		t.Helper()
		if c["v"] != float64(1) {
			t.Errorf("%s: v = %v, want 1 (%v)", where, c["v"], c)
		}
	}

	var one map[string]any
	b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(first.ID), nil, http.StatusOK, &one)
	wire("GET /api/v1/contacts/{id}", one)
	var page struct {
		Contacts []map[string]any `json:"contacts"`
	}
	b.call(t, http.MethodGet, "/api/v1/contacts", nil, http.StatusOK, &page)
	if len(page.Contacts) != 2 {
		t.Fatalf("listing = %v", page.Contacts)
	}
	for _, c := range page.Contacts {
		wire("GET /api/v1/contacts", c)
	}
	var m mergeView
	b.call(t, http.MethodGet, "/api/v1/merges/"+second.MergeID, nil, http.StatusOK, &m)
	wire("merge before", m.Before)
	wire("merge after", m.After)
	if m.Submission["v"] != nil {
		t.Errorf("a submission is not a contact: %v", m.Submission)
	}
	var dupes struct {
		Candidates []struct {
			Contact map[string]any `json:"contact"`
		} `json:"candidates"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "wire@example.com"}}, http.StatusOK, &dupes)
	if len(dupes.Candidates) == 0 {
		t.Fatal("no duplicate candidates")
	}
	wire("duplicate candidate", dupes.Candidates[0].Contact)
	var merged struct {
		Contact map[string]any `json:"contact"`
		MergeID string         `json:"merge_id"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": first.ID, "source_id": third.ID}, http.StatusOK, &merged)
	wire("manual merge", merged.Contact)
	var manual struct {
		AbsorbedContact map[string]any `json:"absorbed_contact"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges/"+merged.MergeID, nil, http.StatusOK, &manual)
	wire("absorbed contact", manual.AbsorbedContact)

	if got := b.getFields(t, first.ID, "mail,first_name"); got["v"] != nil || len(got) != 3 {
		t.Errorf("Quentn GET contact/{id} = %v, want id, mail and first_name only", got)
	}
	var byMail []map[string]any
	b.call(t, http.MethodGet, "/public/api/V1/contact/wire@example.com", nil, http.StatusOK, &byMail)
	if len(byMail) != 1 || byMail[0]["v"] != nil {
		t.Errorf("Quentn GET contact/{mail} = %v", byMail)
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
