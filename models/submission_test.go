package models_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
)

// raw turns a JSON object into the map DecodeSubmission takes.
func raw(t *testing.T, obj string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		t.Fatalf("test JSON %s: %v", obj, err)
	}
	return m
}

func fieldNames(err error) []string {
	var e *models.Error
	if err == nil {
		return nil
	}
	e, ok := err.(*models.Error)
	if !ok {
		return []string{"<not a *models.Error: " + err.Error() + ">"}
	}
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Field
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestDecodeSubmission(t *testing.T) {
	t.Parallel()
	defs := map[string]*models.CustomField{
		"budget": {Name: "budget", FieldType: models.FieldTypeInteger},
		"tags":   {Name: "tags", FieldType: models.FieldTypeSelection, Multiple: true, Options: []string{"a", "b"}},
	}
	tests := []struct {
		name       string
		mode       models.SubmissionMode
		body       string
		want       *models.Submission
		wantFields []string
	}{
		{
			name: "text fields normalised",
			body: `{"mail": " Jane@Example.com ", "title": "M", "title2": "Dr", "phone_type": "MOBILE", "ba_country": "de", "date_of_birth": "1980-04-23", "ba_postal_code": 10115}`,
			want: &models.Submission{Text: map[string]string{"mail": "Jane@Example.com", "title": "m", "title2": "dr", "phone_type": "mobile", "ba_country": "DE", "date_of_birth": "1980-04-23", "ba_postal_code": "10115"}},
		},
		{
			name: "empty and null are kept as sent-empty",
			body: `{"company": "", "job_title": null, "mail_status": null, "field_budget": null, "terms": null}`,
			want: &models.Submission{Text: map[string]string{"company": "", "job_title": ""}, MailStatus: ptr(0),
				Custom: map[string]any{"budget": nil}, Terms: []int64{}, HasTerms: true},
		},
		{
			name: "numbers, terms, custom values",
			body: `{"mail_status": "5", "owner": 4, "terms": [3, 1, 3], "field_budget": "12", "field_tags": ["b", "a", "b"]}`,
			want: &models.Submission{Text: map[string]string{}, MailStatus: ptr(5), UID: ptr(int64(4)), Terms: []int64{1, 3}, HasTerms: true,
				Custom: map[string]any{"budget": int64(12), "tags": []string{"b", "a"}}},
		},
		{
			name: "comment and request_ip on create",
			body: `{"comment": "  line one\nline two  ", "request_ip": " 10.0.0.1 "}`,
			want: &models.Submission{Text: map[string]string{}, Comment: "line one\nline two", RequestIP: "10.0.0.1"},
		},
		{name: "request_ip refused on update", mode: models.ForUpdate, body: `{"request_ip": "10.0.0.1"}`, wantFields: []string{"request_ip"}},
		{name: "read-only", body: `{"id": 1, "created": 2, "changed": 3}`, wantFields: []string{"changed", "created", "id"}},
		{name: "unknown and undefined custom", body: `{"foo": 1, "field_nope": 2, "field_": 3}`, wantFields: []string{"field_", "field_nope", "foo"}},
		{name: "custom type violation", body: `{"field_budget": "12.5", "field_tags": ["c"]}`, wantFields: []string{"field_budget", "field_tags"}},
		{name: "every error at once, sorted", body: `{"title": "x", "mail": "@", "ba_country": "ZZ", "phone": "abc", "mail_status": 9, "uid": -2, "terms": [-1], "comment": 5}`,
			wantFields: []string{"ba_country", "comment", "mail", "mail_status", "phone", "terms", "title", "uid"}},
		{name: "wrong JSON types", body: `{"first_name": true, "mail": ["a@b.de"], "terms": {"a": 1}}`, wantFields: []string{"first_name", "mail", "terms"}},
		{name: "control characters", body: `{"first_name": "a\u0000b", "comment": "tab\tand\nnewline ok"}`, wantFields: []string{"first_name"}},
		{name: "lengths per CHAR size", body: `{"title2": "abcde", "ba_postal_code": "123456789012345678901", "ba_state": "` + strings.Repeat("s", 21) + `", "company": "` + strings.Repeat("c", 256) + `"}`,
			wantFields: []string{"ba_postal_code", "ba_state", "company", "title2"}},
		{name: "length counts characters, not bytes", body: `{"family_name": "` + strings.Repeat("ü", 255) + `"}`,
			want: &models.Submission{Text: map[string]string{"family_name": strings.Repeat("ü", 255)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := models.DecodeSubmission(raw(t, tt.body), defs, tt.mode)
			if tt.wantFields != nil {
				if models.ErrorCode(err) != models.EINVALID || !slices.Equal(fieldNames(err), tt.wantFields) {
					t.Fatalf("err = %v (fields %v), want invalid %v", err, fieldNames(err), tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNewContactAndIdentity(t *testing.T) {
	t.Parallel()
	sub, err := models.DecodeSubmission(raw(t, `{"mail": "A@Example.com", "mail_status": 2, "terms": [2], "field_x": null}`),
		map[string]*models.CustomField{"x": {Name: "x", FieldType: models.FieldTypeText, MaxLength: 10}}, models.ForCreate)
	if err != nil {
		t.Fatal(err)
	}
	c := sub.NewContact(7)
	if c.TenantID != 7 || c.Mail != "A@Example.com" || c.MailKey != "a@example.com" || c.MailStatus != 2 || !slices.Equal(c.Terms, []int64{2}) || len(c.Custom) != 0 {
		t.Fatalf("NewContact = %+v", c)
	}
	if !c.HasIdentity() {
		t.Fatal("contact with mail has no identity")
	}
	addr := &models.Contact{FirstName: "a", FamilyName: "b", BaStreet: "c", BaCity: "d", BaPostalCode: "e"}
	if !addr.HasIdentity() {
		t.Fatal("full address has no identity")
	}
	addr.BaCity = ""
	if addr.HasIdentity() {
		t.Fatal("partial address has identity")
	}
}
