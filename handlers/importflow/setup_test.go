package importflow_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// bundle is an import test's world: the real router on the package's store, the
// contact service, the import engine on River, and a tenant of its own.
type bundle struct {
	e        *echo.Echo
	st       *store.Store
	importer *imports.Engine
	jobs     *jobs.Engine
	tenant   storetest.Tenant
}

// setup builds the world as main does, with short leases and batches so that
// tests see several batches and quick resumes. River runs unless stopped is set.
func setup(t *testing.T, opts ...func(*imports.Config)) *bundle {
	t.Helper()
	st := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	service := contacts.New(contacts.Config{Store: st, Log: log})
	files := fileimports.New(st)
	inquiryService := inquiries.New(inquiries.Config{Store: st, Contacts: service, Log: log})
	cfg := imports.Config{Store: st, Contacts: service, Doors: []imports.Door{imports.JSONDoor{}, files.Door()}, BatchSize: 7,
		Writers: map[string]imports.Writer{models.FileImportInquiries: inquiryService.ImportWriter(st)},
		Lease:   2 * time.Second, ResumeEvery: 200 * time.Millisecond, Log: log}
	for _, o := range opts {
		o(&cfg)
	}
	importer := imports.New(cfg)
	files.Engine = importer
	engine := jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob { return importer.Register(w) })
	importer.Attach(engine)
	api := &handlers.API{
		Auth: st, Contacts: st, CustomFields: st, Merges: st, Terms: st, Comments: st, Idempotency: st, Events: st, Log: log,
		ContactService: service, Imports: importer, ImportStore: st, FileImports: files,
		Inquiries: inquiryService, InquiryStore: st,
	}
	return &bundle{e: handlers.New(api), st: st, importer: importer, jobs: engine, tenant: storetest.NewTenant(t, st)}
}

// do sends one request as the bundle's tenant; body is sent verbatim when it is a
// string or []byte, as JSON otherwise.
func (b *bundle) do(t testing.TB, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(v))
	case []byte:
		r = bytes.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+b.tenant.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	b.e.ServeHTTP(rec, req)
	return rec
}

// call requires status want and decodes the answer into out (unless nil).
func (b *bundle) call(t testing.TB, method, path string, body any, want int, out any, header ...string) {
	t.Helper()
	rec := b.do(t, method, path, body, header...)
	if rec.Code != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, rec.Code, want, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: decode: %v; body %s", method, path, err, rec.Body)
		}
	}
}

// status is GET …/status.
type status struct {
	ImportID     int64  `json:"import_id"`
	Status       string `json:"status"`
	Processed    *int   `json:"processed"`
	Total        *int   `json:"total"`
	SuccessCount *int   `json:"success_count"`
	ErrorCount   *int   `json:"error_count"`
	Created      int    `json:"created"`
	Updated      int    `json:"updated"`
	Skipped      int    `json:"skipped"`
	Reason       string `json:"reason"`
}

type rowError = models.ImportRowError

// start posts an import and returns its id.
func (b *bundle) start(t testing.TB, body any, header ...string) int64 {
	t.Helper()
	var out struct {
		ImportID int64  `json:"import_id"`
		Status   string `json:"status"`
	}
	b.call(t, http.MethodPost, "/api/v1/imports", body, http.StatusAccepted, &out, header...)
	if out.ImportID == 0 || out.Status != "processing" {
		t.Fatalf("answer %+v, want an import_id and status processing", out)
	}
	return out.ImportID
}

// wait polls the import's status until it is no longer processing (30 s at most).
func (b *bundle) wait(t testing.TB, id int64) status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s status
		b.call(t, http.MethodGet, "/api/v1/imports/"+strconv.FormatInt(id, 10)+"/status", nil, http.StatusOK, &s)
		if s.Status != "processing" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still processing after 30 s: %+v", id, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// errorsOf returns every error row of an import.
func (b *bundle) errorsOf(t testing.TB, id int64) []rowError {
	t.Helper()
	var out struct {
		Errors []rowError `json:"errors"`
		Total  int        `json:"total"`
	}
	b.call(t, http.MethodGet, "/api/v1/imports/"+strconv.FormatInt(id, 10)+"/errors?limit=1000", nil, http.StatusOK, &out)
	return out.Errors
}

// importBody is seed 000's body around persons.
func importBody(persons []map[string]any, options map[string]any) map[string]any {
	body := map[string]any{"entity": "persons", "data": persons}
	if options != nil {
		body["options"] = options
	}
	return body
}

// contactOf reads a contact in the native wire form.
func (b *bundle) contactOf(t testing.TB, id int64) map[string]any {
	t.Helper()
	var out map[string]any
	b.call(t, http.MethodGet, "/api/v1/contacts/"+strconv.FormatInt(id, 10), nil, http.StatusOK, &out)
	return out
}

// contactsByMail finds the tenant's contacts with a mail (Quentn lookup).
func (b *bundle) contactsByMail(t testing.TB, mail string) []map[string]any {
	t.Helper()
	rec := b.do(t, http.MethodGet, "/public/api/V1/contact/"+mail+"?fields=id,mail,first_name,family_name,external_id", nil)
	if rec.Code == http.StatusNotFound {
		return nil
	}
	var out []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("lookup %s: %v: %s", mail, err, rec.Body)
	}
	return out
}
