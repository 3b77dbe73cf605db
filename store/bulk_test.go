package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

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
	storetest.AssertConsistent(t, st)
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

// TestBatchStoresWhatSingleCreatesStore: a batch big enough for COPY (PostgreSQL;
// SQLite inserts) stores every column as one-at-a-time creates of the same people
// do, gives ids ascending in input order, and leaves key rows by which the people
// are found again: resubmitted, each merges into its own contact.
func TestBatchStoresWhatSingleCreatesStore(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := context.Background()
	batchTenant, singleTenant := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	const n = 150 // above the write path's COPY threshold
	people := make([]map[string]any, n)
	for i := range people {
		people[i] = map[string]any{
			"mail": fmt.Sprintf("Copy.%d@Example.com", i), "mail2": fmt.Sprintf("alt%d@example.org", i),
			"title": "f", "title2": "dr", "first_name": fmt.Sprintf("Jördis%d", i%7), "family_name": fmt.Sprintf("Kühn-%d", i),
			"company": "Comma, {brace} \"quotes\" \\ GmbH", "job_title": "CTO", "mail_status": i % 9,
			"phone_type": "mobile", "phone": fmt.Sprintf("0170 %07d", i), "phone2": fmt.Sprintf("+49 30 %07d", i), "fax": fmt.Sprintf("030 %07d", i+5000000),
			"skype": "s", "fb": "f", "twitter": "t", "ba_street": fmt.Sprintf("Hauptstraße %d", i), "ba_street2": "c/o",
			"ba_city": "Köln", "ba_postal_code": "50667", "ba_state": "NRW", "ba_country": "de",
			"date_of_birth": "1980-04-23", "uid": i, "field_score": i * 3,
		}
	}
	fields := map[int64]*models.CustomField{}
	for _, tenant := range []int64{batchTenant.ID, singleTenant.ID} {
		fields[tenant] = &models.CustomField{TenantID: tenant, Name: "score", Label: "Score", FieldType: models.FieldTypeInteger}
		if err := st.CreateCustomField(ctx, fields[tenant]); err != nil {
			t.Fatal(err)
		}
	}
	submissions := func(tenant int64) []*models.Submission {
		subs := make([]*models.Submission, n)
		for i, p := range people {
			raw := map[string]json.RawMessage{}
			for k, v := range p {
				raw[k], _ = json.Marshal(v)
			}
			sub, err := models.DecodeSubmission(raw, map[string]*models.CustomField{"score": fields[tenant]}, models.ForCreate)
			if err != nil {
				t.Fatalf("decode %d: %v", i, err)
			}
			subs[i] = sub
		}
		return subs
	}
	ingest := func(tenant int64, subs []*models.Submission, check models.CheckMethod) []int64 {
		t.Helper()
		res, err := st.Ingest(ctx, tenant, subs, models.IngestOptions{Check: check})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(res))
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("item %d: %v", i, r.Err)
			}
			ids[i] = r.ID
		}
		return ids
	}

	batchIDs := ingest(batchTenant.ID, submissions(batchTenant.ID), models.CheckEmail)
	if !slices.IsSorted(batchIDs) || len(slices.Compact(slices.Clone(batchIDs))) != n {
		t.Fatalf("batch ids %v, want %d distinct ids ascending in input order", batchIDs, n)
	}
	var singleIDs []int64
	for _, sub := range submissions(singleTenant.ID) {
		singleIDs = append(singleIDs, ingest(singleTenant.ID, []*models.Submission{sub}, models.CheckEmail)...)
	}
	for i := range n {
		got, err := st.GetContact(ctx, batchTenant.ID, batchIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		want, err := st.GetContact(ctx, singleTenant.ID, singleIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		if got.CreatedAt.IsZero() || got.UpdatedAt.Sub(got.CreatedAt).Abs() > time.Second || got.Version != 1 {
			t.Fatalf("contact %d: created %v, updated %v, version %d; want both set at creation and version 1", i, got.CreatedAt, got.UpdatedAt, got.Version)
		}
		got.ID, got.TenantID, got.CreatedAt, got.UpdatedAt = 0, 0, time.Time{}, time.Time{}
		want.ID, want.TenantID, want.CreatedAt, want.UpdatedAt = 0, 0, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("contact %d from the batch:\n %+v\nfrom a single create:\n %+v", i, got, want)
		}
	}
	again := ingest(batchTenant.ID, submissions(batchTenant.ID), models.CheckEmail)
	if !slices.Equal(again, batchIDs) {
		t.Errorf("resubmitted people merged into %v, want their contacts %v", again, batchIDs)
	}
}
