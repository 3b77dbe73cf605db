package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// eventsSince lists the types of the tenant's events written after event id after,
// straight from the outbox table (the feed itself may wait for other tests'
// transactions), in id order, and the highest id.
func (b *bundle) eventsSince(t *testing.T, after int64) ([]string, int64) {
	t.Helper()
	rows, err := b.st.DB().Query(rebind("SELECT id, type FROM events WHERE tenant_id = ? AND id > ? ORDER BY id"), b.tenant.ID, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var types []string
	last := after
	for rows.Next() {
		var id int64
		var typ string
		if err := rows.Scan(&id, &typ); err != nil {
			t.Fatal(err)
		}
		types, last = append(types, typ), id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return types, last
}

// TestEveryMutationWritesOneEventPerChangedEntity drives every mutating route and
// checks the events each wrote in its transaction: exactly one per entity it changed,
// none for a refused request or a request that changed nothing.
func TestEveryMutationWritesOneEventPerChangedEntity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := "/public/api/V1"
	var last int64
	var ids struct{ a, b, c, d, term, comment int64 }
	var mergeID string
	type step struct {
		name   string
		method string
		path   func() string
		body   func() any
		status int
		events []string
		after  func(t *testing.T, body []byte)
	}
	idOf := func(dst *int64) func(*testing.T, []byte) {
		return func(t *testing.T, body []byte) {
			var out struct {
				ID        int64 `json:"id"`
				CommentID int64 `json:"comment_id"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			*dst = max(out.ID, out.CommentID)
		}
	}
	path := func(format string, args ...func() int64) func() string {
		return func() string {
			vals := make([]any, len(args))
			for i, a := range args {
				vals[i] = a()
			}
			return fmt.Sprintf(format, vals...)
		}
	}
	get := func(p *int64) func() int64 { return func() int64 { return *p } }
	fixed := func(v any) func() any { return func() any { return v } }
	steps := []step{
		{"create (web form)", "POST", path(q + "/contact"), fixed(map[string]any{"contact": map[string]any{"mail": "ev-a@example.com", "first_name": "Eva"}, "duplicate_check_method": "email"}),
			200, []string{"contact.created"}, idOf(&ids.a)},
		{"create that merges into a", "POST", path(q + "/contact"), fixed(map[string]any{"contact": map[string]any{"mail": "EV-A@example.com", "family_name": "Vogel"}, "duplicate_check_method": "email"}),
			200, []string{"contact.updated"}, nil},
		{"create refused: no identity", "POST", path(q + "/contact"), fixed(map[string]any{"contact": map[string]any{"first_name": "Nobody"}}),
			422, nil, nil},
		{"bulk: two new, one invalid", "POST", path(q + "/contacts"), fixed(map[string]any{"contacts": []any{
			map[string]any{"mail": "ev-b@example.com"}, map[string]any{"mail": "ev-c@example.com"}, map[string]any{"first_name": "x"}}, "duplicate_check_method": "email"}),
			200, []string{"contact.created", "contact.created"}, nil},
		{"native create", "POST", path("/api/v1/contacts"), fixed(map[string]any{"contact": map[string]any{"first_name": "Dora", "family_name": "Dachs", "phone": "+49 30 1234567"}}),
			201, []string{"contact.created"}, idOf(&ids.b)},
		{"native create c", "POST", path("/api/v1/contacts"), fixed(map[string]any{"contact": map[string]any{"first_name": "Carl", "mail": "ev-carl@example.com"}, "duplicate_check_method": "none"}),
			201, []string{"contact.created"}, idOf(&ids.c)},
		{"PUT a", "PUT", path(q+"/contact/%d", get(&ids.a)), fixed(map[string]any{"job_title": "Pilotin"}), 200, []string{"contact.updated"}, nil},
		{"PUT a refused", "PUT", path(q+"/contact/%d", get(&ids.a)), fixed(map[string]any{"mail": "not a mail"}), 422, nil, nil},
		{"PUT unknown contact", "PUT", path(q + "/contact/999999999"), fixed(map[string]any{"job_title": "x"}), 404, nil, nil},
		{"create term", "POST", path(q + "/terms"), fixed(map[string]any{"name": "Event-VIP"}), 200, []string{"term.created"}, idOf(&ids.term)},
		{"create the same term again", "POST", path(q + "/terms"), fixed(map[string]any{"name": "event-vip"}), 200, nil, nil},
		{"update term", "PUT", path(q+"/terms/%d", get(&ids.term)), fixed(map[string]any{"description": "paying"}), 200, []string{"term.updated"}, nil},
		{"add term to a", "PUT", path(q+"/contact/%d/terms", get(&ids.a)), func() any { return []int64{ids.term} }, 200, []string{"contact.updated"}, nil},
		{"add it again: no change", "PUT", path(q+"/contact/%d/terms", get(&ids.a)), func() any { return []int64{ids.term} }, 200, nil, nil},
		{"add unknown term", "PUT", path(q+"/contact/%d/terms", get(&ids.a)), fixed([]int64{999999999}), 422, nil, nil},
		{"remove term from a", "DELETE", path(q+"/contact/%d/terms", get(&ids.a)), func() any { return []int64{ids.term} }, 200, []string{"contact.updated"}, nil},
		{"set terms of a and c", "POST", path(q+"/contact/%d/terms", get(&ids.a)), func() any { return []int64{ids.term} }, 200, []string{"contact.updated"}, nil},
		{"set terms of c", "POST", path(q+"/contact/%d/terms", get(&ids.c)), func() any { return []int64{ids.term} }, 200, []string{"contact.updated"}, nil},
		{"add comment", "POST", path(q+"/contact/%d/comments", get(&ids.a)), fixed(map[string]any{"comment": "called back"}), 200, []string{"comment.created"}, idOf(&ids.comment)},
		{"update comment", "PUT", path(q+"/contact/%d/comments", get(&ids.a)), func() any { return map[string]any{"id": ids.comment, "comment": "called twice"} }, 200, []string{"comment.updated"}, nil},
		{"delete comment", "DELETE", path(q+"/contact/%d/comments", get(&ids.a)), func() any { return []int64{ids.comment} }, 200, []string{"comment.deleted"}, nil},
		{"delete unknown comment", "DELETE", path(q+"/contact/%d/comments", get(&ids.a)), fixed([]int64{999999999}), 404, nil, nil},
		{"create custom field", "POST", path(q + "/custom-fields"), fixed(map[string]any{"label": "Eventplan", "field_type": "text"}), 200, []string{"custom_field.created"}, nil},
		{"update custom field", "PUT", path(q + "/custom-fields/eventplan"), fixed(map[string]any{"description": "which plan"}), 200, []string{"custom_field.updated"}, nil},
		{"set custom value on a", "PUT", path(q+"/contact/%d", get(&ids.a)), fixed(map[string]any{"field_eventplan": "gold"}), 200, []string{"contact.updated"}, nil},
		{"delete custom field: a loses its value", "DELETE", path(q + "/custom-fields/eventplan"), nil, 200, []string{"contact.updated", "custom_field.deleted"}, nil},
		{"delete term: a and c lose it", "DELETE", path(q+"/terms/%d", get(&ids.term)), nil, 200, []string{"contact.updated", "contact.updated", "term.deleted"}, nil},
		{"merge c into a", "POST", path("/api/v1/contacts/merge"), func() any { return map[string]any{"target_id": ids.a, "source_id": ids.c} }, 200, []string{"contact.merged"},
			func(t *testing.T, body []byte) {
				var out struct {
					MergeID string `json:"merge_id"`
				}
				if err := json.Unmarshal(body, &out); err != nil || out.MergeID == "" {
					t.Fatalf("merge answer %s: %v", body, err)
				}
				mergeID = out.MergeID
			}},
		{"merge refused: same contact", "POST", path("/api/v1/contacts/merge"), func() any { return map[string]any{"target_id": ids.a, "source_id": ids.a} }, 422, nil, nil},
		{"undo the merge", "POST", func() string { return "/api/v1/merges/" + mergeID + "/undo" }, nil, 200, []string{"merge.undone"}, nil},
		{"undo again refused", "POST", func() string { return "/api/v1/merges/" + mergeID + "/undo" }, nil, 409, nil, nil},
		{"delete b", "DELETE", path(q+"/contact/%d", get(&ids.b)), nil, 200, []string{"contact.deleted"}, nil},
		{"delete b again", "DELETE", path(q+"/contact/%d", get(&ids.b)), nil, 404, nil, nil},
	}
	for _, s := range steps {
		var body any
		if s.body != nil {
			body = s.body()
		}
		rec := b.do(t, s.method, s.path(), body)
		if rec.Code != s.status {
			t.Fatalf("%s: status %d, want %d; body %s", s.name, rec.Code, s.status, rec.Body)
		}
		if s.after != nil {
			s.after(t, rec.Body.Bytes())
		}
		var got []string
		got, last = b.eventsSince(t, last)
		slices.Sort(got)
		if !slices.Equal(got, s.events) {
			t.Errorf("%s: events %v, want %v", s.name, got, s.events)
		}
	}
}

// TestChangeFeedPagesTheTenantsEvents reads the feed over HTTP: the events of the
// tenant's writes in order, with their data in the wire form, filtered by pattern,
// and nothing of another tenant.
func TestChangeFeedPagesTheTenantsEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := setup(t)
	id := b.createContact(t, map[string]any{"mail": "feed@example.com", "first_name": "Fee"})
	other.createContact(t, map[string]any{"mail": "feed@example.com", "first_name": "Other"})
	b.call(t, http.MethodPost, "/public/api/V1/terms", map[string]any{"name": "feed-term"}, http.StatusOK, nil)
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(id), nil, http.StatusOK, nil)

	type event struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	type page struct {
		Events  []event `json:"events"`
		Next    string  `json:"next"`
		HasMore bool    `json:"has_more"`
	}
	var all []event
	after := ""
	deadline := time.Now().Add(30 * time.Second)
	for len(all) < 3 && time.Now().Before(deadline) {
		var p page
		b.call(t, http.MethodGet, "/api/v1/events?limit=2&after="+after, nil, http.StatusOK, &p)
		all = append(all, p.Events...)
		after = p.Next
		if len(p.Events) == 0 {
			time.Sleep(5 * time.Millisecond) // another test's transaction holds the feed back
		}
	}
	var types []string
	for _, e := range all {
		types = append(types, e.Type)
	}
	if strings.Join(types, " ") != "contact.created term.created contact.deleted" {
		t.Fatalf("feed = %v", types)
	}
	var created struct {
		V         int    `json:"v"`
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		Mail      string `json:"mail"`
	}
	if err := json.Unmarshal(all[0].Data, &created); err != nil || created.V != 1 || created.ID != id || created.FirstName != "Fee" || created.Mail != "feed@example.com" {
		t.Fatalf("contact.created data %s: %+v %v", all[0].Data, created, err)
	}
	var p page
	b.call(t, http.MethodGet, "/api/v1/events?types=contact.*", nil, http.StatusOK, &p)
	for _, e := range p.Events {
		if !strings.HasPrefix(e.Type, "contact.") {
			t.Fatalf("types=contact.* gave %s", e.Type)
		}
	}
	for _, bad := range []string{"limit=0", "limit=1001", "after=zzz", "after=1-", "types=contact.nope", "types=*.created"} {
		e := b.fail(t, http.MethodGet, "/api/v1/events?"+bad, nil, http.StatusUnprocessableEntity)
		if len(e.fields()) != 1 || e.fields()[0] != strings.Split(bad, "=")[0] {
			t.Errorf("%s: fields %v", bad, e.fields())
		}
	}
}
