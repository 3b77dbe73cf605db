package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
)

// withLimits gives the API in-memory limits like a server without Redis, and a spam
// checker that sees every change at once.
func withLimits(st *store.Store, quota string) func(*handlers.API) {
	return func(a *handlers.API) {
		l, err := ratelimit.ParseLimit(quota)
		if err != nil {
			panic(err)
		}
		spam := spamlist.NewChecker(st, 0)
		a.RateLimits = handlers.RateLimits{Limiter: ratelimit.NewMemory(nil), Default: l, Spam: spam}
		a.Spamlist = st
		a.Metrics = handlers.NewMetrics()
		a.ContactService = contacts.New(contacts.Config{Store: st, Flood: ratelimit.NewMemoryFloodCounter(nil), Spam: spam, Metrics: a.Metrics, Log: a.Log})
	}
}

func TestRequestQuotaPerKey(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "3/m"))
	for i := range 3 {
		rec := b.do(t, http.MethodGet, "/public/api/V1/check-credentials", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, rec.Code)
		}
		h := rec.Header()
		if h.Get("X-Rate-Limit-Limit") != "3" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(2-i) || h.Get("X-Rate-Limit-Reset") == "" {
			t.Fatalf("request %d headers: %v", i, h)
		}
	}
	rec := b.do(t, http.MethodGet, "/api/v1/merges", nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("4th request: status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	var e apiError
	b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusTooManyRequests, &e)
	if !e.Error || e.Message == "" {
		t.Fatalf("429 body = %+v", e)
	}

	// A key with its own quota is limited by that, not by the default.
	_, key, err := b.st.CreateKey(context.Background(), b.tenant.ID, "bigger", "", "5/m")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusOK, nil, withKey(key))
	}
	b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusTooManyRequests, nil, withKey(key))

	// Operations endpoints are not limited.
	b.call(t, http.MethodGet, "/healthz", nil, http.StatusOK, nil)
	rec = b.do(t, http.MethodGet, "/metrics", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `contacthub_refused_total{reason="rate_limit"}`) {
		t.Fatalf("metrics: %d %s", rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
	}
}

func TestFloodLimitCountsOnlyCreatedContacts(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	post := func(mail, ip string, want int) {
		t.Helper()
		contact := map[string]any{"mail": mail}
		if ip != "" {
			contact["request_ip"] = ip
		}
		b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": contact, "flood_limit": 2, "duplicate_check_method": "email"}, want, nil)
	}
	post("f1@example.com", "192.0.2.1", http.StatusOK)
	post("f2@example.com", "192.0.2.1", http.StatusOK)
	post("f1@example.com", "192.0.2.1", http.StatusOK) // a merge creates nothing: not counted
	var e apiError
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "f3@example.com", "request_ip": "192.0.2.1"}, "flood_limit": 2}, http.StatusTooManyRequests, &e)
	if !strings.Contains(e.Message, "at most 2 contacts per hour from 192.0.2.1") {
		t.Fatalf("flood error = %+v", e)
	}
	post("f4@example.com", "192.0.2.2", http.StatusOK) // another address has its own budget
	post("f5@example.com", "", http.StatusOK)          // no request_ip: the limit cannot apply
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "f6@example.com", "request_ip": "999.1.1.1"}}, http.StatusUnprocessableEntity, nil)
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "f6@example.com"}, "flood_limit": contacts.MaxFloodLimit + 1}, http.StatusUnprocessableEntity, nil)

	// In bulk, only the items over the limit fail.
	var results []map[string]any
	items := []map[string]any{}
	for i := range 4 {
		items = append(items, map[string]any{"mail": fmt.Sprintf("bulk%d@example.com", i), "request_ip": "2001:db8:1:2::7"})
	}
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": items, "flood_limit": 3}, http.StatusOK, &results)
	failed := 0
	for _, r := range results {
		if r["error"] == true {
			failed++
		}
	}
	if len(results) != 4 || failed != 1 {
		t.Fatalf("bulk results = %+v, want 3 created and 1 refused", results)
	}
}

func TestSpamProtection(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	other := setup(t, withLimits(st, "1000/m"))

	var added struct {
		Added int64 `json:"added"`
	}
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.0/24", "2001:db8:bad::/48"}}, http.StatusOK, &added)
	if added.Added != 2 {
		t.Fatalf("added = %d", added.Added)
	}
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"198.51.100.0/24"}}, http.StatusOK, &added)
	if added.Added != 0 {
		t.Fatalf("adding again added %d, want 0 (idempotent)", added.Added)
	}
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"not-an-ip"}}, http.StatusUnprocessableEntity, nil)

	var check struct {
		Listed bool   `json:"listed"`
		Scope  string `json:"scope"`
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist/check?ip=198.51.100.77", nil, http.StatusOK, &check)
	if !check.Listed || check.Scope != "tenant" {
		t.Fatalf("check = %+v", check)
	}
	other.call(t, http.MethodGet, "/api/v1/spamlist/check?ip=198.51.100.77", nil, http.StatusOK, &check)
	if check.Listed {
		t.Fatal("a tenant's own list leaked to another tenant")
	}

	body := map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": "2001:db8:bad::1"}, "spam_protection": true}
	var e apiError
	b.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusForbidden, &e)
	if !strings.Contains(e.Message, "spam list") {
		t.Fatalf("spam error = %+v", e)
	}
	body["spam_protection"] = false
	b.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusOK, nil)
	body["spam_protection"] = true
	other.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusOK, nil)

	var list struct {
		Entries []struct {
			Entry string `json:"entry"`
		} `json:"entries"`
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist", nil, http.StatusOK, &list)
	if len(list.Entries) != 2 {
		t.Fatalf("entries = %+v", list.Entries)
	}
	var removed struct {
		Removed int64 `json:"removed"`
	}
	b.call(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"2001:db8:bad::/48"}}, http.StatusOK, &removed)
	if removed.Removed != 1 {
		t.Fatalf("removed = %d", removed.Removed)
	}
	b.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusOK, nil)
}

func TestGlobalSpamListAppliesToEveryTenant(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "1000/m"))
	// A private test range nobody else uses, on the global list (as the CLI loads it).
	if _, err := st.AddSpamRanges(context.Background(), store.GlobalSpamList, []spamlist.Range{mustRange(t, "100.64.77.0/24")}, "test"); err != nil {
		t.Fatal(err)
	}
	var check struct {
		Listed bool   `json:"listed"`
		Scope  string `json:"scope"`
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist/check?ip=100.64.77.1", nil, http.StatusOK, &check)
	if !check.Listed || check.Scope != "global" {
		t.Fatalf("check = %+v", check)
	}
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "g@example.com", "request_ip": "100.64.77.1"}, "spam_protection": true}, http.StatusForbidden, nil)
}

func mustRange(t *testing.T, s string) spamlist.Range {
	t.Helper()
	r, err := spamlist.ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
