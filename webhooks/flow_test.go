package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
	"github.com/contacthub/contacthub/webhooks"
)

// importCompleted is seed 000's IMPORT_COMPLETED payload, an import.completed event's
// data.
type importCompleted struct {
	ImportID     int64  `json:"import_id"`
	Status       string `json:"status"`
	SuccessCount int    `json:"success_count"`
	ErrorCount   int    `json:"error_count"`
	Errors       []struct {
		Row   int    `json:"row"`
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"errors"`
}

// insertImportCompleted writes an import.completed event as the import engine does,
// in the outbox.
func insertImportCompleted(t *testing.T, f *flow, data importCompleted) {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	q := "INSERT INTO events (tenant_id, type, data, created_at) VALUES (?, ?, ?, ?)"
	if storetest.Dialect() == store.Postgres {
		q = "INSERT INTO events (tenant_id, type, data, created_at) VALUES ($1, $2, $3, $4)"
	}
	if _, err := f.st.DB().Exec(q, f.tenant.ID, models.EventImportCompleted, string(b), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	f.publish(t)
}

// Events reach the endpoints that subscribe to them, signed, with the payload
// {type, timestamp, data}; IMPORT_COMPLETED subscribes to import.completed and its
// data is seed 000's payload.
func TestDeliversSubscribedEventsSigned(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, nil)
	other := newReceiver(t, nil)
	hook := f.hook(t, rc.URL+"/hook", "term.*", "IMPORT_COMPLETED")
	f.hook(t, other.URL, "contact.*")

	f.term(t, "signed")
	imp := importCompleted{ImportID: 1234, Status: "completed", SuccessCount: 980, ErrorCount: 20}
	imp.Errors = append(imp.Errors, struct {
		Row   int    `json:"row"`
		Field string `json:"field"`
		Error string `json:"error"`
	}{15, "email", "Invalid format"})
	insertImportCompleted(t, f, imp)

	eventually(t, "two deliveries", func() bool { return len(rc.requests()) >= 2 })
	got := rc.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	types := map[string]received{}
	for _, r := range got {
		verify(t, r, hook.Secret)
		types[r.Payload.Type] = r
		if !strings.HasPrefix(r.ID, "msg_") || r.Payload.Timestamp.IsZero() {
			t.Errorf("%s: id %q, timestamp %v", r.Payload.Type, r.ID, r.Payload.Timestamp)
		}
	}
	var term struct{ Name string }
	if err := json.Unmarshal(types["term.created"].Payload.Data, &term); err != nil || term.Name != "signed" {
		t.Errorf("term.created data %s", types["term.created"].Payload.Data)
	}
	var gotImp importCompleted
	if err := json.Unmarshal(types["import.completed"].Payload.Data, &gotImp); err != nil || gotImp.ImportID != 1234 ||
		gotImp.SuccessCount != 980 || len(gotImp.Errors) != 1 || gotImp.Errors[0].Field != "email" {
		t.Errorf("import.completed data %s", types["import.completed"].Payload.Data)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("an endpoint subscribed to contact.* got %d requests", n)
	}
	eventually(t, "the log records both", func() bool {
		ds := f.deliveries(t, hook.ID)
		return len(ds) == 2 && ds[0].State == models.DeliverySucceeded && ds[1].State == models.DeliverySucceeded
	})
	d := f.deliveries(t, hook.ID)[0]
	if d.Attempts != 1 || len(d.Log) != 1 || d.Log[0].StatusCode != 200 || d.Log[0].Response != "status 200" {
		t.Errorf("log %+v", d)
	}
}

// A receiver that is down for a while gets every event once it is back: none lost,
// none delivered again after it accepted it.
func TestReceiverDownForAWhileGetsEverythingOnce(t *testing.T) {
	// Retries every 300 ms for half a minute: the receiver comes back long before.
	schedule := []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}
	for range 100 {
		schedule = append(schedule, 300*time.Millisecond)
	}
	f := setup(t, func(c *webhooks.Config) { c.Schedule = schedule })
	var up atomic.Bool
	rc := newReceiver(t, func(*http.Request) int {
		if up.Load() {
			return http.StatusNoContent
		}
		return http.StatusServiceUnavailable
	})
	hook := f.hook(t, rc.URL, "term.created")
	const n = 20
	for i := range n {
		f.term(t, fmt.Sprintf("down-%d", i))
	}
	// Down until every event was refused at least twice.
	eventually(t, "every event refused twice", func() bool {
		fails := map[string]int{}
		for _, r := range rc.requests() {
			fails[r.ID]++
		}
		if len(fails) < n {
			return false
		}
		for _, c := range fails {
			if c < 2 {
				return false
			}
		}
		return true
	})
	up.Store(true)
	eventually(t, "every event delivered", func() bool { return len(rc.succeeded()) == n })
	jobsIdle(t, f)
	for id, c := range rc.succeeded() {
		if c != 1 {
			t.Errorf("%s accepted %d times", id, c)
		}
	}
	// Nothing was sent for a message after it was accepted.
	accepted := map[string]bool{}
	for _, r := range rc.requests() {
		if accepted[r.ID] {
			t.Errorf("%s sent again after it was accepted", r.ID)
		}
		if r.Status/100 == 2 {
			accepted[r.ID] = true
		}
	}
	for _, d := range f.deliveries(t, hook.ID) {
		if d.State != models.DeliverySucceeded || d.Attempts < 3 || d.Log[len(d.Log)-1].StatusCode != 204 || d.NextAttemptAt != nil {
			t.Errorf("delivery %s: %s after %d attempts, log %+v", d.MessageID, d.State, d.Attempts, d.Log)
		}
	}
	if w := f.webhook(t, hook.ID); w.FailingSince != nil || !w.Active {
		t.Errorf("after the recovery: failing since %v, active %v", w.FailingSince, w.Active)
	}
}

// jobsIdle waits until no first attempt is leased to the process and no delivery job
// is due or running (the publisher, which runs every few milliseconds, does not
// count): every attempt made is recorded.
func jobsIdle(t *testing.T, f *flow) {
	t.Helper()
	q := "SELECT (SELECT count(*) FROM webhook_leases) + (SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver' AND (state IN ('available', 'running') OR " +
		"(state IN ('retryable', 'scheduled') AND scheduled_at <= " + nowSQL() + ")))"
	eventually(t, "delivery jobs idle", func() bool {
		var n int
		if err := f.st.DB().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// A receiver that answers slowly takes at most its endpoint's share of the workers:
// another endpoint gets every event meanwhile.
func TestSlowReceiverDoesNotHoldUpOthers(t *testing.T) {
	f := setup(t, func(c *webhooks.Config) { c.PerEndpoint = 2; c.Timeout = 30 * time.Second })
	release := make(chan struct{})
	var slowInFlight, slowMax atomic.Int64
	slow := newReceiver(t, func(r *http.Request) int {
		n := slowInFlight.Add(1)
		defer slowInFlight.Add(-1)
		for m := slowMax.Load(); n > m && !slowMax.CompareAndSwap(m, n); m = slowMax.Load() {
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	fast := newReceiver(t, nil)
	f.hook(t, slow.URL, "term.created")
	f.hook(t, fast.URL, "term.created")
	const n = 30
	for i := range n {
		f.term(t, fmt.Sprintf("slow-%d", i))
	}
	eventually(t, "the fast endpoint got every event", func() bool { return len(fast.succeeded()) == n })
	select {
	case <-release:
		t.Fatal("released early")
	default:
	}
	if got := len(slow.requests()); got != 0 {
		t.Fatalf("the slow receiver answered %d requests before it was released", got)
	}
	if m := slowMax.Load(); m > 2 {
		t.Errorf("the slow endpoint had %d attempts running at once; its share is 2", m)
	}
	close(release)
	eventually(t, "the slow endpoint got every event too", func() bool { return len(slow.succeeded()) == n })
}

// A 410 Gone disables the endpoint, which then says why and gets nothing more.
func TestGoneDisablesEndpoint(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusGone })
	hook := f.hook(t, rc.URL, "term.created")
	f.term(t, "gone-1")
	eventually(t, "the endpoint disabled", func() bool { return !f.webhook(t, hook.ID).Active })
	w := f.webhook(t, hook.ID)
	if !strings.Contains(w.DisabledReason, "410 Gone") {
		t.Errorf("reason %q", w.DisabledReason)
	}
	if ds := f.deliveries(t, hook.ID); len(ds) != 1 || ds[0].State != models.DeliveryFailed || ds[0].Attempts != 1 {
		t.Fatalf("deliveries %+v", ds)
	}
	f.term(t, "gone-2")
	eventually(t, "the second event published", func() bool { return published(t, f) })
	jobsIdle(t, f)
	if n := len(rc.requests()); n != 1 {
		t.Errorf("%d requests to a disabled endpoint's receiver, want the one that disabled it", n)
	}
}

// published reports whether the publisher has passed every event written so far.
func published(t *testing.T, f *flow) bool {
	t.Helper()
	var last, cursor int64
	if err := f.st.DB().QueryRow("SELECT coalesce(max(id), 0) FROM events").Scan(&last); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DB().QueryRow("SELECT event_id FROM event_cursors WHERE name = 'publisher'").Scan(&cursor); err != nil {
		t.Fatal(err)
	}
	return cursor >= last
}

// An endpoint whose attempts all fail for five days is disabled, and says since when.
func TestFailingForFiveDaysDisables(t *testing.T) {
	clock := storetest.NewClock(time.Now().UTC())
	f := setup(t, func(c *webhooks.Config) {
		c.Now = clock.Now
		c.Schedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, time.Hour}
	})
	rc := newReceiver(t, func(*http.Request) int { return http.StatusInternalServerError })
	hook := f.hook(t, rc.URL, "term.created")
	f.term(t, "failing-1")
	eventually(t, "the first failure recorded", func() bool { return f.webhook(t, hook.ID).FailingSince != nil })
	since := *f.webhook(t, hook.ID).FailingSince
	if !since.Equal(clock.Now().Truncate(time.Microsecond)) && !since.Equal(clock.Now()) {
		t.Errorf("failing since %v, want the clock's %v", since, clock.Now())
	}
	if !f.webhook(t, hook.ID).Active {
		t.Fatal("disabled after one failure")
	}
	clock.Advance(5 * 24 * time.Hour)
	eventually(t, "the endpoint disabled", func() bool { return !f.webhook(t, hook.ID).Active })
	w := f.webhook(t, hook.ID)
	if !strings.Contains(w.DisabledReason, "every attempt failed since "+since.Format(time.RFC3339)) || !strings.Contains(w.DisabledReason, "HTTP 500") {
		t.Errorf("reason %q", w.DisabledReason)
	}
	jobsIdle(t, f)
	if ds := f.deliveries(t, hook.ID); len(ds) != 1 || ds[0].State != models.DeliveryFailed {
		t.Errorf("delivery %+v, want failed", ds[0])
	}
	// Turned on again, it starts with a clean record.
	on := true
	w, err := f.svc.Update(context.Background(), f.tenant.ID, hook.ID, models.WebhookPatch{Active: &on})
	if err != nil || !w.Active || w.DisabledReason != "" || w.FailingSince != nil {
		t.Fatalf("turned on: %+v, %v", w, err)
	}
}

// After a rotation both secrets sign for 24 hours; then only the new one.
func TestRotationSignsWithBothSecretsFor24Hours(t *testing.T) {
	clock := storetest.NewClock(time.Now().UTC())
	f := setup(t, func(c *webhooks.Config) { c.Now = clock.Now })
	rc := newReceiver(t, nil)
	hook := f.hook(t, rc.URL, "term.created")
	old := hook.Secret
	rotated, err := f.svc.RotateSecret(context.Background(), f.tenant.ID, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == old || rotated.PreviousSecret != old || !rotated.PreviousSecretExpiresAt.Equal(clock.Now().Add(24*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("rotated %+v", rotated)
	}
	f.term(t, "rotated-1")
	eventually(t, "the first delivery", func() bool { return len(rc.requests()) == 1 })
	r := rc.requests()[0]
	if n := len(strings.Fields(r.Signature)); n != 2 {
		t.Fatalf("%d signatures during the overlap: %q", n, r.Signature)
	}
	verify(t, r, old)
	verify(t, r, rotated.Secret)

	clock.Advance(24*time.Hour + time.Second)
	f.term(t, "rotated-2")
	eventually(t, "the second delivery", func() bool { return len(rc.requests()) == 2 })
	r = rc.requests()[1]
	if n := len(strings.Fields(r.Signature)); n != 1 {
		t.Fatalf("%d signatures after the overlap: %q", n, r.Signature)
	}
	verify(t, r, rotated.Secret)
	if err := webhooks.Verify(old, r.ID, r.Timestamp, r.Body, r.Signature, time.Now(), 0); err == nil {
		t.Error("the old secret still verifies after 24 hours")
	}
}

// A redelivery sends the same message again and continues its log; a ping reaches
// the receiver, also while the endpoint is off.
func TestRedeliverAndPing(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, nil)
	hook := f.hook(t, rc.URL, "term.created")
	f.term(t, "again")
	eventually(t, "the delivery", func() bool { return len(rc.succeeded()) == 1 })
	jobsIdle(t, f)
	d := f.deliveries(t, hook.ID)[0]
	ctx := context.Background()
	again, err := f.svc.Redeliver(ctx, f.tenant.ID, hook.ID, d.ID)
	if err != nil || again.State != models.DeliveryPending || again.Run != 2 {
		t.Fatalf("redeliver: %+v, %v", again, err)
	}
	eventually(t, "the redelivery", func() bool { return len(rc.requests()) == 2 })
	reqs := rc.requests()
	if reqs[0].ID != reqs[1].ID || string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("redelivery sent %s %s, first %s %s", reqs[1].ID, reqs[1].Body, reqs[0].ID, reqs[0].Body)
	}
	jobsIdle(t, f)
	d, err = f.svc.Delivery(ctx, f.tenant.ID, hook.ID, d.ID)
	if err != nil || d.Attempts != 2 || len(d.Log) != 2 || d.Log[1].Attempt != 2 || d.State != models.DeliverySucceeded {
		t.Fatalf("after the redelivery: %+v, %v", d, err)
	}

	off := false
	if _, err := f.svc.Update(ctx, f.tenant.ID, hook.ID, models.WebhookPatch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Redeliver(ctx, f.tenant.ID, hook.ID, d.ID); models.ErrorCode(err) != models.ECONFLICT {
		t.Errorf("redeliver to a disabled endpoint: %v, want a conflict", err)
	}
	ping, err := f.svc.Ping(ctx, f.tenant.ID, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ping", func() bool { return len(rc.requests()) == 3 })
	p := rc.requests()[2]
	verify(t, p, hook.Secret)
	if p.Payload.Type != models.EventWebhookPing || p.ID != ping.MessageID {
		t.Errorf("ping %+v", p)
	}
	jobsIdle(t, f)
	if d, err := f.svc.Delivery(ctx, f.tenant.ID, hook.ID, ping.ID); err != nil || d.State != models.DeliverySucceeded {
		t.Errorf("ping delivery %+v, %v", d, err)
	}
}

// Deliveries of an endpoint turned off while they wait are canceled, not sent.
func TestEndpointTurnedOffCancelsWaitingDeliveries(t *testing.T) {
	f := setup(t, func(c *webhooks.Config) { c.Schedule = []time.Duration{time.Hour} })
	var up atomic.Bool
	rc := newReceiver(t, func(*http.Request) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusBadGateway
	})
	hook := f.hook(t, rc.URL, "term.created")
	f.term(t, "waiting")
	eventually(t, "a failed attempt", func() bool { return len(rc.requests()) == 1 })
	jobsIdle(t, f) // the retry waits an hour
	ctx := context.Background()
	off := false
	if _, err := f.svc.Update(ctx, f.tenant.ID, hook.ID, models.WebhookPatch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	d := f.deliveries(t, hook.ID)[0]
	if d.State != models.DeliveryPending || d.NextAttemptAt == nil || d.Log[0].StatusCode != http.StatusBadGateway {
		t.Fatalf("before: %+v", d)
	}
	// Run the retry now, as if its hour had passed.
	if _, err := f.st.DB().Exec("UPDATE river_job SET state = 'available', scheduled_at = " + nowSQL() + " WHERE kind = 'webhook_deliver' AND state IN ('scheduled', 'available', 'retryable')"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "canceled", func() bool { return f.deliveries(t, hook.ID)[0].State == models.DeliveryCanceled })
	if n := len(rc.requests()); n != 1 {
		t.Errorf("%d requests; the off endpoint got the retry", n)
	}
}

func nowSQL() string {
	if storetest.Dialect() == store.Postgres {
		return "now()"
	}
	return "datetime('now', 'subsec')"
}

// A name that resolves to 127.0.0.1 is refused at connection time without an allow
// list, and an address literal already when the endpoint is saved.
func TestSSRFThroughLocalhostRefused(t *testing.T) {
	f := setup(t, func(c *webhooks.Config) { c.AllowPrivate = nil })
	rc := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	w := &models.Webhook{TenantID: f.tenant.ID, URL: rc.URL, EventTypes: []string{"*"}}
	err := f.svc.Create(context.Background(), w)
	var me *models.Error
	if models.ErrorCode(err) != models.EINVALID || !errors.As(err, &me) || me.Fields[0].Field != "url" || !strings.Contains(me.Fields[0].Error, "loopback") {
		t.Fatalf("an endpoint on 127.0.0.1: %v", err)
	}
	hook := f.hook(t, "http://localhost:"+port+"/hook", "term.created")
	f.term(t, "ssrf")
	eventually(t, "a refused attempt", func() bool {
		ds := f.deliveries(t, hook.ID)
		return len(ds) == 1 && len(ds[0].Log) > 0
	})
	a := f.deliveries(t, hook.ID)[0].Log[0]
	if a.StatusCode != 0 || !strings.Contains(a.Error, "is loopback: deliveries to it are refused") {
		t.Errorf("attempt %+v", a)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
}

// An endpoint hears of the events that happen after it was registered, not of older
// ones the publisher hands over late.
func TestEndpointGetsOnlyLaterEvents(t *testing.T) {
	f := setup(t)
	rc := newReceiver(t, nil)
	hook := f.hook(t, rc.URL, "term.created")
	// A write whose event is dated before the endpoint existed, published after.
	late := storetest.OpenWithClock(t, storetest.NewClock(hook.CreatedAt.Add(-time.Minute)))
	if _, err := late.CreateTerm(context.Background(), &models.Term{TenantID: f.tenant.ID, Name: "before"}); err != nil {
		t.Fatal(err)
	}
	f.term(t, "after")
	eventually(t, "the later event delivered", func() bool { return len(rc.succeeded()) >= 1 })
	eventually(t, "both published", func() bool { return published(t, f) })
	jobsIdle(t, f)
	got := rc.requests()
	if len(got) != 1 || !strings.Contains(string(got[0].Payload.Data), `"after"`) {
		t.Fatalf("deliveries %+v", got)
	}
}
