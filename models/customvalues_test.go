package models

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCustomValuesRoundTripExactly(t *testing.T) {
	t.Parallel()
	const stored = `{"big":9007199254740993,"box":{"created":1700000000,"ip":"192.0.2.1","source":"form"},` +
		`"float":2.5,"huge":1e+21,"list":["a","b"],"max":9223372036854775807,"min":-9223372036854775808,"text":"9007199254740993"}`
	var v CustomValues
	if err := json.Unmarshal([]byte(stored), &v); err != nil {
		t.Fatal(err)
	}
	want := CustomValues{
		"big": int64(9007199254740993), "float": 2.5, "huge": 1e21, "list": []any{"a", "b"},
		"max": int64(9223372036854775807), "min": int64(-9223372036854775808), "text": "9007199254740993",
		"box": map[string]any{"created": int64(1700000000), "ip": "192.0.2.1", "source": "form"},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decoded %#v\nwant %#v", v, want)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != stored {
		t.Fatalf("encoded %s, %v\nwant %s", b, err, stored)
	}
	// Inside a contact, as GORM's serializer and merge records decode it.
	var c struct{ Custom CustomValues }
	if err := json.Unmarshal([]byte(`{"Custom":`+stored+`}`), &c); err != nil || c.Custom["big"] != int64(9007199254740993) {
		t.Fatalf("in a struct: %#v, %v", c.Custom, err)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

// A float field's integral value is stored as an integer and read back as int64; it
// must still compare equal to the float a client submits.
func TestCustomEqualAcrossNumberTypes(t *testing.T) {
	t.Parallel()
	if !customEqual(int64(2), 2.0) || !customEqual(2.5, 2.5) || customEqual(int64(9007199254740993), float64(9007199254740992)) {
		t.Fatal("customEqual disagrees on numbers")
	}
}

func TestCoerceEmptyStringIsEmptyForEveryType(t *testing.T) {
	t.Parallel()
	for _, f := range []*CustomField{
		{Label: "t", FieldType: FieldTypeText}, {Label: "s", FieldType: FieldTypeSelection},
		{Label: "m", FieldType: FieldTypeSelection, Multiple: true}, {Label: "i", FieldType: FieldTypeInteger},
		{Label: "f", FieldType: FieldTypeFloat}, {Label: "d", FieldType: FieldTypeDate},
		{Label: "dt", FieldType: FieldTypeDatetime}, {Label: "c", FieldType: FieldTypeCheckbox},
		{Label: "u", FieldType: FieldTypeURL},
	} {
		if err := f.Validate(); err != nil {
			t.Fatal(err)
		}
		if v, reason := f.Coerce(json.RawMessage(` "" `)); v != nil || reason != "" {
			t.Errorf("%s: Coerce(\"\") = %v %q, want empty", f.FieldType, v, reason)
		}
	}
	i := &CustomField{Label: "i", FieldType: FieldTypeInteger}
	if v, reason := i.Coerce(json.RawMessage(`"9223372036854775807"`)); v != int64(9223372036854775807) || reason != "" {
		t.Errorf("integer Coerce = %v %q", v, reason)
	}
	if _, reason := i.Coerce(json.RawMessage(`" "`)); reason == "" {
		t.Errorf("integer Coerce(\" \") accepted")
	}
}

func TestParseDateOrUnixRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, reason string }{
		{"0", "1970-01-01T00:00:00Z", ""},
		{"253402300799", "9999-12-31T23:59:59Z", ""},
		{"253402300800", "", "years 0001 to 9999"},
		{"99999999999999", "", "years 0001 to 9999"},
		{"9223372036854775807", "", "years 0001 to 9999"},
		{"0001-01-01", "0001-01-01", ""},
		{"9999-12-31", "9999-12-31", ""},
		{"0000-12-31", "", "years 0001 to 9999"},
		{"9999-12-31T23:00:00-05:00", "", "years 0001 to 9999"},
		{"0001-01-01T00:30:00+01:00", "", "years 0001 to 9999"},
		{"2004-02-12T15:19:21+01:00", "2004-02-12T14:19:21Z", ""},
		{"-1", "", "unix timestamp or an ISO 8601 date"},
		{"soon", "", "unix timestamp or an ISO 8601 date"},
	} {
		got, reason := ParseDateOrUnix(tt.in)
		if got != tt.want || !strings.Contains(reason, tt.reason) || (tt.reason == "") != (reason == "") {
			t.Errorf("ParseDateOrUnix(%s) = %q %q, want %q %q", tt.in, got, reason, tt.want, tt.reason)
		}
	}
	// ParseDate keeps its forms (dates of birth check their own range).
	if d, ok := ParseDate("0000-01-01"); !ok || d != "0000-01-01" {
		t.Errorf("ParseDate(0000-01-01) = %q %v", d, ok)
	}
}
