package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store/storetest"
)

// TestAuthentication: every API route wants a valid bearer key (401 with a
// WWW-Authenticate challenge otherwise) and a matching Tenant-ID when one is sent (403;
// 400 when it is no tenant id at all).
func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	revoked, revokedSecret, err := b.st.CreateKey(ctx, b.tenant.ID, "old", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.st.RevokeKey(ctx, b.tenant.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	other := storetest.NewTenant(t, b.st)
	id := b.createContact(t, map[string]any{"mail": "auth@example.com"})
	routes := []struct{ method, path string }{
		{http.MethodGet, "/public/api/V1/check-credentials"},
		{http.MethodGet, "/public/api/v1/check-credentials/"},
		{http.MethodPost, "/public/api/V1/contact"},
		{http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d", id)},
		{http.MethodGet, "/public/api/V1/contact/auth@example.com"},
		{http.MethodPut, fmt.Sprintf("/public/api/V1/contact/%d", id)},
		{http.MethodDelete, fmt.Sprintf("/public/api/V1/contact/%d", id)},
		{http.MethodGet, "/public/api/V1/custom-fields"},
		{http.MethodPost, "/public/api/V1/custom-fields"},
		{http.MethodGet, "/public/api/V1/custom-fields/1"},
		{http.MethodPut, "/public/api/V1/custom-fields/1"},
		{http.MethodDelete, "/public/api/V1/custom-fields/1"},
	}
	tests := []struct {
		name       string
		opts       []reqOpt
		status     int
		challenge  string // WWW-Authenticate prefix on 401
		wantErrMsg string
	}{
		{"no key", []reqOpt{withKey("")}, http.StatusUnauthorized, `Bearer realm="contacthub"`, "missing API key"},
		{"basic auth", []reqOpt{withHeader("Authorization", "Basic dXNlcjpwYXNz")}, http.StatusUnauthorized, `Bearer realm="contacthub"`, "missing API key"},
		{"bearer without key", []reqOpt{withHeader("Authorization", "Bearer ")}, http.StatusUnauthorized, `Bearer realm="contacthub"`, "missing API key"},
		{"unknown key", []reqOpt{withKey("chk_thisisnotakeythisisnotakey")}, http.StatusUnauthorized, `Bearer realm="contacthub", error="invalid_token"`, "invalid API key"},
		{"revoked key", []reqOpt{withKey(revokedSecret)}, http.StatusUnauthorized, `Bearer realm="contacthub", error="invalid_token"`, "invalid API key"},
		{"other tenant's id", []reqOpt{withHeader("Tenant-ID", strconv.FormatInt(other.ID, 10))}, http.StatusForbidden, "", "Tenant-ID"},
		{"tenant id not a number", []reqOpt{withHeader("Tenant-ID", "acme")}, http.StatusBadRequest, "", "Tenant-ID"},
		{"tenant id with spaces", []reqOpt{withHeader("Tenant-ID", " "+strconv.FormatInt(b.tenant.ID, 10)+" ")}, http.StatusBadRequest, "", "Tenant-ID"},
		{"key of another tenant with our Tenant-ID", []reqOpt{withKey(other.Key), withHeader("Tenant-ID", strconv.FormatInt(b.tenant.ID, 10))}, http.StatusForbidden, "", "Tenant-ID"},
	}
	for _, tt := range tests {
		for _, r := range routes {
			t.Run(tt.name+"/"+r.method+" "+r.path, func(t *testing.T) {
				t.Parallel()
				rec := b.do(t, r.method, r.path, map[string]any{}, tt.opts...)
				e := checkError(t, rec, r.method, r.path, tt.status)
				if !strings.Contains(e.Message, tt.wantErrMsg) {
					t.Errorf("message %q, want it to mention %q", e.Message, tt.wantErrMsg)
				}
				if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
					t.Errorf("WWW-Authenticate %q, want %q", got, tt.challenge)
				}
			})
		}
	}
	// The contact is untouched by all of the above.
	b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d", id), nil, http.StatusOK, nil)
}

func TestAuthenticationAccepts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, second, err := b.st.CreateKey(ctx, b.tenant.ID, "second", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]reqOpt{
		"key":                    nil,
		"second key of a tenant": {withKey(second)},
		"lower-case scheme":      {withHeader("Authorization", "bearer "+b.tenant.Key)},
		"matching Tenant-ID":     {withHeader("Tenant-ID", strconv.FormatInt(b.tenant.ID, 10))},
		"spaces around the key":  {withHeader("Authorization", "Bearer  "+b.tenant.Key+" ")},
	} {
		var out struct{ Success bool }
		b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusOK, &out, opts...)
		if !out.Success {
			t.Errorf("%s: %+v", name, out)
		}
	}
	b.call(t, http.MethodGet, "/healthz", nil, http.StatusOK, nil, withKey(""))
}

// TestTenantIsolation: another tenant's contact ids and mails answer 404, never data,
// and no write crosses tenants.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := setup(t)
	id := other.createContact(t, map[string]any{"mail": "theirs@example.com", "first_name": "Theirs"})
	path := fmt.Sprintf("/public/api/V1/contact/%d", id)
	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodPut, path, map[string]any{"first_name": "Mine"}, http.StatusNotFound)
	b.fail(t, http.MethodDelete, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/public/api/V1/contact/theirs@example.com", nil, http.StatusNotFound)
	// The same mail with check email creates a contact of our own instead of merging.
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "theirs@example.com"}, "duplicate_check_method": "email"}, http.StatusOK, &out)
	if out.ID == id {
		t.Fatalf("POST merged into another tenant's contact %d", id)
	}
	got := other.getFields(t, id, "first_name,mail")
	if got["first_name"] != "Theirs" {
		t.Fatalf("other tenant's contact changed: %v", got)
	}
	// Custom fields are per tenant too.
	other.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Secret", "field_type": "text"}, http.StatusOK, nil)
	b.fail(t, http.MethodGet, "/public/api/V1/custom-fields/field_secret", nil, http.StatusNotFound)
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "x@example.com", "field_secret": "x"}}, http.StatusUnprocessableEntity)
	if len(e.Errors) != 1 || e.Errors[0].Field != "contact.field_secret" {
		t.Fatalf("errors %+v", e.Errors)
	}
}

// TestTenantIDHeader: Tenant-ID is one canonical decimal tenant id. Any other spelling
// of the number (zeros, sign, spaces), an empty value or the header given twice is a
// 400 naming the header, not accepted and not a 403; a well-formed id of another tenant
// stays a 403.
func TestTenantIDHeader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := storetest.NewTenant(t, b.st)
	id := strconv.FormatInt(b.tenant.ID, 10)
	set := func(values ...string) reqOpt {
		return func(r *http.Request) { r.Header["Tenant-Id"] = values }
	}
	tests := []struct {
		name   string
		opts   []reqOpt
		status int
	}{
		{"canonical", []reqOpt{set(id)}, http.StatusOK},
		{"leading zeros", []reqOpt{set("00" + id)}, http.StatusBadRequest},
		{"plus sign", []reqOpt{set("+" + id)}, http.StatusBadRequest},
		{"minus sign", []reqOpt{set("-" + id)}, http.StatusBadRequest},
		{"trailing space", []reqOpt{set(id + " ")}, http.StatusBadRequest},
		{"leading space", []reqOpt{set(" " + id)}, http.StatusBadRequest},
		{"tab", []reqOpt{set(id + "\t")}, http.StatusBadRequest},
		{"empty", []reqOpt{set("")}, http.StatusBadRequest},
		{"zero", []reqOpt{set("0")}, http.StatusBadRequest},
		{"decimal point", []reqOpt{set(id + ".0")}, http.StatusBadRequest},
		{"hex", []reqOpt{set("0x" + strconv.FormatInt(b.tenant.ID, 16))}, http.StatusBadRequest},
		{"exponent", []reqOpt{set(id + "e0")}, http.StatusBadRequest},
		{"not a number", []reqOpt{set("acme")}, http.StatusBadRequest},
		{"list in one header", []reqOpt{set(id + "," + id)}, http.StatusBadRequest},
		{"beyond int64", []reqOpt{set("9223372036854775808")}, http.StatusBadRequest},
		{"non-ASCII digit", []reqOpt{set("٢")}, http.StatusBadRequest},
		{"twice, same id", []reqOpt{set(id, id)}, http.StatusBadRequest},
		{"twice, first ours", []reqOpt{set(id, strconv.FormatInt(other.ID, 10))}, http.StatusBadRequest},
		{"twice, second ours", []reqOpt{set(strconv.FormatInt(other.ID, 10), id)}, http.StatusBadRequest},
		{"another tenant's id", []reqOpt{set(strconv.FormatInt(other.ID, 10))}, http.StatusForbidden},
		{"largest int64, not ours", []reqOpt{set("9223372036854775807")}, http.StatusForbidden},
		// The key is checked first: a bad key is a 401 whatever the Tenant-ID.
		{"bad key and bad header", []reqOpt{withKey("chk_thisisnotakeythisisnotakey"), set("002")}, http.StatusUnauthorized},
	}
	t.Run("requests", func(t *testing.T) { // returns when all its parallel subtests have
		for _, tt := range tests {
			for _, r := range []struct{ method, path string }{
				{http.MethodGet, "/public/api/V1/check-credentials"},
				{http.MethodPost, "/public/api/V1/terms"},
				{http.MethodGet, "/api/v1/contacts"},
			} {
				t.Run(tt.name+"/"+r.method+" "+r.path, func(t *testing.T) {
					t.Parallel()
					var body any
					if r.method == http.MethodPost {
						body = map[string]any{"name": "tenant header " + tt.name}
					}
					rec := b.do(t, r.method, r.path, body, tt.opts...)
					if tt.status == http.StatusOK {
						if rec.Code != http.StatusOK {
							t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
						}
						return
					}
					e := checkError(t, rec, r.method, r.path, tt.status)
					if tt.status != http.StatusUnauthorized && !strings.Contains(e.Message, "Tenant-ID") {
						t.Errorf("message %q does not name the Tenant-ID header", e.Message)
					}
				})
			}
		}
	})
	// Nothing refused was written.
	var terms []struct{ Name string }
	b.call(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusOK, &terms)
	if len(terms) != 1 || terms[0].Name != "tenant header canonical" {
		t.Errorf("terms after the refused requests: %+v", terms)
	}
}

// TestBadKeyDoesNotWaitForTheBody: the key is checked before the body is read, and the
// refusal is sent without waiting for a body the client is slow to send (net/http
// would read what is left of an unread body before it answers).
func TestBadKeyDoesNotWaitForTheBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := httptest.NewServer(b.e)
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name    string
		header  http.Header
		chunked bool
		status  int
	}{
		{"unknown key", http.Header{"Authorization": {"Bearer chk_thisisnotakeythisisnotakey"}}, false, http.StatusUnauthorized},
		{"unknown key, chunked", http.Header{"Authorization": {"Bearer chk_thisisnotakeythisisnotakey"}}, true, http.StatusUnauthorized},
		{"no key", http.Header{}, false, http.StatusUnauthorized},
		{"another tenant", http.Header{"Authorization": {"Bearer " + b.tenant.Key}, "Tenant-Id": {"9223372036854775807"}}, false, http.StatusForbidden},
		{"malformed Tenant-ID", http.Header{"Authorization": {"Bearer " + b.tenant.Key}, "Tenant-Id": {"02"}}, false, http.StatusBadRequest},
		{"wrong Content-Type", http.Header{"Authorization": {"Bearer " + b.tenant.Key}, "Content-Type": {"text/plain"}}, false, http.StatusUnsupportedMediaType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The body never comes: its reader blocks until the test ends. The guard
			// only turns a hang into a failure (the transport waits for the body
			// before it gives up); a refusal takes milliseconds.
			body, never := io.Pipe()
			t.Cleanup(func() { never.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			context.AfterFunc(ctx, func() { never.CloseWithError(ctx.Err()) })
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/public/api/V1/contact", body)
			req.Header = tt.header.Clone()
			if req.Header.Get("Content-Type") == "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if !tt.chunked {
				req.ContentLength = 100
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("no answer while the body is pending: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
		})
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

// TestRoutesNeedAKey: every terms, comments, bulk and listing route answers 401
// without a key.
func TestRoutesNeedAKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "nokey@example.com"})
	term := b.postTerm(t, "nokey")
	c := "/public/api/V1/contact/" + itoa(id)
	routes := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/public/api/V1/terms", nil},
		{http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "x"}},
		{http.MethodGet, "/public/api/V1/terms/" + itoa(term), nil},
		{http.MethodPut, "/public/api/V1/terms/" + itoa(term), map[string]any{"name": "x"}},
		{http.MethodDelete, "/public/api/V1/terms/" + itoa(term), nil},
		{http.MethodGet, c + "/terms", nil},
		{http.MethodPost, c + "/terms", []int64{term}},
		{http.MethodPut, c + "/terms", []int64{term}},
		{http.MethodDelete, c + "/terms", []int64{term}},
		{http.MethodGet, c + "/comments", nil},
		{http.MethodPost, c + "/comments", map[string]any{"comment": "x"}},
		{http.MethodPut, c + "/comments", map[string]any{"id": 1, "comment": "x"}},
		{http.MethodDelete, c + "/comments", []int64{1}},
		{http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "x@example.com"}}}},
		{http.MethodGet, "/api/v1/contacts", nil},
		{http.MethodGet, "/api/v1/contacts/" + itoa(id), nil},
	}
	for _, r := range routes {
		rec := b.do(t, r.method, r.path, r.body, withKey(""))
		checkError(t, rec, r.method, r.path, http.StatusUnauthorized)
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", r.method, r.path)
		}
	}
	if got := b.contactTermIDs(t, id); len(got) != 0 {
		t.Errorf("unauthenticated calls changed the contact's terms: %v", got)
	}
}
