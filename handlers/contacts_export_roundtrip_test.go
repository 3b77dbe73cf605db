package handlers_test

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/importfile"
)

// readExport downloads the tenant's CSV export and returns its header and rows.
func readExport(t *testing.T, b *bundle) ([]string, []importfile.Row) {
	t.Helper()
	rec := b.do(t, http.MethodGet, "/api/v1/contacts/export?format=csv", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	r, err := importfile.OpenCSV(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var rows []importfile.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r.Header(), rows
		}
		if err != nil || row.Err != nil {
			t.Fatal(err, row.Err)
		}
		rows = append(rows, row)
	}
}

// TestExportImportRoundTrip exports a tenant's contacts as CSV, reads the file back
// through the CSV import's parsing, suggested mapping and row plan into the contact
// service of another tenant, and exports that: the same file but for ids, terms (ids of
// the first tenant) and times.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	from, to := setup(t), setup(t)
	for _, b := range []*bundle{from, to} {
		b.createField(t, map[string]any{"label": "farbe", "field_type": "text"})
	}
	from.createContact(t, map[string]any{"title": "m", "title2": "Dr.", "first_name": "Jörg", "family_name": "Müller", "company": "Müller & Söhne, GmbH",
		"mail": "joerg@example.de", "phone": "+49 89 123", "phone_type": "work", "ba_street": "Königstraße 12a", "ba_city": "München",
		"ba_postal_code": "80331", "ba_country": "DE", "date_of_birth": "1975-04-03", "field_farbe": "blau; \"hell\""})
	from.createContact(t, map[string]any{"mail": "anna@example.de", "first_name": "Anna"})

	header, rows := readExport(t, from)
	suggested := importfile.SuggestMapping(header, []string{"farbe"})
	m := importfile.Mapping{}
	for h, f := range suggested {
		if f != "id" && f != "terms" && f != "uid" { // a new tenant: no ids, no terms of the first
			m[f] = h
		}
	}
	plan, err := importfile.NewPlan(m, header, []string{"farbe"})
	if err != nil {
		t.Fatal(err)
	}
	var inputs []contacts.Input
	for _, row := range rows {
		rec, problems := plan.Record(row)
		if problems != nil {
			t.Fatalf("row %d: %v", row.Num, problems)
		}
		inputs = append(inputs, contacts.FromStrings(rec))
	}
	res, err := to.api.ContactService.Submit(context.Background(), to.tenant.ID, inputs, contacts.Options{DuplicateCheckMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("row %d: %v", i+1, r.Err)
		}
	}

	header2, rows2 := readExport(t, to)
	if !reflect.DeepEqual(header, header2) || len(rows2) != len(rows) {
		t.Fatalf("header %q / %q, %d / %d rows", header, header2, len(rows), len(rows2))
	}
	for i := range rows {
		for j, h := range header {
			if slices.Contains([]string{"id", "terms", "created", "changed"}, h) {
				continue
			}
			if rows[i].Fields[j] != rows2[i].Fields[j] {
				t.Errorf("row %d %s: %q became %q", i+1, h, rows[i].Fields[j], rows2[i].Fields[j])
			}
		}
	}
}
