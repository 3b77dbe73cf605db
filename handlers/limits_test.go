package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
	"github.com/redis/go-redis/v9"
)

// withLimits gives the API in-memory limits like a server without Redis, and a spam
// checker that sees every change at once.
func withLimits(st *store.Store, quota string) func(*handlers.API) {
	return withLimitsRefresh(st, quota, 0)
}

// withServerLimits is withLimits with the server's spam-list refresh interval: the
// checker reads the lists' versions once per interval, not on every request, as in a
// server (what the handler benchmarks measure).
func withServerLimits(st *store.Store, quota string) func(*handlers.API) {
	return withLimitsRefresh(st, quota, spamlist.ServerRefresh)
}

func withLimitsRefresh(st *store.Store, quota string, refresh time.Duration) func(*handlers.API) {
	return func(a *handlers.API) {
		l, err := ratelimit.ParseLimit(quota)
		if err != nil {
			panic(err)
		}
		spam := spamlist.NewChecker(st, refresh)
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

// mgeRedis returns a Redis client for CONTACTHUB_TEST_REDIS_URL and a fresh key
// prefix, or nil when the variable is not set.
func mgeRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("CONTACTHUB_TEST_REDIS_URL")
	if url == "" {
		return nil, ""
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	prefix := fmt.Sprintf("contacthub-test-mge:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return rdb, prefix
}

// mgeLimitBackends are the limit set-ups under test: in memory, and on Redis when
// the test Redis is configured.
func mgeLimitBackends(t *testing.T, st *store.Store, quota string) map[string]func(*handlers.API) {
	t.Helper()
	out := map[string]func(*handlers.API){"memory": withLimits(st, quota)}
	if rdb, prefix := mgeRedis(t); rdb != nil {
		l, err := ratelimit.ParseLimit(quota)
		if err != nil {
			t.Fatal(err)
		}
		out["redis"] = func(a *handlers.API) {
			spam := spamlist.NewChecker(st, 0)
			a.RateLimits = handlers.RateLimits{Limiter: ratelimit.NewRedis(rdb, prefix), Default: l, Spam: spam}
			a.Spamlist = st
			a.Metrics = handlers.NewMetrics()
			a.ContactService = contacts.New(contacts.Config{Store: st, Flood: ratelimit.NewRedisFloodCounter(rdb, prefix+"flood:"),
				Spam: spam, Metrics: a.Metrics, Log: a.Log})
		}
	}
	return out
}

// TestMergeEdgeRateLimitBoundary: the quota admits exactly its rate, also under
// concurrency; the headers count down to 0; a 429 carries them, Retry-After and the
// error shape; and merges and undos are limited like every other API call.
func TestMergeEdgeRateLimitBoundary(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "5/m") {
		t.Run(name, func(t *testing.T) {
			b := setup(t, opt)
			for i := range 5 {
				rec := b.do(t, http.MethodGet, "/api/v1/merges", nil)
				h := rec.Header()
				if rec.Code != http.StatusOK || h.Get("X-Rate-Limit-Limit") != "5" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(4-i) {
					t.Fatalf("request %d: %d, headers %v", i, rec.Code, h)
				}
				if r, err := strconv.Atoi(h.Get("X-Rate-Limit-Reset")); err != nil || r < 1 || r > 60 {
					t.Fatalf("request %d: X-Rate-Limit-Reset %q", i, h.Get("X-Rate-Limit-Reset"))
				}
			}
			rec := b.do(t, http.MethodPost, "/api/v1/merges/whatever/undo", nil)
			checkError(t, rec, http.MethodPost, "/api/v1/merges/whatever/undo", http.StatusTooManyRequests)
			h := rec.Header()
			ra, err := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 12 {
				t.Fatalf("Retry-After %q (one request per 12 s)", h.Get("Retry-After"))
			}
			if h.Get("X-Rate-Limit-Limit") != "5" || h.Get("X-Rate-Limit-Remaining") != "0" {
				t.Fatalf("429 headers %v", h)
			}
			if r, err := strconv.Atoi(h.Get("X-Rate-Limit-Reset")); err != nil || r < 48 || r > 60 {
				t.Fatalf("429 X-Rate-Limit-Reset %q, want about 60", h.Get("X-Rate-Limit-Reset"))
			}
			// Another key of the tenant has its own quota, and concurrent requests get
			// exactly the quota.
			_, key, err := b.st.CreateKey(context.Background(), b.tenant.ID, "mge", "", "7/m")
			if err != nil {
				t.Fatal(err)
			}
			const n = 20
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = b.do(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": 1, "source_id": 1}, withKey(key)).Code
				}()
			}
			wg.Wait()
			ok, limited := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusUnprocessableEntity:
					ok++
				case http.StatusTooManyRequests:
					limited++
				default:
					t.Errorf("status %d", c)
				}
			}
			if ok != 7 || limited != n-7 {
				t.Fatalf("admitted %d, limited %d; want 7 and %d", ok, limited, n-7)
			}
		})
	}
}

// TestMergeEdgeFloodLimit: flood_limit boundaries (0 = off, 1, concurrency), IPv6 /64
// and IPv4-mapped spellings share a budget, tenants do not, merges and undos do not
// count.
func TestMergeEdgeFloodLimit(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "10000/m") {
		t.Run(name, func(t *testing.T) {
			b, other := setup(t, opt), setup(t, opt)
			post := func(b *bundle, mail, ip string, limit int) int {
				t.Helper()
				return b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": mail, "request_ip": ip},
					"flood_limit": limit, "duplicate_check_method": "email"}).Code
			}
			for i := range 5 {
				if c := post(b, fmt.Sprintf("off%d@example.com", i), "192.0.2.50", 0); c != http.StatusCreated {
					t.Fatalf("flood_limit 0 (off): create %d answered %d", i, c)
				}
			}
			if c := post(b, "one1@example.com", "192.0.2.51", 1); c != http.StatusCreated {
				t.Fatalf("first under limit 1: %d", c)
			}
			rec := b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "one2@example.com", "request_ip": "::ffff:192.0.2.51"}, "flood_limit": 1})
			e := checkError(t, rec, http.MethodPost, "/api/v1/contacts", http.StatusTooManyRequests)
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 3500 || ra > 3600 {
				t.Fatalf("Retry-After %q, want about an hour", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(e.Message, "at most 1 contacts per hour") {
				t.Fatalf("message %q", e.Message)
			}
			// A merge from the same address is not a creation, and a raised limit admits.
			if c := post(b, "ONE1@example.com", "192.0.2.51", 1); c != http.StatusOK {
				t.Fatalf("merge under a full budget: %d", c)
			}
			if c := post(b, "one3@example.com", "192.0.2.51", 2); c != http.StatusCreated {
				t.Fatalf("limit raised to 2: %d", c)
			}
			if c := post(other, "one4@example.com", "192.0.2.51", 1); c != http.StatusCreated {
				t.Fatalf("other tenant, same address: %d", c)
			}
			// IPv6: one /64 shares a budget.
			if c := post(b, "v6a@example.com", "2001:db8:7:1::1", 1); c != http.StatusCreated {
				t.Fatalf("v6 first: %d", c)
			}
			if c := post(b, "v6b@example.com", "2001:db8:7:1:ffff:ffff:ffff:fffe", 1); c != http.StatusTooManyRequests {
				t.Fatalf("v6 same /64: %d", c)
			}
			if c := post(b, "v6c@example.com", "2001:db8:7:2::1", 1); c != http.StatusCreated {
				t.Fatalf("v6 next /64: %d", c)
			}
			// Concurrent creates from one address: exactly the limit is created.
			const n, limit = 12, 4
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = post(b, fmt.Sprintf("conc%d@example.com", i), "198.18.0.9", limit)
				}()
			}
			wg.Wait()
			created, limited := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusCreated:
					created++
				case http.StatusTooManyRequests:
					limited++
				default:
					t.Errorf("status %d", c)
				}
			}
			if created != limit || limited != n-limit {
				t.Fatalf("created %d, limited %d; want %d and %d", created, limited, limit, n-limit)
			}
			// The budget is full; a merge from the address still goes through.
			if c := post(b, "conc-new@example.com", "198.18.0.9", limit); c != http.StatusTooManyRequests {
				t.Fatalf("create past the limit: %d", c)
			}
			merged := 0
			for i := range n {
				switch c := post(b, fmt.Sprintf("CONC%d@example.com", i), "198.18.0.9", limit); c {
				case http.StatusOK:
					merged++
				case http.StatusTooManyRequests:
				default:
					t.Fatalf("resubmission %d: %d", i, c)
				}
			}
			if merged != limit {
				t.Fatalf("resubmissions merged %d, want %d (the created ones)", merged, limit)
			}
		})
	}
}

// TestMergeEdgeSpamList: spam-list API validation names every bad entry, nothing is
// added on a refusal, and listed addresses (any spelling) are refused by the native
// create.
func TestMergeEdgeSpamList(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	b := setup(t, withLimits(st, "10000/m"))
	e := b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24", "nope", "10.0.0.1", "1.2.3.4/33", " 2001:db8:55::/48 "},
		"source": strings.Repeat("s", 101)}, 422)
	got := e.fields()
	slices.Sort(got)
	if want := []string{"entries[1]", "entries[3]", "source"}; !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	var list struct {
		Entries []struct {
			ID    int64  `json:"id"`
			Entry string `json:"entry"`
		} `json:"entries"`
		NextAfter int64 `json:"next_after"`
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist", nil, http.StatusOK, &list)
	if len(list.Entries) != 0 {
		t.Fatalf("a refused add listed %+v", list.Entries)
	}
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{}}, 422)
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{}, 422)
	b.fail(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": make([]string, 10001)}, http.StatusRequestEntityTooLarge)
	b.fail(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"x"}}, 422)
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=-1", "after=x"} {
		b.fail(t, http.MethodGet, "/api/v1/spamlist?"+q, nil, 422)
	}
	for _, q := range []string{"", "ip=", "ip=1.2.3", "ip=fe80::1%25eth0", "ip=203.0.113.0/24"} {
		b.fail(t, http.MethodGet, "/api/v1/spamlist/check?"+q, nil, 422)
	}

	var added struct {
		Added int64 `json:"added"`
	}
	b.call(t, http.MethodPost, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24", " 2001:db8:55::/48 ", "203.0.113.0/24"}}, http.StatusOK, &added)
	if added.Added != 2 {
		t.Fatalf("added %d, want 2 (a duplicate in one call counts once)", added.Added)
	}
	b.call(t, http.MethodGet, "/api/v1/spamlist?limit=1", nil, http.StatusOK, &list)
	if len(list.Entries) != 1 || list.NextAfter != list.Entries[0].ID {
		t.Fatalf("page %+v", list)
	}
	for _, ip := range []string{"203.0.113.255", "::ffff:203.0.113.1", "2001:db8:55:ffff::1"} {
		rec := b.do(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": ip}, "spam_protection": true})
		e := checkError(t, rec, http.MethodPost, "/api/v1/contacts", http.StatusForbidden)
		if !strings.Contains(e.Message, "tenant spam list") {
			t.Fatalf("%s: %q", ip, e.Message)
		}
	}
	for _, ip := range []string{"203.0.114.0", "2001:db8:56::1"} {
		b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "ham-" + strings.ReplaceAll(ip, ":", "-") + "@example.com", "request_ip": ip},
			"spam_protection": true}, http.StatusCreated, nil)
	}
	var removed struct {
		Removed int64 `json:"removed"`
	}
	b.call(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.7"}}, http.StatusOK, &removed)
	if removed.Removed != 0 {
		t.Fatalf("removing an address inside a listed range removed %d", removed.Removed)
	}
	b.call(t, http.MethodDelete, "/api/v1/spamlist", map[string]any{"entries": []string{"203.0.113.0/24"}}, http.StatusOK, &removed)
	if removed.Removed != 1 {
		t.Fatalf("removed %d", removed.Removed)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "spam@example.com", "request_ip": "203.0.113.255"}, "spam_protection": true}, http.StatusCreated, nil)
}

// TestMergeEdgeHugeKeyQuota: a per-key quota at the top of what the limiter accepts
// (one request per nanosecond) works and reports itself in the headers.
func TestMergeEdgeHugeKeyQuota(t *testing.T) {
	t.Parallel()
	st := setup(t).st
	for name, opt := range mgeLimitBackends(t, st, "1/h") {
		t.Run(name, func(t *testing.T) {
			b := setup(t, opt)
			_, key, err := b.st.CreateKey(context.Background(), b.tenant.ID, "huge", "", "1000000000/s")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				rec := b.do(t, http.MethodGet, "/api/v1/merges", nil, withKey(key))
				h := rec.Header()
				rem, err := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
				if rec.Code != http.StatusOK || h.Get("X-Rate-Limit-Limit") != "1000000000" || err != nil || rem < 999999990 || rem > 999999999 {
					t.Fatalf("request %d: %d %v", i, rec.Code, h)
				}
			}
			// The tenant's default key is held to the default of one an hour.
			b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, nil)
			rec := b.do(t, http.MethodGet, "/api/v1/merges", nil)
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("second request on 1/h: %d", rec.Code)
			}
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 3590 || ra > 3600 {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
		})
	}
}
