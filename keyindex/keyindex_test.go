package keyindex_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/keyindex"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type jobsRecorder struct{ tenants []int64 }

func (j *jobsRecorder) Insert(_ context.Context, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	j.tenants = append(j.tenants, args.(keyindex.ReindexArgs).TenantID)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(j.tenants))}}, nil
}

// A tenant whose contacts lack the current kinds of key is queued, its job adds them
// over several slices' worth of batches, and it is not queued again.
func TestQueueAndRun(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	tn := storetest.NewTenant(t, st)
	var subs []*models.Submission
	for i := range 2*keyindex.Batch + 10 {
		subs = append(subs, storetest.Submission(t, map[string]any{"first_name": fmt.Sprintf("V%d", i), "family_name": "Kessler", "mail": fmt.Sprintf("k%d@example.com", i)}))
	}
	if _, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckNone}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec("DELETE FROM contact_keys WHERE tenant_id = $1 AND key LIKE 'm:%'", tn.ID); err != nil {
		t.Fatal(err)
	}
	jobs := &jobsRecorder{}
	svc := keyindex.New(st, nil)
	svc.Attach(jobs)
	if _, err := svc.Queue(ctx); err != nil || !slices.Contains(jobs.tenants, tn.ID) {
		t.Fatalf("queued %v, %v; want tenant %d", jobs.tenants, err, tn.ID)
	}
	done, added, err := svc.Run(ctx, tn.ID, 0)
	if err != nil || !done {
		t.Fatalf("run: done %v, %v", done, err)
	}
	var names int
	if err := st.DB().QueryRow("SELECT count(*) FROM contact_keys WHERE tenant_id = $1 AND key LIKE 'm:%'", tn.ID).Scan(&names); err != nil {
		t.Fatal(err)
	}
	if added == 0 || int64(names) != added {
		t.Errorf("added %d key rows; the tenant has %d name keys", added, names)
	}
	jobs.tenants = nil
	if _, err := svc.Queue(ctx); err != nil || slices.Contains(jobs.tenants, tn.ID) {
		t.Fatalf("queued again: %v, %v", jobs.tenants, err)
	}
}
