package models_test

// Fuzz targets for the decoders of client input in models: id lists, a contact's
// submitted fields (with custom fields of every type), custom field definitions and
// the change feed's cursor.
// Their seed corpora are in testdata/fuzz; .ci/run runs each for a few seconds.

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contacthub/contacthub/models"
)

// checkInvalid fails unless err is an EINVALID *Error within the bounds of an answer.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var de *models.Error
	if !errors.As(err, &de) || de.Code != models.EINVALID || len(de.Fields) == 0 {
		t.Fatalf("error %v, want an EINVALID *models.Error with fields", err)
	}
	if len(de.Fields) > models.MaxFieldErrors || de.Omitted < 0 {
		t.Fatalf("%d fields, %d omitted", len(de.Fields), de.Omitted)
	}
	for _, f := range de.Fields {
		if len(f.Field) > models.MaxFieldLen || len(f.Error) > models.MaxReasonLen || f.Error == "" {
			t.Fatalf("field error of %d and %d bytes: %.100q %.100q", len(f.Field), len(f.Error), f.Field, f.Error)
		}
	}
}

// FuzzParseIDs: an id list is read without panic into sorted distinct positive ids,
// at most max, or refused with a bounded EINVALID.
func FuzzParseIDs(f *testing.F) {
	f.Add([]byte(`[3, "1", 3]`), uint16(1000))
	f.Add([]byte(`[0, -1, "x", 1.5]`), uint16(2))
	f.Add([]byte(`null`), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		limit := int(max%2000) + 1
		ids, err := models.ParseIDs(data, "terms", limit)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		if !json.Valid(data) || len(ids) > limit || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) || (len(ids) > 0 && ids[0] <= 0) {
			t.Fatalf("ParseIDs(%q, %d) = %v", data, limit, ids)
		}
	})
}

// fuzzDefs are custom fields of every type.
var fuzzDefs = map[string]*models.CustomField{
	"note":    {Name: "note", FieldType: models.FieldTypeText, MaxLength: 20},
	"colour":  {Name: "colour", FieldType: models.FieldTypeSelection, Options: []string{"red", "green"}},
	"tags":    {Name: "tags", FieldType: models.FieldTypeSelection, Multiple: true, Options: []string{"a", "b"}},
	"free":    {Name: "free", FieldType: models.FieldTypeSelection, Multiple: true},
	"count":   {Name: "count", FieldType: models.FieldTypeInteger},
	"budget":  {Name: "budget", FieldType: models.FieldTypeFloat},
	"day":     {Name: "day", FieldType: models.FieldTypeDate},
	"when":    {Name: "when", FieldType: models.FieldTypeDatetime},
	"site":    {Name: "site", FieldType: models.FieldTypeURL},
	"consent": {Name: "consent", FieldType: models.FieldTypeCheckbox},
}

// FuzzDecodeSubmission: a contact's fields as a client sends them are decoded without
// panic into clean values, or refused with a bounded EINVALID.
func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`{"mail": "a@example.com", "first_name": "Anna", "terms": [1, "2"], "field_count": "3", "owner": {"uid": 2}}`), false)
	f.Add([]byte(`{"phone": "+49 30 1234", "date_of_birth": "1980-04-23", "field_tags": ["a"], "field_consent": {"ip": "::1"}}`), true)
	f.Add([]byte(`{"title": "m", "ba_country": "de", "mail_status": 2, "request_ip": "203.0.113.7", "field_when": 1700000000}`), false)
	f.Fuzz(func(t *testing.T, body []byte, update bool) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			return
		}
		mode := models.ForCreate
		if update {
			mode = models.ForUpdate
		}
		sub, err := models.DecodeSubmission(raw, fuzzDefs, mode)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		for name, v := range sub.Text {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || strings.TrimSpace(v) != v {
				t.Fatalf("%s = %q", name, v)
			}
		}
		if len(sub.Terms) > models.MaxTermsPerContact || !slices.IsSorted(sub.Terms) || (len(sub.Terms) > 0 && sub.Terms[0] <= 0) {
			t.Fatalf("terms %v", sub.Terms)
		}
		for name := range sub.Custom {
			if fuzzDefs[name] == nil {
				t.Fatalf("undefined custom field %s accepted", name)
			}
		}
	})
}

// FuzzCustomField: a definition as a client sends it is validated without panic, and
// a value of the field is coerced without panic into a value or a short reason.
func FuzzCustomField(f *testing.F) {
	f.Add([]byte(`{"label": "Colour", "field_type": "selection", "options": ["red", "green"], "multiple": true}`), []byte(`["red"]`))
	f.Add([]byte(`{"label": "Budget (€)", "field_type": "float"}`), []byte(`"1.5"`))
	f.Add([]byte(`{"label": "Nick", "field_type": "text", "max_length": 8}`), []byte(`"abcdefghi"`))
	f.Fuzz(func(t *testing.T, def, value []byte) {
		var req struct {
			Label       string   `json:"label"`
			Description string   `json:"description"`
			FieldType   string   `json:"field_type"`
			MaxLength   int      `json:"max_length"`
			Multiple    bool     `json:"multiple"`
			Options     []string `json:"options"`
			Required    bool     `json:"required"`
		}
		if json.Unmarshal(def, &req) != nil {
			return
		}
		cf := &models.CustomField{Label: req.Label, Description: req.Description, FieldType: req.FieldType, MaxLength: req.MaxLength,
			Multiple: req.Multiple, Options: req.Options, Required: req.Required}
		if err := cf.Validate(); err != nil {
			checkInvalid(t, err)
			return
		}
		if cf.Name == "" || len(cf.Options) > models.MaxSelectionOptions {
			t.Fatalf("valid field %+v", cf)
		}
		// A reason names at most ten options and an excerpt of the value: it does not
		// grow with either (ValidationError clips it further).
		if _, reason := cf.Coerce(value); len(reason) > 4096 {
			t.Fatalf("reason of %d bytes", len(reason))
		}
	})
}

// FuzzParseEventPosition: the change feed's cursor (after=) is read without panic, and
// only in the one form String writes.
func FuzzParseEventPosition(f *testing.F) {
	f.Add("0-42")
	f.Add("123456789-7")
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := models.ParseEventPosition(s)
		if ok && p.String() != s {
			t.Fatalf("ParseEventPosition(%q) = %+v, which String writes as %q", s, p, p.String())
		}
	})
}
