package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestConcurrentBigBatches runs several bulk-sized ingests and single creates at once,
// the batches each of their own contacts plus one mail they share with every other
// writer: none fails (on Postgres, ~10 key locks per contact once
// exhausted the shared lock table: "out of shared memory") and every mail ends up as
// exactly one contact.
func TestConcurrentBigBatches(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	const batches, size = 6, 1000
	var wg sync.WaitGroup
	for b := range batches {
		wg.Go(func() {
			subs := make([]*models.Submission, size)
			for i := range subs {
				mail := fmt.Sprintf("big%d.%d@example.com", b, i)
				if i == size-1 {
					mail = "shared@example.com" // last, so batches hold their other locks first
				}
				subs[i] = storetest.Submission(t, map[string]any{"mail": mail, "first_name": fmt.Sprintf("First%d", i%40),
					"family_name": fmt.Sprintf("Batch%d", b), "phone": fmt.Sprintf("+49 30 %d%06d", b, i), "ba_postal_code": fmt.Sprintf("%05d", 10000+i)})
			}
			res, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckEmail})
			if err != nil {
				t.Errorf("batch %d: %v", b, err)
				return
			}
			for i, r := range res {
				if r.Err != nil {
					t.Errorf("batch %d item %d: %v", b, i, r.Err)
				}
			}
		})
	}
	// Single creates of the shared mail race the batches: small writers take key locks
	// under a shared tenant lock, big ones the tenant lock exclusively.
	for range 4 {
		wg.Go(func() {
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{"mail": "shared@example.com"})}, models.IngestOptions{Check: models.CheckEmail})
			if err != nil || res[0].Err != nil {
				t.Errorf("single create: %v %v", err, res)
			}
		})
	}
	wg.Wait()
	for _, mail := range []string{"shared@example.com", "big0.0@example.com", fmt.Sprintf("big%d.%d@example.com", batches-1, size-2)} {
		found, err := st.FindContactsByMail(ctx, tn.ID, mail)
		if err != nil || len(found) != 1 {
			t.Fatalf("%s: %d contacts (%v), want 1", mail, len(found), err)
		}
	}
}

// TestBigBatchLockFootprint watches pg_locks while a 1,000-contact batch is written: no
// backend may hold more than a few hundred advisory locks. Postgres's lock table is
// shared by the whole cluster and sized for ~6,400 locks by default; one key lock per
// blocking key (~10 per contact) let four concurrent bulk creates exhaust it.
func TestBigBatchLockFootprint(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	if st.Dialect() != store.Postgres {
		t.Skip("advisory locks are Postgres only")
	}
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	subs := make([]*models.Submission, 1000)
	for i := range subs {
		subs[i] = storetest.Submission(t, map[string]any{"mail": fmt.Sprintf("footprint%d@example.com", i), "first_name": fmt.Sprintf("F%d", i),
			"family_name": "Footprint", "phone": fmt.Sprintf("+49 30 %07d", i), "ba_postal_code": fmt.Sprintf("%05d", 10000+i)})
	}
	done := make(chan error, 1)
	go func() {
		_, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckEmail})
		done <- err
	}()
	most := 0
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if most > 300 {
				t.Fatalf("a backend held %d advisory locks during a 1,000-contact batch, want at most 300", most)
			}
			return
		default:
		}
		var n int
		err := st.DB().QueryRowContext(ctx, `SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM pg_locks
			WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY pid) AS per_backend`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, n)
	}
}
