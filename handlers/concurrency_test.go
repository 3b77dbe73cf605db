package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// The tests here race writes against deletes of the same contacts and term deletes
// against everything that puts terms or comments on contacts. They need real
// concurrency to mean much: on PostgreSQL they are the proof that the store takes its
// locks in one order (store/locks.go); on SQLite, with its one writer, they check the
// answers only. Each ends with the invariant check (storetest.AssertConsistent).

// isolated is setup on a store of its own (same database), so its retry counters
// (store.Retries) count this test's requests only.
// configure, when not nil, changes the store's config; opts change the API as in setup.
func isolated(t *testing.T, configure func(*store.Config), opts ...func(*handlers.API)) *bundle {
	t.Helper()
	cfg := storetest.Config(t)
	// Enough connections for real concurrency, few enough that parallel tests (and
	// other test runs on the same server) stay within max_connections.
	cfg.MaxOpenConns = 6
	if configure != nil {
		configure(&cfg)
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := &handlers.API{
		Auth: st, Contacts: st, CustomFields: st, Merges: st, Terms: st, Comments: st, Log: log,
		ContactService: contacts.New(contacts.Config{Store: st, Log: log}),
	}
	for _, o := range opts {
		o(api)
	}
	return &bundle{e: handlers.New(api), api: api, st: st, tenant: storetest.NewTenant(t, st)}
}

// answer is the status of one request of a race, for the report.
type answer struct {
	what string
	code int
	body string
}

// race sends the requests at once (each in its own goroutine, released together) and
// returns their answers in the order given.
func (b *bundle) race(t *testing.T, reqs ...func() answer) []answer {
	t.Helper()
	out := make([]answer, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			<-start
			out[i] = r()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// req is one request of a race.
func (b *bundle) req(t *testing.T, method, path string, body any) func() answer {
	return func() answer {
		rec := b.do(t, method, path, body)
		return answer{what: method + " " + path, code: rec.Code, body: rec.Body.String()}
	}
}

// allowed fails the test for an answer whose status is not one of codes.
func allowed(t *testing.T, a answer, codes ...int) {
	t.Helper()
	for _, c := range codes {
		if a.code == c {
			return
		}
	}
	t.Errorf("%s: status %d (want one of %v): %s", a.what, a.code, codes, a.body)
}

// noDeadlocks fails the test when the store had to run a transaction again because
// PostgreSQL broke a deadlock: with one lock order there is none to break.
func noDeadlocks(t *testing.T, st *store.Store) {
	t.Helper()
	r := st.Retries()
	t.Logf("transactions run again: %+v", r)
	if r.Deadlock > 0 {
		t.Errorf("%d deadlocks broken by PostgreSQL (retried); locks are not taken in one order (%+v)", r.Deadlock, r)
	}
}

// TestMergeRacingDelete merges pairs of contacts while the target (even pairs) or the
// source (odd pairs) is deleted. Either the merge happens first (and the delete takes
// everything it merged, or finds the source gone) or the delete does (and the merge
// answers 404); nothing of a deleted contact stays behind.
func TestMergeRacingDelete(t *testing.T) {
	t.Parallel()
	b := isolated(t, nil)
	const pairs, wave = 40, 8
	for w := 0; w < pairs; w += wave {
		type pair struct{ target, source, deleted int64 }
		ps := make([]pair, wave)
		for i := range ps {
			n := w + i
			ps[i].target = b.createContact(t, map[string]any{"first_name": "Tara", "family_name": fmt.Sprintf("Target%d", n),
				"mail": fmt.Sprintf("target%d@example.com", n), "phone": fmt.Sprintf("+49301111%04d", n), "comment": "target"})
			ps[i].source = b.createContact(t, map[string]any{"first_name": "Sam", "family_name": fmt.Sprintf("Source%d", n),
				"mail": fmt.Sprintf("source%d@example.com", n), "ba_city": "Berlin", "comment": "source"})
			ps[i].deleted = ps[i].target
			if n%2 == 1 {
				ps[i].deleted = ps[i].source
			}
		}
		var reqs []func() answer
		for _, p := range ps {
			reqs = append(reqs,
				b.req(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": p.target, "source_id": p.source}),
				b.req(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(p.deleted), nil))
		}
		answers := b.race(t, reqs...)
		for i, p := range ps {
			merge, del := answers[2*i], answers[2*i+1]
			allowed(t, merge, http.StatusOK, http.StatusNotFound)
			allowed(t, del, http.StatusOK, http.StatusNotFound)
			exists := func(id int64) bool {
				return b.do(t, http.MethodGet, "/public/api/V1/contact/"+itoa(id), nil).Code == http.StatusOK
			}
			switch {
			case p.deleted == p.target && merge.code == http.StatusOK && del.code == http.StatusOK:
				if exists(p.target) || exists(p.source) {
					t.Errorf("merge %d<-%d, then delete of the target: a contact is left", p.target, p.source)
				}
			case p.deleted == p.target && merge.code == http.StatusNotFound && del.code == http.StatusOK:
				if exists(p.target) || !exists(p.source) {
					t.Errorf("delete of target %d, then its merge (404): want the source %d untouched", p.target, p.source)
				}
			case p.deleted == p.source && merge.code == http.StatusOK && del.code == http.StatusNotFound,
				p.deleted == p.source && merge.code == http.StatusNotFound && del.code == http.StatusOK:
				if !exists(p.target) || exists(p.source) {
					t.Errorf("merge %d<-%d racing the source's delete: want the target only", p.target, p.source)
				}
			default:
				t.Errorf("merge %d<-%d answered %d and delete of %d %d: not a serial order", p.target, p.source, merge.code, p.deleted, del.code)
			}
		}
	}
	noDeadlocks(t, b.st)
	storetest.AssertConsistent(t, b.st)
}

// TestUpdateRacingDelete: a PUT that changes a contact's keys, terms and comments
// races its delete. The PUT happens before the delete (200, and the delete takes what
// it wrote) or answers 404; the contact is gone either way.
func TestUpdateRacingDelete(t *testing.T) {
	t.Parallel()
	b := isolated(t, nil)
	term := b.newTerm(t, "vip")
	const n, wave = 40, 8
	for w := 0; w < n; w += wave {
		ids := make([]int64, wave)
		var reqs []func() answer
		for i := range ids {
			ids[i] = b.createContact(t, map[string]any{"first_name": "Una", "family_name": fmt.Sprintf("Update%d", w+i),
				"mail": fmt.Sprintf("update%d@example.com", w+i)})
			path := "/public/api/V1/contact/" + itoa(ids[i])
			reqs = append(reqs,
				b.req(t, http.MethodPut, path, map[string]any{"mail": fmt.Sprintf("changed%d@example.org", w+i),
					"phone": fmt.Sprintf("+49302222%04d", w+i), "ba_city": "Hamburg", "terms": []int64{term}, "comment": "changed"}),
				b.req(t, http.MethodDelete, path, nil))
		}
		answers := b.race(t, reqs...)
		for i, id := range ids {
			allowed(t, answers[2*i], http.StatusOK, http.StatusNotFound)
			allowed(t, answers[2*i+1], http.StatusOK)
			if code := b.do(t, http.MethodGet, "/public/api/V1/contact/"+itoa(id), nil).Code; code != http.StatusNotFound {
				t.Errorf("contact %d after its delete: GET answers %d", id, code)
			}
		}
	}
	noDeadlocks(t, b.st)
	storetest.AssertConsistent(t, b.st)
}

// TestTermDeletesUnderMixedLoad deletes terms while other requests put those terms on
// contacts (PUT contact, PUT contact/{id}/terms, merges), add comments, and delete
// contacts. Every answer is a success or names what was gone (404) or unknown (422).
func TestTermDeletesUnderMixedLoad(t *testing.T) {
	t.Parallel()
	b := isolated(t, nil)
	const rounds, nTerms, nContacts = 4, 5, 16
	rnd := rand.New(rand.NewPCG(1, 2))
	for r := range rounds {
		terms := make([]int64, nTerms)
		for i := range terms {
			terms[i] = b.newTerm(t, fmt.Sprintf("round%d-term%d", r, i))
		}
		some := func() []int64 {
			var out []int64
			for _, id := range terms {
				if rnd.IntN(2) == 0 {
					out = append(out, id)
				}
			}
			return out
		}
		contacts := make([]int64, nContacts)
		for i := range contacts {
			contacts[i] = b.createContact(t, map[string]any{"first_name": "Mia", "family_name": fmt.Sprintf("Mixed%d-%d", r, i),
				"mail": fmt.Sprintf("mixed%d-%d@example.com", r, i), "terms": some()})
		}
		var reqs []func() answer
		for _, id := range terms {
			reqs = append(reqs, b.req(t, http.MethodDelete, "/public/api/V1/terms/"+itoa(id), nil))
		}
		for i, id := range contacts {
			path := "/public/api/V1/contact/" + itoa(id)
			reqs = append(reqs,
				b.req(t, http.MethodPost, path+"/comments", map[string]any{"comment": "first"}),
				b.req(t, http.MethodPost, path+"/comments", map[string]any{"comment": "second"}),
				b.req(t, http.MethodPut, path+"/terms", some()))
			switch i % 4 {
			case 0:
				reqs = append(reqs, b.req(t, http.MethodPut, path, map[string]any{"terms": some(), "comment": "put", "company": "ACME"}))
			case 1:
				reqs = append(reqs, b.req(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": id, "source_id": contacts[i+1]}))
			case 2:
				reqs = append(reqs, b.req(t, http.MethodPost, "/public/api/V1/contact",
					map[string]any{"contact": map[string]any{"mail": fmt.Sprintf("mixed%d-%d@example.com", r, i), "terms": some(), "comment": "again"},
						"duplicate_check_method": "email"}))
			case 3:
				reqs = append(reqs, b.req(t, http.MethodDelete, path, nil))
			}
		}
		rnd.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
		for _, a := range b.race(t, reqs...) {
			allowed(t, a, http.StatusOK, http.StatusNotFound, http.StatusUnprocessableEntity)
		}
	}
	noDeadlocks(t, b.st)
	storetest.AssertConsistent(t, b.st)
}
