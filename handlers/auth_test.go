package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
