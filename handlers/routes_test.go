package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEdgePathIDSpellings: one id spelling rule on GET, PUT and DELETE contact/{id}:
// no 500 for odd ids, another tenant's and unknown ids 404, and an escaped digit is
// the same id on every method (GET decodes the parameter once, PUT and DELETE not at all).
func TestEdgePathIDSpellings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "ids@example.com", "first_name": "Ida"})
	for _, ref := range []string{"0", "-1", "-" + itoa(id), "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e3", "0x1", itoa(id) + ".0", "%20" + itoa(id), "%00", "%FF", "%FF@example.com"} {
		t.Run("unknown "+ref, func(t *testing.T) {
			p := edgeU + "/contact/" + ref
			b.fail(t, http.MethodGet, p, nil, http.StatusNotFound)
			b.fail(t, http.MethodPut, p, map[string]any{"first_name": "X"}, http.StatusNotFound)
			b.fail(t, http.MethodDelete, p, nil, http.StatusNotFound)
		})
	}
	// "+N" and "0N" are read as N by strconv.ParseInt on every method alike.
	for _, ref := range []string{"+" + itoa(id), "0" + itoa(id), "%2B" + itoa(id)} {
		t.Run("alias "+ref, func(t *testing.T) {
			var got map[string]any
			b.call(t, http.MethodGet, edgeU+"/contact/"+ref, nil, http.StatusOK, &got)
			if got["id"] != float64(id) {
				t.Fatalf("GET %s = %v", ref, got)
			}
			b.call(t, http.MethodPut, edgeU+"/contact/"+ref, map[string]any{"first_name": "Ida"}, http.StatusOK, nil)
		})
	}
	t.Run("escaped digit", func(t *testing.T) {
		esc := fmt.Sprintf("%%%X", itoa(id)[0]) + itoa(id)[1:]
		b.call(t, http.MethodGet, edgeU+"/contact/"+esc, nil, http.StatusOK, nil)
		b.call(t, http.MethodPut, edgeU+"/contact/"+esc, map[string]any{"first_name": "Ida"}, http.StatusOK, nil)
		b.call(t, http.MethodGet, edgeU+"/contact/"+esc+"/terms", nil, http.StatusOK, nil)
	})
}

// TestEdgeNULInPath: a NUL byte or invalid UTF-8 in a path reference is just an
// unknown reference: 404, never a 500. PostgreSQL refuses both in text parameters,
// and the store passes the decoded path through (SQLite answers 404).
func TestEdgeNULInPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, map[string]any{"mail": "nul-path@example.com"})
	for _, tt := range []struct {
		path  string
		pg500 bool // answers 500 on PostgreSQL
	}{
		{edgeU + "/contact/nul-path%00@example.com", true},
		{edgeU + "/contact/x@%00", true},
		{edgeU + "/custom-fields/%00", true},
		{edgeU + "/custom-fields/field_a%00", true},
		{edgeU + "/terms/%00", true},
		{edgeU + "/custom-fields/field_%FF", true},
		{edgeU + "/terms/%FF", false}, // the name is lower-cased first, which replaces the byte
		{edgeU + "/contact/%FF@example.com", false},
	} {
		p := tt.path
		t.Run(p, func(t *testing.T) {
			b.fail(t, http.MethodGet, p, nil, http.StatusNotFound)
		})
	}
	t.Run("listing mail filter", func(t *testing.T) {
		e := b.fail(t, http.MethodGet, "/api/v1/contacts?mail=a%00@example.com&q=x%FF", nil, http.StatusUnprocessableEntity)
		if got := e.fields(); !slices.Equal(got, []string{"mail", "q"}) {
			t.Fatalf("fields %v, want mail and q", got)
		}
	})
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
