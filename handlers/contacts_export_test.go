package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/importfile"
)

// TestExportContacts exports a tenant's contacts as CSV and JSON Lines across several
// pages: every contact once, with its fields, custom fields and terms; term and
// updated_since filter; a bad format or term is a 422 naming it.
func TestExportContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Limits.ExportPage = 2 })
	b.createField(t, map[string]any{"label": "farbe", "field_type": "text"})
	b.createField(t, map[string]any{"label": "anzahl", "field_type": "integer"})
	vip := b.newTerm(t, "VIP")
	ids := []int64{
		b.createContact(t, map[string]any{"first_name": "Jörg", "family_name": "Müller", "mail": "joerg@example.de", "field_farbe": "blau, \"hell\"; grün", "field_anzahl": 3, "terms": []int64{vip}}),
		b.createContact(t, map[string]any{"mail": "anna@example.de", "ba_city": "Köln"}),
		b.createContact(t, map[string]any{"mail": "bert@example.de"}),
		b.createContact(t, map[string]any{"mail": "cleo@example.de", "terms": []int64{vip}}),
		b.createContact(t, map[string]any{"mail": "dora@example.de"}),
	}
	other := setup(t)
	other.createContact(t, map[string]any{"mail": "fremd@example.de"})

	rec := b.do(t, http.MethodGet, "/api/v1/contacts/export?format=csv", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	r, err := importfile.OpenCSV(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range r.Header() {
		col[h] = i
	}
	for _, h := range []string{"id", "first_name", "mail", "ba_city", "terms", "field_anzahl", "field_farbe", "created", "changed"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("header %q lacks %s", r.Header(), h)
		}
	}
	var rows [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil || row.Err != nil {
			t.Fatal(err, row.Err)
		}
		rows = append(rows, row.Fields)
	}
	if len(rows) != len(ids) {
		t.Fatalf("%d rows, want %d", len(rows), len(ids))
	}
	for i, row := range rows {
		if row[col["id"]] != itoa(ids[i]) {
			t.Fatalf("row %d id %s, want %d", i, row[col["id"]], ids[i])
		}
	}
	first := rows[0]
	if first[col["first_name"]] != "Jörg" || first[col["family_name"]] != "Müller" || first[col["field_farbe"]] != "blau, \"hell\"; grün" ||
		first[col["field_anzahl"]] != "3" || first[col["terms"]] != itoa(vip) || rows[1][col["ba_city"]] != "Köln" || rows[1][col["terms"]] != "" {
		t.Fatalf("rows %q", rows[:2])
	}

	rec = b.do(t, http.MethodGet, "/api/v1/contacts/export?format=jsonl&term="+itoa(vip), nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var got []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	if len(got) != 2 || got[0]["id"] != float64(ids[0]) || got[1]["id"] != float64(ids[3]) || got[0]["field_anzahl"] != float64(3) || got[0]["v"] != float64(1) {
		t.Fatalf("jsonl with term: %v", got)
	}

	rec = b.do(t, http.MethodGet, "/api/v1/contacts/export?format=jsonl&updated_since=2999-01-01T00:00:00Z", nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("nothing changed since 2999: %d %q", rec.Code, rec.Body)
	}
	if e := b.fail(t, http.MethodGet, "/api/v1/contacts/export?format=xml", nil, http.StatusUnprocessableEntity); !strings.Contains(e.Errors[0].Error, "csv, jsonl") || e.Errors[0].Field != "format" {
		t.Fatalf("bad format: %+v", e)
	}
	if e := b.fail(t, http.MethodGet, "/api/v1/contacts/export?term=x&updated_since=y", nil, http.StatusUnprocessableEntity); strings.Join(e.fields(), ",") != "term,updated_since" {
		t.Fatalf("bad filter: %+v", e)
	}
	b.fail(t, http.MethodGet, "/api/v1/contacts/export", nil, http.StatusUnauthorized, withKey(""))
}
