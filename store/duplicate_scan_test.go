package store_test

import (
	"context"
	"database/sql"
	"math"
	"testing"

	"github.com/contacthub/contacthub/bench/benchdata"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// queuedPairs returns the tenant's review queue as pair → score.
func queuedPairs(t *testing.T, st *store.Store, tenant int64) map[[2]int64]float64 {
	t.Helper()
	rows, err := st.DB().Query("SELECT contact_a, contact_b, score FROM duplicate_pairs WHERE tenant_id = $1", tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]int64]float64{}
	for rows.Next() {
		var a, b int64
		var score float64
		if err := rows.Scan(&a, &b, &score); err != nil {
			t.Fatal(err)
		}
		out[[2]int64{a, b}] = score
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScanFindsWhatEachContactFinds: a review scan of the hard set (a third of it
// ingested with auto, so contacts carry merge history; the rest with none, so
// duplicates are left) queues exactly the pairs, with exactly the scores, that the
// scan's former path finds batch by batch (store.ScanReference: whole rows, each
// comparison Engine.Best's) — also where contacts change between two batches after
// the scan compared them as candidates: their new records count.
func TestScanFindsWhatEachContactFinds(t *testing.T) {
	defer store.SetScanPart(15)() // batches of 40 read in three parts
	st := storetest.Open(t)
	ctx := context.Background()
	tn := storetest.NewTenant(t, st)
	recs := benchdata.Hard(17, 120)
	stored := 0
	for i, r := range recs {
		fields := map[string]any{}
		for k, v := range r.Fields {
			fields[k] = v
		}
		check := models.CheckNone
		if i%3 == 0 {
			check = models.CheckAuto
		}
		res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, fields)}, models.IngestOptions{Check: check, Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err == nil {
			stored++
		}
	}
	if stored < len(recs)*9/10 {
		t.Fatalf("only %d of %d records stored", stored, len(recs))
	}
	before := queuedPairs(t, st, tn.ID)

	scan := &models.DuplicateScan{TenantID: tn.ID, Action: models.ScanReview}
	if err := st.CreateDuplicateScan(ctx, scan, func(context.Context, *sql.Tx, *models.DuplicateScan) error { return nil }); err != nil {
		t.Fatal(err)
	}
	const batch = 40
	want := map[[2]int64]float64{}
	changed := 0
	for n := 0; ; n++ {
		cur, err := st.GetDuplicateScan(ctx, tn.ID, scan.ID)
		if err != nil {
			t.Fatal(err)
		}
		part, err := store.ScanReference(ctx, st, tn.ID, cur.LastID, batch)
		if err != nil {
			t.Fatal(err)
		}
		for p, s := range part {
			want[p] = s
		}
		done, err := st.ScanDuplicatesBatch(ctx, tn.ID, scan.ID, batch)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if n%2 == 1 {
			// Change candidates this batch compared with that a later batch compares
			// again: the scan prepared their records already.
			next, err := st.GetDuplicateScan(ctx, tn.ID, scan.ID)
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for p := range part {
				if p[1] <= next.LastID || k == 2 {
					continue
				}
				c, err := st.GetContact(ctx, tn.ID, p[1])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.UpdateContact(ctx, tn.ID, p[1], storetest.Submission(t, map[string]any{"first_name": c.FamilyName, "family_name": c.FirstName + "s"})); err == nil {
					k++
				}
			}
			changed += k
		}
	}
	if changed == 0 {
		t.Fatal("no contact changed during the scan: the test tests less than it says")
	}
	got, err := st.GetDuplicateScan(ctx, tn.ID, scan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.ScanCompleted || got.Queued != int64(len(want)) {
		t.Fatalf("scan %+v: want completed with %d pairs queued", got, len(want))
	}
	after := queuedPairs(t, st, tn.ID)
	for p, s := range want {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("pair %v (score %.3f) is not in the queue", p, s)
		case !queuedBefore(before, p) && math.Abs(a-s) > 1e-6:
			t.Errorf("pair %v queued with score %.6f, want %.6f", p, a, s)
		}
	}
	for p := range after {
		if _, ok := want[p]; !ok && !queuedBefore(before, p) {
			t.Errorf("pair %v queued by the scan, not found by the reference", p)
		}
	}
	t.Logf("%d contacts, %d pairs found, %d queued before the scan, %d contacts changed during it", got.Processed, len(want), len(before), changed)
}

func queuedBefore(before map[[2]int64]float64, p [2]int64) bool {
	_, ok := before[p]
	return ok
}
