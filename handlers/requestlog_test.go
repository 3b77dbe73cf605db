package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/logctx"
	"github.com/contacthub/contacthub/models"
)

// requestLine is a line of the JSON log as requestLog and the error handler write it.
// DurationMS is decoded as raw JSON to check that it is a number.
type requestLine struct {
	Level      string          `json:"level"`
	Msg        string          `json:"msg"`
	RequestID  string          `json:"request_id"`
	Method     string          `json:"method"`
	Route      string          `json:"route"`
	Status     int             `json:"status"`
	DurationMS json.RawMessage `json:"duration_ms"`
	Bytes      int64           `json:"bytes"`
	Tenant     *int64          `json:"tenant"`
	KeyID      *int64          `json:"key_id"`
	Err        string          `json:"err"`
	Reason     string          `json:"reason"`
	KeyPrefix  string          `json:"key_prefix"`
	IP         string          `json:"ip"`
	Suppressed int             `json:"suppressed"`
}

// requestLines decodes every line of a JSON log.
func requestLines(t *testing.T, buf *bytes.Buffer) []requestLine {
	t.Helper()
	var out []requestLine
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r requestLine
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not one JSON record: %v: %q", err, line)
		}
		out = append(out, r)
	}
	return out
}

// withMsg are the lines with the message msg.
func withMsg(lines []requestLine, msg string) []requestLine {
	var out []requestLine
	for _, l := range lines {
		if l.Msg == msg {
			out = append(out, l)
		}
	}
	return out
}

// TestRequestIDEchoed: a sane X-Request-ID is kept and echoed; a missing or unsafe one
// is replaced by a new UUID, on answers that succeed and on errors alike.
func TestRequestIDEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"proxy style", "req_01HZX3W6Q7:abc/def+x=@1.2", true},
		{"longest", strings.Repeat("a", 128), true},
		{"none", "", false},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"quote", `a"b`, false},
		{"control", "a\x01b", false},
		{"non-ascii", "äbc", false},
	}
	for _, tt := range tests {
		for _, path := range []string{"/public/api/V1/check-credentials", "/public/api/V1/contact/999999"} {
			var opts []reqOpt
			if tt.sent != "" {
				opts = append(opts, withHeader("X-Request-ID", tt.sent))
			}
			rec := b.do(t, http.MethodGet, path, nil, opts...)
			got := rec.Header().Get("X-Request-ID")
			switch {
			case tt.keep && got != tt.sent:
				t.Errorf("%s %s: X-Request-ID %q, want %q echoed", tt.name, path, got, tt.sent)
			case !tt.keep:
				if _, err := uuid.Parse(got); err != nil || got == tt.sent {
					t.Errorf("%s %s: X-Request-ID %q, want a new UUID", tt.name, path, got)
				}
			}
		}
	}
	// Two requests without an id get different ones.
	a := b.do(t, http.MethodGet, "/healthz", nil).Header().Get("X-Request-ID")
	if c := b.do(t, http.MethodGet, "/healthz", nil).Header().Get("X-Request-ID"); a == c {
		t.Errorf("two requests got the same id %q", a)
	}
}

// TestRequestLogLine: one line per request with method, route (the pattern, not the
// path with the client's mail address), status, duration_ms as a number, bytes, the
// tenant and key and the request id; requests without a verified key have no tenant.
func TestRequestLogLine(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withJSONLog(&log))
	keys, err := b.st.ListKeys(context.Background(), b.tenant.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys of the test tenant: %v, %v", keys, err)
	}
	rec := b.do(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "jane@example.com"}},
		withHeader("X-Request-ID", "req-1"))
	if rec.Code != http.StatusOK {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	b.do(t, http.MethodGet, "/public/api/V1/contact/jane@example.com", nil, withHeader("X-Request-ID", "req-2"))
	b.do(t, http.MethodGet, "/no/such/route", nil, withHeader("X-Request-ID", "req-3"))

	lines := withMsg(requestLines(t, &log), "request")
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3: %+v", len(lines), lines)
	}
	first := lines[0]
	if first.Level != "INFO" || first.RequestID != "req-1" || first.Method != http.MethodPost || first.Route != "/public/api/V1/contact" ||
		first.Status != http.StatusOK || first.Bytes != int64(rec.Body.Len()) {
		t.Errorf("line %+v, want INFO req-1 POST /public/api/V1/contact 200 with %d bytes", first, rec.Body.Len())
	}
	var ms float64
	if err := json.Unmarshal(first.DurationMS, &ms); err != nil || ms < 0 {
		t.Errorf("duration_ms %s: want a number of milliseconds (%v)", first.DurationMS, err)
	}
	if first.Tenant == nil || *first.Tenant != b.tenant.ID || first.KeyID == nil || *first.KeyID != keys[0].ID {
		t.Errorf("tenant %v key %v, want %d and %d", first.Tenant, first.KeyID, b.tenant.ID, keys[0].ID)
	}
	if second := lines[1]; second.Route != "/public/api/V1/contact/:ref" || strings.Contains(log.String(), "jane@example.com") {
		t.Errorf("line %+v: want the route pattern, and no mail address anywhere in the log", second)
	}
	if third := lines[2]; third.RequestID != "req-3" || third.Status != http.StatusNotFound || third.Tenant != nil || third.KeyID != nil {
		t.Errorf("line %+v: want req-3, 404, no tenant or key", third)
	}
}

// failingTerms is a term store whose database is broken.
type failingTerms struct{ handlers.TermStore }

func (failingTerms) ListTerms(context.Context, int64, int, int) ([]*models.Term, error) {
	return nil, errors.New("connection refused by 10.0.0.7:5432")
}

// TestServerErrorCarriesRequestID: the detail of a 500, which only the log holds, is
// logged under the request's id, so an operator finds it from the id a client reports.
func TestServerErrorCarriesRequestID(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withJSONLog(&log), func(a *handlers.API) { a.Terms = failingTerms{a.Terms} })
	b.fail(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusInternalServerError, withHeader("X-Request-ID", "trace-500"))
	lines := requestLines(t, &log)
	failed := withMsg(lines, "request failed")
	if len(failed) != 1 || failed[0].RequestID != "trace-500" || !strings.Contains(failed[0].Err, "connection refused") {
		t.Fatalf("request failed lines %+v, want one with request_id trace-500 and the error", failed)
	}
	req := withMsg(lines, "request")
	if len(req) != 1 || req[0].RequestID != "trace-500" || req[0].Status != http.StatusInternalServerError || req[0].Level != "WARN" {
		t.Errorf("request lines %+v, want one WARN line of the 500 with its id", req)
	}
}

// TestAuthFailureLogged: failed authentication is logged with its reason, the key's
// prefix and the address, once per key prefix and address per minute (the lines held
// back are counted), while the metric counts every failure.
func TestAuthFailureLogged(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withJSONLog(&log), func(a *handlers.API) { a.Metrics = handlers.NewMetrics() })
	bad := "chk_notarealkey_0123456789abcdef"
	for range 3 {
		b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized, withKey(bad))
	}
	b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized, withKey("chk_another_key_0123456789abcdef"))
	b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusUnauthorized, withKey(""))
	b.fail(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusForbidden, withHeader("Tenant-ID", "999999999"))
	b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusOK, nil)

	failures := withMsg(requestLines(t, &log), "authentication failed")
	type got struct{ reason, prefix string }
	var reasons []got
	for _, f := range failures {
		reasons = append(reasons, got{f.Reason, f.KeyPrefix})
		if f.IP == "" || f.RequestID == "" || f.Level != "WARN" {
			t.Errorf("failure line %+v: want WARN with the address and the request id", f)
		}
		if strings.Contains(f.KeyPrefix, "0123") {
			t.Errorf("failure line logs more than the key's prefix: %q", f.KeyPrefix)
		}
	}
	want := []got{{"invalid_key", "chk_nota…"}, {"invalid_key", "chk_anot…"}, {"missing_key", ""}, {"tenant_mismatch", b.tenant.Key[:8] + "…"}}
	if len(reasons) != len(want) {
		t.Fatalf("failure lines %+v, want %+v", reasons, want)
	}
	for i := range want {
		if reasons[i] != want[i] {
			t.Errorf("failure line %d: %+v, want %+v", i, reasons[i], want[i])
		}
	}
	metrics := b.do(t, http.MethodGet, "/metrics", nil).Body.String()
	for _, line := range []string{
		`contacthub_auth_failures_total{reason="invalid_key"} 4`,
		`contacthub_auth_failures_total{reason="missing_key"} 1`,
		`contacthub_auth_failures_total{reason="tenant_mismatch"} 1`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

// loggingService logs through the logger of the context it is called with, as the
// contact service and the store do (logctx).
type loggingService struct{ handlers.ContactService }

func (s loggingService) Submit(ctx context.Context, tenant int64, in []contacts.Input, opts contacts.Options) ([]contacts.Result, error) {
	logctx.From(ctx, slog.New(slog.DiscardHandler)).Info("service saw the request")
	return s.ContactService.Submit(ctx, tenant, in, opts)
}

// TestRequestLoggerInContext: what the code below the handlers logs for a request —
// through the context it is called with — carries the request's id, also for HEAD
// and for the create routes that keep idempotent answers.
func TestRequestLoggerInContext(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withJSONLog(&log), func(a *handlers.API) { a.ContactService = loggingService{a.ContactService} })
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "ctx@example.com"}}, http.StatusOK, nil,
		withHeader("X-Request-ID", "ctx-1"))
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": []any{map[string]any{"mail": "ctx2@example.com"}}}, http.StatusOK, nil,
		withHeader("X-Request-ID", "ctx-2"), withHeader("Idempotency-Key", "k-ctx-2"))
	var ids []string
	for _, l := range withMsg(requestLines(t, &log), "service saw the request") {
		ids = append(ids, l.RequestID)
	}
	if len(ids) != 2 || ids[0] != "ctx-1" || ids[1] != "ctx-2" {
		t.Errorf("the service logged under request ids %q, want [ctx-1 ctx-2]", ids)
	}
}
