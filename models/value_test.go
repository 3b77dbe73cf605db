package models_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// valueDefs has a custom field of every type.
var valueDefs = map[string]*models.CustomField{
	"text":     {Name: "text", FieldType: models.FieldTypeText, MaxLength: 8},
	"url":      {Name: "url", FieldType: models.FieldTypeURL},
	"single":   {Name: "single", FieldType: models.FieldTypeSelection, Options: []string{"red", "green"}},
	"multi":    {Name: "multi", FieldType: models.FieldTypeSelection, Multiple: true, Options: []string{"a", "b", "c"}},
	"int":      {Name: "int", FieldType: models.FieldTypeInteger},
	"float":    {Name: "float", FieldType: models.FieldTypeFloat},
	"date":     {Name: "date", FieldType: models.FieldTypeDate},
	"datetime": {Name: "datetime", FieldType: models.FieldTypeDatetime},
	"checkbox": {Name: "checkbox", FieldType: models.FieldTypeCheckbox},
}

// TestDecodeValuesMatchesJSON holds the typed decoder to the JSON decoder's rules:
// every body, decoded from JSON and from the Go values a decoder with UseNumber makes
// of the same JSON, gives the same submission or the same problems in the same words.
func TestDecodeValuesMatchesJSON(t *testing.T) {
	t.Parallel()
	values := map[string][]string{
		"mail":           {`"a@example.com"`, `" A@Example.com "`, `"@"`, `""`, `null`, `5`, `true`, `["a@b.de"]`},
		"first_name":     {`"Jane"`, `12`, `1.50`, `"a\u0000b"`, `"` + strings.Repeat("x", 256) + `"`, `{"a": 1}`},
		"title":          {`"M"`, `"x"`},
		"title2":         {`"Dr"`, `"d1"`},
		"phone":          {`"+49 30 123456"`, `"abc"`, `4930123456`},
		"phone_type":     {`"MOBILE"`, `"fax"`},
		"ba_country":     {`"de"`, `"ZZ"`},
		"ba_postal_code": {`10115`, `"10115"`},
		"date_of_birth":  {`"1980-04-23"`, `"2004-02-12T15:19:21+00:00"`, `"1700-01-01"`, `"23.04.1980"`},
		"mail_status":    {`2`, `"5"`, `9`, `-1`, `2.0`, `"x"`, `null`, `true`},
		"uid":            {`4`, `"4"`, `-2`, `4.5`, `null`, `"x"`},
		"owner":          {`4`, `{"uid": 7}`, `{"uid": "7"}`, `{"uid": null}`, `{}`, `{"uid": -1}`},
		"terms":          {`[3, 1, 3]`, `["3", 2]`, `[]`, `null`, `[-1]`, `[1.5]`, `["x"]`, `{"a": 1}`, `[null]`},
		"comment":        {`"  line one\nline two  "`, `5`, `null`, `"a\u0001"`},
		"request_ip":     {`" 10.0.0.1 "`, `"::1"`, `"999.1.1.1"`, `5`, `null`},
		"id":             {`1`},
		"created":        {`2`},
		"foo":            {`1`},
		"field_nope":     {`1`},
		"field_text":     {`"12345678"`, `" trimmed "`, `"123456789"`, `42`, `""`, `null`, `["x"]`},
		"field_url":      {`"https://example.com/a?b=c"`, `"ftp://example.com"`, `5`},
		"field_single":   {`"red"`, `"blue"`, `["red"]`, `""`},
		"field_multi":    {`["a","c","a"]`, `[]`, `["d"]`, `[1]`, `[null, "b"]`, `null`},
		"field_int":      {`42`, `"-7"`, `4.5`, `"x"`, `99999999999999999999`, `""`, `true`},
		"field_float":    {`3.25`, `"3.25"`, `7`, `"3,25"`, `"abc"`, `"NaN"`, `1e400`, `false`},
		"field_date":     {`"2007-12-24T18:21Z"`, `1594034942`, `"24.12.2007"`, `-5`},
		"field_datetime": {`"1594034942"`, `"2007-12-24T18:21:00+01:00"`, `"yesterday"`, `253402300800`},
		"field_checkbox": {`{"ip": "1.2.3.4", "created": 1594034942, "source": "signup form"}`, `{"ip": "1.2.3"}`,
			`{"ip": "1.2.3.4", "created": 1, "extra": 1}`, `{"extra": null}`, `true`, `{"created": 5, "source": "x\u0000"}`},
	}
	var bodies []string
	for field, vals := range values {
		for _, v := range vals {
			bodies = append(bodies, `{"`+field+`": `+v+`}`)
		}
	}
	bodies = append(bodies,
		`{"mail": "a@example.com", "first_name": "Jane", "terms": [2], "field_int": 3, "field_multi": ["b"], "comment": "hi", "request_ip": "10.0.0.1"}`,
		`{"uid": 4, "owner": {"uid": 5}}`, `{"uid": 4, "owner": 4}`,
		`{"title": "x", "mail": "@", "ba_country": "ZZ", "phone": "abc", "mail_status": 9, "uid": -2, "terms": [-1], "comment": 5}`,
	)
	for _, body := range bodies {
		for _, mode := range []models.SubmissionMode{models.ForCreate, models.ForUpdate} {
			fromJSON, jerr := models.DecodeSubmission(raw(t, body), valueDefs, mode)
			fromGo, gerr := models.DecodeValues(goValues(t, body), valueDefs, mode)
			if !reflect.DeepEqual(jerr, gerr) {
				t.Errorf("%s (mode %d): JSON error %v, typed error %v", body, mode, jerr, gerr)
				continue
			}
			if jerr == nil && !reflect.DeepEqual(fromJSON, fromGo) {
				t.Errorf("%s (mode %d):\nJSON  %+v\ntyped %+v", body, mode, fromJSON, fromGo)
			}
		}
	}
}

// goValues decodes a JSON object as an import of JSON records would: numbers as
// json.Number, so they stay exact.
func goValues(t *testing.T, obj string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(obj)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("test JSON %s: %v", obj, err)
	}
	return m
}

// TestDecodeValuesFromCSV decodes a CSV row: every value a string, lists comma
// separated, "" sent empty.
func TestDecodeValuesFromCSV(t *testing.T) {
	t.Parallel()
	row := map[string]string{
		"mail": " Jane@Example.com ", "first_name": "Jane", "company": "", "ba_postal_code": "01067",
		"mail_status": "1", "owner": "3", "terms": "5, 2,5", "field_multi": "a, c", "field_int": "12",
		"field_float": "2.5", "field_date": "1594034942", "field_single": "", "request_ip": "2001:db8::1",
	}
	got, err := models.DecodeValues(row, valueDefs, models.ForCreate)
	if err != nil {
		t.Fatal(err)
	}
	want := &models.Submission{
		Text:       map[string]string{"mail": "Jane@Example.com", "first_name": "Jane", "company": "", "ba_postal_code": "01067"},
		MailStatus: ptr(1), UID: ptr(int64(3)), Terms: []int64{2, 5}, HasTerms: true, RequestIP: "2001:db8::1",
		Custom: map[string]any{"multi": []string{"a", "c"}, "int": int64(12), "float": 2.5, "date": "2020-07-06", "single": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// An empty cell of a list column is the empty list; the same problems as in JSON.
	got, err = models.DecodeValues(map[string]string{"mail": "a@example.com", "terms": ""}, nil, models.ForCreate)
	if err != nil || !got.HasTerms || len(got.Terms) != 0 {
		t.Fatalf("empty terms cell: %+v, %v", got, err)
	}
	_, err = models.DecodeValues(map[string]string{"mail": "nope", "terms": "1,x", "field_int": "1.5", "field_multi": "a,d", "id": "4"}, valueDefs, models.ForCreate)
	if want := []string{"field_int", "field_multi", "id", "mail", "terms"}; !slices.Equal(fieldNames(err), want) {
		t.Fatalf("problems %v, want %v", fieldNames(err), want)
	}
}

// TestDecodeValuesGoTypes: an import record's Go values are read for what they are.
func TestDecodeValuesGoTypes(t *testing.T) {
	t.Parallel()
	at := time.Date(2020, 7, 6, 13, 29, 2, 0, time.FixedZone("CEST", 2*3600))
	got, err := models.DecodeValues(map[string]any{
		"mail": "a@example.com", "ba_postal_code": 10115, "mail_status": float64(2), "uid": int32(9),
		"terms": []int64{4, 2}, "field_int": 7.0, "field_float": 3, "field_datetime": at, "field_date": int64(1594034942),
		"field_multi": []any{"b", "a", "b"}, "field_checkbox": models.CheckboxConfirmation{IP: "1.2.3.4", Created: 5, Source: "form"},
		"field_url": nil,
	}, valueDefs, models.ForCreate)
	if err != nil {
		t.Fatal(err)
	}
	want := &models.Submission{
		Text: map[string]string{"mail": "a@example.com", "ba_postal_code": "10115"}, MailStatus: ptr(2), UID: ptr(int64(9)),
		Terms: []int64{2, 4}, HasTerms: true,
		Custom: map[string]any{"int": int64(7), "float": 3.0, "datetime": "2020-07-06T11:29:02Z", "date": "2020-07-06",
			"multi": []string{"b", "a"}, "checkbox": models.CheckboxConfirmation{IP: "1.2.3.4", Created: 5, Source: "form"}, "url": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	_, err = models.DecodeValues(map[string]any{
		"first_name": true, "mail_status": 2.5, "uid": uint64(1 << 63), "terms": []float64{1}, "comment": 5,
		"field_int": 1.5, "field_checkbox": map[string]any{"ip": "1.2.3.4", "when": 1}, "field_multi": []any{"a", 1},
	}, valueDefs, models.ForCreate)
	if want := []string{"comment", "field_checkbox", "field_int", "field_multi", "first_name", "mail_status", "terms", "uid"}; !slices.Equal(fieldNames(err), want) {
		t.Fatalf("problems %v, want %v", fieldNames(err), want)
	}
	if ids, ok := models.TermIDsOf("3,1"); !ok || !slices.Equal(ids, []int64{3, 1}) {
		t.Fatalf("TermIDsOf = %v, %v", ids, ok)
	}
}

// TestCoerceValue is Coerce for Go values.
func TestCoerceValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		f    string
		in   any
		want any
		bad  string
	}{
		{"int", "42", int64(42), ""},
		{"int", 42, int64(42), ""},
		{"int", 4.5, nil, "integer"},
		{"float", "3,25", nil, "dot"},
		{"multi", "a,b", []string{"a", "b"}, ""},
		{"multi", []string{"a", "d"}, nil, "options"},
		{"checkbox", map[string]any{"ip": "1.2.3.4", "created": json.Number("9"), "source": "x"}, models.CheckboxConfirmation{IP: "1.2.3.4", Created: 9, Source: "x"}, ""},
		{"checkbox", "yes", nil, "object"},
		{"text", "", nil, ""},
	} {
		got, reason := valueDefs[tt.f].CoerceValue(tt.in)
		if tt.bad != "" {
			if !strings.Contains(reason, tt.bad) || got != nil {
				t.Errorf("%s %#v: got %v, reason %q; want a refusal mentioning %q", tt.f, tt.in, got, reason, tt.bad)
			}
			continue
		}
		if reason != "" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %#v: got %#v (reason %q), want %#v", tt.f, tt.in, got, reason, tt.want)
		}
	}
}

// BenchmarkDecode decodes a web form's contact: from JSON (POST contact), from Go
// values (an import record) and from strings (a CSV row).
func BenchmarkDecode(b *testing.B) {
	body := `{"first_name": "Jane", "family_name": "Doe", "mail": "jane.doe@example.com", "phone": "+49 30 1234567",
		"request_ip": "192.0.2.1", "terms": [3, 1], "field_int": 5, "field_multi": ["a", "b"]}`
	var rawFields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &rawFields); err != nil {
		b.Fatal(err)
	}
	values := map[string]any{"first_name": "Jane", "family_name": "Doe", "mail": "jane.doe@example.com", "phone": "+49 30 1234567",
		"request_ip": "192.0.2.1", "terms": []int64{3, 1}, "field_int": int64(5), "field_multi": []string{"a", "b"}}
	row := map[string]string{"first_name": "Jane", "family_name": "Doe", "mail": "jane.doe@example.com", "phone": "+49 30 1234567",
		"request_ip": "192.0.2.1", "terms": "3,1", "field_int": "5", "field_multi": "a,b"}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := models.DecodeSubmission(rawFields, valueDefs, models.ForCreate); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("values", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := models.DecodeValues(values, valueDefs, models.ForCreate); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strings", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := models.DecodeValues(row, valueDefs, models.ForCreate); err != nil {
				b.Fatal(err)
			}
		}
	})
}
