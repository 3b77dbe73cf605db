package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/outbox"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// publishEvery is the periodic publisher job's interval in these tests: short enough
// to be quick, long enough that runs do not pile up in River faster than a loaded
// machine works them off (the job is not unique; at 20 ms, hundreds were pending on
// SQLite under load and WaitIdle timed out).
const publishEvery = 250 * time.Millisecond

// recorder is a subscriber that keeps what it was given, by tenant.
type recorder struct {
	mu   sync.Mutex
	seen map[int64][]models.Event
}

func (r *recorder) Publish(_ context.Context, _ *sql.Tx, events []models.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		r.seen[e.TenantID] = append(r.seen[e.TenantID], e)
	}
	return nil
}

func (r *recorder) of(tenant int64) []models.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]models.Event(nil), r.seen[tenant]...)
}

// The publisher job, run by River, hands every event of real writes to the
// subscribers once, in feed order.
func TestPublisherHandsEveryEventOverOnce(t *testing.T) {
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	rec := &recorder{seen: map[int64][]models.Event{}}
	engine := jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob {
		return outbox.Register(w, outbox.Config{Store: st, Subscribers: []outbox.Subscriber{rec}, PublishEvery: publishEvery})
	})
	ctx := context.Background()
	const n = 40
	for i := range n {
		term := &models.Term{TenantID: tn.ID, Name: fmt.Sprintf("publish-%d", i)}
		if _, err := st.CreateTerm(ctx, term); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(rec.of(tn.ID)) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	jobstest.WaitIdle(t, engine)
	got := rec.of(tn.ID)
	if len(got) != n {
		var pos []string
		for _, e := range got {
			pos = append(pos, e.Position.String())
		}
		rows, _ := st.DB().Query("SELECT id, txid::text FROM events WHERE tenant_id = $1 ORDER BY txid, id", tn.ID)
		var all []string
		for rows != nil && rows.Next() {
			var id int64
			var tx string
			rows.Scan(&id, &tx)
			all = append(all, tx+"-"+fmt.Sprint(id))
		}
		t.Fatalf("published %d of %d events: %v\nall: %v", len(got), n, pos, all)
	}
	for i := 1; i < len(got); i++ {
		if !got[i-1].Position.Less(got[i].Position) {
			t.Fatalf("event %d at %v after %v: out of order or twice", i, got[i].Position, got[i-1].Position)
		}
		if got[i].Type != models.EventTermCreated {
			t.Fatalf("event %d is %s", i, got[i].Type)
		}
	}
}

// The publisher keeps running after its first run: events written after a run has
// completed are published by a later one. (River's default uniqueness counts
// completed jobs, which kept every later periodic insert out for an hour.)
func TestPublisherRunsAgainAfterACompletedRun(t *testing.T) {
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	rec := &recorder{seen: map[int64][]models.Event{}}
	jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob {
		return outbox.Register(w, outbox.Config{Store: st, Subscribers: []outbox.Subscriber{rec}, PublishEvery: publishEvery})
	})
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := st.DB().QueryRow("SELECT count(*) FROM river_job WHERE kind = 'outbox_publish' AND state = 'completed'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no publisher run completed within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.CreateTerm(ctx, &models.Term{TenantID: tn.ID, Name: "after-a-run"}); err != nil {
		t.Fatal(err)
	}
	for len(rec.of(tn.ID)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("an event written after a completed run was not published within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A publisher run left "running" by a replica that crashed does not stop publishing:
// River rescues such a job only after minutes, and a unique publisher job would keep
// every new run out until then.
func TestPublisherRunsBesideARunLeftByACrash(t *testing.T) {
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	rec := &recorder{seen: map[int64][]models.Event{}}
	jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob {
		return outbox.Register(w, outbox.Config{Store: st, Subscribers: []outbox.Subscriber{rec}, PublishEvery: publishEvery})
	})
	ctx := context.Background()
	now := "now()"
	if storetest.Dialect() == store.SQLite {
		now = "datetime('now', 'subsec')"
	}
	// Turn a finished run back into one that is running forever. It may collide with
	// a run waiting or running right now; then try again.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := st.DB().Exec("UPDATE river_job SET state = 'running', finalized_at = NULL, attempted_at = " + now +
			" WHERE id = (SELECT max(id) FROM river_job WHERE kind = 'outbox_publish' AND state = 'completed')")
		if err == nil {
			if n, _ := res.RowsAffected(); n == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run to turn into a crashed one within 30 s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.CreateTerm(ctx, &models.Term{TenantID: tn.ID, Name: "after-a-crash"}); err != nil {
		t.Fatal(err)
	}
	for len(rec.of(tn.ID)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing published within 30 s beside a run left running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Pollers publish without River (no periodic job runs here): two of them (as on two
// replicas) running while terms are written hand every event over once, in feed
// order. How soon after the commit is measured by bench/webhooks, not asserted here.
func TestPollersPublishEveryEventOnceSoonAfterCommit(t *testing.T) {
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	rec := &recorder{seen: map[int64][]models.Event{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		p := outbox.NewPoller(outbox.Config{Store: st, Subscribers: []outbox.Subscriber{rec}}, 10*time.Millisecond)
		wg.Go(func() { p.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()
	const n = 30
	var committed time.Time
	for i := range n {
		if _, err := st.CreateTerm(ctx, &models.Term{TenantID: tn.ID, Name: fmt.Sprintf("poll-%d", i)}); err != nil {
			t.Fatal(err)
		}
		committed = time.Now()
	}
	for len(rec.of(tn.ID)) < n && time.Since(committed) < 30*time.Second {
		time.Sleep(2 * time.Millisecond)
	}
	got := rec.of(tn.ID)
	if len(got) != n {
		t.Fatalf("published %d of %d events", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if !got[i-1].Position.Less(got[i].Position) {
			t.Fatalf("event %d at %v after %v: out of order or twice", i, got[i].Position, got[i-1].Position)
		}
	}
	time.Sleep(50 * time.Millisecond) // more runs of both pollers hand nothing over again
	if again := rec.of(tn.ID); len(again) != n {
		t.Fatalf("%d events handed over, want %d", len(again), n)
	}
}
