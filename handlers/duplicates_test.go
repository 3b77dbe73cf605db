package handlers_test

import (
	"net/http"
	"slices"
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

// TestMergeEdgeDuplicatesEndpoint: validation of the duplicate search, and that it
// never writes and never lists another tenant's or an absorbed contact.
func TestMergeEdgeDuplicatesEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mgeNew(t, map[string]any{"mail": "dup@example.com", "first_name": "Hans", "family_name": "Meier"})
	s := b.mgeNew(t, map[string]any{"mail": "dup@example.com", "first_name": "Hans", "family_name": "Maier"})
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"both", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "contact_id": a}, 422, []string{"contact"}},
		{"limit 0 is the default, 101 too many", map[string]any{"contact_id": a, "limit": 101}, 422, []string{"limit"}},
		{"negative limit", map[string]any{"contact_id": a, "limit": -1}, 422, []string{"limit"}},
		{"limit string", `{"contact_id": 1, "limit": "5"}`, 422, []string{"limit"}},
		{"unknown field", map[string]any{"contact": map[string]any{"mail": "x@example.com", "nick": "x"}}, 422, []string{"contact.nick"}},
		{"no identity", map[string]any{"contact": map[string]any{"company": "ACME"}}, 422, []string{"contact.mail"}},
		{"unknown option", map[string]any{"contact_id": a, "max": 3}, 422, []string{"max"}},
		{"unknown contact", map[string]any{"contact_id": 987654321}, 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", tc.body, tc.status)
			if tc.fields != nil && !slices.Equal(e.fields(), tc.fields) {
				t.Fatalf("fields %v, want %v", e.fields(), tc.fields)
			}
		})
	}
	t.Run("bad contact and bad limit together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "not-a-mail", "first_name": "X"}, "limit": 500}, 422)
		got := e.fields()
		slices.Sort(got)
		if !slices.Equal(got, []string{"contact.mail", "limit"}) {
			t.Fatalf("fields %v, want contact.mail and limit", got)
		}
	})
	type cands struct {
		Candidates []struct {
			ID int64 `json:"id"`
		} `json:"candidates"`
	}
	var out cands
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "DUP@example.com"}, "limit": 1}, http.StatusOK, &out)
	if len(out.Candidates) != 1 {
		t.Fatalf("limit 1: %+v", out)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": a}, http.StatusOK, &out)
	if len(out.Candidates) != 1 || out.Candidates[0].ID != s {
		t.Fatalf("duplicates of %d: %+v", a, out)
	}
	b.mgeMerge(t, a, s, nil)
	b.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "dup@example.com"}}, http.StatusOK, &out)
	if len(out.Candidates) != 1 || out.Candidates[0].ID != a {
		t.Fatalf("after merge: %+v", out)
	}
	b.fail(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact_id": s}, http.StatusNotFound)
	other := setup(t)
	other.call(t, http.MethodPost, "/api/v1/contacts/duplicates", map[string]any{"contact": map[string]any{"mail": "dup@example.com"}}, http.StatusOK, &out)
	if len(out.Candidates) != 0 {
		t.Fatalf("other tenant sees %+v", out)
	}
}
