package importflow_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fileRecord is the file import record (GET /api/v1/import/{uuid}).
type fileRecord struct {
	UUID          string            `json:"uuid"`
	Type          string            `json:"type"`
	Mode          string            `json:"mode"`
	Status        string            `json:"status"`
	Headers       []string          `json:"headers"`
	Mapping       map[string]string `json:"mapping"`
	Progress      int               `json:"progress"`
	TotalJobs     int               `json:"total_jobs"`
	JobsRemaining int               `json:"jobs_remaining"`
	FailedJobs    int               `json:"failed_jobs"`
	Created       *int              `json:"created"`
	Updated       *int              `json:"updated"`
	WouldCreate   *int              `json:"would_create"`
	WouldUpdate   *int              `json:"would_update"`
	WouldMerge    *int              `json:"would_merge"`
	Errors        []struct {
		Row    int                 `json:"row"`
		Errors map[string][]string `json:"errors"`
	} `json:"errors"`
	ErrorReport *struct {
		DownloadURL string `json:"download_url"`
		Rows        int    `json:"rows"`
	} `json:"error_report"`
}

// uploadFile uploads content as a file import of type and mode and returns its record.
func (b *bundle) uploadFile(t testing.TB, typ, mode, content string) fileRecord {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("type", typ)
	mw.WriteField("mode", mode)
	w, _ := mw.CreateFormFile("file", "kunden.csv")
	io.WriteString(w, content)
	mw.Close()
	var fi fileRecord
	b.call(t, http.MethodPost, "/api/v1/import", buf.Bytes(), http.StatusCreated, &fi, "Content-Type", mw.FormDataContentType())
	return fi
}

// mapFile maps an import (field → header).
func (b *bundle) mapFile(t testing.TB, uuid string, m map[string]string) {
	t.Helper()
	b.call(t, http.MethodPost, "/api/v1/import/map/"+uuid, map[string]any{"headers": m}, http.StatusOK, nil)
}

// runFile starts an import (body nil or its options) and waits for its end.
func (b *bundle) runFile(t testing.TB, uuid string, body any) fileRecord {
	t.Helper()
	var started fileRecord
	b.call(t, http.MethodPost, "/api/v1/import/start/"+uuid, body, http.StatusAccepted, &started)
	if started.UUID != uuid || started.ErrorReport == nil {
		t.Fatalf("start answered %+v", started)
	}
	return b.waitFile(t, uuid)
}

func (b *bundle) waitFile(t testing.TB, uuid string) fileRecord {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var fi fileRecord
		b.call(t, http.MethodGet, "/api/v1/import/"+uuid, nil, http.StatusOK, &fi)
		if fi.Status != "processing" {
			return fi
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still processing after 60 s: %+v", uuid, fi)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count counts the tenant's rows of a table.
func (b *bundle) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := b.st.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", b.tenant.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// germanFile is a German Excel CSV export: semicolons, DD.MM.YYYY dates, Tags.
const germanFile = "Vorname;Nachname;E-Mail;PLZ;Ort;Geburtsdatum;Tags\r\n" +
	"Jörg;Müller;joerg@example.de;80331;München;03.04.1975;Kunde, VIP\r\n" + // line 2: new
	"Anna;Schmidt;ANNA@example.de;10115;Berlin;;Kunde\r\n" + // line 3: merges into the existing anna@
	"Bernd;Bad;kein-mail;;;;\r\n" + // line 4: a bad mail
	"nur;zwei\r\n" + // line 5: ragged
	"Clara;Neu;clara@example.de;;;;\r\n" // line 6: new

var germanMapping = map[string]string{"first_name": "Vorname", "family_name": "Nachname", "mail": "E-Mail",
	"ba_postal_code": "PLZ", "ba_city": "Ort", "date_of_birth": "Geburtsdatum", "terms": "Tags"}

// TestFileImportStore runs a German CSV in mode store through the import engine: new
// rows are created, a row whose mail an existing contact has merges into it (email
// check), bad and ragged rows are reported per field with the file's headers, and
// the record shows the counts.
func TestFileImportStore(t *testing.T) {
	b := setup(t)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "anna@example.de", "first_name": "Anna"}}, http.StatusCreated, nil)
	fi := b.uploadFile(t, "contacts", "store", germanFile)
	b.mapFile(t, fi.UUID, germanMapping)
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.TotalJobs != 5 || done.JobsRemaining != 0 || done.FailedJobs != 2 || done.Progress != 100 ||
		done.Created == nil || *done.Created != 2 || *done.Updated != 1 {
		t.Fatalf("record %+v", done)
	}
	if len(done.Errors) != 2 || done.Errors[0].Row != 4 || done.Errors[1].Row != 5 {
		t.Fatalf("errors %+v", done.Errors)
	}
	if e := done.Errors[0].Errors; len(e["E-Mail"]) != 1 {
		t.Errorf("row 4's errors %v, want E-Mail named", e)
	}
	if e := done.Errors[1].Errors; len(e[""]) != 1 {
		t.Errorf("row 5's errors %v, want the ragged row reported as a whole", e)
	}
	if !strings.HasSuffix(done.ErrorReport.DownloadURL, "/api/v1/import/"+fi.UUID+"/error-report") || done.ErrorReport.Rows != 2 {
		t.Errorf("error_report %+v", done.ErrorReport)
	}
	joerg := b.contactsByMail(t, "joerg@example.de")
	if len(joerg) != 1 || joerg[0]["family_name"] != "Müller" {
		t.Fatalf("joerg: %v", joerg)
	}
	c := b.contactOf(t, int64(joerg[0]["id"].(float64)))
	if c["date_of_birth"] != "1975-04-03" || c["ba_city"] != "München" || len(c["terms"].([]any)) != 2 {
		t.Errorf("joerg as imported: %v", c)
	}
	if anna := b.contactsByMail(t, "anna@example.de"); len(anna) != 1 || anna[0]["family_name"] != "Schmidt" {
		t.Errorf("anna: %v, want the one contact, merged", anna)
	}
	if n := b.count(t, "contacts"); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
	// The engine's completion event, as for the JSON imports.
	var feed struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	b.call(t, http.MethodGet, "/api/v1/events?limit=500", nil, http.StatusOK, &feed)
	if !slices.ContainsFunc(feed.Events, func(e struct {
		Type string `json:"type"`
	}) bool {
		return e.Type == "import.completed"
	}) {
		t.Errorf("no import.completed event in %+v", feed.Events)
	}
	// Started once only.
	b.call(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, nil, http.StatusConflict, nil)
}

// TestFileImportStartRefusals: an unmapped import is a 422 naming it, another
// tenant's uuid a 404 on every route, and ids in a store import a 422.
func TestFileImportStartRefusals(t *testing.T) {
	b := setup(t)
	fi := b.uploadFile(t, "contacts", "store", "id;Vorname;E-Mail\n1;A;a@example.de\n")
	rec := b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, nil)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), fi.UUID) || !strings.Contains(rec.Body.String(), `"headers"`) {
		t.Fatalf("unmapped start: %d %s", rec.Code, rec.Body)
	}
	b.mapFile(t, fi.UUID, map[string]string{"id": "id", "first_name": "Vorname", "mail": "E-Mail"})
	rec = b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, nil)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "headers.id") {
		t.Fatalf("store with ids: %d %s", rec.Code, rec.Body)
	}
	rec = b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, map[string]any{"deduplication": "fuzzy"})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "deduplication") {
		t.Fatalf("bad deduplication: %d %s", rec.Code, rec.Body)
	}
	rec = b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, map[string]any{"deduplicaton": "auto"})
	if rec.Code != http.StatusUnprocessableEntity && rec.Code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", rec.Code, rec.Body)
	}
	b.mapFile(t, fi.UUID, map[string]string{"first_name": "Vorname", "mail": "E-Mail"})

	other := setup(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/import/start/" + fi.UUID},
		{http.MethodGet, "/api/v1/import/" + fi.UUID},
		{http.MethodGet, "/api/v1/import/" + fi.UUID + "/error-report"},
	} {
		if rec := other.do(t, r.method, r.path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("another tenant's %s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
	}
	// Not started: no report yet.
	b.call(t, http.MethodGet, "/api/v1/import/"+fi.UUID+"/error-report", nil, http.StatusConflict, nil)
	done := b.runFile(t, fi.UUID, map[string]any{"deduplication": "auto"})
	if done.Status != "completed" || *done.Created != 1 {
		t.Fatalf("record %+v", done)
	}
}

// TestFileImportErrorReportRoundTrip downloads the failed rows, fixes them in the
// report itself and uploads it again: they import.
func TestFileImportErrorReportRoundTrip(t *testing.T) {
	b := setup(t)
	fi := b.uploadFile(t, "contacts", "store", germanFile)
	b.mapFile(t, fi.UUID, germanMapping)
	done := b.runFile(t, fi.UUID, nil)
	if done.FailedJobs != 2 {
		t.Fatalf("record %+v", done)
	}
	rec := b.do(t, http.MethodGet, done.ErrorReport.DownloadURL, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("report: %d %s", rec.Code, rec.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v\n%s", err, rec.Body)
	}
	wantHeader := []string{"Vorname", "Nachname", "E-Mail", "PLZ", "Ort", "Geburtsdatum", "Tags", "row", "error"}
	if len(rows) != 3 || !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("report rows %q", rows)
	}
	if r := rows[1]; r[0] != "Bernd" || r[2] != "kein-mail" || r[7] != "4" || !strings.HasPrefix(r[8], "E-Mail: ") {
		t.Errorf("row 4 in the report: %q", r)
	}
	if r := rows[2]; r[0] != "nur" || r[1] != "zwei" || r[7] != "5" || r[8] == "" {
		t.Errorf("row 5 in the report: %q", r)
	}
	// Fix them as a user would, in the report.
	rows[1][2] = "bernd@example.de"
	rows[2] = []string{"Nur", "Zwei", "zwei@example.de", "", "", "", "", rows[2][7], rows[2][8]}
	var fixed bytes.Buffer
	cw := csv.NewWriter(&fixed)
	cw.WriteAll(rows)
	again := b.uploadFile(t, "contacts", "store", fixed.String())
	m := map[string]string{}
	for h, f := range again.Mapping { // the suggestion; row and error stay unmapped
		m[f] = h
	}
	if len(m) != len(germanMapping) {
		t.Fatalf("suggested %v for the report's header", again.Mapping)
	}
	b.mapFile(t, again.UUID, m)
	second := b.runFile(t, again.UUID, nil)
	if second.Status != "completed" || second.FailedJobs != 0 || *second.Created != 2 {
		t.Fatalf("fixed rows: %+v", second)
	}
	if c := b.contactsByMail(t, "bernd@example.de"); len(c) != 1 {
		t.Errorf("bernd: %v", c)
	}
	if n := b.count(t, "contacts"); n != 5 {
		t.Errorf("%d contacts, want 5", n)
	}
}

// TestFileImportUpdate changes existing contacts found by id, external_id or mail,
// creates none, and reports a row that finds no contact.
func TestFileImportUpdate(t *testing.T) {
	b := setup(t)
	var byID, byExt, byMail struct {
		ID int64 `json:"id"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "id@example.de", "first_name": "Ida"}}, http.StatusCreated, &byID)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "ext@example.de", "first_name": "Ext", "external_id": "K-7"}}, http.StatusCreated, &byExt)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "Mail@Example.de", "first_name": "Mia"}}, http.StatusCreated, &byMail)
	before := b.count(t, "contacts")
	file := "id,Kundennummer,E-Mail,Ort\n" +
		itoa(byID.ID) + ",,,Hamburg\n" +
		",K-7,,Köln\n" +
		",,mail@example.de,Bonn\n" +
		",K-404,nobody@example.de,Nirgendwo\n" +
		"999999999,,,Nirgendwo\n"
	fi := b.uploadFile(t, "contacts", "update", file)
	b.mapFile(t, fi.UUID, map[string]string{"id": "id", "external_id": "Kundennummer", "mail": "E-Mail", "ba_city": "Ort"})
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.FailedJobs != 2 || *done.Updated != 3 || *done.Created != 0 {
		t.Fatalf("record %+v", done)
	}
	for id, city := range map[int64]string{byID.ID: "Hamburg", byExt.ID: "Köln", byMail.ID: "Bonn"} {
		if c := b.contactOf(t, id); c["ba_city"] != city {
			t.Errorf("contact %d: ba_city %v, want %s", id, c["ba_city"], city)
		}
	}
	if n := b.count(t, "contacts"); n != before {
		t.Errorf("%d contacts after an update, want %d", n, before)
	}
	if e := done.Errors[0]; e.Row != 5 || len(e.Errors["Kundennummer"]) != 1 || len(e.Errors["E-Mail"]) != 1 {
		t.Errorf("unmatched row: %+v", e)
	}
	if e := done.Errors[1]; e.Row != 6 || len(e.Errors["id"]) != 1 {
		t.Errorf("unknown id: %+v", e)
	}
}

// TestFileImportValidate is a dry run: every row checked, nothing written, the
// record says what store would have done.
func TestFileImportValidate(t *testing.T) {
	b := setup(t)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "anna@example.de", "first_name": "Anna"}}, http.StatusCreated, nil)
	tables := []string{"contacts", "contact_keys", "terms", "contact_terms", "merges", "comments"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = b.count(t, tb)
	}
	file := germanFile + "Jörg;Müller;JOERG@example.de;;;;\r\n" // line 7 merges with line 2
	fi := b.uploadFile(t, "contacts", "validate", file)
	b.mapFile(t, fi.UUID, germanMapping)
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.FailedJobs != 2 || done.Created != nil || done.WouldCreate == nil ||
		*done.WouldCreate != 2 || *done.WouldMerge != 2 || *done.WouldUpdate != 0 {
		t.Fatalf("record %+v", done)
	}
	for _, tb := range tables {
		if n := b.count(t, tb); n != before[tb] {
			t.Errorf("%s: %d rows after a dry run, %d before", tb, n, before[tb])
		}
	}
	if len(done.Errors) != 2 || len(done.Errors[0].Errors["E-Mail"]) != 1 {
		t.Errorf("errors %+v", done.Errors)
	}
}

// TestFileImportNotes adds comments to contacts found by mail or external id.
func TestFileImportNotes(t *testing.T) {
	b := setup(t)
	var a, k struct {
		ID int64 `json:"id"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "a@example.de", "first_name": "A"}}, http.StatusCreated, &a)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"first_name": "K", "external_id": "K-1"}}, http.StatusCreated, &k)
	file := "E-Mail;Kundennummer;Notiz\n" +
		"A@example.de;;Rückruf am Montag\n" +
		";K-1;\"zwei\nZeilen\"\n" +
		"x@example.de;;verloren\n" +
		"a@example.de;;\n"
	fi := b.uploadFile(t, "notes", "store", file)
	b.mapFile(t, fi.UUID, map[string]string{"mail": "E-Mail", "external_id": "Kundennummer", "comment": "Notiz"})
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.FailedJobs != 2 || *done.Updated != 2 {
		t.Fatalf("record %+v", done)
	}
	for id, want := range map[int64]string{a.ID: "Rückruf am Montag", k.ID: "zwei\nZeilen"} {
		comments, n, err := b.st.ListComments(context.Background(), b.tenant.ID, id, 0, 10, false)
		if err != nil || n != 1 || comments[0].Comment != want {
			t.Errorf("contact %d: comments %v (%d, %v), want %q", id, comments, n, err, want)
		}
	}
	if e := done.Errors[0]; e.Row != 5 || len(e.Errors["E-Mail"]) != 1 {
		t.Errorf("no contact: %+v", e)
	}
	if e := done.Errors[1]; e.Row != 6 || len(e.Errors["Notiz"]) != 1 {
		t.Errorf("empty note: %+v", e)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
