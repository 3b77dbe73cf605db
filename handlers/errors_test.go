package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestValidation sends every validated contact field, once in POST contact (fields named
// contact.<name>) and once in PUT contact/{id} (flat names): a valid value must be
// stored in its canonical form, an invalid one must answer 422 naming the field.
func TestValidation(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		field string
		value any
		want  any // stored value (JSON-compared); nil means the value is refused with 422
	}{
		{"title", "m", "m"},
		{"title", "F", "f"},
		{"title", "x", nil},
		{"title", "mr", nil},
		{"title2", "dr", "dr"},
		{"title2", "Prof", "prof"},
		{"title2", "d1", nil},
		{"title2", "prof.", nil}, // CHAR(4)
		{"first_name", long(255), long(255)},
		{"first_name", long(256), nil},
		{"first_name", " Jane ", "Jane"},
		{"first_name", "Ja\x01ne", nil},
		{"first_name", map[string]any{"a": 1}, nil},
		{"first_name", 123, "123"}, // form builders send numbers for text
		{"family_name", long(256), nil},
		{"company", long(256), nil},
		{"job_title", long(256), nil},
		{"mail", "not-an-address", nil},
		{"mail", "jane@localhost", nil},
		{"mail", "Jane Doe <jane@example.com>", nil},
		{"mail", long(250) + "@example.com", nil},
		{"mail2", "second@example.org", "second@example.org"},
		{"mail2", "second@", nil},
		{"phone_type", "Mobile", "mobile"},
		{"phone_type", "fax", nil},
		{"phone2_type", "work", "work"},
		{"phone2_type", "pager", nil},
		{"phone", "+49 (30) 123-456", "+49 (30) 123-456"},
		{"phone", "call me", nil},
		{"phone", "12", nil},
		{"phone2", "0049/30.1234", "0049/30.1234"},
		{"phone2", "030 12x", nil},
		{"fax", "fax: 123", nil},
		{"skype", long(256), nil},
		{"fb", long(256), nil},
		{"twitter", long(256), nil},
		{"ba_street", long(256), nil},
		{"ba_street2", long(256), nil},
		{"ba_city", long(256), nil},
		{"ba_postal_code", "10115", "10115"},
		{"ba_postal_code", 10115, "10115"},
		{"ba_postal_code", long(21), nil}, // CHAR(20)
		{"ba_state", long(20), long(20)},
		{"ba_state", long(21), nil},
		{"ba_country", "de", "DE"},
		{"ba_country", "XX", nil},
		{"ba_country", "DEU", "DE"},     // alpha-3, as CRMs export it
		{"ba_country", "Germany", "DE"}, // a name
		{"ba_country", "XYZ", nil},
		{"ba_country", long(65), nil},
		{"date_of_birth", "1980-04-23", "1980-04-23"},
		{"date_of_birth", "2004-02-12T15:19:21+00:00", "2004-02-12T15:19:21Z"},
		{"date_of_birth", "2004-02-12T17:19:21+02:00", "2004-02-12T15:19:21Z"},
		{"date_of_birth", "23.04.1980", nil},
		{"date_of_birth", "1980-13-01", nil},
		{"date_of_birth", "1700-01-01", nil},
		{"mail_status", 0, 0},
		{"mail_status", 8, 8},
		{"mail_status", "3", 3},
		{"mail_status", 9, nil},
		{"mail_status", -1, nil},
		{"mail_status", "confirmed", nil},
		{"mail_status", 1.5, nil},
		{"uid", 7, 7},
		{"uid", -1, nil},
		{"uid", "someone@example.com", nil},
		{"terms", "1,2", nil},
		{"terms", []int64{0}, nil},
		{"terms", []int64{987654321}, nil}, // not a term of the tenant
		{"terms", []int64{}, []int64{}},
		{"comment", long(10001), nil},
		{"nickname", "x", nil},
		{"field_undefined", "x", nil},
		{"created", 1600000000, nil},
		{"changed", 1600000000, nil},
		{"id", 1, nil},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s=%.20v", tt.field, tt.value)
		t.Run("POST/"+name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			fields := map[string]any{"mail": "valid@example.com", tt.field: tt.value}
			if tt.field == "mail" {
				fields["first_name"] = "x" // keep the body otherwise valid
			}
			if tt.want == nil {
				e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": fields}, http.StatusUnprocessableEntity)
				if want := []string{"contact." + tt.field}; !slices.Equal(e.fields(), want) {
					t.Fatalf("errors %+v, want fields %v", e.Errors, want)
				}
				return
			}
			var out struct{ ID int64 }
			b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": fields}, http.StatusOK, &out)
			checkStored(t, b, out.ID, tt.field, tt.want)
		})
		t.Run("PUT/"+name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.createContact(t, map[string]any{"mail": "valid@example.com"})
			path := fmt.Sprintf("/public/api/V1/contact/%d", id)
			body := map[string]any{tt.field: tt.value}
			if tt.want == nil {
				e := b.fail(t, http.MethodPut, path, body, http.StatusUnprocessableEntity)
				if want := []string{tt.field}; !slices.Equal(e.fields(), want) {
					t.Fatalf("errors %+v, want fields %v", e.Errors, want)
				}
				return
			}
			b.call(t, http.MethodPut, path, body, http.StatusOK, nil)
			checkStored(t, b, id, tt.field, tt.want)
		})
	}
}

func checkStored(t *testing.T, b *bundle, id int64, field string, want any) {
	t.Helper()
	if field == "comment" {
		return
	}
	got := b.getFields(t, id, field)
	gotJSON, _ := json.Marshal(got[field])
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("stored %s = %s, want %s", field, gotJSON, wantJSON)
	}
}

// TestValidationReportsEveryField: all invalid fields are named at once, in a stable
// order, not only the first.
func TestValidationReportsEveryField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{
		"contact": map[string]any{"mail": "bad", "title": "x", "ba_country": "XX", "nickname": "n", "mail_status": 42},
	}, http.StatusUnprocessableEntity)
	want := []string{"contact.ba_country", "contact.mail", "contact.mail_status", "contact.nickname", "contact.title"}
	if !slices.Equal(e.fields(), want) {
		t.Fatalf("fields %v, want %v", e.fields(), want)
	}
	for _, f := range e.Errors {
		if f.Error == "" {
			t.Errorf("field %s without a reason", f.Field)
		}
	}
}

func TestCreateContactOptionErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := map[string]any{"mail": "opt@example.com"}
	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"check method", map[string]any{"contact": c, "duplicate_check_method": "fuzzy"}, 422, []string{"duplicate_check_method"}},
		{"merge method", map[string]any{"contact": c, "duplicate_merge_method": "replace"}, 422, []string{"duplicate_merge_method"}},
		{"return field", map[string]any{"contact": c, "return_fields": []string{"mail", "password"}}, 422, []string{"return_fields[1]"}},
		{"flood limit", map[string]any{"contact": c, "flood_limit": -1}, 422, []string{"flood_limit"}},
		{"check method type", map[string]any{"contact": c, "duplicate_check_method": 5}, 422, []string{"duplicate_check_method"}},
		{"spam protection type", map[string]any{"contact": c, "spam_protection": "yes"}, 422, []string{"spam_protection"}},
		{"contact type", map[string]any{"contact": []any{c}}, 422, []string{"contact"}},
		{"unknown option", map[string]any{"contact": c, "duplicate_check": "email"}, 422, []string{"duplicate_check"}},
		{"qntn url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url": "javascript:alert(1)"}}, 422, []string{"qntn.redirection_url"}},
		{"qntn confirmed url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url_confirmed": "/relative"}}, 422, []string{"qntn.redirection_url_confirmed"}},
		{"body is an array", `[{"contact": {}}]`, 400, nil},
		{"body is a string", `"contact"`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, http.MethodPost, "/public/api/V1/contact", tt.body, tt.status)
			if tt.fields != nil && !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want fields %v", e.Errors, tt.fields)
			}
		})
	}
}

// TestMalformedJSON: a body that is not JSON answers 400 naming the position, so a
// developer finds the stray comma.
func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "malformed@example.com"})
	// Seed 001's examples verbatim: trailing commas after the last member.
	seedCreate := "{\n\"contact\" : {\n\"first_name\" : \"John\",\n\"family_name\" : \"Doe\",\n\"mail\" : \"johndoe@example.com\",\n\"request_ip\" : \"123.123.123.123\",\n},\n" +
		"\"duplicate_check_method\" : \"email\",\n\"duplicate_merge_method\" : \"update_add\",\n\"return_fields\" : [\n\"mail_status\",\"mail\",\"first_name\",\"family_name\",\n],\n" +
		"\"flood_limit\" : 5,\n\"spam_protection\" : true\n}"
	seedUpdate := "{\n\"first_name\": \"John\",\n\"family_name\": \"Doe\",\n\"mail\": \"johndoe@example.com\",\n\"return_fields\" : [\n\"mail_status\",\"mail\",\"first_name\",\"family_name\",\n]\n}"
	tests := []struct {
		name, method, path, body string
		wantInMessage            string
	}{
		{"seed POST contact", http.MethodPost, "/public/api/V1/contact", seedCreate, "line 7, column 1"},
		{"seed PUT contact", http.MethodPut, fmt.Sprintf("/public/api/V1/contact/%d", id), seedUpdate, "line 7, column 1"},
		{"bad value", http.MethodPost, "/public/api/V1/contact", `{"contact": {"mail": x}}`, "line 1, column 22"},
		{"second line", http.MethodPost, "/public/api/V1/contact", "{\n  \"contact\" {}}", "line 2, column 13"},
		{"truncated", http.MethodPost, "/public/api/V1/contact", `{"contact": {"mail": "a@example.com"`, "unexpected end"},
		{"trailing data", http.MethodPost, "/public/api/V1/contact", `{"contact": {"mail": "a@example.com"}} {}`, "after the JSON value"},
		{"empty", http.MethodPost, "/public/api/V1/contact", "", "empty"},
		{"whitespace", http.MethodPost, "/public/api/V1/contact", " \n ", "empty"},
		{"custom field", http.MethodPost, "/public/api/V1/custom-fields", `{"label": "x",}`, "line 1, column 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, tt.method, tt.path, tt.body, http.StatusBadRequest)
			if !strings.Contains(e.Message, tt.wantInMessage) {
				t.Fatalf("message %q does not contain %q", e.Message, tt.wantInMessage)
			}
		})
	}
}

// TestBodyTooLarge: bodies over Limits.MaxBodyBytes answer 413, whether the size is
// declared up front or only found while reading a chunked body.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Limits.MaxBodyBytes = 2048 })
	big := map[string]any{"contact": map[string]any{"mail": "big@example.com", "comment": strings.Repeat("x", 3000)}}
	small := map[string]any{"contact": map[string]any{"mail": "small@example.com", "comment": strings.Repeat("x", 1500)}}
	chunked := func(r *http.Request) { r.ContentLength = -1 }
	b.fail(t, http.MethodPost, "/public/api/V1/contact", big, http.StatusRequestEntityTooLarge)
	b.fail(t, http.MethodPost, "/public/api/V1/contact", big, http.StatusRequestEntityTooLarge, chunked)
	b.fail(t, http.MethodPut, "/public/api/V1/contact/1", map[string]any{"comment": strings.Repeat("x", 3000)}, http.StatusRequestEntityTooLarge, chunked)
	b.fail(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": strings.Repeat("x", 3000)}, http.StatusRequestEntityTooLarge, chunked)
	b.call(t, http.MethodPost, "/public/api/V1/contact", small, http.StatusOK, nil)
	b.call(t, http.MethodPost, "/public/api/V1/contact", small, http.StatusOK, nil, chunked)
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fail(t, http.MethodGet, "/public/api/V1/nope", nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/nope", nil, http.StatusNotFound, withKey(""))
	// A method a path does not have answers 405 and says which it has (API-NOTES: no
	// PATCH), with or without a key.
	for _, opts := range [][]reqOpt{nil, {withKey("")}} {
		rec := b.do(t, http.MethodPatch, "/public/api/V1/contact/1", map[string]any{"first_name": "x"}, opts...)
		if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Header().Get("Allow"), "PUT") {
			t.Fatalf("PATCH contact/1: status %d, Allow %q; want 405 naming PUT", rec.Code, rec.Header().Get("Allow"))
		}
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact", nil, http.StatusMethodNotAllowed)
	b.fail(t, http.MethodPatch, "/api/v1/merges/abc/undo", nil, http.StatusMethodNotAllowed)
}

// TestClientGoneIs499: a request whose client has left (its context is cancelled)
// is recorded as 499, not as a server error.
func TestClientGoneIs499(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gone := func(r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		cancel()
		*r = *r.WithContext(ctx)
	}
	for _, path := range []string{"/api/v1/contacts", "/public/api/V1/terms"} {
		rec := b.do(t, http.MethodGet, path, nil, gone)
		if rec.Code != handlers.StatusClientClosedRequest {
			t.Fatalf("GET %s with the client gone: status %d, want 499; body %s", path, rec.Code, rec.Body)
		}
	}
	if s := handlers.StatusOf(fmt.Errorf("store: list: %w", context.Canceled)); s != handlers.StatusClientClosedRequest {
		t.Fatalf("StatusOf(wrapped context.Canceled) = %d, want 499", s)
	}
}

// slowContacts is a contact store whose writes never finish in time.
type slowContacts struct{ contacts.Store }

func (slowContacts) Ingest(ctx context.Context, _ int64, _ []*models.Submission, _ models.IngestOptions) ([]models.IngestResult, error) {
	return nil, fmt.Errorf("store: lock keys: %w", context.DeadlineExceeded)
}

// TestWriteOverItsBoundIs503: a contact write that runs past its time bound (queued
// behind other big batches) answers 503 with Retry-After, not 500.
func TestWriteOverItsBoundIs503(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) {
		a.ContactService = contacts.New(contacts.Config{Store: slowContacts{storetest.Open(t)}})
	})
	rec := b.do(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "slow@example.com"}})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After; body %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}
