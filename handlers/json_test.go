package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEdgeInvalidUTF8Refused: README "Control characters and invalid UTF-8 are
// refused". encoding/json replaces invalid bytes (and lone surrogate escapes) with
// U+FFFD before cleanText sees them, so they are stored altered instead.
func TestEdgeInvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "utf8-put@example.com", "first_name": "Ok"})
	t.Run("NUL refused on create", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "nul@example.com", "first_name": "a\u0000b"}}`, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.first_name"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
		edgeNoContact(t, b, "nul@example.com")
	})
	t.Run("NUL refused in a custom text field and comment", func(t *testing.T) {
		e := b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), `{"comment": "x\u0000y", "company": "\u001b[31m"}`, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"comment", "company"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	for _, tt := range []struct{ name, value string }{
		{"raw 0xff byte", "J\xffohn"},
		{"lone surrogate escape", `J\ud800ohn`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// JSON must be UTF-8 (RFC 8259): the whole body is refused, before decoding.
			body := []byte(`{"contact": {"mail": "utf8@example.com", "first_name": "` + tt.value + `"}}`)
			e := b.fail(t, http.MethodPost, edgeU+"/contact", body, http.StatusBadRequest)
			if !strings.Contains(e.Message, "not valid UTF-8") {
				t.Fatalf("message %q, want it to say the body is not valid UTF-8", e.Message)
			}
			edgeNoContact(t, b, "utf8@example.com")
			b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), []byte(`{"first_name": "`+tt.value+`"}`), http.StatusBadRequest)
			if got := b.getFields(t, id, "first_name")["first_name"]; got != "Ok" {
				t.Fatalf("first_name after refused PUT = %q", got)
			}
		})
	}
}

// TestEdgeTrailingDataRefused: decodeBytes promises to reject trailing data, but
// json.Decoder.More reports false before a closing bracket, so a body followed by
// "}" or "]" is taken as valid.
func TestEdgeTrailingDataRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t.Run("trailing value", func(t *testing.T) {
		b.fail(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "trail0@example.com"}} {"x": 1}`, http.StatusBadRequest)
		edgeNoContact(t, b, "trail0@example.com")
	})
	for i, tail := range []string{"}", "]", "]]]}"} {
		t.Run("trailing "+tail, func(t *testing.T) {
			mail := fmt.Sprintf("trail%d@example.com", i+1)
			b.fail(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "`+mail+`"}}`+tail, http.StatusBadRequest)
			edgeNoContact(t, b, mail)
		})
	}
}

// TestEdgeDuplicateJSONKeys: a key sent twice loses one of its values without a word
// (encoding/json keeps the last); README: "Nothing submitted is silently dropped".
func TestEdgeDuplicateJSONKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := b.fail(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "dup1@example.com", "mail": "dup2@example.com"}}`, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"contact.mail"}) {
		t.Fatalf("errors %+v", e.Errors)
	}
	edgeNoContact(t, b, "dup2@example.com")
	e = b.fail(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "dup3@example.com"}, "flood_limit": 5, "Flood_Limit": 0}`, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"Flood_Limit"}) {
		t.Fatalf("errors %+v", e.Errors)
	}
	edgeNoContact(t, b, "dup3@example.com")
}
