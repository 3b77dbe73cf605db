package dupscan_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/dupscan"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// noJobs accepts a scan's job without running it: the test runs the scan itself.
type noJobs struct{}

func (noJobs) InsertTx(context.Context, *sql.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

func add(t *testing.T, st *store.Store, tenant int64, fields map[string]any) int64 {
	t.Helper()
	res, err := st.Ingest(context.Background(), tenant, []*models.Submission{storetest.Submission(t, fields)}, models.IngestOptions{Check: models.CheckNone})
	if err != nil || res[0].Err != nil {
		t.Fatalf("ingest %v: %v %v", fields, err, res[0].Err)
	}
	return res[0].ID
}

func count(t *testing.T, st *store.Store, tenant int64) int64 {
	t.Helper()
	n, err := st.CountContacts(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A review scan queues what an import with deduplication none left behind, without
// merging; a dismissed pair is never merged by a later merge scan, which merges the
// other matches through the ordinary merge; a second scan waits for the first; another
// tenant's scan is not found.
func TestScanQueuesThenMerges(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	svc := dupscan.New(st, nil)
	svc.Attach(noJobs{})
	tn, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)

	// Three people stored twice each (a match: same name, mail and birth date), and
	// twenty people stored once.
	var twins [][2]int64
	for i, name := range []string{"Henrike Oltmanns", "Jannes Terhorst", "Wiebke Dahlhoff"} {
		var first, family string
		fmt.Sscan(name, &first, &family)
		person := map[string]any{"first_name": first, "family_name": family, "mail": fmt.Sprintf("p%d@example.org", i),
			"date_of_birth": fmt.Sprintf("197%d-03-14", i), "ba_postal_code": "2612" + fmt.Sprint(i), "ba_city": "Oldenburg"}
		twins = append(twins, [2]int64{add(t, st, tn.ID, person), add(t, st, tn.ID, person)})
	}
	for i := range 20 {
		add(t, st, tn.ID, map[string]any{"first_name": fmt.Sprintf("Solo%c", 'A'+i), "family_name": fmt.Sprintf("Einzel%c", 'A'+i),
			"mail": fmt.Sprintf("solo%d@example.net", i), "ba_postal_code": fmt.Sprint(30000 + i*7)})
	}
	before := count(t, st, tn.ID)

	if _, err := svc.Start(ctx, tn.ID, "shuffle"); models.ErrorCode(err) != models.EINVALID {
		t.Fatalf(`action "shuffle": %v, want %s`, err, models.EINVALID)
	}
	scan, err := svc.Start(ctx, tn.ID, models.ScanReview)
	if err != nil {
		t.Fatal(err)
	}
	if scan.Status != models.ScanRunning || scan.Total != before {
		t.Fatalf("new scan %+v: want running over %d contacts", scan, before)
	}
	if _, err := svc.Start(ctx, tn.ID, models.ScanMerge); models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("a second scan while one runs: %v, want %s", err, models.ECONFLICT)
	}
	if _, err := svc.Get(ctx, other.ID, scan.ID); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("another tenant's scan: %v, want %s", err, models.ENOTFOUND)
	}
	if done, err := svc.Run(ctx, tn.ID, scan.ID, 0); err != nil || !done {
		t.Fatalf("review scan: done %v, %v", done, err)
	}
	scan, _ = svc.Get(ctx, tn.ID, scan.ID)
	if scan.Status != models.ScanCompleted || scan.Processed != before || scan.Queued != 3 || scan.Merged != 0 || scan.FinishedAt == nil {
		t.Fatalf("review scan ended %+v: want completed, %d processed, 3 queued, none merged", scan, before)
	}
	if n := count(t, st, tn.ID); n != before {
		t.Fatalf("a review scan changed the contacts: %d, was %d", n, before)
	}
	page, err := st.ListDuplicates(ctx, tn.ID, models.DuplicateFilter{Limit: 10})
	if err != nil || len(page.Pairs) != 3 {
		t.Fatalf("queue after the review scan: %v pairs, %v", page, err)
	}
	var dismissed int64
	for _, p := range page.Pairs {
		if p.ContactA == twins[1][0] && p.ContactB == twins[1][1] {
			dismissed = p.ID
		}
	}
	if dismissed == 0 {
		t.Fatalf("the second twins %v are not in the queue %+v", twins[1], page.Pairs)
	}
	if _, err := st.DismissDuplicate(ctx, tn.ID, dismissed); err != nil {
		t.Fatal(err)
	}

	scan, err = svc.Start(ctx, tn.ID, models.ScanMerge)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := svc.Run(ctx, tn.ID, scan.ID, 0); err != nil || !done {
		t.Fatalf("merge scan: done %v, %v", done, err)
	}
	scan, _ = svc.Get(ctx, tn.ID, scan.ID)
	if scan.Status != models.ScanCompleted || scan.Merged != 2 || scan.Skipped != 1 {
		t.Fatalf("merge scan ended %+v: want 2 merged, the dismissed pair skipped", scan)
	}
	if n := count(t, st, tn.ID); n != before-2 {
		t.Fatalf("after the merge scan %d contacts, want %d", n, before-2)
	}
	for _, id := range twins[1] {
		if _, err := st.GetContact(ctx, tn.ID, id); err != nil {
			t.Errorf("dismissed twin %d: %v", id, err)
		}
	}
	for _, tw := range [][2]int64{twins[0], twins[2]} {
		if _, err := st.GetContact(ctx, tn.ID, tw[1]); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("twin %d merged into %d should be gone: %v", tw[1], tw[0], err)
		}
	}
	storetest.AssertConsistent(t, st)
}
