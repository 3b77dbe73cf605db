package importflow_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/models"
)

// inquiryFile is a German Excel export of inquiries: semicolons, CRLF, DD.MM.YYYY
// dates, German amounts and urgencies. Lines 2, 3, 4 and 10 are good; 5 to 9 each
// have one problem.
const inquiryFile = "Betreff;Vorname;Nachname;E-Mail;Telefon;Straße;Hausnummer;PLZ;Ort;Status;Quelle;Auftragswert;Wahrscheinlichkeit;Dringlichkeit;Zuständig;Wiedervorlage;Kategorie;Budget von;Budget bis;Tags;Bemerkung\r\n" +
	"Badsanierung;Jörg;Müller;joerg@example.de;089 123456;Hauptstraße;5;80331;München;Neu;Website;25.000,00;60 %;hoch;meister@betrieb.de;15.01.2027;Sanitär;20.000;30.000;Bad, Umbau;Rückruf erwünscht\r\n" + // 2
	"Dachrinne;Anna;Schmidt;ANNA@example.de;;;;10115;Berlin;Angebot;Messe;1.200;;normal;;;Dach;;;;\r\n" + // 3: the existing anna@
	"Heizung;Jörg;Müller;joerg@example.de;;;;;;neu;website;;;dringend;;;;;;;\r\n" + // 4: row 2's customer, status and source
	";Kein;Titel;x@example.de;;;;;;;;;;;;;;;;;\r\n" + // 5: no title
	"Fenster;Bernd;Bad;kein-mail;;;;;;;;;;;;;;;;;\r\n" + // 6: a bad e-mail
	"Garten;Gerd;Grün;gerd@example.de;;;;;;;;;150;;;;;;;;\r\n" + // 7: probability above 100
	"nur;zwei\r\n" + // 8: ragged
	"Zaun;Zora;Zink;zora@example.de;;;;;;;;;;;;31.02.2027;;;;;\r\n" + // 9: no such date
	"Carport;Clara;Neu;clara@example.de;;;;;;Neu;Website;8000;20;niedrig;meister@betrieb.de;;Holzbau;;;Carport;\r\n" // 10

// inquiryMapping is what the suggestion makes of inquiryFile's header.
var inquiryMapping = map[string]string{"title": "Betreff", "contact.first_name": "Vorname", "contact.family_name": "Nachname",
	"contact.email": "E-Mail", "contact.phone": "Telefon", "address.street": "Straße", "address.street_number": "Hausnummer",
	"address.postal_code": "PLZ", "address.city": "Ort", "status": "Status", "source": "Quelle", "expected_value.amount": "Auftragswert",
	"probability": "Wahrscheinlichkeit", "urgency": "Dringlichkeit", "assignee.email": "Zuständig", "follow_up_on": "Wiedervorlage",
	"category": "Kategorie", "budget.min": "Budget von", "budget.max": "Budget bis", "tags": "Tags", "notes": "Bemerkung"}

// windows1252 is s as a Windows Excel writes it.
func windows1252(t testing.TB, s string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inquiryTables are the tables an inquiries import writes to.
var inquiryTables = []string{"inquiries", "inquiry_terms", "inquiry_statuses", "inquiry_sources", "staff", "terms",
	"contacts", "contact_keys", "events", "inquiry_import_rows"}

func (b *bundle) counts(t testing.TB, tables []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range tables {
		out[tb] = b.count(t, tb)
	}
	return out
}

// countWhere counts the tenant's rows of table that match cond (with args).
func (b *bundle) countWhere(t testing.TB, table, cond string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM " + table + " WHERE tenant_id = $1 AND " + cond
	if err := b.st.DB().QueryRowContext(context.Background(), q, append([]any{b.tenant.ID}, args...)...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inquiryNamed reads the tenant's inquiry of a title through the API.
func (b *bundle) inquiryNamed(t testing.TB, title string) map[string]any {
	t.Helper()
	var id int64
	if err := b.st.DB().QueryRowContext(context.Background(), "SELECT id FROM inquiries WHERE tenant_id = $1 AND title = $2", b.tenant.ID, title).Scan(&id); err != nil {
		t.Fatalf("inquiry %q: %v", title, err)
	}
	var out map[string]any
	b.call(t, http.MethodGet, "/api/v1/inquiries/"+itoa(id), nil, http.StatusOK, &out)
	return out
}

// TestInquiryFileImport imports seed 002's inquiries from a German Windows-1252 CSV
// through the import engine and the inquiry service: the suggested mapping is the
// right one, statuses, sources and the staff member are created once, customers are
// matched by e-mail (an existing one, and a new one shared by two rows), every
// inquiry is scored and has its inquiry.created event, and each bad row is reported
// by its column.
func TestInquiryFileImport(t *testing.T) {
	b := setup(t)
	var anna struct {
		ID int64 `json:"id"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "anna@example.de", "first_name": "Anna", "family_name": "Schmidt"}}, http.StatusCreated, &anna)
	before := b.counts(t, inquiryTables)
	fi := b.uploadFile(t, "inquiries", "store", windows1252(t, inquiryFile))
	if fi.Type != "inquiries" || fi.TotalJobs != 9 {
		t.Fatalf("upload %+v", fi)
	}
	for field, header := range inquiryMapping {
		if fi.Mapping[header] != field {
			t.Errorf("suggested mapping: %s → %q, want %s", header, fi.Mapping[header], field)
		}
	}
	b.mapFile(t, fi.UUID, inquiryMapping)
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.FailedJobs != 5 || done.Created == nil || *done.Created != 4 || *done.Updated != 0 {
		t.Fatalf("record %+v", done)
	}
	after := b.counts(t, inquiryTables)
	if n := after["inquiries"] - before["inquiries"]; n != 4 {
		t.Errorf("%d inquiries written, want 4", n)
	}
	if n := b.countWhere(t, "events", "type = $2", models.EventInquiryCreated); n != 4 {
		t.Errorf("%d inquiry.created events, want one per row written (4)", n)
	}
	if n := b.count(t, "inquiry_import_rows"); n != 4 {
		t.Errorf("%d import row marks, want 4", n)
	}
	for _, c := range []struct{ table, key string }{{"inquiry_statuses", "neu"}, {"inquiry_statuses", "angebot"}, {"inquiry_sources", "website"}, {"inquiry_sources", "messe"}} {
		if n := b.countWhere(t, c.table, "name_key = $2", c.key); n != 1 {
			t.Errorf("%s %q: %d rows, want 1", c.table, c.key, n)
		}
	}
	if n := b.countWhere(t, "staff", "email_key = $2", "meister@betrieb.de"); n != 1 {
		t.Errorf("staff meister@: %d, want 1", n)
	}
	for _, mail := range []string{"joerg@example.de", "anna@example.de", "clara@example.de"} {
		if n := len(b.contactsByMail(t, mail)); n != 1 {
			t.Errorf("%d contacts with %s, want 1", n, mail)
		}
	}
	if n := after["contacts"] - before["contacts"]; n != 2 {
		t.Errorf("%d customers created, want 2 (Jörg once, Clara)", n)
	}
	bad := b.countWhere(t, "inquiries", "(lead_band = '' OR lead_score IS NULL)")
	if bad != 0 {
		t.Errorf("%d inquiries without a score", bad)
	}

	bath := b.inquiryNamed(t, "Badsanierung")
	customer := bath["customer"].(map[string]any)
	if customer["matched"] != false {
		t.Errorf("Badsanierung's customer %v, want created", customer)
	}
	want := map[string]string{
		"status": `map[id:%v kind:open name:Neu]`, "urgency": "high", "follow_up_on": "2027-01-15", "category": "Sanitär", "notes": "Rückruf erwünscht",
	}
	for k, v := range want {
		got := fmt.Sprint(bath[k])
		if k == "status" {
			v = fmt.Sprintf(v, bath[k].(map[string]any)["id"])
		}
		if got != v {
			t.Errorf("Badsanierung %s = %s, want %s", k, got, v)
		}
	}
	checks := map[string]any{
		"expected_value": map[string]any{"amount": "25000", "currency": "EUR"},
		"probability":    float64(60),
		"address":        map[string]any{"street": "Hauptstraße 5", "postal_code": "80331", "city": "München", "country": ""},
	}
	for k, v := range checks {
		got, _ := bath[k].(map[string]any)
		if w, ok := v.(map[string]any); ok {
			for wk, wv := range w {
				if fmt.Sprint(got[wk]) != fmt.Sprint(wv) {
					t.Errorf("Badsanierung %s.%s = %v, want %v", k, wk, got[wk], wv)
				}
			}
		} else if bath[k] != v {
			t.Errorf("Badsanierung %s = %v, want %v", k, bath[k], v)
		}
	}
	if budget := bath["budget"].(map[string]any); fmt.Sprint(budget["min"], budget["max"]) != "20000 30000" {
		t.Errorf("budget %v", budget)
	}
	if a := bath["assignee"].(map[string]any); a["email"] != "meister@betrieb.de" {
		t.Errorf("assignee %v", a)
	}
	if tags := fmt.Sprint(bath["tags"]); !strings.Contains(tags, "Bad") || !strings.Contains(tags, "Umbau") {
		t.Errorf("tags %s", tags)
	}
	if s, _ := bath["lead_score"].(float64); s <= 0 || bath["lead_band"] == "" {
		t.Errorf("score %v band %v", bath["lead_score"], bath["lead_band"])
	}
	heating := b.inquiryNamed(t, "Heizung")
	if c := heating["customer"].(map[string]any); c["id"] != customer["id"] || c["matched"] != true {
		t.Errorf("Heizung's customer %v, want Badsanierung's (%v), matched", c, customer["id"])
	}
	gutter := b.inquiryNamed(t, "Dachrinne")
	if c := gutter["customer"].(map[string]any); c["id"] != float64(anna.ID) || c["matched"] != true {
		t.Errorf("Dachrinne's customer %v, want the existing contact %d", c, anna.ID)
	}

	wantErrors := []struct {
		row    int
		header string
	}{{5, "Betreff"}, {6, "E-Mail"}, {7, "Wahrscheinlichkeit"}, {8, ""}, {9, "Wiedervorlage"}}
	if len(done.Errors) != len(wantErrors) {
		t.Fatalf("errors %+v", done.Errors)
	}
	for i, w := range wantErrors {
		if e := done.Errors[i]; e.Row != w.row || len(e.Errors[w.header]) != 1 {
			t.Errorf("error %d: %+v, want row %d naming %q", i, e, w.row, w.header)
		}
	}

	// The error report: the failed rows as uploaded, with their row and problems.
	rec := b.do(t, http.MethodGet, "/api/v1/import/"+fi.UUID+"/error-report", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("error report: %d %s", rec.Code, rec.Body)
	}
	report, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(report) != 6 || report[0][len(report[0])-1] != "error" {
		t.Fatalf("report %q", report)
	}
	if r := report[1]; r[0] != "" || r[len(r)-2] != "5" || !strings.HasPrefix(r[len(r)-1], "Betreff: ") {
		t.Errorf("report row %q", r)
	}
	if r := report[2]; r[1] != "Bernd" || !strings.HasPrefix(r[len(r)-1], "E-Mail: ") {
		t.Errorf("report row %q", r)
	}
}

// TestInquiryFileImportValidate is the dry run: every row checked and counted,
// nothing written.
func TestInquiryFileImportValidate(t *testing.T) {
	b := setup(t)
	before := b.counts(t, inquiryTables)
	fi := b.uploadFile(t, "inquiries", "validate", windows1252(t, inquiryFile))
	b.mapFile(t, fi.UUID, inquiryMapping)
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || done.FailedJobs != 5 || done.Created != nil || done.WouldCreate == nil || *done.WouldCreate != 4 ||
		*done.WouldUpdate != 0 || *done.WouldMerge != 0 || len(done.Errors) != 5 {
		t.Fatalf("record %+v", done)
	}
	after := b.counts(t, inquiryTables)
	for _, tb := range inquiryTables {
		if tb == "events" {
			after[tb] -= b.countWhere(t, "events", "type = $2", models.EventImportCompleted) // the run's own end
		}
		if after[tb] != before[tb] {
			t.Errorf("%s: %d rows after a dry run, %d before", tb, after[tb], before[tb])
		}
	}
}

// TestInquiryFileImportUpdate changes inquiries by id; an unknown id is the row's
// error; ids in a store import, or an update without them, are refused.
func TestInquiryFileImportUpdate(t *testing.T) {
	b := setup(t)
	var q struct {
		ID      int64 `json:"id"`
		Version int64 `json:"version"`
	}
	b.call(t, http.MethodPost, "/api/v1/inquiries", map[string]any{"title": "Dach", "contact": map[string]any{"email": "u@example.de"}}, http.StatusCreated, &q)
	file := fmt.Sprintf("Anfrage-ID;Status;Wahrscheinlichkeit;Betreff\n%d;Gewonnen;90;\n999999;Verloren;;\nabc;;;\n", q.ID)

	fi := b.uploadFile(t, "inquiries", "update", file)
	rec := b.do(t, http.MethodPost, "/api/v1/import/map/"+fi.UUID, map[string]any{"headers": map[string]string{"status": "Status"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "headers.id") {
		t.Errorf("update without ids: %d %s", rec.Code, rec.Body)
	}
	b.mapFile(t, fi.UUID, map[string]string{"id": "Anfrage-ID", "status": "Status", "probability": "Wahrscheinlichkeit", "title": "Betreff"})
	done := b.runFile(t, fi.UUID, nil)
	if done.Status != "completed" || *done.Updated != 1 || *done.Created != 0 || done.FailedJobs != 2 {
		t.Fatalf("record %+v", done)
	}
	if e := done.Errors[0]; e.Row != 3 || len(e.Errors["Anfrage-ID"]) != 1 || !strings.Contains(e.Errors["Anfrage-ID"][0], "no inquiry 999999") {
		t.Errorf("unknown id: %+v", e)
	}
	if e := done.Errors[1]; e.Row != 4 || len(e.Errors["Anfrage-ID"]) != 1 {
		t.Errorf("bad id: %+v", e)
	}
	var got map[string]any
	b.call(t, http.MethodGet, "/api/v1/inquiries/"+itoa(q.ID), nil, http.StatusOK, &got)
	if st := got["status"].(map[string]any); st["name"] != "Gewonnen" || st["kind"] != "won" || got["probability"] != float64(90) || got["title"] != "Dach" {
		t.Errorf("updated inquiry %v", got)
	}
	if n := b.countWhere(t, "events", "type = $2", models.EventInquiryUpdated); n != 1 {
		t.Errorf("%d inquiry.updated events, want 1", n)
	}

	// Ids in a store import are refused when it starts.
	fi = b.uploadFile(t, "inquiries", "store", file)
	b.mapFile(t, fi.UUID, map[string]string{"id": "Anfrage-ID", "title": "Status"})
	rec = b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, nil)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "headers.id") {
		t.Errorf("store with ids: %d %s", rec.Code, rec.Body)
	}
	// So is a store import without a title, and a duplicate check.
	rec = b.do(t, http.MethodPost, "/api/v1/import/map/"+fi.UUID, map[string]any{"headers": map[string]string{"status": "Status"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "headers.title") {
		t.Errorf("store without a title: %d %s", rec.Code, rec.Body)
	}
	b.mapFile(t, fi.UUID, map[string]string{"title": "Status"})
	rec = b.do(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, map[string]any{"deduplication": "auto"})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "deduplication") {
		t.Errorf("store with deduplication: %d %s", rec.Code, rec.Body)
	}
	rec = b.do(t, http.MethodPost, "/api/v1/import/map/"+fi.UUID, map[string]any{"headers": map[string]string{"title": "Status", "ba_city": "Betreff"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "headers.ba_city") {
		t.Errorf("a contact field in an inquiries import: %d %s", rec.Code, rec.Body)
	}
}

// TestInquiryFileImportResume: a worker dies after writing part of a batch's
// inquiries but before the batch's checkpoint committed. Another engine resumes the
// import from the checkpoint, writes the batch again, and every row has exactly one
// inquiry, one customer and one inquiry.created event.
func TestInquiryFileImportResume(t *testing.T) {
	b := setup(t)
	if err := b.jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	const rows = 30
	var file strings.Builder
	file.WriteString("Betreff;E-Mail;Quelle\n")
	for i := range rows {
		fmt.Fprintf(&file, "Anfrage %d;resume%d@inq.example;Portal\n", i, i)
	}
	fi := b.uploadFile(t, "inquiries", "store", file.String())
	b.mapFile(t, fi.UUID, map[string]string{"title": "Betreff", "contact.email": "E-Mail", "source": "Quelle"})
	b.call(t, http.MethodPost, "/api/v1/import/start/"+fi.UUID, nil, http.StatusAccepted, nil)
	stored, err := b.st.GetFileImport(context.Background(), b.tenant.ID, fi.UUID)
	if err != nil || stored.ImportID == 0 {
		t.Fatalf("file import %+v %v", stored, err)
	}
	id := stored.ImportID
	// The dead worker: it held the lease, wrote lines 2 to 5 of its first batch
	// (lines 2 to 8) through the inquiry service, and died before the checkpoint.
	until := time.Now().Add(time.Second)
	if _, _, ok, err := b.st.ClaimImport(context.Background(), b.tenant.ID, id, "dead-worker", until); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	service := inquiries.New(inquiries.Config{Store: b.st, Contacts: contacts.New(contacts.Config{Store: b.st})})
	for line := 2; line <= 5; line++ {
		in := &models.InquiryInput{Title: models.Given(fmt.Sprintf("Anfrage %d", line-2)), Source: models.Given(models.SourceRef{Name: "Portal"}),
			Contact: models.Given(models.ContactInput{Email: fmt.Sprintf("resume%d@inq.example", line-2)}), ImportRow: &models.ImportRowRef{ImportID: id, Row: line}}
		if _, err := service.Create(context.Background(), b.tenant.ID, in, inquiries.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// Writing a marked row once more is refused, nothing written.
	again := &models.InquiryInput{Title: models.Given("Anfrage 0"), ImportRow: &models.ImportRowRef{ImportID: id, Row: 2}}
	if _, err := service.Create(context.Background(), b.tenant.ID, again, inquiries.Options{}); err != models.ErrImportRowWritten {
		t.Fatalf("second write of a row: %v, want ErrImportRowWritten", err)
	}
	setup(t) // another replica's engine on the same database resumes it
	done := b.waitFile(t, fi.UUID)
	if done.Status != "completed" || *done.Created != rows || done.FailedJobs != 0 {
		t.Fatalf("record %+v, want %d created", done, rows)
	}
	if n := b.count(t, "inquiries"); n != rows {
		t.Errorf("%d inquiries, want %d", n, rows)
	}
	if n := b.countWhere(t, "inquiries", "title LIKE 'Anfrage %'"); n != rows {
		t.Errorf("%d imported inquiries, want %d", n, rows)
	}
	var distinct int
	if err := b.st.DB().QueryRowContext(context.Background(), "SELECT count(DISTINCT title) FROM inquiries WHERE tenant_id = $1", b.tenant.ID).Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != rows {
		t.Errorf("%d distinct titles, want %d: a row was written twice", distinct, rows)
	}
	if n := b.countWhere(t, "events", "type = $2", models.EventInquiryCreated); n != rows {
		t.Errorf("%d inquiry.created events, want %d", n, rows)
	}
	if n := b.count(t, "contacts"); n != rows {
		t.Errorf("%d customers, want %d", n, rows)
	}
	if n := b.countWhere(t, "inquiry_sources", "name_key = 'portal'"); n != 1 {
		t.Errorf("%d sources Portal, want 1", n)
	}
}
