package handlers_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/dedupetrain"
	"github.com/contacthub/contacthub/dupscan"
	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
	"github.com/contacthub/contacthub/webhooks"
)

// TestMain drops the package's test database (Postgres) after the tests.
func TestMain(m *testing.M) { storetest.Main(m) }

// bundle is what a handler test works with: the real Echo router on the package's real
// store, and a tenant of its own with an API key, so parallel tests never see each
// other's data.
type bundle struct {
	e      *echo.Echo
	api    *handlers.API
	st     *store.Store
	tenant storetest.Tenant
}

// setup builds the router the way main does. Options change the API before the routes
// are built, e.g. func(a *handlers.API) { a.Limits.MaxBodyBytes = 2048 }.
func setup(t testing.TB, opts ...func(*handlers.API)) *bundle {
	t.Helper()
	st := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := &handlers.API{
		Auth: st, Contacts: st, CustomFields: st, Merges: st, Duplicates: st, Terms: st, Comments: st, Idempotency: st, Events: st, Log: log,
		ContactService: contacts.New(contacts.Config{Store: st, Log: log}), InquiryStore: st, FileImports: fileimports.New(st),
		DedupeModels: dedupetrain.New(st, log), DuplicateScans: scansWithoutJobs(st, log),
		Webhooks: webhooks.New(webhooks.Config{Store: st, Log: log}),
	}
	api.Inquiries = inquiries.New(inquiries.Config{Store: st, Contacts: api.ContactService.(*contacts.Service), Log: log})
	// Imports are tested with their job engine in package imports; here they are
	// accepted up to the point of starting one.
	api.ImportStore = st
	api.Imports = imports.New(imports.Config{Store: st, Contacts: api.ContactService.(*contacts.Service), Doors: []imports.Door{imports.JSONDoor{}}, Log: log})
	for _, o := range opts {
		o(api)
	}
	return &bundle{e: handlers.New(api), api: api, st: st, tenant: storetest.NewTenant(t, st)}
}

// setupClock is setup on a store whose clock the test sets (storetest.Clock), starting
// at the wall clock's current second, for tests that need time to pass.
func setupClock(t testing.TB, opts ...func(*handlers.API)) (*bundle, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	st := storetest.OpenWithClock(t, clock)
	b := setup(t, append([]func(*handlers.API){func(a *handlers.API) {
		a.Auth, a.Contacts, a.CustomFields, a.Merges, a.Terms, a.Comments, a.Events = st, st, st, st, st, st, st
		a.Idempotency = st
		a.ContactService = contacts.New(contacts.Config{Store: st, Log: a.Log})
		a.InquiryStore = st
		a.FileImports = fileimports.New(st)
		a.Inquiries = inquiries.New(inquiries.Config{Store: st, Contacts: a.ContactService.(*contacts.Service), Log: a.Log})
	}}, opts...)...)
	b.st = st
	return b, clock
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

// withKey sends key as the bearer key instead of the tenant's; "" sends no Authorization.
func withKey(key string) reqOpt {
	return func(r *http.Request) {
		r.Header.Del("Authorization")
		if key != "" {
			r.Header.Set("Authorization", "Bearer "+key)
		}
	}
}

// withHeader sets a request header.
func withHeader(name, value string) reqOpt {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// do sends one request through the router as the bundle's tenant. body is nil (none),
// a string or []byte (sent verbatim) or any other value (sent as JSON). path is used as
// a client would type it, so "contact/a+b@x.de" keeps its "+".
func (b *bundle) do(t testing.TB, method, path string, body any, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+b.tenant.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	b.e.ServeHTTP(rec, req)
	return rec
}

// call sends a request, requires status want and decodes the JSON answer into out
// (unless out is nil).
func (b *bundle) call(t testing.TB, method, path string, body any, want int, out any, opts ...reqOpt) {
	t.Helper()
	rec := b.do(t, method, path, body, opts...)
	if rec.Code != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, rec.Code, want, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: decode %T: %v; body: %s", method, path, out, err, rec.Body)
		}
	}
}

// apiError is the one JSON shape of every error. Truncated and ErrorCount are set when
// Errors lists only the first of more problems.
type apiError struct {
	Error      bool         `json:"error"`
	Message    string       `json:"message"`
	Errors     []fieldError `json:"errors"`
	Truncated  bool         `json:"truncated"`
	ErrorCount int          `json:"error_count"`
}

type fieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// fields returns the names of the invalid fields.
func (e apiError) fields() []string {
	out := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		out[i] = f.Field
	}
	return out
}

// fail sends a request that must fail with status want and returns the error body,
// checking it has the one error shape: no other keys, error true, a message, and (for
// 422) at least one field.
func (b *bundle) fail(t testing.TB, method, path string, body any, want int, opts ...reqOpt) apiError {
	t.Helper()
	return checkError(t, b.do(t, method, path, body, opts...), method, path, want)
}

// checkError is fail for a response already received.
func checkError(t testing.TB, rec *httptest.ResponseRecorder, method, path string, want int) apiError {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, rec.Code, want, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: error Content-Type %q, want application/json", method, path, ct)
	}
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	var e apiError
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%s %s: error body is not {error, message, errors}: %v", method, path, err)
	}
	if !e.Error || e.Message == "" {
		t.Fatalf("%s %s: error body %+v, want error true and a message", method, path, e)
	}
	if want == http.StatusUnprocessableEntity && len(e.Errors) == 0 {
		t.Fatalf("%s %s: 422 without field errors: %+v", method, path, e)
	}
	return e
}

// contact is a contact as the Quentn API shows it; pointer-free so tests compare whole
// values. Fields a response leaves out stay zero.
type contact struct {
	ID         int64   `json:"id"`
	FirstName  string  `json:"first_name"`
	FamilyName string  `json:"family_name"`
	Mail       string  `json:"mail"`
	MailStatus int     `json:"mail_status"`
	Company    string  `json:"company"`
	JobTitle   string  `json:"job_title"`
	Terms      []int64 `json:"terms"`
}

// createContact posts fields as a new contact (check none) and returns its id.
func (b *bundle) createContact(t testing.TB, fields map[string]any) int64 {
	t.Helper()
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": fields, "duplicate_check_method": "none"}, http.StatusOK, &out)
	if out.ID <= 0 {
		t.Fatalf("create contact: id %d", out.ID)
	}
	return out.ID
}

// getFields reads a contact's fields as a generic map (GET contact/{id}?fields=...).
func (b *bundle) getFields(t testing.TB, id int64, fields string) map[string]any {
	t.Helper()
	var out map[string]any
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(id)+"?fields="+fields, nil, http.StatusOK, &out)
	return out
}

// queryStrings runs a one-column query.
func (b *bundle) queryStrings(t testing.TB, query string, args ...any) []string {
	t.Helper()
	rows, err := b.st.DB().Query(rebind(query), args...)
	if err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newTerm creates a term of the bundle's tenant and returns its id.
func (b *bundle) newTerm(t testing.TB, name string) int64 {
	t.Helper()
	var id int64
	err := b.st.DB().QueryRow(rebind("INSERT INTO terms (tenant_id, name, name_key) VALUES (?, ?, ?) RETURNING id"),
		b.tenant.ID, name, strings.ToLower(name)).Scan(&id)
	if err != nil {
		t.Fatalf("insert term: %v", err)
	}
	return id
}

func rebind(query string) string {
	if storetest.Dialect() != store.Postgres {
		return query
	}
	var sb strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			sb.WriteString("$" + itoa(int64(n)))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const edgeU = "/public/api/V1"

// edgeNumbers decodes a JSON answer keeping numbers exact.
func edgeNumbers(t testing.TB, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return out
}

// edgeNoContact requires that no contact has mail.
func edgeNoContact(t testing.TB, b *bundle, mail string) {
	t.Helper()
	b.fail(t, http.MethodGet, edgeU+"/contact/"+mail, nil, http.StatusNotFound)
}

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

// scansWithoutJobs is the scan service with a job engine that accepts jobs and never
// runs them: the scans themselves are tested in package dupscan.
func scansWithoutJobs(st *store.Store, log *slog.Logger) *dupscan.Service {
	s := dupscan.New(st, log)
	s.Attach(acceptJobs{})
	return s
}

type acceptJobs struct{}

func (acceptJobs) InsertTx(context.Context, *sql.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}
