package handlers_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/webhooks"
)

// webhook is an endpoint as the API shows it.
type webhook struct {
	ID                      int64      `json:"id"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	EventTypes              []string   `json:"event_types"`
	Active                  bool       `json:"active"`
	DisabledReason          string     `json:"disabled_reason"`
	Secret                  string     `json:"secret"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

type delivery struct {
	ID            string     `json:"id"`
	WebhookID     int64      `json:"webhook_id"`
	EventID       string     `json:"event_id"`
	MessageID     string     `json:"message_id"`
	Type          string     `json:"type"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	Log           []struct {
		Attempt    int     `json:"attempt"`
		StatusCode int     `json:"status_code"`
		LatencyMS  float64 `json:"latency_ms"`
		Error      string  `json:"error"`
		Response   string  `json:"response"`
	} `json:"log"`
	Payload struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	} `json:"payload"`
}

// setupWebhooks is setup with a webhook service. Deliveries it enqueues are not
// worked: its engine only inserts (a running one would poll beside the parallel
// tests, whose change-feed reads wait for every running transaction).
func setupWebhooks(t *testing.T) *bundle {
	t.Helper()
	b := setup(t)
	svc := webhooks.New(webhooks.Config{Store: b.st, AllowHTTP: true,
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	svc.Attach(jobstest.Inserter(t, b.st, func(w *river.Workers) []*river.PeriodicJob { return svc.Register(w) }))
	b.api.Webhooks = svc
	b.e = handlers.New(b.api)
	return b
}

func TestWebhookCRUD(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	var created webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{
		"url": "https://hooks.example.com/contacthub", "event_types": []string{"contact.*", "IMPORT_COMPLETED"}, "description": "CRM sync",
	}, http.StatusCreated, &created)
	if created.ID == 0 || !strings.HasPrefix(created.Secret, "whsec_") || !created.Active || created.Description != "CRM sync" ||
		!slices.Equal(created.EventTypes, []string{"contact.*", "IMPORT_COMPLETED"}) {
		t.Fatalf("created %+v", created)
	}
	path := "/api/v1/webhooks/" + itoa(created.ID)

	// The secret is shown once: never by a read.
	var got webhook
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &got)
	if got.Secret != "" || got.URL != created.URL {
		t.Fatalf("read %+v", got)
	}
	var list struct{ Webhooks []webhook }
	b.call(t, http.MethodGet, "/api/v1/webhooks", nil, http.StatusOK, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != "" || list.Webhooks[0].ID != created.ID {
		t.Fatalf("list %+v", list)
	}

	// PUT changes what it names.
	b.call(t, http.MethodPut, path, map[string]any{"active": false, "event_types": []string{"*"}}, http.StatusOK, &got)
	if got.Active || !slices.Equal(got.EventTypes, []string{"*"}) || got.Description != "CRM sync" || got.URL != created.URL || got.Secret != "" {
		t.Fatalf("updated %+v", got)
	}

	// Rotation: a new secret shown once, the old one signing until the time named.
	var rotated webhook
	b.call(t, http.MethodPost, path+"/rotate-secret", nil, http.StatusOK, &rotated)
	if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == created.Secret || rotated.PreviousSecretExpiresAt == nil ||
		rotated.PreviousSecretExpiresAt.Sub(time.Now()) < 23*time.Hour {
		t.Fatalf("rotated %+v", rotated)
	}
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &got)
	if got.Secret != "" || got.PreviousSecretExpiresAt == nil {
		t.Fatalf("read after rotation %+v", got)
	}

	b.call(t, http.MethodDelete, path, nil, http.StatusOK, nil)
	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodDelete, path, nil, http.StatusNotFound)
}

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	cases := []struct {
		name  string
		body  any
		field string
		say   string
	}{
		{"no url", map[string]any{"event_types": []string{"*"}}, "url", "is required"},
		{"relative url", map[string]any{"url": "/hooks", "event_types": []string{"*"}}, "url", "absolute"},
		{"ftp", map[string]any{"url": "ftp://example.com/x", "event_types": []string{"*"}}, "url", `scheme "ftp"`},
		{"no host", map[string]any{"url": "https:///x", "event_types": []string{"*"}}, "url", "no host"},
		{"credentials", map[string]any{"url": "https://u:p@example.com/x", "event_types": []string{"*"}}, "url", "credentials"},
		{"private address", map[string]any{"url": "https://10.0.0.5/x", "event_types": []string{"*"}}, "url", "is private"},
		{"metadata address", map[string]any{"url": "http://169.254.169.254/latest", "event_types": []string{"*"}}, "url", "metadata"},
		{"no types", map[string]any{"url": "https://example.com/x"}, "event_types", "is required"},
		{"unknown type", map[string]any{"url": "https://example.com/x", "event_types": []string{"contact.*", "contact.exploded"}}, "event_types[1]", `"contact.exploded" is not an event type`},
		{"unknown pattern", map[string]any{"url": "https://example.com/x", "event_types": []string{"deal.*"}}, "event_types[0]", "not an event type"},
		{"types not a list", map[string]any{"url": "https://example.com/x", "event_types": "contact.*"}, "event_types", ""},
		{"long description", map[string]any{"url": "https://example.com/x", "event_types": []string{"*"}, "description": strings.Repeat("x", 501)}, "description", "at most 500"},
		{"unknown field", map[string]any{"url": "https://example.com/x", "event_types": []string{"*"}, "secret": "whsec_x"}, "secret", ""},
	}
	for _, c := range cases {
		e := b.fail(t, http.MethodPost, "/api/v1/webhooks", c.body, http.StatusUnprocessableEntity)
		if !slices.Contains(e.fields(), c.field) {
			t.Errorf("%s: fields %v, want %s", c.name, e.fields(), c.field)
			continue
		}
		if c.say != "" && !strings.Contains(fmt.Sprint(e.Errors), c.say) {
			t.Errorf("%s: %v, want it to say %q", c.name, e.Errors, c.say)
		}
	}
	// http:// needs the server's permission; this one has it, a default one does not.
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "event_types": []string{"*"}}, http.StatusCreated, nil)
	strict := setup(t)
	strict.api.Webhooks = webhooks.New(webhooks.Config{Store: strict.st})
	strict.e = handlers.New(strict.api)
	e := strict.fail(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "http://example.com/x", "event_types": []string{"*"}}, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "url") || !strings.Contains(e.Errors[0].Error, "must be https") {
		t.Errorf("http without permission: %+v", e)
	}
	// A PUT is checked as a create is.
	var w webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/ok", "event_types": []string{"*"}}, http.StatusCreated, &w)
	e = b.fail(t, http.MethodPut, "/api/v1/webhooks/"+itoa(w.ID), map[string]any{"event_types": []string{}}, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "event_types") {
		t.Errorf("empty event types: %+v", e)
	}
	e = b.fail(t, http.MethodPut, "/api/v1/webhooks/"+itoa(w.ID), map[string]any{"url": "gopher://x"}, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "url") {
		t.Errorf("bad url: %+v", e)
	}
}

// A tenant has at most 50 endpoints; the 51st is a 422 naming url.
func TestWebhookLimitPerTenant(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	for i := range 50 {
		b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": fmt.Sprintf("https://example.com/%d", i), "event_types": []string{"*"}}, http.StatusCreated, nil)
	}
	e := b.fail(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/51", "event_types": []string{"*"}}, http.StatusUnprocessableEntity)
	if !slices.Contains(e.fields(), "url") || !strings.Contains(e.Errors[0].Error, "50 webhooks") {
		t.Fatalf("51st: %+v", e)
	}
}

// Another tenant's webhook ids are 404 on every route, and nothing of them changes.
func TestWebhookTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	var w webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/a", "event_types": []string{"*"}}, http.StatusCreated, &w)
	var ping delivery
	b.call(t, http.MethodPost, "/api/v1/webhooks/"+itoa(w.ID)+"/test", nil, http.StatusAccepted, &ping)

	other := setup(t)
	other.api.Webhooks, other.e = b.api.Webhooks, handlers.New(other.api) // the same service, another tenant
	base := "/api/v1/webhooks/" + itoa(w.ID)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, base}, {http.MethodPut, base}, {http.MethodDelete, base},
		{http.MethodPost, base + "/rotate-secret"}, {http.MethodPost, base + "/test"},
		{http.MethodGet, base + "/deliveries"}, {http.MethodGet, base + "/deliveries/" + ping.ID},
		{http.MethodPost, base + "/deliveries/" + ping.ID + "/redeliver"},
	} {
		var body any
		if r.method == http.MethodPut {
			body = map[string]any{"active": false}
		}
		other.fail(t, r.method, r.path, body, http.StatusNotFound)
	}
	var list struct{ Webhooks []webhook }
	other.call(t, http.MethodGet, "/api/v1/webhooks", nil, http.StatusOK, &list)
	if len(list.Webhooks) != 0 {
		t.Fatalf("the other tenant lists %+v", list.Webhooks)
	}
	var still webhook
	b.call(t, http.MethodGet, base, nil, http.StatusOK, &still)
	if !still.Active || !still.UpdatedAt.Equal(w.UpdatedAt) {
		t.Fatalf("changed by the other tenant: %+v", still)
	}
	// Not an id at all, and a delivery of another endpoint of the same tenant.
	b.fail(t, http.MethodGet, "/api/v1/webhooks/abc", nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, base+"/deliveries/not-a-uuid", nil, http.StatusNotFound)
	var w2 webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/b", "event_types": []string{"*"}}, http.StatusCreated, &w2)
	b.fail(t, http.MethodGet, "/api/v1/webhooks/"+itoa(w2.ID)+"/deliveries/"+ping.ID, nil, http.StatusNotFound)
}

// A test ping is enqueued and listed; a redelivery restarts a delivery; the log pages.
func TestWebhookPingRedeliverAndLog(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	var w webhook
	b.call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/a", "event_types": []string{"*"}}, http.StatusCreated, &w)
	base := "/api/v1/webhooks/" + itoa(w.ID)
	var pings []delivery
	for range 3 {
		var d delivery
		b.call(t, http.MethodPost, base+"/test", nil, http.StatusAccepted, &d)
		if d.State != "pending" || d.Type != "webhook.ping" || !strings.HasPrefix(d.MessageID, "msg_ping_") || d.NextAttemptAt == nil ||
			d.Payload.Type != "webhook.ping" || d.Payload.Data["webhook_id"] != float64(w.ID) {
			t.Fatalf("ping %+v", d)
		}
		pings = append(pings, d)
	}
	var page struct {
		Deliveries []delivery `json:"deliveries"`
		NextBefore string     `json:"next_before"`
	}
	b.call(t, http.MethodGet, base+"/deliveries?limit=2", nil, http.StatusOK, &page)
	if len(page.Deliveries) != 2 || page.Deliveries[0].ID != pings[2].ID || page.Deliveries[1].ID != pings[1].ID || page.NextBefore != pings[1].ID {
		t.Fatalf("first page %+v", page)
	}
	before := page.NextBefore
	page.Deliveries, page.NextBefore = nil, ""
	b.call(t, http.MethodGet, base+"/deliveries?limit=2&before="+before, nil, http.StatusOK, &page)
	if len(page.Deliveries) != 1 || page.Deliveries[0].ID != pings[0].ID || page.NextBefore != "" {
		t.Fatalf("second page %+v", page)
	}
	b.call(t, http.MethodGet, base+"/deliveries?state=succeeded", nil, http.StatusOK, &page)
	if len(page.Deliveries) != 0 {
		t.Fatalf("succeeded: %+v", page)
	}
	for _, q := range []string{"limit=0", "limit=201", "state=done", "before=xyz"} {
		e := b.fail(t, http.MethodGet, base+"/deliveries?"+q, nil, http.StatusUnprocessableEntity)
		if name, _, _ := strings.Cut(q, "="); !slices.Contains(e.fields(), name) {
			t.Errorf("%s: %+v", q, e)
		}
	}

	var again delivery
	b.call(t, http.MethodPost, base+"/deliveries/"+pings[0].ID+"/redeliver", nil, http.StatusAccepted, &again)
	if again.ID != pings[0].ID || again.State != "pending" || again.MessageID != pings[0].MessageID {
		t.Fatalf("redelivered %+v", again)
	}
	b.fail(t, http.MethodPost, base+"/deliveries/01a2500d-182a-731f-bb6e-7c38be6c7752/redeliver", nil, http.StatusNotFound)
	// A disabled endpoint takes no redelivery until it is on again.
	b.call(t, http.MethodPut, base, map[string]any{"active": false}, http.StatusOK, nil)
	b.fail(t, http.MethodPost, base+"/deliveries/"+pings[0].ID+"/redeliver", nil, http.StatusConflict)
}
