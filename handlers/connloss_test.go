package handlers_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestLostConnectionsAnswerNo500 runs reads and writes while the store's database
// connections are terminated again and again (pg_terminate_backend, as a failover or an
// administrator would). A request either succeeds — reads and transactions that had
// not committed are retried once on a fresh connection — or answers 503 with
// Retry-After; never 500.
func TestLostConnectionsAnswerNo500(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("SQLite has no connections to lose")
	}
	t.Parallel()
	var logs syncBuffer
	b, k := killable(t, 6, &logs)
	term := b.newTerm(t, "lost")
	const nContacts = 24
	ids := make([]int64, nContacts)
	for i := range ids {
		ids[i] = b.createContact(t, map[string]any{"first_name": "Lou", "family_name": fmt.Sprintf("Lost%d", i),
			"mail": fmt.Sprintf("lost%d@example.com", i)})
	}

	const workers, perWorker, killEvery = 6, 120, 15
	done := make(chan struct{}) // closed when the workers are through
	progress := make(chan struct{}, workers*perWorker)
	var killed atomic.Int64
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for n := 0; ; n++ {
			// Every killEvery answered requests, terminate every connection of the store.
			for range killEvery {
				select {
				case <-progress:
				case <-done:
					return
				}
			}
			killed.Add(k.terminate(t))
		}
	}()

	var mu sync.Mutex
	codes := map[int]int{}
	var bad []string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := ids[(w*perWorker+i)%nContacts]
				path := "/public/api/V1/contact/" + itoa(id)
				var method, p string
				var body any
				switch i % 8 {
				case 0, 1:
					method, p = http.MethodGet, path
				case 2:
					method, p = http.MethodGet, "/api/v1/contacts?limit=5"
				case 3:
					method, p, body = http.MethodPut, path, map[string]any{"company": fmt.Sprintf("Firm %d", i)}
				case 4:
					method, p, body = http.MethodPost, path+"/comments", map[string]any{"comment": "still here"}
				case 5:
					method, p, body = http.MethodPut, path+"/terms", []int64{term}
				case 6:
					method, p, body = http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{
						"mail": fmt.Sprintf("lost%d@example.com", i%nContacts), "job_title": "again"}, "duplicate_check_method": "email"}
				case 7:
					method, p = http.MethodGet, path+"/comments"
				}
				rec := b.do(t, method, p, body)
				mu.Lock()
				codes[rec.Code]++
				switch {
				case rec.Code == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "":
					bad = append(bad, fmt.Sprintf("%s %s: 503 without Retry-After", method, p))
				case rec.Code != http.StatusOK && rec.Code != http.StatusServiceUnavailable:
					bad = append(bad, fmt.Sprintf("%s %s: %d %s", method, p, rec.Code, rec.Body))
				}
				mu.Unlock()
				progress <- struct{}{}
			}
		})
	}
	wg.Wait()
	close(done)
	<-killerDone
	t.Logf("answers %v; %d connections terminated; transactions run again: %+v", codes, killed.Load(), b.st.Retries())
	for _, s := range bad {
		t.Error(s)
	}
	if len(bad) > 0 {
		t.Logf("server log:\n%s", logs.String())
	}
	if killed.Load() == 0 {
		t.Fatal("no connection was terminated; the test proves nothing")
	}
	storetest.AssertConsistent(t, b.st)
	if err := b.st.Ping(context.Background()); err != nil {
		t.Fatalf("store after the terminations: %v", err)
	}
}

// TestIdleConnectionsTerminated: every connection of the pool dies while idle (a
// failover, a restart); the next requests find them dead and still succeed, each on a
// fresh connection — reads and transactions alike.
func TestIdleConnectionsTerminated(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("SQLite has no connections to lose")
	}
	t.Parallel()
	var logs syncBuffer
	b, k := killable(t, 3, &logs)
	id := b.createContact(t, map[string]any{"first_name": "Ida", "family_name": "Idle", "mail": "idle@example.com"})
	path := "/public/api/V1/contact/" + itoa(id)
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, path, nil},
		{http.MethodGet, "/api/v1/contacts?limit=5", nil},
		{http.MethodPut, path, map[string]any{"company": "Idle Inc"}},
		{http.MethodPost, path + "/comments", map[string]any{"comment": "after the restart"}},
		{http.MethodGet, path + "/comments", nil},
		{http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "idle@example.com", "terms": []int64{}, "comment": "again"}, "duplicate_check_method": "email"}},
	} {
		if k.terminate(t) == 0 {
			t.Fatalf("before %s %s: no connection to terminate", r.method, r.path)
		}
		k.waitGone(t)
		if rec := b.do(t, r.method, r.path, r.body); rec.Code != http.StatusOK {
			t.Fatalf("%s %s after its connections were terminated: %d %s\nserver log:\n%s", r.method, r.path, rec.Code, rec.Body, logs.String())
		}
	}
}

// killer terminates the backends of one store (by application_name): the package's
// other tests share the database and keep theirs.
type killer struct {
	app   string
	admin *sql.DB
}

// killable is isolated on a store whose connections a killer can terminate, with
// at most maxConns of them; the store and the server log to logs.
func killable(t *testing.T, maxConns int, logs *syncBuffer) (*bundle, *killer) {
	t.Helper()
	k := &killer{app: fmt.Sprintf("contacthub_connloss_%d", rand.Uint32())}
	b := isolated(t, func(c *store.Config) {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", k.app)
		u.RawQuery = q.Encode()
		c.DatabaseURL, c.MaxOpenConns = u.String(), maxConns
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}, func(a *handlers.API) { a.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	var err error
	if k.admin, err = sql.Open("pgx", storetest.Config(t).DatabaseURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.admin.Close() })
	return b, k
}

// terminate terminates every backend of the store and returns how many there were.
func (k *killer) terminate(t *testing.T) int64 {
	var n int64
	err := k.admin.QueryRow("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "+
		"WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()", k.app).Scan(&n)
	if err != nil {
		t.Errorf("terminate backends: %v", err)
	}
	return n
}

// waitGone waits until the terminated backends have exited.
func (k *killer) waitGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var n int64
		if err := k.admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", k.app).Scan(&n); err != nil {
			t.Fatalf("count backends: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// syncBuffer is a bytes.Buffer for concurrent writers (the server log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
