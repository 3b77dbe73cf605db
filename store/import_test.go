package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// A batch is recorded once: a second worker's batch from the same checkpoint, a
// batch of a worker that lost the lease, and a batch after a cancel write nothing.
func TestImportBatchIsRecordedOnce(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tenant := storetest.NewTenant(t, st)
	ctx := context.Background()
	imp := &models.Import{TenantID: tenant.ID, Kind: "json", Entity: "persons", Total: 4}
	enqueued := 0
	if err := st.CreateImport(ctx, imp, []byte(`[{},{},{},{}]`), func(context.Context, *sql.Tx, *models.Import) error { enqueued++; return nil }); err != nil {
		t.Fatal(err)
	}
	if enqueued != 1 {
		t.Fatalf("enqueue called %d times", enqueued)
	}
	until := time.Now().Add(time.Minute)
	if _, payload, ok, err := st.ClaimImport(ctx, tenant.ID, imp.ID, "a", until); err != nil || !ok || string(payload) != `[{},{},{},{}]` {
		t.Fatalf("claim: %v %v %s", ok, err, payload)
	}
	if _, _, ok, err := st.ClaimImport(ctx, tenant.ID, imp.ID, "b", until); err != nil || ok {
		t.Fatalf("a second worker claimed a leased import: %v %v", ok, err)
	}
	batch := models.ImportBatch{ImportID: imp.ID, TenantID: tenant.ID, Owner: "a", From: 0, To: 2, LeaseUntil: until, Created: 2}
	if err := st.WriteImportBatch(ctx, nil, batch); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteImportBatch(ctx, nil, batch); !errors.Is(err, models.ErrImportLeaseLost) {
		t.Fatalf("the same batch again: %v, want the lease lost", err)
	}
	other := batch
	other.Owner, other.From, other.To = "b", 2, 4
	if err := st.WriteImportBatch(ctx, nil, other); !errors.Is(err, models.ErrImportLeaseLost) {
		t.Fatalf("another owner's batch: %v", err)
	}
	if _, ok, err := st.EndImport(ctx, tenant.ID, imp.ID, models.ImportCancelled, "test", ""); err != nil || !ok {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	last := batch
	last.From, last.To, last.Done = 2, 4, true
	if err := st.WriteImportBatch(ctx, nil, last); !errors.Is(err, models.ErrImportLeaseLost) {
		t.Fatalf("a batch after the cancel: %v", err)
	}
	got, err := st.GetImport(ctx, tenant.ID, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.ImportCancelled || got.Processed != 2 || got.Created != 2 || got.Checkpoint != 2 {
		t.Fatalf("import %+v, want cancelled after the first batch", got)
	}
	if _, err := st.GetImport(ctx, tenant.ID+1000000, imp.ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("another tenant's import: %v", err)
	}
}

// An import whose lease ran out is requeued once per lease period, and one whose
// lease runs is not.
// Not parallel: its store of its own would be a second SQLite writer beside the
// parallel tests'.
func TestRequeueStaleImports(t *testing.T) {
	clock := storetest.NewClock(time.Now().UTC())
	st := storetest.OpenWithClock(t, clock)
	tenant := storetest.NewTenant(t, st)
	ctx := context.Background()
	imp := &models.Import{TenantID: tenant.ID, Kind: "json", Entity: "persons", Total: 1}
	if err := st.CreateImport(ctx, imp, []byte(`[{}]`), func(context.Context, *sql.Tx, *models.Import) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := st.ClaimImport(ctx, tenant.ID, imp.ID, "dead", clock.Now().Add(10*time.Second)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	requeued := func() []int64 {
		var ids []int64
		if _, err := st.RequeueStaleImports(ctx, 10*time.Second, func(_ context.Context, _ *sql.Tx, imps []*models.Import) error {
			for _, i := range imps {
				if i.TenantID == tenant.ID {
					ids = append(ids, i.ID)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := requeued(); len(ids) != 0 {
		t.Fatalf("requeued %v while the lease runs", ids)
	}
	clock.Advance(11 * time.Second)
	if ids := requeued(); len(ids) != 1 || ids[0] != imp.ID {
		t.Fatalf("requeued %v, want %d", ids, imp.ID)
	}
	if ids := requeued(); len(ids) != 0 {
		t.Fatalf("requeued again at once: %v", ids)
	}
	if _, _, ok, err := st.ClaimImport(ctx, tenant.ID, imp.ID, "new", clock.Now().Add(10*time.Second)); err != nil || !ok {
		t.Fatalf("a new worker cannot take an expired lease: %v %v", ok, err)
	}
}
