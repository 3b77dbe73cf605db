package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/outbox"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
	"github.com/contacthub/contacthub/webhooks"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// The flow tests run one after another, not in parallel: each runs River with a
// service configured for it (schedule, clock, guard), and every River client on the
// package's database would work any test's jobs.

// flow is what a delivery test works with: the real publisher and delivery worker on
// the package's database, and a tenant of its own.
type flow struct {
	st     *store.Store
	svc    *webhooks.Service
	engine *jobs.Engine
	tenant storetest.Tenant
}

// loopback lets deliveries reach the test receivers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// fastSchedule compresses the retries to fractions of a second.
var fastSchedule = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond,
	100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond,
	100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}

// setup starts River with the outbox publisher and the webhook worker. opts change the
// service's configuration before it is built.
func setup(t *testing.T, opts ...func(*webhooks.Config)) *flow {
	t.Helper()
	st := storetest.Open(t)
	// Registered before the engine's own clean-up, so it runs after the engine stopped:
	// the next test's worker must not pick up this test's retries.
	t.Cleanup(func() {
		if _, err := st.DB().Exec("DELETE FROM river_job WHERE kind = 'webhook_deliver'"); err != nil {
			t.Errorf("clean up jobs: %v", err)
		}
	})
	cfg := webhooks.Config{Store: st, Schedule: fastSchedule, Timeout: 5 * time.Second, AllowHTTP: true,
		AllowPrivate: loopback, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	svc := webhooks.New(cfg)
	engine := jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob {
		p := outbox.Register(w, outbox.Config{Store: st, Subscribers: []outbox.Subscriber{svc}, PublishEvery: 20 * time.Millisecond})
		return append(p, svc.Register(w)...)
	}, func(c *jobs.Config) { c.Queues = map[string]int{webhooks.Queue: 8} })
	svc.Attach(engine)
	svc.Start()
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return &flow{st: st, svc: svc, engine: engine, tenant: storetest.NewTenant(t, st)}
}

// hook registers an endpoint of the flow's tenant.
func (f *flow) hook(t *testing.T, url string, types ...string) *models.Webhook {
	t.Helper()
	w := &models.Webhook{TenantID: f.tenant.ID, URL: url, EventTypes: types, Active: true}
	if err := f.svc.Create(context.Background(), w); err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return w
}

// term creates a term, which writes a term.created event, and publishes it.
func (f *flow) term(t *testing.T, name string) {
	t.Helper()
	if _, err := f.st.CreateTerm(context.Background(), &models.Term{TenantID: f.tenant.ID, Name: name}); err != nil {
		t.Fatal(err)
	}
	f.publish(t)
}

// publish runs the outbox publisher now rather than at its next tick: River starts
// periodic jobs only seconds after a client became leader, and every test starts one.
func (f *flow) publish(t *testing.T) {
	t.Helper()
	if _, err := f.engine.Insert(context.Background(), outbox.PublishArgs{}, nil); err != nil {
		t.Fatal(err)
	}
}

// deliveries returns the endpoint's deliveries, newest first.
func (f *flow) deliveries(t *testing.T, hookID int64) []*models.WebhookDelivery {
	t.Helper()
	list, err := f.svc.Deliveries(context.Background(), f.tenant.ID, hookID, models.DeliveryFilter{Limit: models.MaxDeliveryPage})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (f *flow) webhook(t *testing.T, id int64) *models.Webhook {
	t.Helper()
	w, err := f.svc.Get(context.Background(), f.tenant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// eventually polls cond until it holds, at most 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// received is one request a receiver got.
type received struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Status                   int
	Payload                  struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
}

// receiver is a local endpoint that records what it gets and answers with status.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status func(r *http.Request) int
}

func newReceiver(t *testing.T, status func(r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	if rc.status == nil {
		rc.status = func(*http.Request) int { return http.StatusOK }
	}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := received{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), Body: body}
		if err := json.Unmarshal(body, &got.Payload); err != nil {
			t.Errorf("receiver: body is not the payload: %v: %s", err, body)
		}
		got.Status = rc.status(r)
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		rc.mu.Unlock()
		w.WriteHeader(got.Status)
		fmt.Fprintf(w, "status %d", got.Status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// succeeded counts the 2xx answers per webhook-id.
func (rc *receiver) succeeded() map[string]int {
	out := map[string]int{}
	for _, r := range rc.requests() {
		if r.Status/100 == 2 {
			out[r.ID]++
		}
	}
	return out
}

// verify checks a request's signature with secret.
func verify(t *testing.T, r received, secret string) {
	t.Helper()
	if err := webhooks.Verify(secret, r.ID, r.Timestamp, r.Body, r.Signature, time.Now(), 0); err != nil {
		t.Errorf("%s (%s): %v; signature %q", r.ID, r.Payload.Type, err, r.Signature)
	}
}
