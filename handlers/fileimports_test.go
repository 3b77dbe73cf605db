package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store/storetest"
)

// fileImport is the import record as GET /api/v1/import/{uuid} answers it.
type fileImport struct {
	UUID          string            `json:"uuid"`
	Type          string            `json:"type"`
	Mode          string            `json:"mode"`
	Status        string            `json:"status"`
	Filename      string            `json:"filename"`
	Format        string            `json:"format"`
	Encoding      string            `json:"encoding"`
	Delimiter     string            `json:"delimiter"`
	Sheet         string            `json:"sheet"`
	Size          int64             `json:"size"`
	Headers       []string          `json:"headers"`
	Mapping       map[string]string `json:"mapping"`
	Mapped        bool              `json:"mapped"`
	Progress      int               `json:"progress"`
	TotalJobs     int64             `json:"total_jobs"`
	JobsRemaining int64             `json:"jobs_remaining"`
	FailedJobs    int64             `json:"failed_jobs"`
	Errors        []map[string]any  `json:"errors"`
	ErrorReport   map[string]any    `json:"error_report"`
	CreatedAt     string            `json:"created_at"`
	UpdatedAt     string            `json:"updated_at"`
}

// formPart is one part of a multipart form: a field, or a file when filename is set.
type formPart struct{ name, filename, value string }

// multipartBody builds a multipart/form-data body of parts, in order.
func multipartBody(t testing.TB, parts ...formPart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.value)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// upload posts a file import of the given parts and returns the response.
func (b *bundle) upload(t testing.TB, parts ...formPart) *httptest.ResponseRecorder {
	t.Helper()
	ct, body := multipartBody(t, parts...)
	return b.do(t, http.MethodPost, "/api/v1/import", body, withHeader("Content-Type", ct))
}

// uploadOK uploads a file of type contacts in mode and returns the record.
func (b *bundle) uploadOK(t testing.TB, mode, filename, content string) fileImport {
	t.Helper()
	rec := b.upload(t, formPart{name: "type", value: "contacts"}, formPart{name: "mode", value: mode},
		formPart{name: "file", filename: filename, value: content})
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	var fi fileImport
	decodeInto(t, rec.Body.Bytes(), &fi)
	return fi
}

func decodeInto(t testing.TB, body []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("decode %T: %v; body: %s", out, err, body)
	}
}

func win1252(t testing.TB, s string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// germanExcelCSV is a file as German Excel saves "CSV (Trennzeichen-getrennt)".
const germanExcelCSV = "Anrede;Vorname;Nachname;E-Mail;Straße;Hausnummer;PLZ;Ort;Geburtsdatum;Notiz\r\n" +
	"Herr;Jörg;Müller;joerg@example.de;Königstraße;12a;80331;München;03.04.1975;\"zwei\r\nZeilen\"\r\n" +
	"Frau;Ännchen;Weiß;anna@example.de;;;;;;\r\n"

// TestFileImportUpload uploads a German Windows-1252 CSV: the record names the detected
// encoding and delimiter, the header row, a suggested mapping and a job per row, and
// the stored rows read back as the file had them.
func TestFileImportUpload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fi := b.uploadOK(t, "store", "kunden.csv", win1252(t, germanExcelCSV))
	want := fileImport{
		UUID: fi.UUID, Type: "contacts", Mode: "store", Status: "uploaded", Filename: "kunden.csv", Format: "csv",
		Encoding: "windows-1252", Delimiter: ";", Size: int64(len(win1252(t, germanExcelCSV))),
		Headers: []string{"Anrede", "Vorname", "Nachname", "E-Mail", "Straße", "Hausnummer", "PLZ", "Ort", "Geburtsdatum", "Notiz"},
		Mapping: map[string]string{"Anrede": "title", "Vorname": "first_name", "Nachname": "family_name", "E-Mail": "mail",
			"Straße": "ba_street", "Hausnummer": "ba_street_number", "PLZ": "ba_postal_code", "Ort": "ba_city",
			"Geburtsdatum": "date_of_birth", "Notiz": "comment"},
		TotalJobs: 2, JobsRemaining: 2, Errors: []map[string]any{}, CreatedAt: fi.CreatedAt, UpdatedAt: fi.UpdatedAt,
	}
	if !reflect.DeepEqual(fi, want) {
		t.Fatalf("record\n got %+v\nwant %+v", fi, want)
	}
	var got fileImport
	b.call(t, http.MethodGet, "/api/v1/import/"+fi.UUID, nil, http.StatusOK, &got)
	if !reflect.DeepEqual(got, fi) {
		t.Fatalf("GET %+v, want %+v", got, fi)
	}

	stored, err := b.api.FileImports.Get(context.Background(), b.tenant.ID, fi.UUID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.api.FileImports.(*fileimports.Service).Rows(context.Background(), stored, 2)
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || row.Num != 2 || row.Fields[1] != "Ännchen" || row.Fields[2] != "Weiß" {
		t.Fatalf("row 2: %+v %v", row, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

// TestFileImportEncodingsAndDelimiters uploads one table in every encoding and with
// every delimiter: each is detected and the rows are stored as the file had them.
func TestFileImportEncodingsAndDelimiters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	text := func(d string) string {
		return "Vorname" + d + "Nachname" + d + "E-Mail\r\n" + "Jörg" + d + "Müller" + d + "\"j@x.de\"\r\n" + "Zoë" + d + "\"Öz" + d + "türk\"" + d + "z@x.de\r\n"
	}
	encodings := map[string]func(string) string{
		"utf-8":        func(s string) string { return s },
		"utf-8-bom":    func(s string) string { return "\xEF\xBB\xBF" + s },
		"windows-1252": func(s string) string { return win1252(t, s) },
		"utf-16le": func(s string) string {
			var out []byte
			out = append(out, 0xFF, 0xFE)
			for _, r := range s {
				out = append(out, byte(r), byte(r>>8))
			}
			return string(out)
		},
	}
	for enc, encode := range encodings {
		for _, d := range []string{",", ";", "\t", "|"} {
			fi := b.uploadOK(t, "store", "f.csv", encode(text(d)))
			if fi.Encoding != enc || fi.Delimiter != d || fi.TotalJobs != 2 {
				t.Fatalf("%s %q: detected %s %q, %d rows", enc, d, fi.Encoding, fi.Delimiter, fi.TotalJobs)
			}
			stored, _ := b.api.FileImports.Get(context.Background(), b.tenant.ID, fi.UUID)
			r, err := b.api.FileImports.(*fileimports.Service).Rows(context.Background(), stored, 1)
			if err != nil {
				t.Fatal(err)
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
			if want := [][]string{{"Jörg", "Müller", "j@x.de"}, {"Zoë", "Öz" + d + "türk", "z@x.de"}}; !reflect.DeepEqual(rows, want) {
				t.Fatalf("%s %q: rows %q", enc, d, rows)
			}
		}
	}
}

// germanWorkbook is a workbook as a German user keeps customers in Excel: a title
// sheet first, the customers on a sheet of their own, a date cell.
func germanWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Hinweise")
	f.SetCellValue("Hinweise", "A1", "Kundenliste 2026")
	if _, err := f.NewSheet("Kunden"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Vorname", "Nachname", "E-Mail", "Telefon", "PLZ", "Ort", "Kategorien"},
		{"Jörg", "Müller", "joerg@example.de", "089 123", "80331", "München", "VIP, Newsletter"},
		{"Ännchen", "Weiß", "anna@example.de"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Kunden", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFileImportExcel uploads a German workbook: the first sheet by default, the
// customers' sheet when asked for by name; a sheet it lacks is a 422 naming the sheets.
func TestFileImportExcel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	book := string(germanWorkbook(t))
	rec := b.upload(t, formPart{name: "type", value: "clients"}, formPart{name: "sheet", value: "Kunden"},
		formPart{name: "file", filename: "Kunden.xlsx", value: book})
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	var fi fileImport
	decodeInto(t, rec.Body.Bytes(), &fi)
	if fi.Format != "xlsx" || fi.Sheet != "Kunden" || fi.Mode != "store" || fi.TotalJobs != 2 ||
		!reflect.DeepEqual(fi.Headers, []string{"Vorname", "Nachname", "E-Mail", "Telefon", "PLZ", "Ort", "Kategorien"}) ||
		fi.Mapping["Kategorien"] != "terms" || fi.Mapping["Telefon"] != "phone" {
		t.Fatalf("record %+v", fi)
	}
	rec = b.upload(t, formPart{name: "type", value: "clients"}, formPart{name: "file", filename: "Kunden.xlsx", value: book})
	decodeInto(t, rec.Body.Bytes(), &fi)
	if rec.Code != http.StatusCreated || fi.Sheet != "Hinweise" || !reflect.DeepEqual(fi.Headers, []string{"Kundenliste 2026"}) {
		t.Fatalf("first sheet: %d %+v", rec.Code, fi)
	}
	e := checkError(t, b.upload(t, formPart{name: "type", value: "clients"}, formPart{name: "sheet", value: "Kundne"},
		formPart{name: "file", filename: "Kunden.xlsx", value: book}), "POST", "/api/v1/import", http.StatusUnprocessableEntity)
	if !reflect.DeepEqual(e.fields(), []string{"sheet"}) || !strings.Contains(e.Errors[0].Error, `"Hinweise", "Kunden"`) {
		t.Fatalf("missing sheet: %+v", e)
	}
	e = checkError(t, b.upload(t, formPart{name: "type", value: "clients"}, formPart{name: "file", filename: "x.xlsx", value: "PK\x03\x04broken"}),
		"POST", "/api/v1/import", http.StatusUnprocessableEntity)
	if !reflect.DeepEqual(e.fields(), []string{"file"}) {
		t.Fatalf("broken workbook: %+v", e)
	}
}

// TestFileImportUploadRefusals: every bad upload is refused naming what is wrong, and
// none leaves an import behind.
func TestFileImportUploadRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	file := formPart{name: "file", filename: "a.csv", value: "mail\na@x.de\n"}
	for _, tc := range []struct {
		name   string
		parts  []formPart
		fields []string
		say    string
	}{
		{"unknown type", []formPart{{name: "type", value: "plans"}, file}, []string{"type"}, "supported: clients, contacts, notes"},
		{"unknown mode", []formPart{{name: "type", value: "contacts"}, {name: "mode", value: "merge"}, file}, []string{"mode"}, "supported: store, update, validate"},
		{"type after the file", []formPart{file, {name: "type", value: "persons"}}, []string{"type"}, "not a supported type"},
		{"no type", []formPart{file}, []string{"type"}, "is required"},
		{"no file", []formPart{{name: "type", value: "contacts"}}, []string{"file"}, "is required"},
		{"two files", []formPart{{name: "type", value: "contacts"}, file, file}, []string{"file"}, "more than once"},
		{"unknown field", []formPart{{name: "type", value: "contacts"}, {name: "delimiter", value: ";"}, file}, []string{"delimiter"}, "not a field"},
		{"empty file", []formPart{{name: "type", value: "contacts"}, {name: "file", filename: "e.csv", value: "\r\n"}}, []string{"file"}, "no header row"},
		{"sheet of a csv", []formPart{{name: "type", value: "contacts"}, {name: "sheet", value: "x"}, file}, []string{"sheet"}, ".xlsx"},
	} {
		e := checkError(t, b.upload(t, tc.parts...), "POST", tc.name, http.StatusUnprocessableEntity)
		if !reflect.DeepEqual(e.fields(), tc.fields) || !strings.Contains(e.Errors[0].Error, tc.say) {
			t.Errorf("%s: %+v, want %v saying %q", tc.name, e, tc.fields, tc.say)
		}
	}
	checkError(t, b.do(t, http.MethodPost, "/api/v1/import", map[string]any{"type": "contacts"}), "POST", "json", http.StatusUnsupportedMediaType)
	var list struct {
		Imports []fileImport `json:"imports"`
	}
	b.call(t, http.MethodGet, "/api/v1/import", nil, http.StatusOK, &list)
	if len(list.Imports) != 0 {
		t.Fatalf("refused uploads left %d imports", len(list.Imports))
	}
	var n int64
	b.st.DB().QueryRow("SELECT count(*) FROM file_import_chunks WHERE tenant_id = $1", b.tenant.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("refused uploads left %d chunks", n)
	}
}

// TestFileImportUploadLimit: an upload beyond the limit is a 413, whether its size is
// declared or it arrives chunked, and nothing of it stays; the limit of other requests
// does not apply to uploads.
func TestFileImportUploadLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Limits.MaxUploadBytes = 64 << 10; a.Limits.MaxBodyBytes = 4 << 10 })
	big := "mail\n" + strings.Repeat("someone@example.com\n", 4000)
	ct, body := multipartBody(t, formPart{name: "type", value: "contacts"}, formPart{name: "file", filename: "big.csv", value: big})
	checkError(t, b.do(t, http.MethodPost, "/api/v1/import", body, withHeader("Content-Type", ct)), "POST", "declared", http.StatusRequestEntityTooLarge)
	rec := b.do(t, http.MethodPost, "/api/v1/import", body, withHeader("Content-Type", ct), func(r *http.Request) { r.ContentLength = -1 })
	checkError(t, rec, "POST", "chunked", http.StatusRequestEntityTooLarge)
	var n int64
	b.st.DB().QueryRow("SELECT count(*) FROM file_imports WHERE tenant_id = $1", b.tenant.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("a refused upload left %d imports", n)
	}
	fi := b.uploadOK(t, "store", "mid.csv", "mail\n"+strings.Repeat("someone@example.com\n", 1000))
	if fi.TotalJobs != 1000 {
		t.Fatalf("%d rows", fi.TotalJobs)
	}
}

// TestFileImportMap maps a German file: the record then shows the mapping chosen
// (header → field, as the seed); a header the file lacks, a field that is none, and
// what a type or mode needs are 422s naming them.
func TestFileImportMap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "farbe", "field_type": "text"})
	fi := b.uploadOK(t, "store", "k.csv", win1252(t, germanExcelCSV))
	path := "/api/v1/import/map/" + fi.UUID
	for _, tc := range []struct {
		body   any
		fields []string
		say    string
	}{
		{map[string]any{"headers": map[string]string{"first_name": "Name"}}, []string{"headers.first_name"}, `the file has no header "Name"; its headers are "Anrede"`},
		{map[string]any{"headers": map[string]string{"shoe_size": "PLZ"}}, []string{"headers.shoe_size"}, "is not a contact field"},
		{map[string]any{"headers": map[string]string{}}, []string{"headers"}, "maps no column"},
		{map[string]any{}, []string{"headers"}, "is required"},
		{map[string]any{"headers": map[string]string{"mail": "E-Mail"}, "mode": "update"}, []string{"mode"}, ""},
	} {
		e := b.fail(t, http.MethodPost, path, tc.body, http.StatusUnprocessableEntity)
		if !reflect.DeepEqual(e.fields(), tc.fields) || !strings.Contains(e.Errors[0].Error, tc.say) {
			t.Errorf("%v: %+v, want %v saying %q", tc.body, e, tc.fields, tc.say)
		}
	}
	var got fileImport
	b.call(t, http.MethodPost, path, map[string]any{"headers": map[string]string{"first_name": "Vorname", "mail": "E-Mail", "field_farbe": "Ort", "ignore": "Notiz"}},
		http.StatusOK, &got)
	if got.Status != "mapped" || !got.Mapped || !reflect.DeepEqual(got.Mapping, map[string]string{"Vorname": "first_name", "E-Mail": "mail", "Ort": "field_farbe", "Notiz": "ignore"}) {
		t.Fatalf("mapped: %+v", got)
	}

	notes := b.upload(t, formPart{name: "type", value: "notes"}, formPart{name: "file", filename: "n.csv", value: "E-Mail;Notiz;Vorname\na@x.de;hallo;A\n"})
	var n fileImport
	decodeInto(t, notes.Body.Bytes(), &n)
	e := b.fail(t, http.MethodPost, "/api/v1/import/map/"+n.UUID, map[string]any{"headers": map[string]string{"comment": "Notiz", "first_name": "Vorname"}}, http.StatusUnprocessableEntity)
	if !reflect.DeepEqual(e.fields(), []string{"headers.first_name"}) {
		t.Fatalf("notes with a contact field: %+v", e)
	}
	e = b.fail(t, http.MethodPost, "/api/v1/import/map/"+n.UUID, map[string]any{"headers": map[string]string{"comment": "Notiz"}}, http.StatusUnprocessableEntity)
	if !reflect.DeepEqual(e.fields(), []string{"headers"}) || !strings.Contains(e.Errors[0].Error, "finds the contact") {
		t.Fatalf("notes without a key: %+v", e)
	}
	update := b.uploadOK(t, "update", "u.csv", "Vorname;Ort\nA;B\n")
	e = b.fail(t, http.MethodPost, "/api/v1/import/map/"+update.UUID, map[string]any{"headers": map[string]string{"first_name": "Vorname"}}, http.StatusUnprocessableEntity)
	if !reflect.DeepEqual(e.fields(), []string{"headers"}) || !strings.Contains(e.Errors[0].Error, "an update needs") {
		t.Fatalf("update without a key: %+v", e)
	}
}

// TestFileImportOtherTenant: another tenant's import is a 404 for every route, and
// lists show only the tenant's own.
func TestFileImportOtherTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fi := b.uploadOK(t, "store", "a.csv", "mail\na@x.de\n")
	other := storetest.NewTenant(t, b.st).Key
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/import/" + fi.UUID},
		{http.MethodPost, "/api/v1/import/map/" + fi.UUID},
		{http.MethodGet, "/api/v1/import/not-a-uuid"},
		{http.MethodGet, "/api/v1/import/00000000-0000-0000-0000-000000000000"},
	} {
		var body any
		if tc.method == http.MethodPost {
			body = map[string]any{"headers": map[string]string{"mail": "mail"}}
		}
		b.fail(t, tc.method, tc.path, body, http.StatusNotFound, withKey(other))
	}
	var list struct {
		Imports []fileImport `json:"imports"`
	}
	b.call(t, http.MethodGet, "/api/v1/import", nil, http.StatusOK, &list, withKey(other))
	if len(list.Imports) != 0 {
		t.Fatalf("the other tenant sees %d imports", len(list.Imports))
	}
}

// TestFileImportList pages through a tenant's imports, newest first.
func TestFileImportList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var uuids []string
	for range 5 {
		uuids = append(uuids, b.uploadOK(t, "validate", "a.csv", "mail\na@x.de\n").UUID)
	}
	slices.Reverse(uuids)
	var got []string
	path := "/api/v1/import?limit=2"
	for range 5 {
		var page struct {
			Imports    []fileImport `json:"imports"`
			NextBefore string       `json:"next_before"`
		}
		b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
		for _, fi := range page.Imports {
			got = append(got, fi.UUID)
		}
		if page.NextBefore == "" {
			break
		}
		path = "/api/v1/import?limit=2&before=" + page.NextBefore
	}
	if !reflect.DeepEqual(got, uuids) {
		t.Fatalf("listed %v, want %v", got, uuids)
	}
	for _, q := range []string{"limit=0", "limit=101", "before=x", "before=00000000-0000-0000-0000-000000000000"} {
		e := b.fail(t, http.MethodGet, "/api/v1/import?"+q, nil, http.StatusUnprocessableEntity)
		if want := strings.SplitN(q, "=", 2)[0]; !reflect.DeepEqual(e.fields(), []string{want}) {
			t.Fatalf("%s: %+v", q, e)
		}
	}
}
