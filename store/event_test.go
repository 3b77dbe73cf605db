package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestEventFeedMissesNothingFromConcurrentWriters pages the feed while writers commit
// out of the order in which they took their positions: every event must be read
// exactly once. A reader paging by "id > cursor" alone fails this on PostgreSQL.
func TestEventFeedMissesNothingFromConcurrentWriters(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				data := fmt.Appendf(nil, `{"w":%d,"k":%d}`, w, k)
				hold := time.Duration(rand.IntN(4000)) * time.Microsecond
				if err := store.AppendEventHeld(ctx, st, tn.ID, models.EventContactUpdated, data, hold); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]int{}
	var cursor models.EventPosition
	deadline := time.Now().Add(60 * time.Second)
	writing := true
	for len(seen) < writers*each || writing {
		select {
		case <-done:
			if writing {
				// What is still missing must show up soon: the horizon waits only
				// for transactions running now.
				writing, deadline = false, time.Now().Add(10*time.Second)
			}
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d events before the deadline", len(seen), writers*each)
		}
		page, err := st.ListEvents(ctx, tn.ID, models.EventFilter{After: cursor, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if !cursor.Less(e.Position) {
				t.Fatalf("event at %v after cursor %v: out of order", e.Position, cursor)
			}
			seen[string(e.Data)]++
			cursor = e.Position
		}
		if page.Next != cursor {
			t.Fatalf("next %v, want the last event's position %v", page.Next, cursor)
		}
		if len(page.Events) == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Fatalf("read %d distinct events, want %d", len(seen), writers*each)
	}
	for data, n := range seen {
		if n != 1 {
			t.Errorf("event %s read %d times", data, n)
		}
	}
	// Nothing shows up behind the cursor afterwards.
	page, err := st.ListEvents(ctx, tn.ID, models.EventFilter{After: cursor, Limit: 10})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("after reading everything: %v events, err %v", len(page.Events), err)
	}
}

func TestEventFeedFiltersTypesAndPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	other := storetest.NewTenant(t, st)
	ctx := context.Background()
	for i, typ := range []string{models.EventContactCreated, models.EventTermCreated, models.EventContactDeleted, models.EventCommentCreated} {
		if err := store.AppendEventHeld(ctx, st, tn.ID, typ, fmt.Appendf(nil, `{"i":%d}`, i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.AppendEventHeld(ctx, st, other.ID, models.EventContactCreated, []byte(`{"other":true}`), 0); err != nil {
		t.Fatal(err)
	}
	types, _ := models.ParseEventTypes([]string{"contact.*"})
	var got []string
	var cursor models.EventPosition
	for len(got) < 2 {
		// One at a time; readAll waits while other tests' transactions hold the
		// feed back (PostgreSQL).
		page, err := readAll(ctx, st, tn.ID, models.EventFilter{After: cursor, Limit: 1, Types: types})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			break
		}
		for _, e := range page.Events {
			got = append(got, e.Type)
		}
		cursor = page.Next
	}
	if page, err := st.ListEvents(ctx, tn.ID, models.EventFilter{After: cursor, Limit: 10, Types: types}); err != nil || len(page.Events) != 0 || page.HasMore {
		t.Fatalf("after the last contact event: %+v, %v", page, err)
	}
	if fmt.Sprint(got) != "[contact.created contact.deleted]" {
		t.Fatalf("contact.* events = %v", got)
	}
	if _, err := st.ListEvents(ctx, tn.ID, models.EventFilter{Limit: models.MaxEventPage + 1}); models.ErrorCode(err) != models.EINVALID {
		t.Fatalf("limit too large: %v", err)
	}
}

// readAll lists a page, waiting while the feed's horizon (other tests' transactions on
// PostgreSQL) still hides events this test has written.
func readAll(ctx context.Context, st *store.Store, tenant int64, f models.EventFilter) (*models.EventPage, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		page, err := st.ListEvents(ctx, tenant, f)
		if err != nil || len(page.Events) > 0 || time.Now().After(deadline) {
			return page, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConsumeEventsHandsEachEventOverOnce(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	consumer := fmt.Sprintf("test-%d", tn.ID)
	// The consumer reads every tenant: start it behind everything written so far.
	for {
		n, err := st.ConsumeEvents(ctx, consumer, 1000, func(context.Context, *sql.Tx, []models.Event) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	const total = 30
	for i := range total {
		if err := store.AppendEventHeld(ctx, st, tn.ID, models.EventTermCreated, fmt.Appendf(nil, `{"i":%d}`, i), 0); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]int{}
	failOnce := true
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < total && time.Now().Before(deadline) {
		_, err := st.ConsumeEvents(ctx, consumer, 7, func(_ context.Context, tx *sql.Tx, events []models.Event) error {
			if failOnce {
				failOnce = false
				return fmt.Errorf("subscriber down") // the batch must come again
			}
			for _, e := range events {
				if e.TenantID != tn.ID {
					continue
				}
				var d struct{ I int }
				if err := json.Unmarshal(e.Data, &d); err != nil {
					return err
				}
				seen[d.I]++
			}
			return nil
		})
		if err != nil && err.Error() != "subscriber down" {
			t.Fatal(err)
		}
	}
	if len(seen) != total {
		t.Fatalf("consumed %d of %d events", len(seen), total)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("event %d handed over %d times", i, n)
		}
	}
}

// Not parallel: it prunes every event of the package's database, and runs before the
// parallel tests that read theirs.
func TestPruneEventsDeletesOnlyOldOnes(t *testing.T) {
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	if err := store.AppendEventHeld(ctx, st, tn.ID, models.EventTermCreated, []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	// A cutoff in the past leaves the event; one in the future removes it.
	if _, err := st.PruneEvents(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	page, err := readAll(ctx, st, tn.ID, models.EventFilter{Limit: 10})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("before the cutoff: %d events, %v", len(page.Events), err)
	}
	if _, err := st.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	page, err = st.ListEvents(ctx, tn.ID, models.EventFilter{Limit: 10})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("after the cutoff: %d events, %v", len(page.Events), err)
	}
}

// tenantEventTypes lists the types of a tenant's events after id after, in id order,
// straight from the table, and the highest id.
func tenantEventTypes(t *testing.T, st *store.Store, tenant, after int64) ([]string, []json.RawMessage, int64) {
	t.Helper()
	q := "SELECT id, type, data FROM events WHERE tenant_id = ? AND id > ? ORDER BY id"
	if storetest.Dialect() == store.Postgres {
		q = "SELECT id, type, data FROM events WHERE tenant_id = $1 AND id > $2 ORDER BY id"
	}
	rows, err := st.DB().Query(q, tenant, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var types []string
	var data []json.RawMessage
	for rows.Next() {
		var typ, d string
		if err := rows.Scan(&after, &typ, &d); err != nil {
			t.Fatal(err)
		}
		types, data = append(types, typ), append(data, json.RawMessage(d))
	}
	return types, data, after
}

// A batch big enough for COPY (PostgreSQL) writes one contact.created event per new
// contact, each with the id the contact got.
func TestBulkIngestWritesAnEventPerContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	subs := make([]*models.Submission, 150)
	for i := range subs {
		subs[i] = storetest.Submission(t, map[string]any{"mail": fmt.Sprintf("bulk-event-%d@example.com", i), "first_name": fmt.Sprintf("B%c", 'a'+i%26)})
	}
	res, err := st.Ingest(context.Background(), tn.ID, subs, models.IngestOptions{Check: models.CheckEmail})
	if err != nil {
		t.Fatal(err)
	}
	types, data, _ := tenantEventTypes(t, st, tn.ID, 0)
	if len(types) != len(subs) {
		t.Fatalf("%d events for %d new contacts", len(types), len(subs))
	}
	ids := map[int64]bool{}
	for i, typ := range types {
		var c struct {
			ID   int64  `json:"id"`
			Mail string `json:"mail"`
		}
		if err := json.Unmarshal(data[i], &c); err != nil || typ != models.EventContactCreated {
			t.Fatalf("event %d: %s %s %v", i, typ, data[i], err)
		}
		ids[c.ID] = true
	}
	for i, r := range res {
		if !ids[r.ID] {
			t.Fatalf("contact %d (%s) has no event", r.ID, subs[i].Text["mail"])
		}
	}
}

// A join (an auto submission that also matched a second contact of the same person)
// writes the submission's contact.updated and one contact.merged for the join.
func TestJoinWritesAMergedEvent(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	a, b := splitPerson(t, st, tn.ID)
	_, _, last := tenantEventTypes(t, st, tn.ID, 0)
	res := ingestOne(t, st, tn.ID, models.CheckAuto, henrike)
	if res.ID != a || len(res.Joined) != 1 || res.Joined[0].ContactID != b {
		t.Fatalf("submission: %+v, want a merge into %d joining %d", res, a, b)
	}
	types, data, _ := tenantEventTypes(t, st, tn.ID, last)
	if fmt.Sprint(types) != "[contact.updated contact.merged]" {
		t.Fatalf("events %v", types)
	}
	var merged struct {
		Kind     string `json:"kind"`
		MergedID int64  `json:"merged_id"`
		Contact  struct {
			ID int64 `json:"id"`
		} `json:"contact"`
	}
	if err := json.Unmarshal(data[1], &merged); err != nil || merged.Kind != models.MergeKindCluster || merged.MergedID != b || merged.Contact.ID != a {
		t.Fatalf("contact.merged data %s: %v", data[1], err)
	}
}

// A transaction left open in another database of the cluster (another application, a
// forgotten psql session) cannot write this database's events and must not hold the
// feed back (PostgreSQL).
func TestEventFeedIgnoresTransactionsOfOtherDatabases(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("PostgreSQL only: SQLite has no other databases in its transactions")
	}
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	other, err := sql.Open("pgx", os.Getenv(storetest.EnvDatabaseURL))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var xid string
	if err := tx.QueryRowContext(ctx, "SELECT pg_current_xact_id()::text").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	if err := store.AppendEventHeld(ctx, st, tn.ID, models.EventTermCreated, []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	page, err := readAll(ctx, st, tn.ID, models.EventFilter{Limit: 10})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("with transaction %s open in another database: %d events, %v", xid, len(page.Events), err)
	}
}
