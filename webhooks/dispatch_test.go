package webhooks_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/webhooks"
)

// countSQL counts with q (no parameters).
func countSQL(t *testing.T, f *flow, q string) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A first attempt that succeeds is made by the publishing process: no job is
// enqueued for it, and its lease is gone with its record.
func TestFirstAttemptWithoutAJob(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, nil)
	hook := f.hook(t, rc.URL, "term.created")
	for i := range 5 {
		f.term(t, fmt.Sprintf("inproc-%d", i))
	}
	eventually(t, "five deliveries recorded", func() bool {
		ds := f.deliveries(t, hook.ID)
		if len(ds) != 5 {
			return false
		}
		for _, d := range ds {
			if d.State != models.DeliverySucceeded {
				return false
			}
		}
		return true
	})
	if n := countSQL(t, f, "SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver'"); n != 0 {
		t.Errorf("%d delivery jobs for first attempts that succeeded", n)
	}
	if n := countSQL(t, f, "SELECT count(*) FROM webhook_leases"); n != 0 {
		t.Errorf("%d leases left", n)
	}
	for id, c := range rc.succeeded() {
		if c != 1 {
			t.Errorf("%s accepted %d times", id, c)
		}
	}
}

// A replica killed after its publisher committed, before it made the first attempts:
// the leases run out, and the sweeps of two other replicas hand each delivery to one
// job, which delivers it once.
func TestLeaseRunOutIsSweptOnce(t *testing.T) {
	f := setup(t, func(c *webhooks.Config) { c.SweepEvery = 10 * time.Millisecond })
	other := webhooks.New(webhooks.Config{Store: f.st, AllowHTTP: true, AllowPrivate: loopback,
		SweepEvery: 10 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	other.Attach(f.engine)
	other.Start()
	t.Cleanup(func() { other.Stop(context.Background()) })

	rc := newReceiver(t, nil)
	hook := f.hook(t, rc.URL, "term.created")
	// The killed replica: its publisher's transaction commits, and nothing more
	// happens in it (it never started, so it makes no first attempt).
	killed := webhooks.New(webhooks.Config{Store: f.st, AllowHTTP: true, AllowPrivate: loopback, Lease: 300 * time.Millisecond})
	const n = 20
	events := make([]models.Event, n)
	for i := range events {
		data, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("swept-%d", i)})
		events[i] = models.Event{Position: models.EventPosition{ID: int64(1_000_000 + i)}, TenantID: f.tenant.ID,
			Type: "term.created", Data: data, CreatedAt: time.Now()}
	}
	tx, err := f.st.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := killed.Publish(context.Background(), tx, events); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	killed.Ended(tx, true)
	if got := countSQL(t, f, "SELECT count(*) FROM webhook_leases"); got != n {
		t.Fatalf("%d leases after the publisher committed, want %d", got, n)
	}
	if pending, oldest, err := f.st.PendingDeliveries(context.Background()); err != nil || pending < n || oldest.IsZero() || time.Since(oldest) > time.Minute {
		t.Errorf("pending deliveries %d, oldest %v, %v; want the %d leased ones counted", pending, oldest, err, n)
	}
	eventually(t, "every delivery accepted", func() bool { return len(rc.succeeded()) == n })
	jobsIdle(t, f)
	for id, c := range rc.succeeded() {
		if c != 1 {
			t.Errorf("%s accepted %d times", id, c)
		}
	}
	if got := len(rc.requests()); got != n {
		t.Errorf("%d requests for %d deliveries", got, n)
	}
	// Each delivery went to one job.
	if got := countSQL(t, f, "SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver'"); got != n {
		t.Errorf("%d delivery jobs for %d deliveries", got, n)
	}
	for _, d := range f.deliveries(t, hook.ID) {
		if d.State != models.DeliverySucceeded || d.Attempts != 1 {
			t.Errorf("delivery %s: %s after %d attempts", d.MessageID, d.State, d.Attempts)
		}
	}
}

// A publisher transaction that rolls back starts no first attempt.
func TestRolledBackPublishSendsNothing(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, nil)
	f.hook(t, rc.URL, "term.created")
	data, _ := json.Marshal(map[string]any{"name": "rolled-back"})
	events := []models.Event{{Position: models.EventPosition{ID: 2_000_000}, TenantID: f.tenant.ID,
		Type: "term.created", Data: data, CreatedAt: time.Now()}}
	tx, err := f.st.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Publish(context.Background(), tx, events); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil && err != sql.ErrTxDone {
		t.Fatal(err)
	}
	f.svc.Ended(tx, false)
	time.Sleep(200 * time.Millisecond)
	if got := len(rc.requests()); got != 0 {
		t.Errorf("%d requests for a rolled-back publish", got)
	}
}

// Stopping hands the first attempts waiting behind a slow receiver, and the one it
// was making, to jobs: each is delivered once afterwards.
func TestStopHandsFirstAttemptsToJobs(t *testing.T) {
	f := setup(t, func(c *webhooks.Config) { c.PerEndpoint = 1; c.Timeout = 30 * time.Second })
	release := make(chan struct{})
	var held atomic.Bool
	rc := newReceiver(t, func(r *http.Request) int {
		if held.CompareAndSwap(false, true) {
			select { // the first request waits until its sender gives up
			case <-release:
			case <-r.Context().Done():
			}
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	hook := f.hook(t, rc.URL, "term.created")
	const n = 5
	for i := range n {
		f.term(t, fmt.Sprintf("stop-%d", i))
	}
	eventually(t, "the first request held", held.Load)
	eventually(t, "every delivery published", func() bool { return len(f.deliveries(t, hook.ID)) == n })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	f.svc.Stop(ctx)
	cancel()
	close(release)
	if got := countSQL(t, f, "SELECT count(*) FROM webhook_leases"); got != 0 {
		t.Errorf("%d leases left after Stop", got)
	}
	// The engine's worker still runs (as River does until it stops): the jobs deliver.
	eventually(t, "every delivery accepted", func() bool { return len(rc.succeeded()) == n })
	jobsIdle(t, f)
	for id, c := range rc.succeeded() {
		if c != 1 {
			t.Errorf("%s accepted %d times", id, c)
		}
	}
}
