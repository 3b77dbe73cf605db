package webhooks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// loopback allows the test servers' addresses.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func post(t *testing.T, s *sender, url string) result {
	t.Helper()
	return s.send(context.Background(), url, "msg_test", time.Now(), []byte(`{"type":"webhook.ping"}`), "v1,x")
}

// A name that resolves to 127.0.0.1 is refused when the connection is made, and the
// receiver sees nothing; allowing loopback lets the same URL through.
func TestSenderRefusesLoopbackBehindAName(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://localhost:" + port + "/hook"

	res := post(t, newSender(NewGuard(nil), 2*time.Second), url)
	if res.kind != "blocked" || res.status != 0 || !strings.Contains(res.err, "loopback") {
		t.Fatalf("without an allow list: %+v, want blocked as loopback", res)
	}
	if hits.Load() != 0 {
		t.Fatalf("the receiver got %d requests through the guard", hits.Load())
	}
	// localhost may resolve to ::1 as well as 127.0.0.1; the server listens on the latter.
	res = post(t, newSender(NewGuard(loopback), 2*time.Second), url)
	if !res.ok() || hits.Load() != 1 {
		t.Fatalf("with loopback allowed: %+v, %d hits", res, hits.Load())
	}
}

// A redirect is a failed attempt, not a request to the address it names.
func TestSenderDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res := post(t, newSender(NewGuard(loopback), 2*time.Second), srv.URL)
	if res.ok() || res.status != http.StatusTemporaryRedirect || res.kind != "http_error" || !strings.Contains(res.err, "redirects are not followed") {
		t.Fatalf("redirect: %+v", res)
	}
	if followed.Load() {
		t.Fatal("the redirect was followed")
	}
}

// Only the first 4 KiB of an answer are read and kept, as valid text.
func TestSenderKeepsFourKiBOfTheAnswer(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("é", 10_000) // 20,000 bytes; 4,096 is inside a character
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(big))
	}))
	defer srv.Close()
	res := post(t, newSender(NewGuard(loopback), 2*time.Second), srv.URL)
	if res.status != 500 || len(res.response) > models.MaxWebhookResponseKept || len(res.response) < models.MaxWebhookResponseKept-4 {
		t.Fatalf("status %d, kept %d bytes, want 500 and at most %d", res.status, len(res.response), models.MaxWebhookResponseKept)
	}
	if !strings.HasPrefix(big, strings.TrimRight(res.response, "\uFFFD")) {
		t.Fatal("the excerpt is not the start of the answer")
	}
}

// A receiver that does not answer within the timeout fails the attempt.
func TestSenderTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	res := post(t, newSender(NewGuard(loopback), 100*time.Millisecond), srv.URL)
	if res.ok() || res.kind != "timeout" || !strings.Contains(res.err, "no answer within 100ms") {
		t.Fatalf("slow receiver: %+v", res)
	}
}

func TestSenderSendsStandardWebhooksHeaders(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	defer srv.Close()
	at := time.Unix(1614265330, 0)
	res := newSender(NewGuard(loopback), 2*time.Second).send(context.Background(), srv.URL, "msg_1", at, []byte("{}"), "v1,abc")
	if !res.ok() {
		t.Fatal(res)
	}
	h := <-got
	for name, want := range map[string]string{"webhook-id": "msg_1", "webhook-timestamp": "1614265330", "webhook-signature": "v1,abc", "Content-Type": "application/json"} {
		if h.Get(name) != want {
			t.Errorf("%s: %q, want %q", name, h.Get(name), want)
		}
	}
}
