package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store/storetest"
)

// bulkEntry is one element of the POST contacts answer.
type bulkEntry struct {
	ID         int64        `json:"id"`
	Email      string       `json:"email"`
	Error      bool         `json:"error"`
	Message    string       `json:"message"`
	Errors     []fieldError `json:"errors"`
	FirstName  *string      `json:"first_name"`
	MailStatus *int         `json:"mail_status"`
	Terms      []int64      `json:"terms"`
}

func TestBulkCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "bulk")
	existing := b.createContact(t, map[string]any{"mail": "existing@example.com", "first_name": "Old"})
	body := `{
		"contacts": [
			{"first_name": "John", "family_name": "Doe", "mail": "johndoe@example.com", "request_ip": "123.123.123.123", "terms": [` + itoa(term) + `]},
			{"first_name": "James", "mail": "not-a-mail", "phone": "call me"},
			"a string, not a contact",
			{"mail": "JohnDoe@Example.com", "job_title": "CEO"},
			{"mail": "existing@example.com", "first_name": "New"},
			{"mail": "unknownterm@example.com", "terms": [99999999]},
			{"first_name": "Only", "family_name": "Address", "ba_street": "Main St 1", "ba_city": "Berlin", "ba_postal_code": "10115"},
			{"family_name": "NoMailNoAddress"},
			null,
			{"mail": "new@example.com", "comment": "first contact"}
		],
		"duplicate_check_method": "email",
		"duplicate_merge_method": "update_add",
		"return_fields": ["first_name", "mail_status", "terms"],
		"flood_limit": 0,
		"spam_protection": false
	}`
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", body, http.StatusOK, &got)
	if len(got) != 10 {
		t.Fatalf("%d entries for 10 contacts: %+v", len(got), got)
	}
	ok := func(i int, mail string) {
		t.Helper()
		if got[i].Error || got[i].ID <= 0 || got[i].Email != mail || got[i].FirstName == nil || got[i].MailStatus == nil || got[i].Terms == nil {
			t.Errorf("entry %d = %+v, want success for %s with return fields", i, got[i], mail)
		}
	}
	failed := func(i int, mail string, fields ...string) {
		t.Helper()
		e := got[i]
		if !e.Error || e.ID != 0 || e.Email != mail || e.Message == "" {
			t.Errorf("entry %d = %+v, want an error for %q", i, e, mail)
		}
		var names []string
		for _, f := range e.Errors {
			names = append(names, f.Field)
			if !strings.Contains(e.Message, f.Field+": "+f.Error) {
				t.Errorf("entry %d: message %q lacks %s", i, e.Message, f.Field)
			}
		}
		if !slices.Equal(names, fields) {
			t.Errorf("entry %d: field errors %v, want %v", i, names, fields)
		}
	}
	ok(0, "johndoe@example.com")
	failed(1, "not-a-mail", "mail", "phone") // every field error, not only the first
	failed(2, "", "contact")
	ok(3, "JohnDoe@Example.com")
	ok(4, "existing@example.com")
	failed(5, "unknownterm@example.com", "terms")
	ok(6, "")
	failed(7, "", "mail")
	failed(8, "", "contact")
	ok(9, "new@example.com")

	// Duplicates within the batch merged with each other, and into existing contacts.
	if got[3].ID != got[0].ID {
		t.Errorf("in-batch duplicate got id %d, want %d", got[3].ID, got[0].ID)
	}
	if got[4].ID != existing || *got[4].FirstName != "New" {
		t.Errorf("duplicate of an existing contact: %+v, want id %d first_name New", got[4], existing)
	}
	if *got[0].FirstName != "John" || !slices.Equal(got[0].Terms, []int64{term}) {
		t.Errorf("return fields of entry 0: %+v", got[0])
	}
	if john := b.full(t, got[0].ID); !slices.Equal(john.Terms, []int64{term}) {
		t.Errorf("merged contact = %+v", john)
	}
	if m := b.getFields(t, got[3].ID, "job_title"); m["job_title"] != "CEO" {
		t.Errorf("merged job_title = %v", m["job_title"])
	}
	var comments commentsView
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(got[9].ID)+"/comments", nil, http.StatusOK, &comments)
	if len(comments.Comments) != 1 || comments.Comments[0].Comment != "first contact" {
		t.Errorf("comment of a bulk contact: %+v", comments.Comments)
	}
	// Failed items wrote nothing.
	b.fail(t, http.MethodGet, "/public/api/V1/contact/unknownterm@example.com", nil, http.StatusNotFound)
}

// TestBulkCreateSeedExample replays seed 001's bulk example (strict JSON) on the
// trailing-slash path the PHP SDK uses.
func TestBulkCreateSeedExample(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := `{"contacts": [
		{"first_name": "John", "family_name": "Doe", "mail": "johndoe@example.com", "request_ip": "123.123.123.123"},
		{"first_name": "James", "family_name": "Doe", "mail": "jamesdoe@example.com", "request_ip": "123.123.123.123"}
	], "duplicate_check_method": "email", "duplicate_merge_method": "update_add",
	"return_fields": ["mail_status", "mail", "first_name", "family_name"], "flood_limit": 5, "spam_protection": true}`
	var got []map[string]any
	b.call(t, http.MethodPost, "/public/api/v1/contacts/", body, http.StatusOK, &got)
	if len(got) != 2 || got[0]["email"] != "johndoe@example.com" || got[1]["email"] != "jamesdoe@example.com" ||
		got[0]["first_name"] != "John" || got[1]["family_name"] != "Doe" || got[0]["id"] == got[1]["id"] {
		t.Fatalf("answer = %v", got)
	}
	for _, e := range got {
		if _, bad := e["error"]; bad {
			t.Errorf("entry %v has an error", e)
		}
	}
}

// TestBulkCreateAutoCheck: with the default auto check, a batch holding the same
// person twice (different case, an extra field) yields one contact.
func TestBulkCreateAutoCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"first_name": "Erika", "family_name": "Mustermann", "mail": "erika@example.com", "ba_postal_code": "51147"},
		{"first_name": "ERIKA", "family_name": "Mustermann", "mail": "Erika@Example.com", "phone": "+49 221 1234567"},
	}}, http.StatusOK, &got)
	if len(got) != 2 || got[0].Error || got[1].Error || got[0].ID != got[1].ID {
		t.Fatalf("auto check in one batch: %+v", got)
	}
}

func TestBulkCreateErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	many := func(n int) map[string]any {
		list := make([]map[string]any, n)
		for i := range list {
			list[i] = map[string]any{"mail": fmt.Sprintf("many%d@example.com", i)}
		}
		return map[string]any{"contacts": list, "duplicate_check_method": "none"}
	}
	tests := []struct {
		name  string
		body  any
		want  int
		field string
	}{
		{"no contacts key", map[string]any{"duplicate_check_method": "email"}, 422, "contacts"},
		{"empty list", map[string]any{"contacts": []any{}}, 422, "contacts"},
		{"null list", `{"contacts": null}`, 422, "contacts"},
		{"not a list", map[string]any{"contacts": map[string]any{"mail": "a@example.com"}}, 422, "contacts"},
		{"too many", many(handlers.MaxBulkContacts + 1), 413, ""},
		{"bad check method", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}, "duplicate_check_method": "fuzzy"}, 422, "duplicate_check_method"},
		{"bad merge method", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}, "duplicate_merge_method": "replace"}, 422, "duplicate_merge_method"},
		{"bad return field", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}, "return_fields": []string{"password"}}, 422, "return_fields[0]"},
		{"negative flood limit", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}, "flood_limit": -1}, 422, "flood_limit"},
		{"unknown option", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}, "dry_run": true}, 422, "dry_run"},
		{"malformed", `{"contacts": [{"mail": "a@example.com"},]}`, 400, ""},
		{"no key", map[string]any{"contacts": []any{map[string]any{"mail": "a@example.com"}}}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []reqOpt
			if tt.want == 401 {
				opts = append(opts, withKey(""))
			}
			e := b.fail(t, http.MethodPost, "/public/api/V1/contacts", tt.body, tt.want, opts...)
			if tt.field != "" && !slices.Contains(e.fields(), tt.field) {
				t.Errorf("errors %+v do not name %q", e.Errors, tt.field)
			}
		})
	}
	// Nothing of the refused calls was written.
	b.fail(t, http.MethodGet, "/public/api/V1/contact/a@example.com", nil, http.StatusNotFound)

	// The maximum itself is accepted, in one call.
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", many(handlers.MaxBulkContacts), http.StatusOK, &got)
	if len(got) != handlers.MaxBulkContacts {
		t.Fatalf("%d entries, want %d", len(got), handlers.MaxBulkContacts)
	}
	for i, e := range got {
		if e.Error || e.Email != fmt.Sprintf("many%d@example.com", i) || (i > 0 && e.ID <= got[i-1].ID) {
			t.Fatalf("entry %d = %+v", i, e)
		}
	}
}

// TestBulkCreateRequiredCustomField: a required custom field fails only the items
// that would create a contact without it.
func TestBulkCreateRequiredCustomField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Source", "field_type": "text", "required": true}, http.StatusOK, nil)
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "with@example.com", "field_source": "fair"},
		{"mail": "without@example.com"},
		{"mail": "long@example.com", "field_source": strings.Repeat("x", 300)},
	}}, http.StatusOK, &got)
	if got[0].Error || !got[1].Error || !got[2].Error {
		t.Fatalf("entries = %+v", got)
	}
	if len(got[1].Errors) != 1 || got[1].Errors[0].Field != "field_source" || got[2].Errors[0].Field != "field_source" {
		t.Errorf("field errors: %+v / %+v", got[1].Errors, got[2].Errors)
	}
}

// TestBulkCreateTenantIsolation: email checks never merge across tenants, and term ids
// of another tenant are unknown.
func TestBulkCreateTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	theirs := b.createContact(t, map[string]any{"mail": "bulkiso@example.com"})
	theirTerm := b.postTerm(t, "theirs")
	other := storetest.NewTenant(t, b.st)
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "bulkiso@example.com"},
		{"mail": "bulkiso2@example.com", "terms": []int64{theirTerm}},
	}, "duplicate_check_method": "email", "return_fields": []string{"mail"}}, http.StatusOK, &got, withKey(other.Key))
	if got[0].Error || got[0].ID == theirs {
		t.Errorf("entry 0 = %+v, want a new contact of the other tenant", got[0])
	}
	if !got[1].Error || got[1].Errors[0].Field != "terms" {
		t.Errorf("entry 1 = %+v, want unknown term", got[1])
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact/"+itoa(got[0].ID), nil, http.StatusNotFound)
}

// BenchmarkBulkCreate posts 1,000 new contacts per call (check email) through the
// router into the test database: go test ./handlers -run '^$' -bench BulkCreate
// (with CONTACTHUB_TEST_DATABASE_URL for Postgres). bench/bulk measures the same over
// HTTP against a running server, beside COPY.
func BenchmarkBulkCreate(b *testing.B) {
	bb := setup(b)
	bodies := make([][]byte, b.N)
	for n := range bodies {
		list := make([]map[string]any, handlers.MaxBulkContacts)
		for i := range list {
			list[i] = map[string]any{"first_name": fmt.Sprintf("First%d", i%50), "family_name": fmt.Sprintf("Family%d", i%300),
				"mail": fmt.Sprintf("b%d.%d@bench%d.example", n, i, i%97), "phone": fmt.Sprintf("+49 30 %07d", n*1000+i),
				"ba_street": "Hauptstraße 1", "ba_city": "Berlin", "ba_postal_code": fmt.Sprintf("%05d", 10000+i%5000), "ba_country": "DE"}
		}
		data, err := json.Marshal(map[string]any{"contacts": list, "duplicate_check_method": "email"})
		if err != nil {
			b.Fatal(err)
		}
		bodies[n] = data
	}
	b.ResetTimer()
	for n := range b.N {
		rec := bb.do(b, http.MethodPost, "/public/api/V1/contacts", bodies[n])
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N*handlers.MaxBulkContacts)/b.Elapsed().Seconds(), "contacts/s")
}

// TestBulkPerItemFloodAndSpam: the flood limit and the spam list refuse single
// items of a bulk create, in input order, with their message; a merge is not counted.
func TestBulkPerItemFloodAndSpam(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.0/24"}}, http.StatusOK, nil)
	const ip = "192.0.2.44"
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "fl0@example.com", "request_ip": ip},
		{"mail": "fl1@example.com", "request_ip": ip},
		{"mail": "fl2@example.com", "request_ip": ip}, // third new contact from ip: over the limit
		{"mail": "FL0@example.com", "request_ip": ip}, // a merge: not counted
		{"mail": "spam@example.com", "request_ip": "198.51.100.9"},
		{"mail": "noip@example.com"},
	}, "duplicate_check_method": "email", "flood_limit": 2, "spam_protection": true}, http.StatusOK, &got)
	if len(got) != 6 {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	tests := []struct {
		i       int
		mail    string
		message string // "" = success
	}{
		{0, "fl0@example.com", ""},
		{1, "fl1@example.com", ""},
		{2, "fl2@example.com", "at most 2 contacts per hour"},
		{3, "FL0@example.com", ""},
		{4, "spam@example.com", "spam list"},
		{5, "noip@example.com", ""},
	}
	for _, tt := range tests {
		e := got[tt.i]
		if e.Email != tt.mail || e.Error != (tt.message != "") || !strings.Contains(e.Message, tt.message) || (tt.message == "") != (e.ID > 0) {
			t.Errorf("entry %d = %+v, want mail %s message %q", tt.i, e, tt.mail, tt.message)
		}
	}
	if got[3].ID != got[0].ID {
		t.Errorf("in-batch duplicate id %d, want %d", got[3].ID, got[0].ID)
	}
	for _, mail := range []string{"fl2@example.com", "spam@example.com"} {
		b.fail(t, http.MethodGet, "/public/api/V1/contact/"+mail, nil, http.StatusNotFound)
	}
}

// TestBulkMergesLikeSeparateCalls: for every merge method, two items of one batch
// that are the same person end as the contact two separate POST contact calls make.
func TestBulkMergesLikeSeparateCalls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t1, t2 := b.postTerm(t, "merge-1"), b.postTerm(t, "merge-2")
	items := func(prefix string) []map[string]any {
		return []map[string]any{
			{"mail": prefix + "@example.com", "first_name": "Anna", "company": "Old GmbH", "phone": "+49 30 1111111", "terms": []int64{t1}},
			{"mail": strings.ToUpper(prefix) + "@Example.com", "first_name": "", "company": "New AG", "job_title": "CTO", "terms": []int64{t2}},
		}
	}
	strip := func(m map[string]any, prefix string) map[string]any {
		for _, k := range []string{"id", "created", "changed"} {
			delete(m, k)
		}
		m["mail"] = strings.NewReplacer(prefix, "P", strings.ToUpper(prefix), "P").Replace(fmt.Sprint(m["mail"]))
		return m
	}
	for _, method := range []string{"update_add", "update", "add"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			batch, seq := "batch-"+method, "seq-"+method
			var got []bulkEntry
			b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": items(batch),
				"duplicate_check_method": "email", "duplicate_merge_method": method}, http.StatusOK, &got)
			if len(got) != 2 || got[0].Error || got[1].Error || got[0].ID != got[1].ID {
				t.Fatalf("batch = %+v, want one contact", got)
			}
			var id int64
			for _, it := range items(seq) {
				var out struct{ ID int64 }
				b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": it,
					"duplicate_check_method": "email", "duplicate_merge_method": method}, http.StatusOK, &out)
				id = out.ID
			}
			var fromBatch, fromCalls map[string]any
			b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(got[0].ID), nil, http.StatusOK, &fromBatch)
			b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &fromCalls)
			a, c := fmt.Sprint(strip(fromBatch, batch)), fmt.Sprint(strip(fromCalls, seq))
			if a != c {
				t.Errorf("batch merge\n %s\nseparate calls\n %s", a, c)
			}
		})
	}
}

// TestBulkItemReportsEveryFieldError: an item that fails reports all its field
// errors at once (README, Bulk create), an unknown term id among them.
func TestBulkItemReportsEveryFieldError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	known := b.postTerm(t, "known")
	const unknown = 99999999
	var got []bulkEntry
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []map[string]any{
		{"mail": "every@example.com", "phone": "call me", "terms": []int64{known, unknown}},
		{"mail": "knownonly@example.com", "phone": "call me", "terms": []int64{known}},
		{"mail": "fine@example.com", "terms": []int64{known}},
		{"mail": "termonly@example.com", "terms": []int64{unknown}},
	}}, http.StatusOK, &got)
	want := [][]string{{"phone", "terms"}, {"phone"}, nil, {"terms"}}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		var fields []string
		for _, f := range e.Errors {
			fields = append(fields, f.Field)
			if f.Field == "terms" && f.Error != "unknown term ids [99999999]" {
				t.Errorf("entry %d: terms error %q, want it to name only the unknown id", i, f.Error)
			}
		}
		if !slices.Equal(fields, want[i]) || e.Error != (want[i] != nil) {
			t.Errorf("entry %d = %+v, want errors on %v", i, e, want[i])
		}
	}

	// The single create and the update answer the same way.
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{
		"mail": "single@example.com", "phone": "call me", "terms": []int64{unknown}}}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"contact.phone", "contact.terms"}) {
		t.Errorf("POST contact: fields %v, want contact.phone and contact.terms", got)
	}
	path := "/public/api/V1/contact/" + itoa(got[2].ID)
	e = b.fail(t, http.MethodPut, path, map[string]any{"phone": "call me", "terms": []int64{unknown}}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"phone", "terms"}) {
		t.Errorf("PUT contact: fields %v, want phone and terms", got)
	}
}

// TestBulkReturnFieldsNeedDefinedCustomFields: return_fields naming a custom field the
// tenant does not have fails the whole call, as GET's fields does, and writes nothing.
func TestBulkReturnFieldsNeedDefinedCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := b.fail(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{
		"contacts":      []map[string]any{{"mail": "rfbulk@example.com"}},
		"return_fields": []string{"first_name", "field_nope"},
	}, http.StatusUnprocessableEntity)
	if got := e.fields(); !slices.Equal(got, []string{"return_fields[1]"}) {
		t.Errorf("fields %v, want return_fields[1]", got)
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact/rfbulk@example.com", nil, http.StatusNotFound)
}
