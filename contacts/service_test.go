package contacts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestMain drops the package's test database (Postgres) after the tests.
func TestMain(m *testing.M) { storetest.Main(m) }

// bundle is what a service test works with: the service on the package's real store,
// a tenant of its own, and counters of what the guards refused.
type bundle struct {
	svc     *contacts.Service
	st      *store.Store
	tenant  int64
	metrics *counts
}

type counts struct{ spam, flood atomic.Int64 }

func (c *counts) SpamRefused()  { c.spam.Add(1) }
func (c *counts) FloodRefused() { c.flood.Add(1) }

// setup builds the service; change changes its configuration first (guards, a store
// wrapper).
func setup(t *testing.T, change ...func(*contacts.Config)) *bundle {
	t.Helper()
	st := storetest.Open(t)
	b := &bundle{st: st, tenant: storetest.NewTenant(t, st).ID, metrics: &counts{}}
	cfg := contacts.Config{Store: st, Metrics: b.metrics}
	for _, c := range change {
		c(&cfg)
	}
	b.svc = contacts.New(cfg)
	return b
}

func (b *bundle) submit(t *testing.T, opts contacts.Options, inputs ...contacts.Input) []contacts.Result {
	t.Helper()
	results, err := b.svc.Submit(context.Background(), b.tenant, inputs, opts)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if len(results) != len(inputs) {
		t.Fatalf("%d results for %d inputs", len(results), len(inputs))
	}
	return results
}

func (b *bundle) contact(t *testing.T, id int64) *models.Contact {
	t.Helper()
	c, err := b.st.GetContact(context.Background(), b.tenant, id)
	if err != nil {
		t.Fatalf("get contact %d: %v", id, err)
	}
	return c
}

func (b *bundle) customField(t *testing.T, f models.CustomField) {
	t.Helper()
	f.TenantID = b.tenant
	if err := b.st.CreateCustomField(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) term(t *testing.T, name string) int64 {
	t.Helper()
	term := &models.Term{TenantID: b.tenant, Name: name}
	if _, err := b.st.CreateTerm(context.Background(), term); err != nil {
		t.Fatal(err)
	}
	return term.ID
}

func jsonInput(t *testing.T, obj string) contacts.Input {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		t.Fatal(err)
	}
	return contacts.FromJSON(m)
}

func fields(err error) []string {
	var de *models.Error
	if !errors.As(err, &de) {
		return nil
	}
	out := make([]string, len(de.Fields))
	for i, f := range de.Fields {
		out[i] = f.Field
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestEveryDoorWritesTheSameContact: one contact sent as JSON (an API body), as Go
// values (an import record) and as a CSV row is stored the same, and the later ones
// are found as its duplicates.
func TestEveryDoorWritesTheSameContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.customField(t, models.CustomField{Label: "Budget", FieldType: models.FieldTypeInteger})
	b.customField(t, models.CustomField{Label: "Topics", FieldType: models.FieldTypeSelection, Multiple: true})
	vip, news := b.term(t, "vip"), b.term(t, "news")
	doors := map[string]contacts.Input{
		"json": jsonInput(t, fmt.Sprintf(`{"mail": " Door@Example.com", "first_name": "Dora", "ba_postal_code": 10115,
			"mail_status": "2", "terms": [%d, %d], "field_budget": "500", "field_topics": ["a", "b"]}`, news, vip)),
		"values": contacts.FromValues(map[string]any{"mail": "Door@Example.com ", "first_name": "Dora", "ba_postal_code": 10115,
			"mail_status": 2, "terms": []int64{vip, news}, "field_budget": 500.0, "field_topics": []string{"a", "b"}}),
		"strings": contacts.FromStrings(map[string]string{"mail": "Door@Example.com", "first_name": "Dora", "ba_postal_code": "10115",
			"mail_status": "2", "terms": fmt.Sprintf("%d, %d", vip, news), "field_budget": "500", "field_topics": "a,b"}),
	}
	var want *models.Contact
	for _, door := range []string{"json", "values", "strings"} {
		r := b.submit(t, contacts.Options{DuplicateCheckMethod: "none"}, doors[door])[0]
		if r.Err != nil || !r.Created || r.Mail != "Door@Example.com" {
			t.Fatalf("%s: %+v", door, r)
		}
		got := b.contact(t, r.ID)
		got.ID, got.CreatedAt, got.UpdatedAt = 0, time.Time{}, time.Time{}
		if want == nil {
			want = got
			if got.MailStatus != 2 || got.BaPostalCode != "10115" || got.Custom["budget"] != int64(500) || !slices.Equal(got.Terms, []int64{vip, news}) {
				t.Fatalf("%s: stored %+v", door, got)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s stored\n%+v\nwant\n%+v", door, got, want)
		}
	}
	// A CSV row of the same person merges into the first (check email).
	r := b.submit(t, contacts.Options{DuplicateCheckMethod: "email"}, contacts.FromStrings(map[string]string{"mail": "door@example.com", "family_name": "Tür"}))[0]
	if r.Err != nil || r.Created || r.MergeID == "" {
		t.Fatalf("CSV duplicate: %+v", r)
	}
}

// TestSubmitNamesEveryProblem: a contact's problems — invalid fields, unknown terms, a
// missing identity — come back together on that contact; the others are written.
func TestSubmitNamesEveryProblem(t *testing.T) {
	t.Parallel()
	b := setup(t)
	results := b.submit(t, contacts.Options{},
		contacts.FromValues(map[string]any{"mail": "ok@example.com"}),
		contacts.FromValues(map[string]any{"first_name": "No", "title": "x", "terms": []int64{987654}}),
		contacts.FromStrings(map[string]string{"mail": "not-a-mail", "phone": "abc"}),
		jsonInput(t, `{"mail": 5}`),
	)
	if results[0].Err != nil || !results[0].Created {
		t.Fatalf("valid contact: %+v", results[0])
	}
	for i, want := range [][]string{1: {"mail", "title", "terms"}, 2: {"mail", "phone"}, 3: {"mail"}} {
		if i == 0 {
			continue
		}
		if models.ErrorCode(results[i].Err) != models.EINVALID || !slices.Equal(fields(results[i].Err), want) {
			t.Errorf("contact %d: %v (fields %v), want %v", i, results[i].Err, fields(results[i].Err), want)
		}
	}
	if results[2].Mail != "not-a-mail" || results[3].Mail != "" {
		t.Errorf("mails of refused contacts: %q %q", results[2].Mail, results[3].Mail)
	}
	// The native rule takes a name alone; the Quentn rule does not.
	name := contacts.FromValues(map[string]any{"first_name": "Nina"})
	if r := b.submit(t, contacts.Options{}, name)[0]; !slices.Equal(fields(r.Err), []string{"mail"}) {
		t.Errorf("Quentn rule, name only: %v", r.Err)
	}
	if r := b.submit(t, contacts.Options{Identity: contacts.NativeIdentity}, name)[0]; r.Err != nil || !r.Created {
		t.Errorf("native rule, name only: %+v", r)
	}
}

// TestSubmitOptionProblems: bad options fail the call, write nothing, and still name
// the contacts' own problems.
func TestSubmitOptionProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	opts := contacts.Options{DuplicateCheckMethod: "fuzzy", ReturnFields: []string{"mail", "shoe_size"}, FloodLimit: ptr(-1)}
	results, err := b.svc.Submit(ctx, b.tenant, []contacts.Input{
		contacts.FromValues(map[string]any{"mail": "opt@example.com"}),
		contacts.FromValues(map[string]any{"mail": "@"}),
	}, opts)
	if want := []string{"duplicate_check_method", "return_fields[1]", "flood_limit"}; models.ErrorCode(err) != models.EINVALID || !slices.Equal(fields(err), want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if len(results) != 2 || results[0].Err != nil || results[0].ID != 0 || !slices.Equal(fields(results[1].Err), []string{"mail"}) {
		t.Fatalf("results = %+v", results)
	}
	if err := opts.Validate(); !slices.Equal(fields(err), []string{"duplicate_check_method", "return_fields[1]", "flood_limit"}) {
		t.Fatalf("Validate = %v", err)
	}
	// A custom field in return_fields must be defined; nothing is written meanwhile.
	_, err = b.svc.Submit(ctx, b.tenant, []contacts.Input{contacts.FromValues(map[string]any{"mail": "opt@example.com"})},
		contacts.Options{ReturnFields: []string{" mail ", "field_nope"}})
	if !slices.Equal(fields(err), []string{"return_fields[1]"}) {
		t.Fatalf("undefined return field: %v", err)
	}
	if found, err := b.st.FindContactsByMail(ctx, b.tenant, "opt@example.com"); err != nil || len(found) != 0 {
		t.Fatalf("written despite bad options: %d, %v", len(found), err)
	}
	if got := (contacts.Options{ReturnFields: []string{" mail ", "terms"}}).ReturnFieldList(); !slices.Equal(got, []string{"mail", "terms"}) {
		t.Fatalf("ReturnFieldList = %v", got)
	}
}

func TestRequiredCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.customField(t, models.CustomField{Label: "Source", FieldType: models.FieldTypeText, Required: true})
	r := b.submit(t, contacts.Options{}, contacts.FromStrings(map[string]string{"mail": "req@example.com"}))[0]
	if !slices.Equal(fields(r.Err), []string{"field_source"}) {
		t.Fatalf("without the required field: %+v", r)
	}
	r = b.submit(t, contacts.Options{}, contacts.FromStrings(map[string]string{"mail": "req@example.com", "field_source": "fair"}))[0]
	if r.Err != nil || !r.Created {
		t.Fatalf("with it: %+v", r)
	}
}

// listed is a spam list of one address.
type listed struct{ addr netip.Addr }

func (l listed) Listed(_ context.Context, _ int64, a netip.Addr) (string, bool, error) {
	return "tenant", a == l.addr, nil
}

// TestGuards: with spam protection a listed request_ip is refused; with a flood limit
// only contacts actually created count, per address; each refusal is counted.
func TestGuards(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *contacts.Config) {
		c.Spam = listed{netip.MustParseAddr("198.51.100.7")}
		c.Flood = ratelimit.NewMemoryFloodCounter(nil)
	})
	opts := contacts.Options{DuplicateCheckMethod: "email", FloodLimit: ptr(1), SpamProtection: ptr(true)}
	from := func(mail, ip string) contacts.Input {
		return contacts.FromStrings(map[string]string{"mail": mail, "request_ip": ip})
	}
	results := b.submit(t, opts,
		from("g1@example.com", "192.0.2.1"),
		from("g1@example.com", "192.0.2.1"), // merges into the first: not counted
		from("g2@example.com", "192.0.2.1"), // a second creation from the address
		from("g3@example.com", "198.51.100.7"),
		from("g4@example.com", "192.0.2.2"),
		from("g5@example.com", ""),
	)
	codes := make([]string, len(results))
	for i, r := range results {
		codes[i] = models.ErrorCode(r.Err)
	}
	if want := []string{"", "", models.ELIMITED, models.EFORBIDDEN, "", ""}; !slices.Equal(codes, want) {
		t.Fatalf("codes = %q, want %q (%+v)", codes, want, results)
	}
	if results[1].Created || results[1].ID != results[0].ID {
		t.Fatalf("duplicate in the batch: %+v", results[1])
	}
	var de *models.Error
	if errors.As(results[2].Err, &de); de.RetryAfter <= 0 {
		t.Fatalf("flood refusal without RetryAfter: %+v", de)
	}
	if b.metrics.spam.Load() != 1 || b.metrics.flood.Load() != 1 {
		t.Fatalf("refusals counted: spam %d, flood %d", b.metrics.spam.Load(), b.metrics.flood.Load())
	}
	// Spam protection off: the listed address may write.
	if r := b.submit(t, contacts.Options{}, from("g3@example.com", "198.51.100.7"))[0]; r.Err != nil {
		t.Fatalf("without spam protection: %v", r.Err)
	}
}

// reservingStore asks the flood hook for its one contact and then does not create
// it: it fails (err), or finds it was a duplicate after all.
type reservingStore struct {
	contacts.Store
	err error
}

func (s reservingStore) Ingest(ctx context.Context, _ int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error) {
	if err := opts.BeforeCreate(ctx, 0, subs[0]); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	return []models.IngestResult{{ID: 1}}, nil
}

// TestFloodReservationOnlyForCreated: a reservation whose contact was not created —
// the write failed, or it merged after all — is given back.
func TestFloodReservationOnlyForCreated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	flood := ratelimit.NewMemoryFloodCounter(nil)
	opts := contacts.Options{FloodLimit: ptr(1)}
	in := contacts.FromStrings(map[string]string{"mail": "res@example.com", "request_ip": "192.0.2.9"})
	for _, st := range []reservingStore{{b.st, errors.New("store: broken")}, {b.st, nil}} {
		contacts.New(contacts.Config{Store: st, Flood: flood}).Submit(context.Background(), b.tenant, []contacts.Input{in}, opts)
	}
	results, err := contacts.New(contacts.Config{Store: b.st, Flood: flood}).Submit(context.Background(), b.tenant, []contacts.Input{in}, opts)
	if err != nil || results[0].Err != nil || !results[0].Created {
		t.Fatalf("the first contact created from the address: %+v, %v", results, err)
	}
}

// leavingStore is a store whose caller goes away (cancels) just before the write,
// and whose writes, when slow, never finish in time.
type leavingStore struct {
	contacts.Store
	leave      context.CancelFunc
	slow       bool
	callerGone atomic.Bool // the write's context had ended
}

func (s *leavingStore) CustomFields(ctx context.Context, tenant int64, want ...string) (map[string]*models.CustomField, error) {
	defs, err := s.Store.CustomFields(ctx, tenant, want...)
	s.leave()
	return defs, err
}

func (s *leavingStore) Ingest(ctx context.Context, tenant int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error) {
	s.callerGone.Store(ctx.Err() != nil)
	if s.slow {
		return nil, fmt.Errorf("store: lock keys: %w", context.DeadlineExceeded)
	}
	return s.Store.Ingest(ctx, tenant, subs, opts)
}

// TestWriteTimeBound: a write does not end with its caller (a web form that gave up
// still gets its contact), and one that runs past its bound is EUNAVAILABLE with a
// RetryAfter.
func TestWriteTimeBound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, slow := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		st := &leavingStore{Store: b.st, leave: cancel, slow: slow}
		svc := contacts.New(contacts.Config{Store: st})
		results, err := svc.Submit(ctx, b.tenant, []contacts.Input{contacts.FromValues(map[string]any{"mail": fmt.Sprintf("gone%v@example.com", slow)})}, contacts.Options{})
		if st.callerGone.Load() {
			t.Fatal("the write's context ended with the caller's")
		}
		if !slow {
			if err != nil || results[0].Err != nil || !results[0].Created {
				t.Fatalf("write with the caller gone: %+v, %v", results, err)
			}
			continue
		}
		var de *models.Error
		if !errors.As(err, &de) || de.Code != models.EUNAVAILABLE || de.RetryAfter <= 0 {
			t.Fatalf("write past its bound: %v", err)
		}
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	id := b.submit(t, contacts.Options{}, contacts.FromValues(map[string]any{"mail": "up@example.com", "company": "Old"}))[0].ID
	c, err := b.svc.Update(ctx, b.tenant, id, contacts.FromStrings(map[string]string{"company": "New", "job_title": ""}))
	if err != nil || c.Company != "New" || c.Mail != "up@example.com" {
		t.Fatalf("update: %+v, %v", c, err)
	}
	_, err = b.svc.Update(ctx, b.tenant, id, contacts.FromValues(map[string]any{"title": "x", "terms": []int64{987654}, "request_ip": "10.0.0.1"}))
	if want := []string{"request_ip", "title", "terms"}; !slices.Equal(fields(err), want) {
		t.Fatalf("bad update: %v, want %v", err, want)
	}
	if _, err := b.svc.Update(ctx, b.tenant, id+1000000, contacts.FromValues(map[string]any{"company": "X"})); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("unknown id: %v", err)
	}
	names, err := b.svc.CheckReturnFields(ctx, b.tenant, []string{" company", "field_nope", "nope"})
	if names != nil || !slices.Equal(fields(err), []string{"return_fields[2]"}) {
		t.Fatalf("CheckReturnFields: %v, %v", names, err)
	}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	id := b.submit(t, contacts.Options{}, contacts.FromValues(map[string]any{"mail": "dup@example.com", "first_name": "Hans", "family_name": "Meier"}))[0].ID
	probe := contacts.FromStrings(map[string]string{"mail": "Dup@example.com", "first_name": "Hans", "family_name": "Maier"})
	cands, threshold, err := b.svc.Duplicates(ctx, b.tenant, contacts.DuplicateQuery{Contact: &probe})
	if err != nil || len(cands) != 1 || cands[0].Contact.ID != id || !cands[0].Explanation.Match || threshold == 0 {
		t.Fatalf("duplicates: %+v, %v, %v", cands, threshold, err)
	}
	if cands, _, err := b.svc.Duplicates(ctx, b.tenant, contacts.DuplicateQuery{ContactID: id}); err != nil || len(cands) != 0 {
		t.Fatalf("duplicates of itself: %+v, %v", cands, err)
	}
	bad := contacts.FromValues(map[string]any{"mail": "@"})
	for _, tc := range []struct {
		q    contacts.DuplicateQuery
		want []string
	}{
		{contacts.DuplicateQuery{}, []string{"contact"}},
		{contacts.DuplicateQuery{Contact: &probe, ContactID: id}, []string{"contact"}},
		{contacts.DuplicateQuery{Contact: &bad, Limit: 101}, []string{"contact.mail", "limit"}},
		{contacts.DuplicateQuery{ContactID: id, Limit: -1}, []string{"limit"}},
	} {
		if _, _, err := b.svc.Duplicates(ctx, b.tenant, tc.q); !slices.Equal(fields(err), tc.want) {
			t.Errorf("%+v: %v, want %v", tc.q, err, tc.want)
		}
	}
	if _, _, err := b.svc.Duplicates(ctx, b.tenant, contacts.DuplicateQuery{ContactID: id + 1000000}); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("unknown contact: %v", err)
	}
}
