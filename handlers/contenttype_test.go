package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestJSONContentType: a JSON body must be declared application/json (charset utf-8
// at most); anything else is a 415 naming what is accepted, and writes nothing. A body
// without Content-Type is refused too: the official SDK always declares it.
func TestJSONContentType(t *testing.T) {
	t.Parallel()
	b := setup(t, withSpamlist(t))
	contactID := b.createContact(t, map[string]any{"mail": "content-type@example.com"})
	termID := b.newTerm(t, "CT")
	set := func(values ...string) reqOpt {
		return func(r *http.Request) {
			if values == nil {
				r.Header.Del("Content-Type")
				return
			}
			r.Header["Content-Type"] = values
		}
	}
	tests := []struct {
		name   string
		opt    reqOpt
		status int
	}{
		{"application/json", set("application/json"), http.StatusOK},
		{"charset utf-8", set("application/json; charset=utf-8"), http.StatusOK},
		{"any case", set("Application/JSON; Charset=UTF-8"), http.StatusOK},
		{"no space", set("application/json;charset=utf-8"), http.StatusOK},
		{"quoted charset", set(`application/json; charset="utf-8"`), http.StatusOK},
		{"missing", set(), http.StatusUnsupportedMediaType},
		{"empty", set(""), http.StatusUnsupportedMediaType},
		{"text/plain", set("text/plain"), http.StatusUnsupportedMediaType},
		{"form", set("application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType},
		{"multipart", set("multipart/form-data; boundary=x"), http.StatusUnsupportedMediaType},
		{"text/json", set("text/json"), http.StatusUnsupportedMediaType},
		{"json suffix", set("application/vnd.api+json"), http.StatusUnsupportedMediaType},
		{"prefix", set("application/jsonx"), http.StatusUnsupportedMediaType},
		{"other charset", set("application/json; charset=iso-8859-1"), http.StatusUnsupportedMediaType},
		{"other parameter", set("application/json; version=2"), http.StatusUnsupportedMediaType},
		{"charset twice, two values", set("application/json; charset=utf-8; charset=latin1"), http.StatusUnsupportedMediaType},
		{"malformed parameter", set("application/json; charset"), http.StatusUnsupportedMediaType},
		{"two types in one header", set("application/json, text/plain"), http.StatusUnsupportedMediaType},
		{"header twice", set("application/json", "application/json"), http.StatusUnsupportedMediaType},
	}
	routes := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "X"}},
		{http.MethodPut, "/public/api/V1/contact/" + itoa(contactID), map[string]any{"first_name": "Changed"}},
		{http.MethodPut, "/public/api/V1/contact/" + itoa(contactID) + "/terms", []int64{termID}},
		{http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "bulk@example.com"}}, "duplicate_check_method": "none"}},
		{http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.7"}}},
	}
	t.Run("refused", func(t *testing.T) { // returns when all its parallel subtests have
		for _, tt := range tests {
			if tt.status == http.StatusOK {
				continue
			}
			for _, r := range routes {
				t.Run(tt.name+"/"+r.method+" "+r.path, func(t *testing.T) {
					t.Parallel()
					e := b.fail(t, r.method, r.path, r.body, tt.status, tt.opt)
					if !strings.Contains(e.Message, "application/json") {
						t.Errorf("message %q does not say what is accepted", e.Message)
					}
				})
			}
		}
	})
	// Nothing refused was written.
	var terms []struct{ Name string }
	b.call(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusOK, &terms)
	if len(terms) != 1 {
		t.Errorf("terms after the refusals: %+v", terms)
	}
	if got := b.getFields(t, contactID, "first_name,terms"); got["first_name"] != "" || len(asSlice(got["terms"])) != 0 {
		t.Errorf("contact after the refusals: %v", got)
	}
	var spam struct{ Entries []any }
	b.call(t, http.MethodGet, "/api/v1/spamlist", nil, http.StatusOK, &spam)
	if len(spam.Entries) != 0 {
		t.Errorf("spam list after the refusals: %+v", spam.Entries)
	}
	// Each accepted form is read (the requests are repeatable).
	for _, tt := range tests {
		if tt.status != http.StatusOK {
			continue
		}
		for _, r := range routes {
			if rec := b.do(t, r.method, r.path, r.body, tt.opt); rec.Code != http.StatusOK {
				t.Errorf("%s: %s %s: status %d, want 200; body %s", tt.name, r.method, r.path, rec.Code, rec.Body)
			}
		}
	}
	// No body needs no Content-Type: the decoder names the problem.
	b.fail(t, http.MethodPost, "/public/api/V1/terms", nil, http.StatusBadRequest)
}

// withSpamlist serves the tenant spam list routes from the test store.
func withSpamlist(t testing.TB) func(*handlers.API) {
	return func(a *handlers.API) { a.Spamlist = storetest.Open(t) }
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
