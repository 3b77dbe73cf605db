package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/webhooks"
)

// The server as `go run .` starts it (SQLite) delivers a new contact to a registered
// endpoint, signed, and reports the queue in /metrics.
func TestServeDeliversWebhooks(t *testing.T) {
	t.Parallel()
	type got struct {
		id, ts, sig string
		body        []byte
	}
	deliveries := make(chan got, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		deliveries <- got{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body}
	}))
	defer receiver.Close()

	e := tempEnv(t)
	const key = "bootstrap-key-for-webhooks"
	e["CONTACTHUB_BOOTSTRAP_API_KEY"] = key
	e["CONTACTHUB_WEBHOOK_ALLOW_PRIVATE"] = "127.0.0.0/8"
	e["CONTACTHUB_WEBHOOK_ALLOW_HTTP"] = "true"
	e["CONTACTHUB_OUTBOX_PUBLISH_EVERY"] = "50ms"
	base, _, stop := startServer(t, e)
	defer stop()

	post := func(path string, body any, out any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var hook struct {
		ID     int64
		Secret string
	}
	if code := post("/api/v1/webhooks", map[string]any{"url": receiver.URL + "/in", "event_types": []string{"contact.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	if code := post("/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "hook@example.com"}}, nil); code != http.StatusOK {
		t.Fatalf("create contact: %d", code)
	}
	select {
	case d := <-deliveries:
		if err := webhooks.Verify(hook.Secret, d.id, d.ts, d.body, d.sig, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var p struct {
			Type string
			Data struct{ Mail string }
		}
		if err := json.Unmarshal(d.body, &p); err != nil || p.Type != "contact.created" || p.Data.Mail != "hook@example.com" {
			t.Errorf("payload %s", d.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery within 30 s")
	}
	// The attempt is counted once the receiver's answer is read, which can be after
	// the receiver saw the delivery: read /metrics until it is there.
	var metrics []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(metrics), `contacthub_webhook_attempts_total{result="success"}`) || time.Now().After(deadline) {
			break
		}
	}
	for _, name := range []string{"contacthub_webhook_queue_depth", "contacthub_webhook_oldest_pending_seconds", `contacthub_webhook_attempts_total{result="success"}`} {
		if !strings.Contains(string(metrics), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"CONTACTHUB_WEBHOOK_ALLOW_PRIVATE":  "127.0.0.0/8,localhost",
		"CONTACTHUB_WEBHOOK_RETRY_SCHEDULE": "5s,soon",
		"CONTACTHUB_WEBHOOK_TIMEOUT":        "5m",
		"CONTACTHUB_WEBHOOK_DISABLE_AFTER":  "1s",
		"CONTACTHUB_WEBHOOK_ALLOW_HTTP":     "perhaps",
		"CONTACTHUB_WEBHOOK_WORKERS":        "-1",
	} {
		e := tempEnv(t)
		e[name] = value
		if _, err := runCLI(t, e, "migrate"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v, want an error naming it", name, value, err)
		}
	}
}
