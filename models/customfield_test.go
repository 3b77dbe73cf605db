package models_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
)

func TestMachineName(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]string{
		"Budget":                  "budget",
		"Budget (€)":              "budget",
		"Größe in cm":             "groesse_in_cm",
		"  Lead  Source--2 ":      "lead_source_2",
		"!!!":                     "",
		strings.Repeat("ab ", 40): strings.TrimRight(strings.Repeat("ab_", 20), "_"),
	} {
		if got := models.MachineName(label); got != want {
			t.Errorf("MachineName(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestCustomFieldValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		f          models.CustomField
		wantFields []string
		check      func(t *testing.T, f *models.CustomField)
	}{
		{name: "text defaults to 255", f: models.CustomField{Label: "Note", FieldType: "text"}, check: func(t *testing.T, f *models.CustomField) {
			if f.MaxLength != 255 || f.Name != "note" || f.Options == nil {
				t.Errorf("defaults: %+v", f)
			}
		}},
		{name: "name from a multi-word label", f: models.CustomField{Label: "Lead source (web)", FieldType: "text"}, check: func(t *testing.T, f *models.CustomField) {
			if f.Name != "lead_source_web" {
				t.Errorf("name %q", f.Name)
			}
		}},
		{name: "text 8", f: models.CustomField{Label: "A", FieldType: "text", MaxLength: 8}},
		{name: "text 7", f: models.CustomField{Label: "A", FieldType: "text", MaxLength: 7}, wantFields: []string{"max_length"}},
		{name: "text 256", f: models.CustomField{Label: "A", FieldType: "text", MaxLength: 256}, wantFields: []string{"max_length"}},
		{name: "max_length on integer", f: models.CustomField{Label: "A", FieldType: "integer", MaxLength: 10}, wantFields: []string{"max_length"}},
		{name: "selection with options", f: models.CustomField{Label: "A", FieldType: "selection", Options: []string{" x ", "y"}, Multiple: true}, check: func(t *testing.T, f *models.CustomField) {
			if !slices.Equal(f.Options, []string{"x", "y"}) {
				t.Errorf("options %q", f.Options)
			}
		}},
		{name: "duplicate and empty options", f: models.CustomField{Label: "A", FieldType: "selection", Options: []string{"x", "x", " "}}, wantFields: []string{"options[1]", "options[2]"}},
		{name: "options on text", f: models.CustomField{Label: "A", FieldType: "text", Options: []string{"x"}}, wantFields: []string{"options"}},
		{name: "multiple on url", f: models.CustomField{Label: "A", FieldType: "url", Multiple: true}, wantFields: []string{"options"}},
		{name: "unknown type", f: models.CustomField{Label: "A", FieldType: "number"}, wantFields: []string{"field_type"}},
		{name: "no label", f: models.CustomField{FieldType: "integer"}, wantFields: []string{"label"}},
		{name: "label without letters", f: models.CustomField{Label: "€€", FieldType: "integer"}, wantFields: []string{"label"}},
		{name: "every type", f: models.CustomField{Label: "A", FieldType: "checkbox_confirmation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.f
			err := f.Validate()
			if !slices.Equal(fieldNames(err), tt.wantFields) {
				t.Fatalf("Validate() = %v (fields %v), want fields %v", err, fieldNames(err), tt.wantFields)
			}
			if tt.check != nil {
				tt.check(t, &f)
			}
		})
	}
}

// TestCoerce checks every custom field type's accepted values, their stored form, and
// the refusals.
func TestCoerce(t *testing.T) {
	t.Parallel()
	text8 := &models.CustomField{FieldType: models.FieldTypeText, MaxLength: 8}
	single := &models.CustomField{FieldType: models.FieldTypeSelection, Options: []string{"red", "green"}}
	open := &models.CustomField{FieldType: models.FieldTypeSelection}
	multi := &models.CustomField{FieldType: models.FieldTypeSelection, Multiple: true, Options: []string{"a", "b", "c"}}
	integer := &models.CustomField{FieldType: models.FieldTypeInteger}
	float := &models.CustomField{FieldType: models.FieldTypeFloat}
	date := &models.CustomField{FieldType: models.FieldTypeDate}
	datetime := &models.CustomField{FieldType: models.FieldTypeDatetime}
	checkbox := &models.CustomField{FieldType: models.FieldTypeCheckbox}
	url := &models.CustomField{FieldType: models.FieldTypeURL}
	tests := []struct {
		f    *models.CustomField
		in   string
		want any    // stored value when accepted
		bad  string // part of the refusal reason; "" when accepted
	}{
		{text8, `"12345678"`, "12345678", ""},
		{text8, `" trimmed "`, "trimmed", ""},
		{text8, `"123456789"`, nil, "longer than 8"},
		{text8, `42`, "42", ""},
		{text8, `""`, nil, ""},
		{text8, `null`, nil, ""},
		{text8, `["x"]`, nil, "string"},
		{single, `"red"`, "red", ""},
		{single, `"blue"`, nil, "options"},
		{single, `["red"]`, nil, "string"},
		{open, `"anything"`, "anything", ""},
		{multi, `["a","c","a"]`, []string{"a", "c"}, ""},
		{multi, `[]`, nil, ""},
		{multi, `"a"`, nil, "array"},
		{multi, `["d"]`, nil, "options"},
		{integer, `42`, int64(42), ""},
		{integer, `"-7"`, int64(-7), ""},
		{integer, `4.5`, nil, "integer"},
		{integer, `"x"`, nil, "integer"},
		{integer, `99999999999999999999`, nil, "integer"},
		{float, `3.25`, 3.25, ""},
		{float, `"3.25"`, 3.25, ""},
		{float, `7`, 7.0, ""},
		{float, `"3,25"`, nil, "dot"},
		{float, `"abc"`, nil, "number"},
		{date, `"2007-12-24T18:21Z"`, "2007-12-24", ""},
		{date, `"2007-12-24"`, "2007-12-24", ""},
		{date, `1594034942`, "2020-07-06", ""},
		{date, `"24.12.2007"`, nil, "ISO 8601"},
		{datetime, `"1594034942"`, "2020-07-06T11:29:02Z", ""},
		{datetime, `1594034942`, "2020-07-06T11:29:02Z", ""},
		{datetime, `"2007-12-24T18:21Z"`, "2007-12-24T18:21:00Z", ""},
		{datetime, `"2007-12-24T18:21:00+01:00"`, "2007-12-24T17:21:00Z", ""},
		{datetime, `"2007-12-24"`, "2007-12-24", ""},
		{datetime, `"yesterday"`, nil, "unix timestamp"},
		{datetime, `-5`, nil, "unix timestamp"},
		{checkbox, `{"ip": "1.2.3.4", "created": 1594034942, "source": "signup form"}`, models.CheckboxConfirmation{IP: "1.2.3.4", Created: 1594034942, Source: "signup form"}, ""},
		{checkbox, `{"ip": "1.2.3"}`, nil, "ip"},
		{checkbox, `{"ip": "1.2.3.4", "extra": 1}`, nil, "object"},
		{checkbox, `true`, nil, "object"},
		{url, `"https://example.com/a?b=c"`, "https://example.com/a?b=c", ""},
		{url, `"ftp://example.com"`, nil, "http"},
		{url, `"example.com"`, nil, "http"},
		{url, `"https://` + strings.Repeat("a", 2100) + `.com"`, nil, "longer"},
	}
	for _, tt := range tests {
		got, reason := tt.f.Coerce(json.RawMessage(tt.in))
		if tt.bad != "" {
			if !strings.Contains(reason, tt.bad) || got != nil {
				t.Errorf("%s %s: got %v, reason %q; want a refusal mentioning %q", tt.f.FieldType, tt.in, got, reason, tt.bad)
			}
			continue
		}
		if reason != "" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: got %#v (reason %q), want %#v", tt.f.FieldType, tt.in, got, reason, tt.want)
		}
	}
	// A checkbox without a time is stamped with the current one.
	got, reason := checkbox.Coerce(json.RawMessage(`{"source": "form"}`))
	if cb, ok := got.(models.CheckboxConfirmation); reason != "" || !ok || cb.Created == 0 {
		t.Errorf("checkbox without created: %#v %q", got, reason)
	}
}

func TestValueType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		f    models.CustomField
		want string
	}{
		{models.CustomField{FieldType: "text"}, "string"},
		{models.CustomField{FieldType: "selection"}, "string"},
		{models.CustomField{FieldType: "selection", Multiple: true}, "array"},
		{models.CustomField{FieldType: "integer"}, "integer"},
		{models.CustomField{FieldType: "float"}, "float"},
		{models.CustomField{FieldType: "date"}, "string"},
		{models.CustomField{FieldType: "checkbox_confirmation"}, "object"},
		{models.CustomField{FieldType: "url"}, "string"},
	} {
		if got := tt.f.ValueType(); got != tt.want {
			t.Errorf("%s multiple=%v: %s, want %s", tt.f.FieldType, tt.f.Multiple, got, tt.want)
		}
	}
}
