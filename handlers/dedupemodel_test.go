package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/store/storetest"
)

// The model routes: the defaults of a new tenant, a training refused below the
// minimum size naming why, rollback requests checked field by field, and a version
// the tenant does not have answering 404.
func TestDedupeModelRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var view struct {
		ActiveVersion int `json:"active_version"`
		MinContacts   int `json:"min_contacts"`
		Model         struct {
			Version int `json:"version"`
			Fields  []struct {
				Field  string `json:"field"`
				Levels []struct {
					Level  string  `json:"level"`
					Weight float64 `json:"weight"`
				} `json:"levels"`
			} `json:"fields"`
		} `json:"model"`
		Versions []any `json:"versions"`
	}
	b.call(t, http.MethodGet, "/api/v1/dedupe/model", nil, http.StatusOK, &view)
	if view.ActiveVersion != 0 || view.Model.Version != 0 || len(view.Versions) != 0 || view.MinContacts != 1000 || len(view.Model.Fields) < 10 {
		t.Fatalf("a new tenant's model: %+v", view)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
		mention      string
	}{
		{http.MethodPost, "/api/v1/dedupe/train", nil, http.StatusUnprocessableEntity, `"contacts"`},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{}, http.StatusUnprocessableEntity, `"to"`},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"to": "sideways"}, http.StatusUnprocessableEntity, `"to"`},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"to": "previous"}, http.StatusUnprocessableEntity, "defaults"},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"to": "defaults", "version": 1}, http.StatusUnprocessableEntity, `"version"`},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"version": -1}, http.StatusUnprocessableEntity, `"version"`},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"version": 3}, http.StatusNotFound, "version 3"},
		{http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"to": "defaults", "colour": "red"}, http.StatusUnprocessableEntity, "colour"},
	} {
		rec := b.do(t, tc.method, tc.path, tc.body)
		if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.mention) {
			t.Errorf("%s %s %v: %d %s; want %d mentioning %s", tc.method, tc.path, tc.body, rec.Code, rec.Body, tc.want, tc.mention)
		}
	}
	b.call(t, http.MethodPost, "/api/v1/dedupe/model/rollback", map[string]any{"to": "defaults"}, http.StatusOK, &view)
	if view.ActiveVersion != 0 {
		t.Errorf("rollback to the defaults: active %d", view.ActiveVersion)
	}
}

// Scan routes: a scan starts (202) and is followed by id; a second one waits (409);
// a bad action names the field; another tenant's scan answers 404.
func TestDuplicateScanRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := storetest.NewTenant(t, b.st)
	rec := b.do(t, http.MethodPost, "/api/v1/duplicates/scan", map[string]any{"action": "shuffle"})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"action"`) {
		t.Fatalf("bad action: %d %s", rec.Code, rec.Body)
	}
	var started struct {
		Scan struct {
			ID     int64  `json:"id"`
			Action string `json:"action"`
			Status string `json:"status"`
			Total  int64  `json:"total"`
		} `json:"scan"`
	}
	b.call(t, http.MethodPost, "/api/v1/duplicates/scan", nil, http.StatusAccepted, &started)
	if started.Scan.ID == 0 || started.Scan.Action != "review" || started.Scan.Status != "running" {
		t.Fatalf("started %+v", started)
	}
	if rec := b.do(t, http.MethodPost, "/api/v1/duplicates/scan", map[string]any{"action": "merge"}); rec.Code != http.StatusConflict {
		t.Fatalf("second scan: %d %s, want 409", rec.Code, rec.Body)
	}
	path := fmt.Sprintf("/api/v1/duplicates/scans/%d", started.Scan.ID)
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &started)
	if rec := b.do(t, http.MethodGet, path, nil, withKey(other.Key)); rec.Code != http.StatusNotFound {
		t.Fatalf("another tenant's scan: %d %s", rec.Code, rec.Body)
	}
}
