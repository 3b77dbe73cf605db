package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
)

// TestHeadAnswersLikeGet: HEAD on a GET route answers what GET answers — status and
// headers, Content-Length of the GET body — without the body; on an unknown path or a
// path without GET it fails as GET does.
func TestHeadAnswersLikeGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "head@example.com", "first_name": "Head"})
	for _, tt := range []struct {
		path   string
		opts   []reqOpt
		status int
	}{
		{"/healthz", []reqOpt{withKey("")}, http.StatusOK},
		{"/openapi.json", []reqOpt{withKey("")}, http.StatusOK},
		{"/public/api/V1/check-credentials", nil, http.StatusOK},
		{"/public/api/v1/contact/" + itoa(id) + "/?fields=first_name,mail", nil, http.StatusOK},
		{"/public/api/V1/contact/head@example.com", nil, http.StatusOK},
		{"/public/api/V1/terms", nil, http.StatusOK},
		{"/api/v1/contacts?limit=5", nil, http.StatusOK},
		{"/api/v1/merges", nil, http.StatusOK},
		{"/api/v1/events?types=term.*", nil, http.StatusOK}, // none: the contact's event may appear between GET and HEAD
		{"/public/api/V1/contact/999999999", nil, http.StatusNotFound},
		{"/api/v1/merges?before=zzzz", nil, http.StatusUnprocessableEntity},
		{"/public/api/V1/check-credentials", []reqOpt{withKey("")}, http.StatusUnauthorized},
		{"/public/api/V1/check-credentials", []reqOpt{withHeader("Tenant-ID", "007")}, http.StatusBadRequest},
		{"/public/api/V1/nope", nil, http.StatusNotFound},
		{"/nope", []reqOpt{withKey("")}, http.StatusNotFound},
		{"/public/api/V1/contact", nil, http.StatusMethodNotAllowed}, // POST only
	} {
		get := b.do(t, http.MethodGet, tt.path, nil, tt.opts...)
		head := b.do(t, http.MethodHead, tt.path, nil, tt.opts...)
		if get.Code != tt.status || head.Code != tt.status {
			t.Errorf("%s: GET %d, HEAD %d, want %d both", tt.path, get.Code, head.Code, tt.status)
			continue
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s: a body of %d bytes", tt.path, head.Body.Len())
		}
		if cl := head.Header().Get("Content-Length"); cl != strconv.Itoa(get.Body.Len()) {
			t.Errorf("HEAD %s: Content-Length %q, GET body %d bytes", tt.path, cl, get.Body.Len())
		}
		for name := range mergeKeys(get.Header(), head.Header()) {
			switch name {
			case "Content-Length", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Request-Id":
				continue // the length is checked above; the quota moved by one request; each request has its id
			}
			if g, h := get.Header().Values(name), head.Header().Values(name); !slices.Equal(g, h) {
				t.Errorf("%s: header %s: GET %q, HEAD %q", tt.path, name, g, h)
			}
		}
	}
	// A path that has GET says it has HEAD too.
	for _, method := range []string{http.MethodPatch, http.MethodOptions} {
		rec := b.do(t, method, "/public/api/V1/contact/"+itoa(id), nil)
		if allow := strings.Split(rec.Header().Get("Allow"), ", "); !slices.Contains(allow, "GET") || !slices.Contains(allow, "HEAD") {
			t.Errorf("%s contact/%d: Allow %q, want GET and HEAD", method, id, allow)
		}
	}
	if allow := b.do(t, http.MethodPatch, "/public/api/V1/contact", nil).Header().Get("Allow"); strings.Contains(allow, "HEAD") {
		t.Errorf("PATCH contact: Allow %q names HEAD on a path without GET", allow)
	}

	// Through a real server: net/http keeps the connection, the length arrives, no body.
	srv := httptest.NewServer(b.e)
	t.Cleanup(srv.Close)
	for range 2 { // the second request reuses the connection
		req, _ := http.NewRequest(http.MethodHead, srv.URL+"/public/api/V1/contact/"+itoa(id), nil)
		req.Header.Set("Authorization", "Bearer "+b.tenant.Key)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.ContentLength <= 0 || len(body) != 0 {
			t.Fatalf("HEAD over HTTP: status %d, Content-Length %d, body %q", res.StatusCode, res.ContentLength, body)
		}
	}
}

func mergeKeys(hs ...http.Header) map[string]bool {
	out := map[string]bool{}
	for _, h := range hs {
		for k := range h {
			out[k] = true
		}
	}
	return out
}

// TestHeadOfAPanic: a handler that panics answers HEAD as it answers GET, a 500 with
// the length of the fixed message, and no body.
func TestHeadOfAPanic(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Terms = panickyTerms{a.Terms} })
	get := b.do(t, http.MethodGet, "/public/api/V1/terms", nil)
	head := b.do(t, http.MethodHead, "/public/api/V1/terms", nil)
	if get.Code != http.StatusInternalServerError || head.Code != get.Code || head.Body.Len() != 0 ||
		head.Header().Get("Content-Length") != strconv.Itoa(get.Body.Len()) {
		t.Fatalf("GET %d (%d bytes), HEAD %d, Content-Length %q, body %q", get.Code, get.Body.Len(), head.Code, head.Header().Get("Content-Length"), head.Body)
	}
}
