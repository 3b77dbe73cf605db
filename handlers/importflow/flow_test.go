package importflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// seedBody is seed 000's example body as the seed prints it (with its trailing
// comma), and strict: the same without it.
func seedBody(t *testing.T) (asPrinted, strict string) {
	t.Helper()
	b, err := os.ReadFile("testdata/seed000_example.json")
	if err != nil {
		t.Fatal(err)
	}
	asPrinted = string(b)
	strict = strings.Replace(asPrinted, "\"external_id\": \"CONTACT-001\",\n}", "\"external_id\": \"CONTACT-001\"\n}", 1)
	if strict == asPrinted {
		t.Fatal("the seed's trailing comma is not where expected")
	}
	return asPrinted, strict
}

// The seed's example, made strict JSON, keeps every field of its person: the native
// read shows each under its contact name, the categories became terms, the address
// filled the billing address and is kept with its external_id.
func TestSeedExampleKeepsEveryField(t *testing.T) {
	b := setup(t)
	_, body := seedBody(t)
	id := b.start(t, body)
	s := b.wait(t, id)
	if s.Status != "completed" || *s.SuccessCount != 1 || *s.ErrorCount != 0 || s.Created != 1 {
		t.Fatalf("status %+v, errors %+v", s, b.errorsOf(t, id))
	}
	found := b.contactsByMail(t, "john.doe@example.com")
	if len(found) != 1 {
		t.Fatalf("contacts with the seed's mail: %v", found)
	}
	c := b.contactOf(t, int64(found[0]["id"].(float64)))
	want := map[string]any{
		"contact_type": "Customer", "entity_type": "Person", "first_name": "John", "family_name": "Doe",
		"company": "Doe Inc.", "mail": "john.doe@example.com", "phone": "+1234567890",
		"email_bounce": false, "email_verified": false, "advertisement_consent": true,
		"advertisement_consent_date": "2025-02-07T12:00:00Z", "advertisement_ban": false, "is_control_group": false,
		"is_duplicate": false, "is_deleted": false, "preferred_language": "en",
		"last_interaction_date": "2025-01-10T08:30:00Z", "dossier": map[string]any{},
		"qualification_status": "MQL", "interaction_status": "New", "is_verified": false, "is_blocked": false,
		"external_created_at": "2025-02-07T12:00:00Z", "external_updated_at": "2025-02-07T12:00:00Z",
		"source": "LinkedIn", "external_id": "CONTACT-001",
		"ba_street": "123 Main St", "ba_city": "New York", "ba_postal_code": "10001", "ba_country": "US",
		"addresses": []any{map[string]any{"external_id": "ADDR-001", "street": "123 Main St", "street2": "", "city": "New York",
			"postal_code": "10001", "state": "", "country": "US"}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(c[k], v) {
			t.Errorf("%s = %#v, want %#v", k, c[k], v)
		}
	}
	var terms []string
	for _, tid := range c["terms"].([]any) {
		var term struct{ Name string }
		b.call(t, http.MethodGet, "/public/api/V1/terms/"+strconv.Itoa(int(tid.(float64))), nil, http.StatusOK, &term)
		terms = append(terms, term.Name)
	}
	slices.Sort(terms)
	if !slices.Equal(terms, []string{"Loyal Customer", "VIP"}) {
		t.Errorf("terms %v, want the categories Loyal Customer and VIP", terms)
	}
	// The Quentn read shows the new fields by name too.
	var q map[string]any
	b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=external_id,is_verified,addresses,source", int64(c["id"].(float64))), nil, http.StatusOK, &q)
	if q["external_id"] != "CONTACT-001" || q["is_verified"] != false || q["source"] != "LinkedIn" || len(q["addresses"].([]any)) != 1 {
		t.Errorf("Quentn read %v", q)
	}
}

// The seed's example as printed has a trailing comma: 400 naming its line and column.
func TestSeedTrailingCommaIsA400WithLineAndColumn(t *testing.T) {
	b := setup(t)
	body, _ := seedBody(t)
	rec := b.do(t, http.MethodPost, "/api/v1/imports", body)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "line 42, column 1") {
		t.Fatalf("status %d %s, want 400 naming line 42, column 1 (the } after the comma)", rec.Code, rec.Body)
	}
}

// More than 10,000 records is a 413 naming the limit; 10,000 are taken.
func TestRecordLimit(t *testing.T) {
	b := setup(t)
	persons := make([]map[string]any, 10001)
	for i := range persons {
		persons[i] = map[string]any{"email": fmt.Sprintf("p%d@limit.example", i)}
	}
	rec := b.do(t, http.MethodPost, "/api/v1/imports", importBody(persons, nil))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "10000") {
		t.Fatalf("status %d %s, want 413 naming 10000", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"entity", map[string]any{"entity": "orders", "data": []any{map[string]any{}}}, http.StatusUnprocessableEntity},
		{"no data", map[string]any{"entity": "persons"}, http.StatusUnprocessableEntity},
		{"empty data", map[string]any{"entity": "persons", "data": []any{}}, http.StatusUnprocessableEntity},
		{"unknown option", map[string]any{"entity": "persons", "data": []any{map[string]any{}}, "options": map[string]any{"dedupe": "email"}}, http.StatusUnprocessableEntity},
		{"bad deduplication", map[string]any{"entity": "persons", "data": []any{map[string]any{}}, "options": map[string]any{"deduplication": "phone"}}, http.StatusUnprocessableEntity},
		{"update_key without update_existing", map[string]any{"entity": "persons", "data": []any{map[string]any{}}, "options": map[string]any{"update_key": "email"}}, http.StatusUnprocessableEntity},
		{"keys differ", map[string]any{"entity": "persons", "data": []any{map[string]any{}}, "options": map[string]any{"deduplication": "email", "update_existing": true, "update_key": "external_id"}}, http.StatusUnprocessableEntity},
		{"alias contacts", map[string]any{"entity": "contacts", "data": []any{map[string]any{"email": "alias@x.example"}}}, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := b.do(t, http.MethodPost, "/api/v1/imports", tc.body); rec.Code != tc.want {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

// Bad records are reported with their row and field; the good ones around them are
// written.
func TestBadRecordsBesideGoodOnes(t *testing.T) {
	b := setup(t)
	persons := []any{
		map[string]any{"email": "good1@mixed.example", "firstname": "Good"},
		map[string]any{"email": "not a mail"},
		map[string]any{"email": "unknown@mixed.example", "nickname": "Bob"},
		"a string",
		map[string]any{"email": "country@mixed.example", "addresses": []any{map[string]any{"country": "Atlantis"}}},
		map[string]any{"email": "good2@mixed.example", "addresses": []any{map[string]any{"country": "DEU", "city": "Berlin"}}},
		map[string]any{"firstname": "NoIdentity", "is_blocked": "maybe"},
		map[string]any{"email": "good3@mixed.example", "custom_fields": map[string]any{"undefined_field": 1}},
	}
	for i := 0; i < 12; i++ { // more batches
		persons = append(persons, map[string]any{"email": fmt.Sprintf("more%d@mixed.example", i)})
	}
	id := b.start(t, map[string]any{"entity": "persons", "data": persons})
	s := b.wait(t, id)
	if s.Status != "completed" || *s.SuccessCount != 14 || *s.ErrorCount != 6 || s.Created != 14 {
		t.Fatalf("status %+v", s)
	}
	got := b.errorsOf(t, id)
	wantFields := map[int]string{2: "email", 3: "nickname", 4: "", 5: "addresses[0].country", 7: "is_blocked", 8: "custom_fields.undefined_field"}
	rows := map[int]bool{}
	for _, e := range got {
		rows[e.Row] = true
		if f, ok := wantFields[e.Row]; !ok || f != e.Field {
			t.Errorf("error %+v: want row/field among %v", e, wantFields)
		}
	}
	if len(rows) != 6 {
		t.Errorf("error rows %v, want one or more for each of rows 2, 3, 4, 5, 7, 8", got)
	}
	if c := b.contactsByMail(t, "good2@mixed.example"); len(c) != 1 {
		t.Errorf("good2: %v", c)
	} else if full := b.contactOf(t, int64(c[0]["id"].(float64))); full["ba_country"] != "DE" || full["ba_city"] != "Berlin" {
		t.Errorf("DEU should be DE: %v", full["ba_country"])
	}
	// Paging: one row at a time, in row order.
	var page struct {
		Errors []rowError `json:"errors"`
		Total  int        `json:"total"`
	}
	b.call(t, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/errors?offset=1&limit=1", id), nil, http.StatusOK, &page)
	if page.Total != len(got) || len(page.Errors) != 1 || page.Errors[0] != got[1] {
		t.Errorf("page %+v, want the second of %v", page, got)
	}
}

// Each match key with update_existing true updates the contact it finds, and with
// false leaves it alone and reports the record as skipped; none always creates.
func TestOptions(t *testing.T) {
	b := setup(t)
	seed := func(t *testing.T, tag string) (mail string, contactID int64) {
		mail = tag + "@options.example"
		id := b.start(t, importBody([]map[string]any{{"email": mail, "firstname": "Old", "external_id": "EXT-" + tag}}, map[string]any{"deduplication": "none"}))
		if s := b.wait(t, id); s.Created != 1 {
			t.Fatalf("seed contact: %+v %v", s, b.errorsOf(t, id))
		}
		c := b.contactsByMail(t, mail)
		return mail, int64(c[0]["id"].(float64))
	}
	for _, tc := range []struct {
		name    string
		options map[string]any
		person  func(mail, tag string, id int64) map[string]any
		// want: "updated", "skipped" or "created" (a second contact)
		want string
	}{
		{"email update", map[string]any{"deduplication": "email", "update_existing": true}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"email": strings.ToUpper(m), "firstname": "Old", "company_name": "New"}
		}, "updated"},
		{"email skip", map[string]any{"deduplication": "email"}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"email": m, "firstname": "Old", "company_name": "New"}
		}, "skipped"},
		{"external_id update", map[string]any{"deduplication": "external_id", "update_existing": true}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"external_id": "EXT-" + tag, "firstname": "Old", "company_name": "New"}
		}, "updated"},
		{"external_id skip", map[string]any{"deduplication": "external_id", "update_existing": false}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"external_id": "EXT-" + tag, "firstname": "Old", "company_name": "New"}
		}, "skipped"},
		{"update_key external_id", map[string]any{"update_existing": true, "update_key": "external_id"}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"external_id": "EXT-" + tag, "firstname": "Old", "company_name": "New", "email": "changed-" + m}
		}, "updated"},
		{"update_key id", map[string]any{"update_existing": true, "update_key": "id"}, func(m, tag string, id int64) map[string]any {
			return map[string]any{"id": id, "firstname": "Old", "company_name": "New"}
		}, "updated"},
		{"auto update", map[string]any{"deduplication": "auto", "update_existing": true}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"email": m, "firstname": "Old", "company_name": "New"}
		}, "updated"},
		{"auto skip", map[string]any{"deduplication": "auto"}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"email": m, "firstname": "Old", "company_name": "New"}
		}, "skipped"},
		{"none creates", map[string]any{"deduplication": "none", "update_existing": true}, func(m, tag string, _ int64) map[string]any {
			return map[string]any{"email": m, "firstname": "Old", "company_name": "New"}
		}, "created"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag := strings.ReplaceAll(tc.name, " ", "-")
			mail, contactID := seed(t, tag)
			id := b.start(t, importBody([]map[string]any{tc.person(mail, tag, contactID)}, tc.options))
			s := b.wait(t, id)
			c := b.contactOf(t, contactID)
			switch tc.want {
			case "updated":
				if s.Updated != 1 || c["company"] != "New" {
					t.Fatalf("status %+v, contact %v, errors %v", s, c["company"], b.errorsOf(t, id))
				}
			case "skipped":
				errs := b.errorsOf(t, id)
				if s.Skipped != 1 || *s.SuccessCount != 0 || *s.ErrorCount != 0 || c["company"] != "" ||
					len(errs) != 1 || !strings.HasPrefix(errs[0].Error, models.SkippedPrefix) || !strings.Contains(errs[0].Error, strconv.FormatInt(contactID, 10)) {
					t.Fatalf("status %+v, contact %v, errors %v", s, c["first_name"], errs)
				}
			case "created":
				if s.Created != 1 || c["company"] != "" || len(b.contactsByMail(t, mail)) != 2 {
					t.Fatalf("status %+v, contacts %v", s, b.contactsByMail(t, mail))
				}
			}
		})
	}
	// An external_id another contact holds is an error of the record, not of the batch.
	_, _ = seed(t, "taken")
	id := b.start(t, importBody([]map[string]any{{"email": "other@options.example", "external_id": "EXT-taken"}, {"email": "fine@options.example"}}, nil))
	s := b.wait(t, id)
	errs := b.errorsOf(t, id)
	if s.Created != 1 || *s.ErrorCount != 1 || len(errs) != 1 || errs[0].Row != 1 || errs[0].Field != "external_id" {
		t.Fatalf("status %+v, errors %v", s, errs)
	}
	// update_key id naming another tenant's or no contact.
	id = b.start(t, importBody([]map[string]any{{"id": 999999999, "firstname": "X"}}, map[string]any{"update_existing": true, "update_key": "id"}))
	s = b.wait(t, id)
	if errs := b.errorsOf(t, id); *s.ErrorCount != 1 || len(errs) != 1 || errs[0].Field != "id" {
		t.Fatalf("status %+v, errors %v", s, errs)
	}
}

// The same Idempotency-Key with the same body answers the same import; with another
// body it is a 422.
func TestIdempotencyKey(t *testing.T) {
	b := setup(t)
	body := importBody([]map[string]any{{"email": "idem@x.example"}}, nil)
	first := b.start(t, body, "Idempotency-Key", "imp-1")
	again := b.start(t, body, "Idempotency-Key", "imp-1")
	if first != again {
		t.Fatalf("retry answered import %d, want %d", again, first)
	}
	rec := b.do(t, http.MethodPost, "/api/v1/imports", importBody([]map[string]any{{"email": "other@x.example"}}, nil), "Idempotency-Key", "imp-1")
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("another body with the key: %d %s", rec.Code, rec.Body)
	}
	b.wait(t, first)
	if n := len(b.contactsByMail(t, "idem@x.example")); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// A cancelled import writes nothing more; cancelling an ended one is a 409; another
// tenant's import is a 404.
func TestCancel(t *testing.T) {
	b := setup(t)
	// The job engine stops first, so the import waits.
	if err := b.jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := b.start(t, importBody([]map[string]any{{"email": "cancelled@x.example"}}, nil))
	var out map[string]any
	b.call(t, http.MethodPost, fmt.Sprintf("/api/v1/imports/%d/cancel", id), nil, http.StatusOK, &out)
	if out["status"] != "cancelled" {
		t.Fatalf("cancel answered %v", out)
	}
	b.call(t, http.MethodPost, fmt.Sprintf("/api/v1/imports/%d/cancel", id), nil, http.StatusConflict, nil)
	other := setup(t)
	other.call(t, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/status", id), nil, http.StatusNotFound, nil)
	other.call(t, http.MethodPost, fmt.Sprintf("/api/v1/imports/%d/cancel", id), nil, http.StatusNotFound, nil)
	// Another worker (other's engine) finds nothing to do.
	other.wait(t, other.start(t, importBody([]map[string]any{{"email": "other-tenant@x.example"}}, nil)))
	if n := len(b.contactsByMail(t, "cancelled@x.example")); n != 0 {
		t.Fatalf("a cancelled import wrote %d contacts", n)
	}
	var s status
	b.call(t, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/status", id), nil, http.StatusOK, &s)
	if s.Status != "cancelled" || s.Reason == "" {
		t.Fatalf("status %+v", s)
	}
}

// The import.completed event carries seed 000's payload with the first 100 errors.
func TestCompletedEvent(t *testing.T) {
	b := setup(t)
	var persons []map[string]any
	for i := 0; i < 130; i++ {
		persons = append(persons, map[string]any{"email": fmt.Sprintf("bad%d", i)})
	}
	persons = append(persons, map[string]any{"email": "ok@event.example"})
	id := b.start(t, importBody(persons, nil))
	b.wait(t, id)
	var feed struct {
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	b.call(t, http.MethodGet, "/api/v1/events?types=import.completed", nil, http.StatusOK, &feed)
	if len(feed.Events) != 1 {
		t.Fatalf("events %+v", feed)
	}
	var data models.ImportCompletedData
	if err := json.Unmarshal(feed.Events[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.ImportID != id || data.Status != "completed" || data.SuccessCount != 1 || data.ErrorCount != 130 || len(data.Errors) != 100 ||
		data.Errors[0].Row != 1 || data.Errors[0].Field != "email" || data.Errors[99].Row != 100 {
		t.Fatalf("payload %+v", data)
	}
}

// The list shows the tenant's imports newest first.
func TestList(t *testing.T) {
	b := setup(t)
	first := b.start(t, importBody([]map[string]any{{"email": "l1@x.example"}}, nil))
	second := b.start(t, importBody([]map[string]any{{"email": "l2@x.example"}}, nil))
	var out struct {
		Imports []struct {
			ImportID int64 `json:"import_id"`
		} `json:"imports"`
		NextBefore int64 `json:"next_before"`
	}
	b.call(t, http.MethodGet, "/api/v1/imports?limit=1", nil, http.StatusOK, &out)
	if len(out.Imports) != 1 || out.Imports[0].ImportID != second || out.NextBefore != second {
		t.Fatalf("first page %+v", out)
	}
	b.call(t, http.MethodGet, fmt.Sprintf("/api/v1/imports?limit=5&before=%d", second), nil, http.StatusOK, &out)
	if len(out.Imports) != 1 || out.Imports[0].ImportID != first {
		t.Fatalf("second page %+v", out)
	}
}

// An import whose worker died (its lease held, never renewed) is resumed from its
// checkpoint by another worker once the lease ran out, and completes exactly once.
func TestResumeAfterWorkerDied(t *testing.T) {
	b := setup(t)
	if err := b.jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	var persons []map[string]any
	for i := 0; i < 30; i++ {
		persons = append(persons, map[string]any{"email": fmt.Sprintf("resume%d@x.example", i)})
	}
	id := b.start(t, importBody(persons, nil))
	// A worker that dies after its first batch: the lease it holds runs out in 1 s.
	until := time.Now().Add(time.Second)
	if _, _, ok, err := b.st.ClaimImport(context.Background(), b.tenant.ID, id, "dead-worker", until); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	err := b.st.WriteImportBatch(context.Background(), nil, models.ImportBatch{ImportID: id, TenantID: b.tenant.ID, Owner: "dead-worker",
		From: 0, To: 5, LeaseUntil: until, Errors: 5, Rows: []models.ImportRowError{{Row: 1, Field: "", Error: "written by the dead worker"}}})
	if err != nil {
		t.Fatal(err)
	}
	other := setup(t) // another replica's engine on the same database
	_ = other
	s := b.wait(t, id)
	if s.Status != "completed" || s.Created != 25 || *s.ErrorCount != 5 {
		t.Fatalf("status %+v, want 25 created after the dead worker's 5", s)
	}
	for i, p := range persons {
		n := len(b.contactsByMail(t, p["email"].(string)))
		if (i < 5 && n != 0) || (i >= 5 && n != 1) {
			t.Fatalf("person %d written %d times", i, n)
		}
	}
}
