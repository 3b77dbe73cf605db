package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

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

// idemSetup is a store on the package's database whose clock the test moves, and a
// tenant of the test's own.
type idemSetup struct {
	st     *store.Store
	clock  *testClock
	tenant int64
}

func setupIdempotency(t *testing.T) *idemSetup {
	t.Helper()
	shared := storetest.Open(t)
	clock := &testClock{now: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)}
	cfg := storetest.Config(t)
	cfg.Now = clock.Now
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &idemSetup{st: st, clock: clock, tenant: storetest.NewTenant(t, shared).ID}
}

func (s *idemSetup) begin(t *testing.T, key, hash string) (*models.IdempotencyRecord, bool) {
	t.Helper()
	rec, claimed, err := s.st.BeginIdempotent(context.Background(), s.tenant, key, hash)
	if err != nil {
		t.Fatalf("begin %q: %v", key, err)
	}
	return rec, claimed
}

func (s *idemSetup) count(t *testing.T) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM idempotency_keys WHERE tenant_id = ?"
	if storetest.Dialect() == store.Postgres {
		q = "SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1"
	}
	if err := s.st.DB().QueryRow(q, s.tenant).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var answer = &models.IdempotentResponse{
	Status: 201,
	Header: map[string][]string{"Content-Type": {"application/json"}, "X-Two": {"a", "b"}},
	Body:   []byte(`{"id":1}` + "\n"),
}

func sameResponse(a, b *models.IdempotentResponse) bool {
	return a != nil && b != nil && a.Status == b.Status && string(a.Body) == string(b.Body) &&
		maps.EqualFunc(a.Header, b.Header, slices.Equal)
}

func TestIdempotencyClaimCompleteReplay(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	ctx := context.Background()

	first, claimed := s.begin(t, "k1", "h1")
	if !claimed || first.ID == 0 || first.Response != nil {
		t.Fatalf("first begin = %+v, claimed %v; want a new claim", first, claimed)
	}
	again, claimed := s.begin(t, "k1", "h1")
	if claimed || again.ID != first.ID || again.Response != nil || again.RequestHash != "h1" {
		t.Fatalf("begin while in progress = %+v, claimed %v; want the claim in progress", again, claimed)
	}
	if other, claimed := s.begin(t, "k1", "h2"); claimed || other.RequestHash != "h1" {
		t.Fatalf("begin with another hash = %+v, claimed %v; want the first request's record", other, claimed)
	}
	if err := s.st.CompleteIdempotent(ctx, s.tenant, first.ID, answer); err != nil {
		t.Fatal(err)
	}
	done, claimed := s.begin(t, "k1", "h1")
	if claimed || !sameResponse(done.Response, answer) {
		t.Fatalf("begin after completion = %+v, claimed %v; want the stored answer %+v", done.Response, claimed, answer)
	}
	// A completed claim is final: neither completed again nor released.
	if err := s.st.CompleteIdempotent(ctx, s.tenant, first.ID, &models.IdempotentResponse{Status: 500}); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("completing twice: %v, want not found", err)
	}
	if err := s.st.ReleaseIdempotent(ctx, s.tenant, first.ID); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.begin(t, "k1", "h1"); !sameResponse(done.Response, answer) {
		t.Fatalf("a release removed a completed answer: %+v", done.Response)
	}

	// An empty body is an answer too (not "in progress").
	empty, _ := s.begin(t, "k2", "h")
	if err := s.st.CompleteIdempotent(ctx, s.tenant, empty.ID, &models.IdempotentResponse{Status: 204}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.begin(t, "k2", "h"); got.Response == nil || got.Response.Status != 204 || len(got.Response.Body) != 0 {
		t.Fatalf("empty answer read back as %+v", got.Response)
	}
}

func TestIdempotencyReleaseLetsARetryRun(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	first, _ := s.begin(t, "k", "h")
	if err := s.st.ReleaseIdempotent(context.Background(), s.tenant, first.ID); err != nil {
		t.Fatal(err)
	}
	retry, claimed := s.begin(t, "k", "h")
	if !claimed || retry.ID == first.ID {
		t.Fatalf("begin after release = %+v, claimed %v; want a new claim", retry, claimed)
	}
	// The released claim cannot complete the new one.
	if err := s.st.CompleteIdempotent(context.Background(), s.tenant, first.ID, answer); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("completing a released claim: %v, want not found", err)
	}
}

func TestIdempotencyKeysAreTenants(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	other := storetest.NewTenant(t, storetest.Open(t)).ID
	ctx := context.Background()
	mine, _ := s.begin(t, "shared-key", "h1")
	theirs, claimed, err := s.st.BeginIdempotent(ctx, other, "shared-key", "h2")
	if err != nil || !claimed || theirs.ID == mine.ID {
		t.Fatalf("another tenant's begin = %+v, %v, %v; want a claim of its own", theirs, claimed, err)
	}
	// A tenant cannot complete or release another's claim.
	if err := s.st.CompleteIdempotent(ctx, other, mine.ID, answer); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("completing another tenant's claim: %v, want not found", err)
	}
	if err := s.st.ReleaseIdempotent(ctx, other, mine.ID); err != nil {
		t.Fatal(err)
	}
	if rec, claimed := s.begin(t, "shared-key", "h1"); claimed || rec.ID != mine.ID {
		t.Fatalf("another tenant's release touched this claim: %+v, claimed %v", rec, claimed)
	}
}

func TestIdempotencyKeysExpireAfterADay(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	first, _ := s.begin(t, "k", "h1")
	if err := s.st.CompleteIdempotent(context.Background(), s.tenant, first.ID, answer); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(models.IdempotencyTTL - time.Second)
	if rec, claimed := s.begin(t, "k", "h1"); claimed || !sameResponse(rec.Response, answer) {
		t.Fatalf("a second before expiry: %+v, claimed %v; want the replay", rec, claimed)
	}
	s.clock.Add(time.Second)
	// Expired: unknown, so even another request may use the key now.
	rec, claimed := s.begin(t, "k", "h2")
	if !claimed || rec.ID == first.ID || rec.Response != nil {
		t.Fatalf("after expiry: %+v, claimed %v; want a new claim", rec, claimed)
	}
	if n := s.count(t); n != 1 {
		t.Fatalf("%d rows for the key, want 1", n)
	}
}

func TestIdempotencyAbandonedClaimIsTakenOver(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	first, _ := s.begin(t, "k", "h")
	s.clock.Add(models.IdempotencyLease - time.Second)
	if rec, claimed := s.begin(t, "k", "h"); claimed || rec.ID != first.ID || rec.Response != nil {
		t.Fatalf("within the lease: %+v, claimed %v; want the claim in progress", rec, claimed)
	}
	s.clock.Add(time.Second)
	rec, claimed := s.begin(t, "k", "h")
	if !claimed || rec.ID == first.ID {
		t.Fatalf("after the lease: %+v, claimed %v; want a new claim", rec, claimed)
	}
	if err := s.st.CompleteIdempotent(context.Background(), s.tenant, first.ID, answer); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the abandoned claim completed over the new one: %v", err)
	}
}

func TestIdempotencyPrune(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	ctx := context.Background()
	s.begin(t, "old", "h") // in progress, abandoned
	done, _ := s.begin(t, "old-done", "h")
	if err := s.st.CompleteIdempotent(ctx, s.tenant, done.ID, answer); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(12 * time.Hour)
	s.begin(t, "young", "h")
	s.clock.Add(12 * time.Hour)
	n, err := s.st.PruneIdempotencyKeys(ctx, s.tenant)
	if err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want the 2 keys a day old", n, err)
	}
	if got := s.count(t); got != 1 {
		t.Fatalf("%d keys left, want 1 (young)", got)
	}

	// Claiming a key an hour after the last prune prunes the tenant's expired keys too,
	// in the background.
	s.clock.Add(13 * time.Hour)
	s.begin(t, "new", "h")
	deadline := time.Now().Add(10 * time.Second)
	for s.count(t) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d keys left after a claim, want 1 (new): the expired one was not pruned", s.count(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdempotencyRacingClaims checks that of many concurrent first requests with one
// key exactly one claims it.
func TestIdempotencyRacingClaims(t *testing.T) {
	t.Parallel()
	s := setupIdempotency(t)
	for i := range 20 {
		key := "race-" + string(rune('a'+i))
		var wg sync.WaitGroup
		var mu sync.Mutex
		claims := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, claimed, err := s.st.BeginIdempotent(context.Background(), s.tenant, key, "h")
				if err != nil {
					t.Error(err)
				}
				if claimed {
					mu.Lock()
					claims++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if claims != 1 {
			t.Fatalf("%s: %d claims, want 1", key, claims)
		}
	}
}
