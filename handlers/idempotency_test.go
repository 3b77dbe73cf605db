package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// idempotentRoutes are the routes that opt into Idempotency-Key, each with a body that
// creates one contact with a mail — a second time too: the duplicate check is off, so
// only the key keeps a retry from creating twice.
var idempotentRoutes = []struct {
	name, path string
	body       func(mail string) any
}{
	{"POST contact", "/public/api/V1/contact", func(mail string) any {
		return map[string]any{"contact": map[string]any{"mail": mail}, "duplicate_check_method": "none"}
	}},
	{"POST contacts", "/public/api/V1/contacts", func(mail string) any {
		return map[string]any{"contacts": []any{map[string]any{"mail": mail}}, "duplicate_check_method": "none"}
	}},
	{"POST native contacts", "/api/v1/contacts", func(mail string) any {
		return map[string]any{"contact": map[string]any{"mail": mail}, "duplicate_check_method": "none"}
	}},
}

func withIdempotencyKey(key string) reqOpt { return withHeader("Idempotency-Key", key) }

// contactsWithMail counts the tenant's contacts with mail.
func (b *bundle) contactsWithMail(t testing.TB, mail string) int {
	t.Helper()
	return len(b.queryStrings(t, "SELECT mail FROM contacts WHERE tenant_id = ? AND mail = ?", b.tenant.ID, mail))
}

// sameAnswer fails unless two answers have the same status, body and Content-Type.
func sameAnswer(t testing.TB, what string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code || got.Body.String() != want.Body.String() || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
		t.Fatalf("%s: %d %q %s, want the answer %d %q %s", what, got.Code, got.Header().Get("Content-Type"), got.Body,
			want.Code, want.Header().Get("Content-Type"), want.Body)
	}
}

func isReplay(rec *httptest.ResponseRecorder) bool {
	return rec.Header().Get("Idempotent-Replayed") == "true"
}

func TestIdempotentCreateReplays(t *testing.T) {
	t.Parallel()
	for _, rt := range idempotentRoutes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			mail := "replay@example.com"
			first := b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey("order-1"))
			if first.Code/100 != 2 || isReplay(first) {
				t.Fatalf("first: %d replayed=%v %s", first.Code, isReplay(first), first.Body)
			}
			// The same request again, also spelled as a Quentn client may (v1, trailing slash).
			paths := []string{rt.path, rt.path + "/"}
			if lower := strings.Replace(rt.path, "/V1/", "/v1/", 1); lower != rt.path {
				paths = append(paths, lower)
			}
			for _, p := range paths {
				again := b.do(t, http.MethodPost, p, rt.body(mail), withIdempotencyKey("order-1"))
				sameAnswer(t, "retry on "+p, again, first)
				if !isReplay(again) {
					t.Fatalf("retry on %s: no Idempotent-Replayed: true", p)
				}
			}
			if n := b.contactsWithMail(t, mail); n != 1 {
				t.Fatalf("%d contacts after retries, want 1", n)
			}
			// Without the key the same request does create again: the check above means something.
			b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey("order-2"))
			if n := b.contactsWithMail(t, mail); n != 2 {
				t.Fatalf("%d contacts after a request with a new key, want 2", n)
			}
		})
	}
}

func TestIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rt := idempotentRoutes[0]
	b.call(t, http.MethodPost, rt.path, rt.body("first@example.com"), http.StatusOK, nil, withIdempotencyKey("k"))
	for _, tc := range []struct {
		what, path string
		body       any
	}{
		{"another body", rt.path, rt.body("second@example.com")},
		{"another route", idempotentRoutes[2].path, idempotentRoutes[2].body("first@example.com")},
	} {
		e := b.fail(t, http.MethodPost, tc.path, tc.body, http.StatusUnprocessableEntity, withIdempotencyKey("k"))
		if !slices.Equal(e.fields(), []string{"Idempotency-Key"}) {
			t.Fatalf("%s: errors %+v, want one naming Idempotency-Key", tc.what, e.Errors)
		}
	}
	if n := b.contactsWithMail(t, "second@example.com"); n != 0 {
		t.Fatalf("another body with a used key wrote %d contacts", n)
	}
}

func TestIdempotencyKeyFormat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rt := idempotentRoutes[0]
	for name, opt := range map[string]reqOpt{
		"empty":         withIdempotencyKey(""),
		"256 bytes":     withIdempotencyKey(strings.Repeat("k", 256)),
		"not ASCII":     withIdempotencyKey("schlüssel"),
		"control bytes": withIdempotencyKey("a\x01b"),
		"given twice": func(r *http.Request) {
			r.Header.Add("Idempotency-Key", "a")
			r.Header.Add("Idempotency-Key", "b")
		},
	} {
		e := b.fail(t, http.MethodPost, rt.path, rt.body("format@example.com"), http.StatusUnprocessableEntity, opt)
		if !slices.Equal(e.fields(), []string{"Idempotency-Key"}) {
			t.Errorf("%s: errors %+v, want one naming Idempotency-Key", name, e.Errors)
		}
	}
	if n := b.contactsWithMail(t, "format@example.com"); n != 0 {
		t.Fatalf("requests with invalid keys wrote %d contacts", n)
	}
	longest := strings.Repeat("k", 253) + " ~"
	b.call(t, http.MethodPost, rt.path, rt.body("format@example.com"), http.StatusOK, nil, withIdempotencyKey(longest))
}

// TestIdempotentRetryRacingTheFirst sends a request and its retry at the same time,
// many times: one contact each time, and both get the same answer.
func TestIdempotentRetryRacingTheFirst(t *testing.T) {
	t.Parallel()
	const rounds = 15
	for _, rt := range idempotentRoutes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			for i := range rounds {
				mail := fmt.Sprintf("race%d@example.com", i)
				key := fmt.Sprintf("race-%d", i)
				var recs [2]*httptest.ResponseRecorder
				var wg sync.WaitGroup
				start := make(chan struct{})
				for j := range recs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						recs[j] = b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey(key))
					}()
				}
				close(start)
				wg.Wait()
				if recs[0].Code/100 != 2 {
					t.Fatalf("round %d: %d %s", i, recs[0].Code, recs[0].Body)
				}
				sameAnswer(t, fmt.Sprintf("round %d", i), recs[1], recs[0])
				if isReplay(recs[0]) == isReplay(recs[1]) {
					t.Fatalf("round %d: replayed %v and %v, want exactly one replay", i, isReplay(recs[0]), isReplay(recs[1]))
				}
				if n := b.contactsWithMail(t, mail); n != 1 {
					t.Fatalf("round %d: %d contacts, want 1", i, n)
				}
			}
		})
	}
}

// cancellingSpamCheck is a spam checker that runs a test's function during the write
// path (spam_protection with a request_ip), before the contact is written.
type cancellingSpamCheck struct{ during func() }

func (s cancellingSpamCheck) Listed(context.Context, int64, netip.Addr) (string, bool, error) {
	s.during()
	return "", false, nil
}

func (cancellingSpamCheck) Invalidate(int64) {}

// TestIdempotentRetryAfterClientGaveUp: the client gives up while the contact is being
// written (its request context ends) and retries with the same key. The retry gets the
// answer of the write that was done, and there is one contact.
func TestIdempotentRetryAfterClientGaveUp(t *testing.T) {
	t.Parallel()
	var giveUp atomic.Pointer[context.CancelFunc]
	b := setup(t, func(a *handlers.API) {
		a.ContactService = contacts.New(contacts.Config{Store: storetest.Open(t), Spam: cancellingSpamCheck{during: func() {
			if cancel := giveUp.Swap(nil); cancel != nil {
				(*cancel)()
			}
		}}})
	})
	mail := "gave-up@example.com"
	body := map[string]any{"contact": map[string]any{"mail": mail, "request_ip": "192.0.2.1"},
		"duplicate_check_method": "none", "spam_protection": true, "return_fields": []string{"mail"}}
	ctx, cancel := context.WithCancel(context.Background())
	giveUp.Store(&cancel)
	b.do(t, http.MethodPost, "/public/api/V1/contact", body, withIdempotencyKey("gave-up"),
		func(r *http.Request) { *r = *r.WithContext(ctx) })
	if ctx.Err() == nil {
		t.Fatal("the client never gave up: the spam check did not run")
	}

	retry := b.do(t, http.MethodPost, "/public/api/V1/contact", body, withIdempotencyKey("gave-up"))
	var out struct {
		ID   int64  `json:"id"`
		Mail string `json:"mail"`
	}
	if retry.Code != http.StatusOK || !isReplay(retry) {
		t.Fatalf("retry: %d replayed=%v %s; want the replayed answer of the first write", retry.Code, isReplay(retry), retry.Body)
	}
	if err := json.Unmarshal(retry.Body.Bytes(), &out); err != nil || out.ID == 0 || out.Mail != mail {
		t.Fatalf("retry answer %s (%v)", retry.Body, err)
	}
	if n := b.contactsWithMail(t, mail); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestIdempotencyKeysExpireAfterADay(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := storetest.Config(t)
	cfg.Now = clock.Now
	keys, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	b := setup(t, func(a *handlers.API) { a.Idempotency = keys })
	rt, mail := idempotentRoutes[0], "day@example.com"

	first := b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey("daily"))
	clock.Add(models.IdempotencyTTL - time.Second)
	if again := b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey("daily")); !isReplay(again) {
		t.Fatalf("a second before the day ends: %d %s, want a replay", again.Code, again.Body)
	}
	clock.Add(time.Second)
	later := b.do(t, http.MethodPost, rt.path, rt.body(mail), withIdempotencyKey("daily"))
	if later.Code != http.StatusOK || isReplay(later) || later.Body.String() == first.Body.String() {
		t.Fatalf("a day later: %d replayed=%v %s; want a new contact", later.Code, isReplay(later), later.Body)
	}
	if n := b.contactsWithMail(t, mail); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
}

func TestIdempotencyKeysAreTenants(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := &bundle{e: b.e, api: b.api, st: b.st, tenant: storetest.NewTenant(t, b.st)}
	rt := idempotentRoutes[0]
	mine := b.do(t, http.MethodPost, rt.path, rt.body("same@example.com"), withIdempotencyKey("shared"))
	theirs := other.do(t, http.MethodPost, rt.path, rt.body("same@example.com"), withIdempotencyKey("shared"))
	if theirs.Code != http.StatusOK || isReplay(theirs) || theirs.Body.String() == mine.Body.String() {
		t.Fatalf("another tenant with the same key and body: %d replayed=%v %s; want its own new contact", theirs.Code, isReplay(theirs), theirs.Body)
	}
	// Each tenant's key now belongs to its own request.
	if again := other.do(t, http.MethodPost, rt.path, rt.body("same@example.com"), withIdempotencyKey("shared")); !isReplay(again) {
		t.Fatalf("the other tenant's retry: %d %s, want its own answer replayed", again.Code, again.Body)
	} else {
		sameAnswer(t, "the other tenant's retry", again, theirs)
	}
	other.fail(t, http.MethodPost, rt.path, rt.body("other@example.com"), http.StatusUnprocessableEntity, withIdempotencyKey("shared"))
	if again := b.do(t, http.MethodPost, rt.path, rt.body("same@example.com"), withIdempotencyKey("shared")); !isReplay(again) {
		t.Fatalf("this tenant's retry: %d %s, want its own answer replayed", again.Code, again.Body)
	} else {
		sameAnswer(t, "this tenant's retry", again, mine)
	}
	if n := b.contactsWithMail(t, "same@example.com"); n != 1 {
		t.Fatalf("%d contacts of this tenant, want 1", n)
	}
	if n := other.contactsWithMail(t, "same@example.com"); n != 1 {
		t.Fatalf("%d contacts of the other tenant, want 1", n)
	}
}

// testRoute registers a route behind the middleware whose handler the test writes.
func (b *bundle) testRoute(h echo.HandlerFunc) string {
	path := "/test/idempotent"
	b.api.IdempotentRoute(b.e, path, h)
	return path
}

// TestIdempotentAnswersByStatus: answers 2xx and 4xx are stored and replayed (as
// Stripe does); 5xx, 429 and a panic release the key, and a retry runs again.
func TestIdempotentAnswersByStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		first  func(c echo.Context) error
		replay bool
	}{
		{"201 with headers", func(c echo.Context) error {
			c.Response().Header().Set("Location", "/somewhere/1")
			c.Response().Header().Add("X-Two", "a")
			c.Response().Header().Add("X-Two", "b")
			return c.JSON(http.StatusCreated, map[string]int{"id": 1})
		}, true},
		{"204", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, true},
		{"422", func(echo.Context) error {
			return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{{Field: "x", Error: "bad"}}}
		}, true},
		{"404", func(echo.Context) error { return models.Errorf(models.ENOTFOUND, "no such thing") }, true},
		{"409", func(echo.Context) error { return models.Errorf(models.ECONFLICT, "conflict") }, true},
		{"500", func(echo.Context) error { return errors.New("the database is down") }, false},
		{"503", func(echo.Context) error {
			return &models.Error{Code: models.EUNAVAILABLE, Message: "busy", RetryAfter: time.Second}
		}, false},
		{"429", func(echo.Context) error {
			return &models.Error{Code: models.ELIMITED, Message: "flood limit reached", RetryAfter: time.Second}
		}, false},
		{"panic", func(echo.Context) error { panic("a bug") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.e.Logger.SetOutput(io.Discard) // the panic's stack
			var calls atomic.Int64
			path := b.testRoute(func(c echo.Context) error {
				if calls.Add(1) == 1 {
					return tc.first(c)
				}
				return c.JSON(http.StatusOK, map[string]string{"answer": "second run"})
			})
			first := b.do(t, http.MethodPost, path, `{"a":1}`, withIdempotencyKey("k"))
			retry := b.do(t, http.MethodPost, path, `{"a":1}`, withIdempotencyKey("k"))
			if !tc.replay {
				if calls.Load() != 2 || retry.Code != http.StatusOK || isReplay(retry) {
					t.Fatalf("after a %d: retry %d replayed=%v %s, %d runs; want the request run again", first.Code, retry.Code, isReplay(retry), retry.Body, calls.Load())
				}
				if third := b.do(t, http.MethodPost, path, `{"a":1}`, withIdempotencyKey("k")); !isReplay(third) || calls.Load() != 2 {
					t.Fatalf("after the second run: %d replayed=%v, %d runs; want its answer replayed", third.Code, isReplay(third), calls.Load())
				}
				return
			}
			if calls.Load() != 1 || !isReplay(retry) {
				t.Fatalf("retry: %d replayed=%v, %d runs; want the first answer replayed", retry.Code, isReplay(retry), calls.Load())
			}
			sameAnswer(t, "retry", retry, first)
			for _, h := range []string{"Location", "X-Two"} {
				if got, want := retry.Header().Values(h), first.Header().Values(h); !slices.Equal(got, want) {
					t.Errorf("header %s replayed as %q, sent as %q", h, got, want)
				}
			}
		})
	}
}

// observedStore reports each BeginIdempotent that found the key in progress.
type observedStore struct {
	handlers.IdempotencyStore
	waiting chan struct{}
}

func (s *observedStore) BeginIdempotent(ctx context.Context, tenant int64, key, hash string) (*models.IdempotencyRecord, bool, error) {
	rec, claimed, err := s.IdempotencyStore.BeginIdempotent(ctx, tenant, key, hash)
	if err == nil && !claimed && rec.Response == nil {
		select {
		case s.waiting <- struct{}{}:
		default:
		}
	}
	return rec, claimed, err
}

// TestIdempotentRetryWhileInProgress: a retry that arrives while the first request runs
// waits for its answer and replays it; when the first fails with a 5xx, the waiting
// retry runs the request itself; past the wait it answers 409 with Retry-After.
func TestIdempotentRetryWhileInProgress(t *testing.T) {
	t.Parallel()
	for _, firstFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("first fails %v", firstFails), func(t *testing.T) {
			t.Parallel()
			observed := &observedStore{waiting: make(chan struct{}, 1)}
			b := setup(t, func(a *handlers.API) {
				observed.IdempotencyStore = a.Idempotency
				a.Idempotency = observed
			})
			started, release := make(chan struct{}), make(chan struct{})
			var calls atomic.Int64
			path := b.testRoute(func(c echo.Context) error {
				if calls.Add(1) == 1 {
					close(started)
					<-release
					if firstFails {
						return errors.New("lost the database")
					}
				}
				return c.JSON(http.StatusOK, map[string]int64{"run": calls.Load()})
			})
			firstDone := make(chan *httptest.ResponseRecorder)
			go func() { firstDone <- b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("slow")) }()
			<-started
			retryDone := make(chan *httptest.ResponseRecorder)
			go func() { retryDone <- b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("slow")) }()
			<-observed.waiting // the retry found the first in progress and waits
			close(release)
			first, retry := <-firstDone, <-retryDone
			if firstFails {
				if first.Code != http.StatusInternalServerError || retry.Code != http.StatusOK || isReplay(retry) || calls.Load() != 2 {
					t.Fatalf("first %d, retry %d replayed=%v %s, %d runs; want the retry to run after the first failed",
						first.Code, retry.Code, isReplay(retry), retry.Body, calls.Load())
				}
				return
			}
			if first.Code != http.StatusOK || !isReplay(retry) || calls.Load() != 1 {
				t.Fatalf("first %d, retry %d replayed=%v, %d runs; want the retry to wait and replay", first.Code, retry.Code, isReplay(retry), calls.Load())
			}
			sameAnswer(t, "waiting retry", retry, first)
		})
	}

	t.Run("past the wait", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(a *handlers.API) { a.IdempotencyWait = 10 * time.Millisecond })
		started, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int64
		path := b.testRoute(func(c echo.Context) error {
			if calls.Add(1) == 1 {
				close(started)
				<-release
			}
			return c.JSON(http.StatusOK, map[string]int64{"run": calls.Load()})
		})
		firstDone := make(chan *httptest.ResponseRecorder)
		go func() { firstDone <- b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("slow")) }()
		<-started
		busy := b.fail(t, http.MethodPost, path, `{}`, http.StatusConflict, withIdempotencyKey("slow"))
		close(release)
		first := <-firstDone
		rec := b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("slow"))
		if !strings.Contains(busy.Message, "in progress") || calls.Load() != 1 {
			t.Fatalf("409 %q with %d runs", busy.Message, calls.Load())
		}
		sameAnswer(t, "retry after the first finished", rec, first)
	})
}

func TestIdempotent409HasRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.IdempotencyWait = time.Millisecond })
	release := make(chan struct{})
	started := make(chan struct{})
	path := b.testRoute(func(c echo.Context) error {
		close(started)
		<-release
		return c.NoContent(http.StatusNoContent)
	})
	done := make(chan struct{})
	go func() { b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("k")); close(done) }()
	<-started
	busy := b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("k"))
	close(release)
	<-done
	if busy.Code != http.StatusConflict || busy.Header().Get("Retry-After") == "" {
		t.Fatalf("retry while in progress: %d, Retry-After %q", busy.Code, busy.Header().Get("Retry-After"))
	}
}

// TestIdempotentAnswerTooLargeToReplay: an answer past the stored bound is sent whole,
// and a retry learns that the request was done instead of running it again.
func TestIdempotentAnswerTooLargeToReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls atomic.Int64
	big := strings.Repeat("x", handlers.MaxStoredResponse+1)
	path := b.testRoute(func(c echo.Context) error {
		calls.Add(1)
		return c.String(http.StatusOK, big)
	})
	first := b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("big"))
	if first.Code != http.StatusOK || first.Body.Len() != len(big) {
		t.Fatalf("first: %d with %d bytes, want 200 with all %d", first.Code, first.Body.Len(), len(big))
	}
	retry := checkError(t, b.do(t, http.MethodPost, path, `{}`, withIdempotencyKey("big")), http.MethodPost, path, http.StatusConflict)
	if calls.Load() != 1 || !strings.Contains(retry.Message, "was done (status 200)") {
		t.Fatalf("retry: %q after %d runs", retry.Message, calls.Load())
	}
}

// TestIdempotencyKeyIgnoredElsewhere: a route that does not opt in ignores the header.
func TestIdempotencyKeyIgnoredElsewhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "elsewhere@example.com"})
	for range 2 {
		b.call(t, http.MethodPost, "/public/api/V1/contact/"+itoa(id)+"/comments", map[string]any{"comment": "hi"}, http.StatusOK, nil,
			withIdempotencyKey(strings.Repeat("k", 300)))
	}
}
