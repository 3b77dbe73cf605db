package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/outbox"
	"github.com/contacthub/contacthub/webhooks"
)

// deliverWebhooks makes b's API deliver webhooks as a server does: the webhook
// service with the outbox publisher and delivery workers running, receivers on this
// machine allowed, retries after 50 ms. A test that calls it must not be parallel:
// its workers take the delivery jobs of every test's tenants, and the tests that only
// enqueue deliveries must find theirs waiting.
func deliverWebhooks(t *testing.T, b *bundle) {
	t.Helper()
	svc := webhooks.New(webhooks.Config{Store: b.st, AllowHTTP: true,
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Schedule: []time.Duration{50 * time.Millisecond}})
	engine := jobstest.Start(t, b.st, func(w *river.Workers) []*river.PeriodicJob {
		p := outbox.Register(w, outbox.Config{Store: b.st, Subscribers: []outbox.Subscriber{svc}, PublishEvery: 20 * time.Millisecond})
		return append(p, svc.Register(w)...)
	}, func(c *jobs.Config) { c.Queues = map[string]int{webhooks.Queue: 4} })
	svc.Attach(engine)
	svc.Start()
	t.Cleanup(func() { svc.Stop(context.Background()) })
	b.api.Webhooks = svc
	b.e = handlers.New(b.api)
}

// TestEveryEventTypeReachesAReceiver drives a mutation of every kind through the API
// with an endpoint subscribed to "*", and checks that an event of every type reaches
// a local receiver, signed with the endpoint's secret, with the event's data.
//
// Not parallel: it works delivery jobs (deliverWebhooks).
func TestEveryEventTypeReachesAReceiver(t *testing.T) {
	b := setup(t)
	deliverWebhooks(t, b)

	type got struct {
		id, ts, sig string
		body        []byte
	}
	var mu sync.Mutex
	byType := map[string][]got{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct{ Type string }
		json.Unmarshal(body, &p)
		mu.Lock()
		byType[p.Type] = append(byType[p.Type], got{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body})
		mu.Unlock()
	}))
	defer srv.Close()
	var hook webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": srv.URL + "/hook", "event_types": []string{"*"}}, http.StatusCreated, &hook)

	q := "/public/api/V1"
	var term, a, c struct{ ID int64 }
	b.call(t, "POST", q+"/terms", map[string]any{"name": "every-type"}, 200, &term)
	b.call(t, "PUT", q+"/terms/"+itoa(term.ID), map[string]any{"description": "paying"}, 200, nil)
	b.call(t, "POST", q+"/custom-fields", map[string]any{"label": "Plan", "field_type": "text"}, 200, nil)
	b.call(t, "PUT", q+"/custom-fields/plan", map[string]any{"description": "which plan"}, 200, nil)
	b.call(t, "POST", q+"/contact", map[string]any{"contact": map[string]any{"mail": "every@example.com", "first_name": "Eve"}, "duplicate_check_method": "none"}, 200, &a)
	b.call(t, "POST", q+"/contact", map[string]any{"contact": map[string]any{"mail": "other@example.com", "first_name": "Otto"}, "duplicate_check_method": "none"}, 200, &c)
	b.call(t, "PUT", q+"/contact/"+itoa(a.ID), map[string]any{"field_plan": "gold"}, 200, nil)
	var comment struct {
		CommentID int64 `json:"comment_id"`
	}
	b.call(t, "POST", q+"/contact/"+itoa(a.ID)+"/comments", map[string]any{"comment": "called back"}, 200, &comment)
	b.call(t, "PUT", q+"/contact/"+itoa(a.ID)+"/comments", map[string]any{"id": comment.CommentID, "comment": "called twice"}, 200, nil)
	b.call(t, "DELETE", q+"/contact/"+itoa(a.ID)+"/comments", []int64{comment.CommentID}, 200, nil)
	var merge struct {
		MergeID string `json:"merge_id"`
	}
	b.call(t, "POST", "/api/v1/contacts/merge", map[string]any{"target_id": a.ID, "source_id": c.ID}, 200, &merge)
	b.call(t, "POST", "/api/v1/merges/"+merge.MergeID+"/undo", nil, 200, nil)
	b.call(t, "DELETE", q+"/contact/"+itoa(c.ID), nil, 200, nil)
	b.call(t, "DELETE", q+"/custom-fields/plan", nil, 200, nil)
	b.call(t, "DELETE", q+"/terms/"+itoa(term.ID), nil, 200, nil)
	var status, source, staff, inquiry struct{ ID int64 }
	b.call(t, "POST", "/api/v1/inquiry-statuses", map[string]any{"name": "Neu"}, 201, &status)
	b.call(t, "PATCH", "/api/v1/inquiry-statuses/"+itoa(status.ID), map[string]any{"name": "Neu eingegangen"}, 200, nil)
	b.call(t, "DELETE", "/api/v1/inquiry-statuses/"+itoa(status.ID), nil, 200, nil)
	b.call(t, "POST", "/api/v1/inquiry-sources", map[string]any{"name": "Messe"}, 201, &source)
	b.call(t, "PUT", "/api/v1/inquiry-sources/"+itoa(source.ID), map[string]any{"name": "Messe 2027"}, 200, nil)
	b.call(t, "DELETE", "/api/v1/inquiry-sources/"+itoa(source.ID), nil, 200, nil)
	b.call(t, "POST", "/api/v1/staff", map[string]any{"email": "eva@firma.de", "name": "Eva"}, 201, &staff)
	b.call(t, "PATCH", "/api/v1/staff/"+itoa(staff.ID), map[string]any{"name": "Eva Maria"}, 200, nil)
	b.call(t, "DELETE", "/api/v1/staff/"+itoa(staff.ID), nil, 200, nil)
	b.call(t, "POST", "/api/v1/inquiries", map[string]any{"title": "Badsanierung"}, 201, &inquiry)
	b.call(t, "PATCH", "/api/v1/inquiries/"+itoa(inquiry.ID), map[string]any{"title": "Badsanierung, 2. OG"}, 200, nil)
	b.call(t, "DELETE", "/api/v1/inquiries/"+itoa(inquiry.ID), nil, 200, nil)
	// The review queue: pairs found, one dismissed, one merged.
	b.queueFive(t)
	var queue queuePage
	b.call(t, "GET", "/api/v1/duplicates", nil, 200, &queue)
	if len(queue.Duplicates) < 2 {
		t.Fatalf("review queue %+v; want the five pairs", queue)
	}
	b.call(t, "POST", "/api/v1/duplicates/"+itoa(queue.Duplicates[0].ID)+"/dismiss", nil, 200, nil)
	b.call(t, "POST", "/api/v1/duplicates/"+itoa(queue.Duplicates[1].ID)+"/merge", nil, 200, nil)
	// An import's completion, as the import engine writes it.
	data := `{"import_id":7,"status":"completed","success_count":1,"error_count":0,"errors":[]}`
	if _, err := b.st.DB().Exec(rebind("INSERT INTO events (tenant_id, type, data, created_at) VALUES (?, ?, ?, ?)"),
		b.tenant.ID, models.EventImportCompleted, data, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}

	missing := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, typ := range models.EventTypes {
			if len(byType[typ]) == 0 {
				out = append(out, typ)
			}
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("no delivery of %v within 30 s", m)
	}
	mu.Lock()
	defer mu.Unlock()
	for typ, list := range byType {
		for _, g := range list {
			if err := webhooks.Verify(hook.Secret, g.id, g.ts, g.body, g.sig, time.Now(), 5*time.Minute); err != nil {
				t.Errorf("%s %s: %v", typ, g.id, err)
			}
		}
	}
	// Deliveries run concurrently: find Eve's among the creates.
	found := false
	for _, g := range byType["contact.created"] {
		var created struct {
			Data struct {
				V    int    `json:"v"`
				ID   int64  `json:"id"`
				Mail string `json:"mail"`
			} `json:"data"`
		}
		if err := json.Unmarshal(g.body, &created); err != nil || created.Data.V != 1 {
			t.Errorf("contact.created payload %s", g.body)
		}
		found = found || (created.Data.ID == a.ID && created.Data.Mail == "every@example.com")
	}
	if !found {
		t.Errorf("no contact.created with the contact's wire form: %d deliveries", len(byType["contact.created"]))
	}
	if !slices.Contains(models.EventTypes, models.EventImportCompleted) {
		t.Error("import.completed is not an event type")
	}
}
