package handlers

import (
	"fmt"
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ body, want string }{
		{`{"a": 1, "b": 2}`, ""},
		{`{"a": 1, "a": 2}`, "a"},
		{`{"flood_limit": 5, "Flood_Limit": 0}`, "Flood_Limit"},
		{`{"contact": {"mail": "x", "mail": "y"}}`, "contact.mail"},
		{`{"contacts": [{"mail": "x"}, {"mail": "y", "first_name": "a", "mail": "z"}]}`, "contacts[1].mail"},
		{`{"a": {"b": 1}, "c": {"b": 2}}`, ""},              // the same key in two objects
		{`{"a": "mail", "mail": "a,b:{}[]\"mail\""}`, ""},   // keys and punctuation inside values
		{`{"a\u0062": 1, "ab": 2}`, "ab"},                   // an escaped key is the same key
		{`{"x": [[{"k": 1}], {"k": 1, "k": 2}]}`, "x[1].k"}, // nested arrays count elements
		{`[{"a": 1}, {"a": 1}]`, ""},                        // elements are separate objects
		{`{"a": 1, "a"`, "a"},                               // seen before the decoder fails
		{`{"a": "unterminated`, ""},                         // malformed: left to the decoder
		{`{"a\\": 1, "a\\": 2}`, `a\`},                      // an escaped backslash ends no string
		{`{"": 1, "": 2}`, `""`},                            // the empty key, given twice
		{`{"x": {"": 1, "": 2}}`, `x.""`},                   // … in a nested object
		{`{{"a","a"`, ""},                                   // a value for a key: left to the decoder (once a panic)
	} {
		if got := duplicateKey([]byte(tt.body)); got != tt.want {
			t.Errorf("duplicateKey(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// BenchmarkDuplicateKey scans a bulk body of 1,000 contacts of 12 fields each.
func BenchmarkDuplicateKey(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"duplicate_check_method": "email", "contacts": [`)
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"mail": "p%d@example.com", "first_name": "Anna", "family_name": "Müller-%d", "phone": "+49 30 %07d", `+
			`"ba_street": "Hauptstraße %d", "ba_city": "Berlin", "ba_postal_code": "10115", "ba_country": "DE", "company": "Firma \"X\" GmbH", `+
			`"job_title": "CTO", "mail_status": 2, "terms": [1, 2]}`, i, i, i, i)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if duplicateKey(body) != "" {
			b.Fatal("duplicate found")
		}
	}
}

// TestDuplicateKeyManyKeys: an object of many keys is checked in linear time, and a
// duplicate among them is found, whatever its case.
func TestDuplicateKeyManyKeys(t *testing.T) {
	t.Parallel()
	object := func(n int, extra string) []byte {
		var sb strings.Builder
		sb.WriteString(`{"x": [{`)
		for i := range n {
			fmt.Fprintf(&sb, `"key_%d": %d, `, i, i)
		}
		sb.WriteString(extra + `"last": 0}]}`)
		return []byte(sb.String())
	}
	if got := duplicateKey(object(200_000, "")); got != "" {
		t.Errorf("200,000 distinct keys: duplicate %q", got)
	}
	if got := duplicateKey(object(200_000, `"KEY_7": 1, `)); got != "x[0].KEY_7" {
		t.Errorf("duplicate among 200,000 keys = %q, want x[0].KEY_7", got)
	}
	if got := duplicateKey(object(10, `"KEY_7": 1, `)); got != "x[0].KEY_7" {
		t.Errorf("duplicate among 10 keys = %q, want x[0].KEY_7", got)
	}
}
