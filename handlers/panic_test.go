package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
)

// logRecord is a line of the JSON log.
type logRecord struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Route string `json:"route"`
	Panic string `json:"panic"`
	Stack string `json:"stack"`
	// RequestID names the request the record was logged for (requestLog).
	RequestID string `json:"request_id"`
}

// withJSONLog sends the API's log to buf as JSON lines.
func withJSONLog(buf *bytes.Buffer) func(*handlers.API) {
	return func(a *handlers.API) { a.Log = slog.New(slog.NewJSONHandler(buf, nil)) }
}

// logRecords decodes the lines of a JSON log.
func logRecords(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not one JSON record: %v: %q", err, line)
		}
		out = append(out, r)
	}
	return out
}

// TestMalformedJSONNeverPanics: bodies the duplicate-key scanner cannot follow
// ({{"a","a" once indexed a key before the first) answer 400 on every route of the
// router, and nothing panics.
func TestMalformedJSONNeverPanics(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withLimits(setup(t).st, "100000/s"), withJSONLog(&log))
	bodies := []string{`{{"a","a"`, `{{"a","a"}}`, `[{{"a","a"`, `{"x": {{"a","a"`, `{"a": 1, {"a"`, `{"a": [{"b": 1}, {{"b","b"`, `{[`, `{"a":1,[`}
	for _, r := range b.e.Routes() {
		if r.Method == "echo_route_not_found" || strings.HasPrefix(r.Path, "/metrics") {
			continue
		}
		path := strings.NewReplacer(":ref", "999999999", ":id", "999999999").Replace(r.Path)
		for _, body := range bodies {
			rec := b.do(t, r.Method, path, body)
			if rec.Code >= 500 {
				t.Errorf("%s %s %s: status %d: %s", r.Method, path, body, rec.Code, rec.Body)
			}
			if r.Method == http.MethodPost && strings.HasPrefix(path, "/public/api/V1/") && rec.Code != http.StatusBadRequest {
				t.Errorf("%s %s %s: status %d, want 400: %s", r.Method, path, body, rec.Code, rec.Body)
			}
		}
	}
	for _, rec := range logRecords(t, &log) {
		if rec.Level == "ERROR" {
			t.Errorf("logged %s: %s", rec.Msg, rec.Panic)
		}
	}
}

// panickyTerms is a term store with a bug.
type panickyTerms struct{ handlers.TermStore }

func (panickyTerms) ListTerms(context.Context, int64, int, int) ([]*models.Term, error) {
	var m map[string]int
	m["boom"]++ // assignment to a nil map
	return nil, nil
}

// TestPanicLoggedOnce: a panic in a handler answers 500 with the fixed message and is
// logged once, as one structured record of the log with the panic and its stack —
// not printed by Echo outside the log — beside the request's own line (requestLog),
// under the same request id.
func TestPanicLoggedOnce(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	b := setup(t, withJSONLog(&log), func(a *handlers.API) {
		a.Terms = panickyTerms{a.Terms}
		a.Metrics = handlers.NewMetrics()
	})
	var echoLog bytes.Buffer
	b.e.Logger.SetOutput(&echoLog)
	e := b.fail(t, http.MethodGet, "/public/api/V1/terms", nil, http.StatusInternalServerError)
	if e.Message != "internal server error" || len(e.Errors) != 0 {
		t.Errorf("answer %+v, want the fixed message", e)
	}
	var records []logRecord
	var requestLine logRecord
	for _, r := range logRecords(t, &log) {
		if r.Msg == "request" {
			requestLine = r
			continue
		}
		records = append(records, r)
	}
	if len(records) != 1 {
		t.Fatalf("%d log records besides the request line, want 1: %+v", len(records), records)
	}
	r := records[0]
	if r.Level != "ERROR" || r.Route != "/public/api/V1/terms" || !strings.Contains(r.Panic, "nil map") || !strings.Contains(r.Stack, "ListTerms") {
		t.Errorf("log record %+v, want the panic with its stack", r)
	}
	if r.RequestID == "" || r.RequestID != requestLine.RequestID {
		t.Errorf("panic logged under request id %q, the request line under %q", r.RequestID, requestLine.RequestID)
	}
	if echoLog.Len() > 0 {
		t.Errorf("Echo printed outside the log: %s", echoLog.String())
	}
	// The server lives on and the metrics count the 500.
	b.call(t, http.MethodGet, "/public/api/V1/check-credentials", nil, http.StatusOK, nil)
	metrics := b.do(t, http.MethodGet, "/metrics", nil).Body.String()
	if !strings.Contains(metrics, `route="/public/api/V1/terms",status="500"`) {
		t.Errorf("metrics do not count the 500:\n%s", metrics)
	}
}
