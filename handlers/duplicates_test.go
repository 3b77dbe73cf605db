package handlers_test

import (
	"net/http"
	"testing"
)

func TestDuplicatesEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var a nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "dupe@example.com", "first_name": "Hans", "family_name": "Meier"}}, http.StatusCreated, &a)
	var out struct {
		Threshold  float64 `json:"threshold"`
		Candidates []struct {
			ID      int64          `json:"id"`
			Score   float64        `json:"score"`
			Match   bool           `json:"match"`
			Contact map[string]any `json:"contact"`
		} `json:"candidates"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "Dupe@Example.com", "first_name": "Hans", "family_name": "Maier"}}, http.StatusOK, &out)
	if len(out.Candidates) != 1 || out.Candidates[0].ID != a.ID || !out.Candidates[0].Match || out.Threshold == 0 {
		t.Fatalf("duplicates = %+v", out)
	}
	// By id: the stored contact itself is not its own duplicate.
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": a.ID}, http.StatusOK, &out)
	if len(out.Candidates) != 0 {
		t.Fatalf("duplicates of itself = %+v", out.Candidates)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{}, http.StatusUnprocessableEntity, nil)
	setup(t).call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": a.ID}, http.StatusNotFound, nil)
	// Nothing was written: still one contact with that mail.
	var found []map[string]any
	b.call(t, http.MethodGet, "/public/api/V1/contact/dupe@example.com", nil, http.StatusOK, &found)
	if len(found) != 1 {
		t.Fatalf("contacts with the mail: %d", len(found))
	}
}
