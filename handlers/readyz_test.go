package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/handlers"
)

// recorder is a slog handler that keeps its records, for tests that need to know what
// was logged (attributes, not text).
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}

// errorsOf returns the err attributes logged for each dependency.
func (r *recorder) errorsOf() map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]error{}
	for _, rec := range r.records {
		var dep string
		var err error
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "dependency":
				dep = a.Value.String()
			case "err":
				err, _ = a.Value.Any().(error)
			}
			return true
		})
		if dep != "" && err != nil {
			out[dep] = err
		}
	}
	return out
}

// TestReadyzShowsNoErrorDetail: /readyz names each dependency's state only; the error
// behind it (hosts, user names) is logged, never answered.
func TestReadyzShowsNoErrorDetail(t *testing.T) {
	t.Parallel()
	dbErr := errors.New(`store: ping: failed to connect to user=contacthub database=prod: db-internal.example:5432 (10.1.2.3): dial error`)
	redisErr := errors.New("dial tcp redis-internal.example:6379: connect: connection refused")
	tests := []struct {
		name       string
		checks     []handlers.Check
		status     int
		state      string
		want       map[string]string
		wantLogged []string
	}{
		{"all ok", []handlers.Check{{Name: "database", Critical: true}, {Name: "redis"}}, http.StatusOK, "ready",
			map[string]string{"database": "ok", "redis": "ok"}, nil},
		{"redis down, local fallback", []handlers.Check{{Name: "database", Critical: true}, {Name: "redis", Err: redisErr}}, http.StatusOK, "degraded",
			map[string]string{"database": "ok", "redis": "unavailable"}, []string{"redis"}},
		{"database down", []handlers.Check{{Name: "database", Err: dbErr, Critical: true}, {Name: "redis", Err: redisErr, Critical: true}}, http.StatusServiceUnavailable, "not ready",
			map[string]string{"database": "unavailable", "redis": "unavailable"}, []string{"database", "redis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			b := setup(t, func(a *handlers.API) {
				a.Ready = func(context.Context) []handlers.Check { return tt.checks }
				a.Log = slog.New(&rec)
			})
			raw := b.do(t, http.MethodGet, "/readyz", nil, withKey(""))
			for _, detail := range []string{"internal.example", "10.1.2.3", "contacthub", "refused", "dial"} {
				if strings.Contains(raw.Body.String(), detail) {
					t.Errorf("/readyz shows %q: %s", detail, raw.Body)
				}
			}
			var body struct {
				Status string
				Checks map[string]string
			}
			b.call(t, http.MethodGet, "/readyz", nil, tt.status, &body, withKey(""))
			if body.Status != tt.state || len(body.Checks) != len(tt.want) {
				t.Fatalf("/readyz = %+v, want %s with %v", body, tt.state, tt.want)
			}
			for name, state := range tt.want {
				if body.Checks[name] != state {
					t.Errorf("check %s = %q, want %q", name, body.Checks[name], state)
				}
			}
			logged := rec.errorsOf()
			if len(logged) != len(tt.wantLogged) {
				t.Errorf("logged errors %v, want one for each of %v", logged, tt.wantLogged)
			}
			for _, name := range tt.wantLogged {
				if logged[name] == nil {
					t.Errorf("the error of %s was not logged", name)
				}
			}
		})
	}
}
