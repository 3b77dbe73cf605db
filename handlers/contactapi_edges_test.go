package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store/storetest"
)

// Edge cases of the Quentn contact API surface: odd encodings, validation
// completeness, tenant isolation, response shapes and merge semantics. A test whose
// case documents a known bug skips that case only, with t.Skip("BUG: ...") at its top.

const edgeU = "/public/api/V1"

// edgeNumbers decodes a JSON answer keeping numbers exact.
func edgeNumbers(t testing.TB, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return out
}

// edgeNoContact requires that no contact has mail.
func edgeNoContact(t testing.TB, b *bundle, mail string) {
	t.Helper()
	b.fail(t, http.MethodGet, edgeU+"/contact/"+mail, nil, http.StatusNotFound)
}

// TestEdgeIntegerCustomFieldExact: an integer custom field accepts any int64 and must
// answer it unchanged, also beyond 2^53, where a float64 would alter it.
func TestEdgeIntegerCustomFieldExact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Count", "field_type": "integer"})
	for i, tt := range []struct{ name, value string }{
		{"small", "42"},
		{"negative", "-9007199254740991"},
		{"2^53", "9007199254740992"},
		{"2^53+1", "9007199254740993"},
		{"max int64", "9223372036854775807"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"contact": {"mail": "int-` + itoa(int64(i)) + `@example.com", "field_count": ` + tt.value + `}, "duplicate_check_method": "none", "return_fields": ["field_count"]}`
			rec := b.do(t, http.MethodPost, edgeU+"/contact", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("POST: %d %s", rec.Code, rec.Body)
			}
			created := edgeNumbers(t, rec.Body.Bytes())
			if got := fmt.Sprint(created["field_count"]); got != tt.value {
				t.Errorf("POST return_fields field_count = %s, want %s", got, tt.value)
			}
			rec = b.do(t, http.MethodGet, fmt.Sprintf("%s/contact/%v?fields=field_count", edgeU, created["id"]), nil)
			if got := fmt.Sprint(edgeNumbers(t, rec.Body.Bytes())["field_count"]); got != tt.value {
				t.Errorf("GET field_count = %s, want %s", got, tt.value)
			}
		})
	}
}

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

// TestEdgeEmptyStringClearsEveryCustomType: README (PUT) "every field sent
// overwrites, "" or null clears it"; form builders send "" for an empty input. Text,
// selection and date fields clear with ""; integer and float answer 422.
func TestEdgeEmptyStringClearsEveryCustomType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	defs := map[string]map[string]any{
		"note":  {"label": "Note", "field_type": "text"},
		"color": {"label": "Color", "field_type": "selection", "options": []string{"red"}},
		"day":   {"label": "Day", "field_type": "date"},
		"web":   {"label": "Web", "field_type": "url"},
		"count": {"label": "Count", "field_type": "integer"},
		"price": {"label": "Price", "field_type": "float"},
	}
	values := map[string]any{"note": "x", "color": "red", "day": "2020-01-02", "web": "https://example.com", "count": 3, "price": 1.5}
	for _, name := range []string{"note", "color", "day", "web", "count", "price"} {
		b.createField(t, defs[name])
	}
	for _, name := range []string{"note", "color", "day", "web", "count", "price"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := "field_" + name
			id := b.createContact(t, map[string]any{"mail": "empty-" + name + "@example.com", key: values[name]})
			b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{key: ""}, http.StatusOK, nil)
			if got := b.getFields(t, id, key); got[key] != nil {
				t.Fatalf("after PUT %s=\"\": %v, want null", key, got)
			}
			// A form that leaves the input empty on create is accepted, without a value.
			var out map[string]any
			b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "form-" + name + "@example.com", key: ""}, "return_fields": []string{key}}, http.StatusOK, &out)
			if out[key] != nil {
				t.Fatalf("create with %s=\"\": %v", key, out)
			}
		})
	}
}

// TestEdgeReturnFieldsCustom: return_fields naming an undefined custom field must be
// a 422 like GET's fields param; it answers null instead.
func TestEdgeReturnFieldsCustom(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Budget", "field_type": "integer"})
	e := b.fail(t, http.MethodGet, edgeU+"/contact/"+itoa(b.createContact(t, map[string]any{"mail": "rf0@example.com"}))+"?fields=field_nope", nil, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"fields"}) {
		t.Fatalf("GET errors %+v", e.Errors)
	}
	var ok map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "rf1@example.com", "field_budget": 7}, "return_fields": []string{" field_budget "}}, http.StatusOK, &ok)
	if ok["field_budget"] != float64(7) {
		t.Fatalf("return_fields field_budget: %v", ok)
	}
	t.Run("undefined custom field", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "rf2@example.com"}, "return_fields": []string{"field_nope"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"return_fields[0]"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
		edgeNoContact(t, b, "rf2@example.com")
		e = b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(int64(ok["id"].(float64))), map[string]any{"first_name": "X", "return_fields": []string{"field_nope"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"return_fields[0]"}) {
			t.Fatalf("PUT errors %+v", e.Errors)
		}
	})
}

// TestEdgeDateCustomFieldRange: a date/datetime custom field must store an ISO 8601
// value; a unix timestamp past year 9999 is formatted with a 7-digit year and stored.
func TestEdgeDateCustomFieldRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Day", "field_type": "date"})
	b.createField(t, map[string]any{"label": "At", "field_type": "datetime"})
	id := b.createContact(t, map[string]any{"mail": "dates@example.com"})
	path := edgeU + "/contact/" + itoa(id)
	b.call(t, http.MethodPut, path, map[string]any{"field_at": 253402300799}, http.StatusOK, nil) // 9999-12-31T23:59:59Z
	if got := b.getFields(t, id, "field_at")["field_at"]; got != "9999-12-31T23:59:59Z" {
		t.Fatalf("field_at = %v", got)
	}
	for _, key := range []string{"field_at", "field_day"} {
		t.Run(key, func(t *testing.T) {
			e := b.fail(t, http.MethodPut, path, map[string]any{key: 99999999999999}, http.StatusUnprocessableEntity)
			if !slices.Equal(e.fields(), []string{key}) {
				t.Fatalf("errors %+v", e.Errors)
			}
		})
	}
}

// TestEdgeDeleteCustomFieldTouchesOnlyHolders: deleting a custom field must change only
// the contacts that have a value for it. The UPDATE selects rows with
// custom_fields LIKE '%"plan"%', which also matches a contact whose *value* of another
// field is "plan", bumping its version: an earlier merge into it then cannot be undone.
func TestEdgeDeleteCustomFieldTouchesOnlyHolders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Plan", "field_type": "text"})
	b.createField(t, map[string]any{"label": "Planet", "field_type": "text"})
	id := b.createContact(t, map[string]any{"mail": "planet@example.com", "field_planet": "plan"})
	var merged nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "planet@example.com", "first_name": "Pia"}, "duplicate_check_method": "email"}, http.StatusOK, &merged)
	if merged.ID != id || merged.MergeID == "" {
		t.Fatalf("merge = %+v", merged)
	}
	before := b.full(t, id).Version
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/plan", nil, http.StatusOK, nil)
	t.Run("unrelated contact unchanged", func(t *testing.T) {
		if after := b.full(t, id).Version; after != before {
			t.Errorf("version %d -> %d, nothing of the contact changed", before, after)
		}
		b.call(t, http.MethodPost, "/api/v1/merges/"+merged.MergeID+"/undo", nil, http.StatusOK, nil)
	})
}

// TestEdgeDeleteCustomFieldMarksChanged: a contact that loses a value when its field is
// deleted gets a new version, and must get a new `changed` too, or a sync by
// updated_since (README, listing) never sees the removal.
func TestEdgeDeleteCustomFieldMarksChanged(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t)
	b.createField(t, map[string]any{"label": "Tier", "field_type": "text"})
	id := b.createContact(t, map[string]any{"mail": "tier@example.com", "field_tier": "gold"})
	before := b.full(t, id)
	clock.Advance(time.Second) // changed has a resolution of one second
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/tier", nil, http.StatusOK, nil)
	after := b.full(t, id)
	if after.Version != before.Version+1 {
		t.Fatalf("version %d -> %d, want one more", before.Version, after.Version)
	}
	t.Run("changed", func(t *testing.T) {
		if after.Changed <= before.Changed {
			t.Errorf("changed %d -> %d, want later", before.Changed, after.Changed)
		}
	})
}

// TestEdgePathIDSpellings: one id spelling rule on GET, PUT and DELETE contact/{id}:
// no 500 for odd ids, another tenant's and unknown ids 404, and an escaped digit is
// the same id on every method (GET decodes the parameter once, PUT and DELETE not at all).
func TestEdgePathIDSpellings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "ids@example.com", "first_name": "Ida"})
	for _, ref := range []string{"0", "-1", "-" + itoa(id), "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e3", "0x1", itoa(id) + ".0", "%20" + itoa(id), "%00", "%FF", "%FF@example.com"} {
		t.Run("unknown "+ref, func(t *testing.T) {
			p := edgeU + "/contact/" + ref
			b.fail(t, http.MethodGet, p, nil, http.StatusNotFound)
			b.fail(t, http.MethodPut, p, map[string]any{"first_name": "X"}, http.StatusNotFound)
			b.fail(t, http.MethodDelete, p, nil, http.StatusNotFound)
		})
	}
	// "+N" and "0N" are read as N by strconv.ParseInt on every method alike.
	for _, ref := range []string{"+" + itoa(id), "0" + itoa(id), "%2B" + itoa(id)} {
		t.Run("alias "+ref, func(t *testing.T) {
			var got map[string]any
			b.call(t, http.MethodGet, edgeU+"/contact/"+ref, nil, http.StatusOK, &got)
			if got["id"] != float64(id) {
				t.Fatalf("GET %s = %v", ref, got)
			}
			b.call(t, http.MethodPut, edgeU+"/contact/"+ref, map[string]any{"first_name": "Ida"}, http.StatusOK, nil)
		})
	}
	t.Run("escaped digit", func(t *testing.T) {
		esc := fmt.Sprintf("%%%X", itoa(id)[0]) + itoa(id)[1:]
		b.call(t, http.MethodGet, edgeU+"/contact/"+esc, nil, http.StatusOK, nil)
		b.call(t, http.MethodPut, edgeU+"/contact/"+esc, map[string]any{"first_name": "Ida"}, http.StatusOK, nil)
		b.call(t, http.MethodGet, edgeU+"/contact/"+esc+"/terms", nil, http.StatusOK, nil)
	})
}

// TestEdgeMailLookupSpellings: lookups by mail with plus tags, case, IDN domains,
// escaped characters and garbage; never a 500.
func TestEdgeMailLookupSpellings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plus := b.createContact(t, map[string]any{"mail": "Max+Promo@Example.COM"})
	bare := b.createContact(t, map[string]any{"mail": "max@example.com"})
	idn := b.createContact(t, map[string]any{"mail": "Jürgen@Bücher.de"})
	puny := b.createContact(t, map[string]any{"mail": "juergen@xn--bcher-kva.de"})
	slash := b.createContact(t, map[string]any{"mail": "a/b@example.com"})
	tests := []struct {
		path string
		want []int64
	}{
		{"max+promo@example.com", []int64{plus}},
		{"MAX+PROMO@EXAMPLE.COM", []int64{plus}},
		{"max%2Bpromo%40example.com", []int64{plus}},
		{"Max%2bPromo@Example.com", []int64{plus}},
		{"max@example.com", []int64{bare}}, // plus tags are not folded (README)
		{"MAX@EXAMPLE.COM/", []int64{bare}},
		{"%20max@example.com%20", []int64{bare}},
		{url.PathEscape("jürgen@bücher.de"), []int64{idn}},
		{"J%C3%BCrgen@B%C3%BCcher.de", []int64{idn}},
		{"j%c3%bcrgen@b%c3%bccher.de", []int64{idn}},
		{"JÜRGEN@BÜCHER.DE", []int64{idn}},
		{"juergen@xn--bcher-kva.de", []int64{puny}},
		{"a%2Fb@example.com", []int64{slash}},
		{"a%2fb%40example.com", []int64{slash}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got []contact
			b.call(t, http.MethodGet, edgeU+"/contact/"+tt.path+"?fields=mail", nil, http.StatusOK, &got)
			ids := []int64{}
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Fatalf("GET %s = %+v, want ids %v", tt.path, got, tt.want)
			}
		})
	}
	for _, p := range []string{"@", "@@", "a@", "@example.com", "max%2540example.com", "max%25promo@example.com", "a%2Fb%2F@example.com", "%E2%80%AE@example.com", strings.Repeat("a", 5000) + "@example.com"} {
		t.Run("none "+p[:min(len(p), 30)], func(t *testing.T) {
			b.fail(t, http.MethodGet, edgeU+"/contact/"+p, nil, http.StatusNotFound)
		})
	}
}

// TestEdgeNULInPath: a NUL byte or invalid UTF-8 in a path reference is just an
// unknown reference: 404, never a 500. PostgreSQL refuses both in text parameters,
// and the store passes the decoded path through (SQLite answers 404).
func TestEdgeNULInPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, map[string]any{"mail": "nul-path@example.com"})
	for _, tt := range []struct {
		path  string
		pg500 bool // answers 500 on PostgreSQL
	}{
		{edgeU + "/contact/nul-path%00@example.com", true},
		{edgeU + "/contact/x@%00", true},
		{edgeU + "/custom-fields/%00", true},
		{edgeU + "/custom-fields/field_a%00", true},
		{edgeU + "/terms/%00", true},
		{edgeU + "/custom-fields/field_%FF", true},
		{edgeU + "/terms/%FF", false}, // the name is lower-cased first, which replaces the byte
		{edgeU + "/contact/%FF@example.com", false},
	} {
		p := tt.path
		t.Run(p, func(t *testing.T) {
			b.fail(t, http.MethodGet, p, nil, http.StatusNotFound)
		})
	}
	t.Run("listing mail filter", func(t *testing.T) {
		e := b.fail(t, http.MethodGet, "/api/v1/contacts?mail=a%00@example.com&q=x%FF", nil, http.StatusUnprocessableEntity)
		if got := e.fields(); !slices.Equal(got, []string{"mail", "q"}) {
			t.Fatalf("fields %v, want mail and q", got)
		}
	})
}

// TestEdgeCreateOptionTypes: every option is validated with its name, numbers are
// not accepted as strings for options, and nothing unknown is dropped.
func TestEdgeCreateOptionTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := map[string]any{"mail": "opt@example.com"}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"flood_limit as string", map[string]any{"contact": c, "flood_limit": "5"}, 422, []string{"flood_limit"}},
		{"flood_limit fraction", map[string]any{"contact": c, "flood_limit": 1.5}, 422, []string{"flood_limit"}},
		{"flood_limit negative", map[string]any{"contact": c, "flood_limit": -1}, 422, []string{"flood_limit"}},
		{"flood_limit over max", map[string]any{"contact": c, "flood_limit": 10001}, 422, []string{"flood_limit"}},
		{"flood_limit huge", map[string]any{"contact": c, "flood_limit": 1e30}, 422, []string{"flood_limit"}},
		{"spam_protection as string", map[string]any{"contact": c, "spam_protection": "true"}, 422, []string{"spam_protection"}},
		{"check method case", map[string]any{"contact": c, "duplicate_check_method": "EMAIL"}, 422, []string{"duplicate_check_method"}},
		{"merge method typo", map[string]any{"contact": c, "duplicate_merge_method": "update-add"}, 422, []string{"duplicate_merge_method"}},
		{"both methods bad", map[string]any{"contact": c, "duplicate_check_method": 1, "duplicate_merge_method": "x"}, 422, []string{"duplicate_check_method"}},
		{"return_fields not strings", map[string]any{"contact": c, "return_fields": []any{1}}, 422, []string{"return_fields"}},
		{"return_fields write-only", map[string]any{"contact": c, "return_fields": []string{"comment", "request_ip"}}, 422, []string{"return_fields[0]", "return_fields[1]"}},
		{"request_ip on top level", map[string]any{"contact": c, "request_ip": "1.2.3.4"}, 422, []string{"request_ip"}},
		{"contacts instead of contact", map[string]any{"contacts": []any{c}}, 422, []string{"contacts"}},
		{"qntn not an object", map[string]any{"contact": c, "qntn": "x"}, 422, []string{"qntn"}},
		{"qntn bad url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url": "javascript:alert(1)"}}, 422, []string{"qntn.redirection_url"}},
		{"qntn relative url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url_confirmed": "/thanks"}}, 422, []string{"qntn.redirection_url_confirmed"}},
		{"qntn append as string", map[string]any{"contact": c, "qntn": map[string]any{"append_contact_info": "1"}}, 422, []string{"qntn.append_contact_info"}},
		{"contact is a list", map[string]any{"contact": []any{c}}, 422, []string{"contact"}},
		{"contact is a string", map[string]any{"contact": "opt@example.com"}, 422, []string{"contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, edgeU+"/contact", tt.body, tt.status)
			if !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want fields %v", e.Errors, tt.fields)
			}
		})
	}
	t.Run("qntn unknown key names its path", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": c, "qntn": map[string]any{"redirect": "https://example.com"}}, http.StatusUnprocessableEntity)
		if len(e.Errors) != 1 || e.Errors[0].Field != "qntn.redirect" {
			t.Fatalf("errors %+v, want one naming qntn.redirect", e.Errors)
		}
	})
	edgeNoContact(t, b, "opt@example.com")
	// null options mean "not sent": the defaults apply.
	var out map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": c, "duplicate_check_method": nil, "duplicate_merge_method": nil, "return_fields": nil, "flood_limit": nil, "spam_protection": nil, "qntn": nil}, http.StatusOK, &out)
	if len(out) != 1 || out["id"] == nil {
		t.Fatalf("answer %v, want only id", out)
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

// TestEdgeTextFieldLimits: lengths count characters, not bytes, on both databases;
// numbers are text where text is expected; every problem is named.
func TestEdgeTextFieldLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("ü", 255)
	var created struct{ ID int64 }
	b.call(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "len@example.com", "first_name": "`+long+`", "company": "`+strings.Repeat("😀", 255)+`", "ba_postal_code": 99999999999999999999, "ba_street": 12, "ba_city": 1.5e3}}`, http.StatusOK, &created)
	id := created.ID
	got := b.getFields(t, id, "first_name,company,ba_postal_code,ba_street,ba_city")
	if got["first_name"] != long || got["ba_postal_code"] != strings.Repeat("9", 20) || got["ba_street"] != "12" || got["ba_city"] != "1.5e3" {
		t.Fatalf("stored %v", got)
	}
	e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{
		"mail": "len2@example.com", "first_name": long + "ü", "ba_postal_code": strings.Repeat("9", 21),
		"title": true, "title2": "prof.", "phone": "12", "fax": strings.Repeat("1", 21), "ba_country": "de ", "comment": strings.Repeat("x", 10001),
		"date_of_birth": "1799-12-31", "mail2": "Name <a@example.com>", "mail_status": 9, "uid": -1, "terms": []any{"1"},
	}}, http.StatusUnprocessableEntity)
	want := []string{"contact.ba_postal_code", "contact.comment", "contact.date_of_birth", "contact.fax", "contact.first_name", "contact.mail2", "contact.mail_status", "contact.phone", "contact.terms", "contact.title", "contact.title2", "contact.uid"}
	if !slices.Equal(e.fields(), want) {
		t.Fatalf("errors %+v, want fields %v", e.Errors, want)
	}
	edgeNoContact(t, b, "len2@example.com")
	// ba_country is trimmed and upper-cased; mail_status and uid accept numeric strings.
	var out map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "len3@example.com", "ba_country": " de ", "mail_status": "2", "uid": "7"},
		"return_fields": []string{"ba_country", "mail_status", "uid", "owner"}}, http.StatusOK, &out)
	if out["ba_country"] != "DE" || out["mail_status"] != float64(2) || out["uid"] != float64(7) || !reflect.DeepEqual(out["owner"], map[string]any{"uid": float64(7)}) {
		t.Fatalf("answer %v", out)
	}
	// A very long mail is refused, not truncated or a 500.
	b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": strings.Repeat("a", 300) + "@example.com"}}, http.StatusUnprocessableEntity)
}

// TestEdgeOwnerRoundTrip: GET answers owner as {"uid": n}; writing that value back
// is refused.
func TestEdgeOwnerRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "owner@example.com", "owner": 5})
	got := b.getFields(t, id, "owner,uid")
	if !reflect.DeepEqual(got["owner"], map[string]any{"uid": float64(5)}) || got["uid"] != float64(5) {
		t.Fatalf("owner = %v", got)
	}
	b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"owner": map[string]any{"uid": 6}}, http.StatusOK, nil)
	if got := b.getFields(t, id, "uid"); got["uid"] != float64(6) {
		t.Fatalf("uid after PUT owner {uid: 6} = %v", got["uid"])
	}
	e := b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"uid": 7, "owner": 8}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"uid"}) {
		t.Fatalf("uid and owner disagreeing: errors %+v", e.Errors)
	}
	b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"uid": 7, "owner": map[string]any{"uid": 7}}, http.StatusOK, nil)
}

// TestEdgeEveryProblemAtOnce: README "422 invalid or unknown fields — every problem at
// once". The identity rule and the term check run after field validation, so their
// problems are reported only once the others are fixed.
func TestEdgeEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "all@example.com", "first_name": "Al"})
	t.Run("POST: unknown term and bad field together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "x@example.com", "phone": "x", "terms": []int64{987654321}}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.phone", "contact.terms"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	t.Run("POST: identity and bad field together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"first_name": "A", "phone": "x"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.mail", "contact.phone"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	t.Run("PUT: cleared identity and unknown term together", func(t *testing.T) {
		e := b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"mail": "", "terms": []int64{987654321}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"mail", "terms"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	// Nothing of a refused PUT is written.
	if got := b.getFields(t, id, "mail,first_name"); got["mail"] != "all@example.com" || got["first_name"] != "Al" {
		t.Fatalf("after refused PUTs: %v", got)
	}
}

// TestEdgeNoPartialWrite: a refused request writes nothing — no contact, no comment,
// no field, on POST and on PUT.
func TestEdgeNoPartialWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "edge")
	id := b.createContact(t, map[string]any{"mail": "npw@example.com", "first_name": "Nina", "terms": []int64{term}})
	path := edgeU + "/contact/" + itoa(id)
	for _, body := range []map[string]any{
		{"first_name": "Changed", "comment": "should not appear", "terms": []int64{987654321}},
		{"first_name": "Changed", "comment": "should not appear", "phone": "nope"},
		{"first_name": "Changed", "comment": "should not appear", "mail": ""},
	} {
		b.fail(t, http.MethodPut, path, body, http.StatusUnprocessableEntity)
	}
	// A merge that fails writes nothing either.
	b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "NPW@example.com", "first_name": "Changed", "comment": "x", "terms": []int64{term, 987654321}}, "duplicate_check_method": "email"}, http.StatusUnprocessableEntity)
	if got := b.getFields(t, id, "first_name,terms"); got["first_name"] != "Nina" || !reflect.DeepEqual(got["terms"], []any{float64(term)}) {
		t.Fatalf("after refused writes: %v", got)
	}
	var comments struct {
		NumberComments int `json:"number_comments"`
	}
	b.call(t, http.MethodGet, path+"/comments", nil, http.StatusOK, &comments)
	if comments.NumberComments != 0 {
		t.Fatalf("%d comments written by refused requests", comments.NumberComments)
	}
}

// TestEdgeTenantIsolationEveryRoute: another tenant's contact, term and custom field
// ids answer 404 (or 422 where they are field values) on every route, and nothing of
// theirs changes.
func TestEdgeTenantIsolationEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := &bundle{e: b.e, api: b.api, st: b.st, tenant: storetest.NewTenant(t, b.st)}
	theirTerm := other.postTerm(t, "theirs")
	theirField := other.createField(t, map[string]any{"label": "Secret", "field_type": "text"})
	theirs := other.createContact(t, map[string]any{"mail": "iso@example.com", "first_name": "Theirs", "terms": []int64{theirTerm}, "field_secret": "s", "comment": "c"})
	mine := b.createContact(t, map[string]any{"mail": "mine@example.com"})
	cp := edgeU + "/contact/" + itoa(theirs)
	fp := edgeU + "/custom-fields/" + itoa(theirField.FieldID)
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, cp, nil},
		{http.MethodGet, cp + "?fields=field_secret", nil},
		{http.MethodPut, cp, map[string]any{"first_name": "Mine"}},
		{http.MethodDelete, cp, nil},
		{http.MethodGet, cp + "/terms", nil},
		{http.MethodPut, cp + "/terms", []int64{theirTerm}},
		{http.MethodPost, cp + "/terms", []int64{}},
		{http.MethodDelete, cp + "/terms", []int64{theirTerm}},
		{http.MethodGet, cp + "/comments", nil},
		{http.MethodPost, cp + "/comments", map[string]any{"comment": "x"}},
		{http.MethodGet, "/api/v1/contacts/" + itoa(theirs), nil},
		{http.MethodGet, fp, nil},
		{http.MethodPut, fp, map[string]any{"label": "Mine"}},
		{http.MethodDelete, fp, nil},
		{http.MethodGet, edgeU + "/custom-fields/secret", nil},
		{http.MethodDelete, edgeU + "/custom-fields/field_secret", nil},
		{http.MethodGet, edgeU + "/terms/" + itoa(theirTerm), nil},
		{http.MethodGet, edgeU + "/contact/iso@example.com", nil},
		{http.MethodGet, edgeU + "/contact/ISO@example.com", nil},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			code := http.StatusNotFound
			if strings.Contains(r.path, "fields=field_secret") {
				code = http.StatusUnprocessableEntity // the field is not ours: not a defined custom field
			}
			b.fail(t, r.method, r.path, r.body, code)
		})
	}
	// Their ids as values in our writes: 422 naming the field.
	e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "iso2@example.com", "terms": []int64{theirTerm}, "field_secret": "x"}}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"contact.field_secret", "contact.terms"}) {
		t.Fatalf("POST errors %+v", e.Errors)
	}
	e = b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(mine), map[string]any{"terms": []int64{theirTerm}}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"terms"}) {
		t.Fatalf("PUT errors %+v", e.Errors)
	}
	b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(mine)+"/terms", []int64{theirTerm}, http.StatusUnprocessableEntity)
	// The same mail with check email and auto makes a contact of our own.
	for _, check := range []string{"email", "auto"} {
		var out struct{ ID int64 }
		b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "iso@example.com", "first_name": "Theirs"}, "duplicate_check_method": check}, http.StatusOK, &out)
		if out.ID == theirs {
			t.Fatalf("check %s merged into the other tenant's contact", check)
		}
	}
	got := other.getFields(t, theirs, "first_name,terms,field_secret")
	if got["first_name"] != "Theirs" || !reflect.DeepEqual(got["terms"], []any{float64(theirTerm)}) || got["field_secret"] != "s" {
		t.Fatalf("other tenant's contact changed: %v", got)
	}
	other.call(t, http.MethodGet, fp, nil, http.StatusOK, nil)
}

// TestEdgeMergeTable checks the README's merge table cell by cell for a text field,
// a single-value custom field, mail_status and uid, with a value, "" and null.
func TestEdgeMergeTable(t *testing.T) {
	t.Parallel()
	type state struct {
		Company string `json:"company"`
		Job     string `json:"job_title"`
		Note    any    `json:"field_note"`
		Status  int    `json:"mail_status"`
		UID     int64  `json:"uid"`
	}
	// The contact has company "Old", no job_title, field_note "old", status 2, uid 3.
	tests := []struct {
		method string
		sent   map[string]any
		want   state
	}{
		{"update_add", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"New", "CTO", "new", 1, 4}},
		{"update_add", map[string]any{"company": "", "job_title": "", "field_note": "", "mail_status": 0, "uid": 0}, state{"Old", "", "old", 2, 3}},
		{"update_add", map[string]any{"company": nil, "job_title": nil, "field_note": nil, "mail_status": nil, "uid": nil}, state{"Old", "", "old", 2, 3}},
		{"update", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"New", "CTO", "new", 1, 4}},
		{"update", map[string]any{"company": "", "job_title": "", "field_note": ""}, state{"", "", nil, 2, 3}},
		{"update", map[string]any{"company": nil, "field_note": nil, "mail_status": nil, "uid": nil}, state{"", "", nil, 0, 0}},
		{"update", map[string]any{}, state{"Old", "", "old", 2, 3}},
		{"add", map[string]any{"company": "New", "job_title": "CTO", "field_note": "new", "mail_status": 1, "uid": 4}, state{"Old", "CTO", "old", 2, 3}},
		{"add", map[string]any{"company": "", "job_title": "", "field_note": nil}, state{"Old", "", "old", 2, 3}},
	}
	b := setup(t)
	b.createField(t, map[string]any{"label": "Note", "field_type": "text"})
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.method, tt.sent), func(t *testing.T) {
			t.Parallel()
			mail := fmt.Sprintf("table%d@example.com", i)
			id := b.createContact(t, map[string]any{"mail": mail, "company": "Old", "field_note": "old", "mail_status": 2, "uid": 3})
			sent := map[string]any{"mail": strings.ToUpper(mail)}
			for k, v := range tt.sent {
				sent[k] = v
			}
			var out struct{ ID int64 }
			b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": sent, "duplicate_check_method": "email", "duplicate_merge_method": tt.method}, http.StatusOK, &out)
			if out.ID != id {
				t.Fatalf("merged into %d, want %d", out.ID, id)
			}
			var got state
			b.call(t, http.MethodGet, edgeU+"/contact/"+itoa(id)+"?fields=company,job_title,field_note,mail_status,uid", nil, http.StatusOK, &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("after %s merge of %v: %+v, want %+v", tt.method, tt.sent, got, tt.want)
			}
		})
	}
}

// TestEdgeSpamAndFloodIPSpellings: an IPv4 address written as IPv4-mapped IPv6 is the
// same address for the spam list and the flood limit.
func TestEdgeSpamAndFloodIPSpellings(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.0/24"}}, http.StatusOK, nil)
	for _, ip := range []string{"198.51.100.9", "::ffff:198.51.100.9", " 198.51.100.9 "} {
		b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": ip}, "spam_protection": true}, http.StatusForbidden)
	}
	edgeNoContact(t, b, "spam@example.com")
	// Without spam_protection the same address is accepted.
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": "198.51.100.9"}}, http.StatusOK, nil)
	// flood_limit 1: the mapped spelling shares the plain address's count.
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "fl1@example.com", "request_ip": "192.0.2.7"}, "flood_limit": 1}, http.StatusOK, nil)
	rec := b.do(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "fl2@example.com", "request_ip": "::ffff:192.0.2.7"}, "flood_limit": 1})
	checkError(t, rec, http.MethodPost, "contact", http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	edgeNoContact(t, b, "fl2@example.com")
	// A merge is not counted: the same mail again is fine.
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "FL1@example.com", "request_ip": "192.0.2.7"}, "flood_limit": 1, "duplicate_check_method": "email"}, http.StatusOK, nil)
}

// TestEdgeCustomFieldRefs: GET/PUT/DELETE custom-fields/{ref} by id, name and
// field_name; a name made of digits (label "2024") must be reachable by its name too.
func TestEdgeCustomFieldRefs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	year := b.createField(t, map[string]any{"label": "2024", "field_type": "integer"})
	if year.FieldName != "field_2024" {
		t.Fatalf("field name %s", year.FieldName)
	}
	id := b.createContact(t, map[string]any{"mail": "cfref@example.com", "field_2024": 5})
	for _, ref := range []string{itoa(year.FieldID), "field_2024"} {
		var got customField
		b.call(t, http.MethodGet, edgeU+"/custom-fields/"+ref, nil, http.StatusOK, &got)
		if got.FieldName != "field_2024" {
			t.Fatalf("GET %s = %+v", ref, got)
		}
	}
	for _, ref := range []string{"field_", "FIELD_2024", "-1", "0"} {
		b.fail(t, http.MethodGet, edgeU+"/custom-fields/"+ref, nil, http.StatusNotFound)
	}
	t.Run("numeric name", func(t *testing.T) {
		b.call(t, http.MethodGet, edgeU+"/custom-fields/2024", nil, http.StatusOK, nil)
	})
	// Deleting a digit-named field strips its values (json_remove path "$.2024" on SQLite).
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/field_2024", nil, http.StatusOK, nil)
	b.createField(t, map[string]any{"label": "2024", "field_type": "text"})
	if got := b.getFields(t, id, "field_2024"); got["field_2024"] != nil {
		t.Fatalf("value survived the field's deletion: %v", got)
	}
}

// TestEdgeCustomFieldDefinitionEdges: definitions are validated completely; type and
// multiple are fixed; unknown attributes are refused.
func TestEdgeCustomFieldDefinitionEdges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"no type", map[string]any{"label": "A"}, []string{"field_type"}},
		{"unknown type", map[string]any{"label": "A", "field_type": "number"}, []string{"field_type"}},
		{"label only symbols", map[string]any{"label": "€€", "field_type": "text"}, []string{"label"}},
		{"label control", map[string]any{"label": "a\u0000", "field_type": "text"}, []string{"label"}},
		{"max_length too small", map[string]any{"label": "A", "field_type": "text", "max_length": 7}, []string{"max_length"}},
		{"max_length on integer", map[string]any{"label": "A", "field_type": "integer", "max_length": 10}, []string{"max_length"}},
		{"options on text", map[string]any{"label": "A", "field_type": "text", "options": []string{"x"}}, []string{"options"}},
		{"duplicate options", map[string]any{"label": "A", "field_type": "selection", "options": []string{"x", " x"}}, []string{"options[1]"}},
		{"unknown attribute", map[string]any{"label": "A", "field_type": "text", "name": "a"}, []string{"name"}},
		{"max_length as string", map[string]any{"label": "A", "field_type": "text", "max_length": "20"}, []string{"max_length"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, edgeU+"/custom-fields", tt.body, http.StatusUnprocessableEntity)
			if !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want %v", e.Errors, tt.fields)
			}
		})
	}
	b.createField(t, map[string]any{"label": "Größe", "field_type": "selection", "multiple": true, "options": []string{"S", "M"}})
	b.fail(t, http.MethodPost, edgeU+"/custom-fields", map[string]any{"label": "GRÖSSE", "field_type": "text"}, http.StatusConflict)
	for _, body := range []map[string]any{{"field_type": "text"}, {"multiple": false}, {"label": ""}, {"max_length": 20}} {
		b.fail(t, http.MethodPut, edgeU+"/custom-fields/groesse", body, http.StatusUnprocessableEntity)
	}
	var got customField
	b.call(t, http.MethodGet, edgeU+"/custom-fields/field_groesse", nil, http.StatusOK, &got)
	if got.Label != "Größe" || got.FieldType != "selection" || !got.Multiple || !slices.Equal(got.Options, []string{"S", "M"}) {
		t.Fatalf("after refused PUTs: %+v", got)
	}
}

// TestEdgeCheckCredentialsAndKeys: check-credentials with every accepted spelling,
// and the answers of odd Authorization and Tenant-ID headers.
func TestEdgeCheckCredentialsAndKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range []string{"/public/api/V1/check-credentials", "/public/api/v1/check-credentials/", "/public/api/V1/check-credentials//"} {
		var out map[string]any
		b.call(t, http.MethodGet, p, nil, http.StatusOK, &out)
		if !reflect.DeepEqual(out, map[string]any{"success": true}) {
			t.Fatalf("GET %s = %v", p, out)
		}
	}
	for name, opt := range map[string]reqOpt{
		"key with NUL":       withHeader("Authorization", "Bearer "+b.tenant.Key+"\x00"),
		"key twice":          withHeader("Authorization", "Bearer "+b.tenant.Key+" "+b.tenant.Key),
		"tab separator":      withHeader("Authorization", "Bearer\t"+b.tenant.Key),
		"token scheme":       withHeader("Authorization", "Token "+b.tenant.Key),
		"long key":           withKey(strings.Repeat("k", 8000)),
		"key prefix of ours": withKey(b.tenant.Key[:len(b.tenant.Key)-1]),
	} {
		t.Run(name, func(t *testing.T) {
			b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized, opt)
		})
	}
	for name, tid := range map[string]string{"negative": "-" + itoa(b.tenant.ID), "huge": "99999999999999999999", "hex": fmt.Sprintf("0x%x", b.tenant.ID), "zero": "0"} {
		t.Run("Tenant-ID "+name, func(t *testing.T) {
			b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusBadRequest, withHeader("Tenant-ID", tid)) // no tenant id
		})
	}
	b.fail(t, http.MethodPatch, "/public/api/V1/contact/1", map[string]any{}, http.StatusMethodNotAllowed)
}
