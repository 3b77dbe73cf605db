package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{
		"/public/api/V1/check-credentials",
		"/public/api/v1/check-credentials",
		"/public/api/V1/check-credentials/",
		"/public/api/v1/check-credentials/",
	} {
		var out struct{ Success bool }
		b.call(t, http.MethodGet, path, nil, http.StatusOK, &out)
		if !out.Success {
			t.Errorf("GET %s = %+v, want success true", path, out)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var health struct{ Status string }
	b.call(t, http.MethodGet, "/healthz", nil, http.StatusOK, &health, withKey(""))
	if health.Status != "ok" {
		t.Errorf("healthz = %+v", health)
	}
	var ready struct{ Status string }
	b.call(t, http.MethodGet, "/readyz", nil, http.StatusOK, &ready, withKey(""))
	if ready.Status != "ready" {
		t.Errorf("readyz = %+v", ready)
	}
}

// TestCreateContactPaths posts to every spelling Quentn clients use: V1 and v1, with and
// without the trailing slash the PHP SDK adds.
func TestCreateContactPaths(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, path := range []string{
		"/public/api/V1/contact",
		"/public/api/v1/contact",
		"/public/api/V1/contact/",
		"/public/api/v1/contact/",
	} {
		mail := fmt.Sprintf("path%d@example.com", i)
		var out struct{ ID int64 }
		b.call(t, http.MethodPost, path, map[string]any{"contact": map[string]any{"mail": mail}}, http.StatusOK, &out)
		var got contact
		b.call(t, http.MethodGet, fmt.Sprintf("/public/api/v1/contact/%d/", out.ID), nil, http.StatusOK, &got)
		if got.ID != out.ID || got.Mail != mail {
			t.Errorf("POST %s: read back %+v, want id %d mail %s", path, got, out.ID, mail)
		}
	}
}

// TestCreateContactSeedExample replays seed 001's POST contact and PUT contact examples,
// without the trailing commas (real clients send strict JSON; errors_test.go checks that
// the verbatim examples answer 400 with the position).
func TestCreateContactSeedExample(t *testing.T) {
	t.Parallel()
	b := setup(t)
	create := `{
"contact" : {
"first_name" : "John",
"family_name" : "Doe",
"mail" : "johndoe@example.com",
"request_ip" : "123.123.123.123"
},
"duplicate_check_method" : "email",
"duplicate_merge_method" : "update_add",
"return_fields" : [
"mail_status","mail","first_name","family_name"
],
"flood_limit" : 5,
"spam_protection" : true
}`
	var created map[string]any
	b.call(t, http.MethodPost, "/public/api/V1/contact", create, http.StatusOK, &created)
	id := int64(created["id"].(float64))
	want := map[string]any{"id": float64(id), "mail_status": float64(0), "mail": "johndoe@example.com", "first_name": "John", "family_name": "Doe"}
	if !reflect.DeepEqual(created, want) {
		t.Fatalf("POST contact = %v, want %v", created, want)
	}
	// The same submission again is a duplicate by mail: same id.
	var again struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", create, http.StatusOK, &again)
	if again.ID != id {
		t.Fatalf("second POST id %d, want %d", again.ID, id)
	}

	// GET contact/<id>?fields=family_name,phone,mail (the seed's fields example).
	var got map[string]any
	b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=family_name,phone,mail", id), nil, http.StatusOK, &got)
	if want := map[string]any{"id": float64(id), "family_name": "Doe", "phone": "", "mail": "johndoe@example.com"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("GET = %v, want %v", got, want)
	}

	update := `{
"first_name": "John",
"family_name": "Doe",
"mail": "johndoe@example.com",
"return_fields" : [
"mail_status","mail","first_name","family_name"
]
}`
	var updated map[string]any
	b.call(t, http.MethodPut, fmt.Sprintf("/public/api/V1/contact/%d", id), update, http.StatusOK, &updated)
	if want := map[string]any{"success": true, "id": float64(id), "mail_status": float64(0), "mail": "johndoe@example.com", "first_name": "John", "family_name": "Doe"}; !reflect.DeepEqual(updated, want) {
		t.Fatalf("PUT = %v, want %v", updated, want)
	}

	var deleted struct{ Success bool }
	b.call(t, http.MethodDelete, fmt.Sprintf("/public/api/V1/contact/%d", id), nil, http.StatusOK, &deleted)
	if !deleted.Success {
		t.Fatalf("DELETE = %+v", deleted)
	}
}

func TestCreateContactDuplicateCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		check     string // "" sends no duplicate_check_method (auto)
		second    map[string]any
		wantMerge bool
	}{
		{"email", map[string]any{"mail": " JANE@Example.com "}, true},
		{"email", map[string]any{"mail": "other@example.com", "first_name": "Jane", "family_name": "Doe"}, false},
		{"none", map[string]any{"mail": "jane@example.com", "first_name": "Jane", "family_name": "Doe"}, false},
		{"auto", map[string]any{"mail": "Jane@example.com", "first_name": "Jane", "family_name": "Doe"}, true},
		{"", map[string]any{"mail": "jane@example.com", "first_name": "Jane", "family_name": "Doe"}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.check, tt.second["mail"]), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			first := b.createContact(t, map[string]any{"mail": "jane@example.com", "first_name": "Jane", "family_name": "Doe"})
			body := map[string]any{"contact": tt.second}
			if tt.check != "" {
				body["duplicate_check_method"] = tt.check
			}
			var out struct{ ID int64 }
			b.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusOK, &out)
			if merged := out.ID == first; merged != tt.wantMerge {
				t.Fatalf("second POST id %d (first %d): merged %v, want %v", out.ID, first, merged, tt.wantMerge)
			}
		})
	}
}

// TestCreateContactMergeMethods checks the three merge methods exactly as documented on
// models.Contact.Apply, for text fields, terms and a multi-select custom field.
func TestCreateContactMergeMethods(t *testing.T) {
	t.Parallel()
	type view struct {
		FirstName  string   `json:"first_name"`
		FamilyName string   `json:"family_name"`
		Company    string   `json:"company"`
		JobTitle   string   `json:"job_title"`
		Terms      []int64  `json:"terms"`
		Tags       []string `json:"field_tags"`
	}
	tests := []struct {
		method string
		want   func(t1, t2 int64) view
	}{
		// Submitted non-empty values overwrite, sent-empty ones are ignored, lists unioned.
		{"update_add", func(t1, t2 int64) view {
			return view{"Janet", "Doe", "Acme", "CTO", []int64{t1, t2}, []string{"a", "b"}}
		}},
		// Every submitted value overwrites (empty clears), lists replaced.
		{"update", func(t1, t2 int64) view { return view{"Janet", "Doe", "", "CTO", []int64{t2}, []string{"b"}} }},
		// Only empty fields are filled; lists gain what they lack.
		{"add", func(t1, t2 int64) view {
			return view{"Jane", "Doe", "Acme", "CTO", []int64{t1, t2}, []string{"a", "b"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Tags", "field_type": "selection", "multiple": true, "options": []string{"a", "b", "c"}}, http.StatusOK, nil)
			t1, t2 := b.newTerm(t, "one"), b.newTerm(t, "two")
			id := b.createContact(t, map[string]any{"mail": "merge@example.com", "first_name": "Jane", "family_name": "Doe", "company": "Acme", "terms": []int64{t1}, "field_tags": []string{"a"}})
			var out struct{ ID int64 }
			b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{
				"contact":                map[string]any{"mail": "MERGE@example.com", "first_name": "Janet", "company": "", "job_title": "CTO", "terms": []int64{t2}, "field_tags": []string{"b"}},
				"duplicate_check_method": "email",
				"duplicate_merge_method": tt.method,
			}, http.StatusOK, &out)
			if out.ID != id {
				t.Fatalf("merged into %d, want %d", out.ID, id)
			}
			var got view
			b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=first_name,family_name,company,job_title,terms,field_tags", id), nil, http.StatusOK, &got)
			if want := tt.want(t1, t2); !reflect.DeepEqual(got, want) {
				t.Fatalf("after %s merge: %+v, want %+v", tt.method, got, want)
			}
		})
	}
}

// TestMergeKeepsWithdrawnConsent: no merge method turns an unsubscribed, spam or
// blocked mail_status back into a permissive one; an explicit PUT may.
func TestMergeKeepsWithdrawnConsent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method      string
		have, send  int
		wantAfter   int
		description string
	}{
		{"update_add", 5, 1, 5, "unsubscribed stays"},
		{"update", 6, 2, 6, "spam stays"},
		{"add", 7, 1, 7, "blocked stays"},
		{"update", 5, 7, 7, "restrictive may replace restrictive"},
		{"update_add", 2, 1, 1, "permissive replaced"},
		{"update_add", 2, 0, 2, "unknown does not overwrite"},
		{"add", 2, 1, 2, "add never overwrites"},
		{"add", 0, 1, 1, "add fills unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.createContact(t, map[string]any{"mail": "consent@example.com", "mail_status": tt.have})
			b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{
				"contact":                map[string]any{"mail": "consent@example.com", "mail_status": tt.send},
				"duplicate_check_method": "email", "duplicate_merge_method": tt.method,
			}, http.StatusOK, nil)
			var got contact
			b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=mail_status", id), nil, http.StatusOK, &got)
			if got.MailStatus != tt.wantAfter {
				t.Fatalf("%s merge of %d into %d: mail_status %d, want %d", tt.method, tt.send, tt.have, got.MailStatus, tt.wantAfter)
			}
		})
	}
	t.Run("explicit PUT records a new opt-in", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := b.createContact(t, map[string]any{"mail": "put-consent@example.com", "mail_status": 5})
		b.call(t, http.MethodPut, fmt.Sprintf("/public/api/V1/contact/%d", id), map[string]any{"mail_status": 1}, http.StatusOK, nil)
		var got contact
		b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=mail_status", id), nil, http.StatusOK, &got)
		if got.MailStatus != 1 {
			t.Fatalf("mail_status after PUT = %d, want 1", got.MailStatus)
		}
	})
}

func TestCreateContactReturnFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Budget", "field_type": "integer"}, http.StatusOK, nil)
	term := b.newTerm(t, "lead")
	before := time.Now().Add(-time.Minute).Unix()
	var out map[string]any
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{
		"contact":       map[string]any{"mail": "rf@example.com", "first_name": "Rita", "terms": []int64{term}, "field_budget": 1200, "mail_status": 2},
		"return_fields": []string{"mail_status", "mail", "first_name", "family_name", "terms", "field_budget", "created"},
	}, http.StatusOK, &out)
	created, _ := out["created"].(float64)
	if int64(created) < before || int64(created) > time.Now().Unix()+1 {
		t.Fatalf("created = %v, want a unix time of now", out["created"])
	}
	delete(out, "created")
	want := map[string]any{"id": out["id"], "mail_status": float64(2), "mail": "rf@example.com", "first_name": "Rita", "family_name": "",
		"terms": []any{float64(term)}, "field_budget": float64(1200)}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("POST answer = %v, want %v", out, want)
	}
	// Without return_fields the answer is the id alone.
	var bare map[string]any
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "bare@example.com"}}, http.StatusOK, &bare)
	if len(bare) != 1 || bare["id"] == nil {
		t.Fatalf("POST without return_fields = %v, want only id", bare)
	}
}

// TestCreateContactComment: contact.comment adds a comment, also when the submission
// merges into an existing contact.
func TestCreateContactComment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := func(text string) map[string]any {
		return map[string]any{"contact": map[string]any{"mail": "comment@example.com", "comment": text}, "duplicate_check_method": "email"}
	}
	var first, second struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", body("first note\nwith two lines"), http.StatusOK, &first)
	b.call(t, http.MethodPost, "/public/api/V1/contact", body("second note"), http.StatusOK, &second)
	if first.ID != second.ID {
		t.Fatalf("ids %d and %d, want one contact", first.ID, second.ID)
	}
	got := b.queryStrings(t, "SELECT comment FROM comments WHERE tenant_id = ? AND contact_id = ? ORDER BY id", b.tenant.ID, first.ID)
	if want := []string{"first note\nwith two lines", "second note"}; !slices.Equal(got, want) {
		t.Fatalf("comments = %q, want %q", got, want)
	}
	// PUT with a comment adds one too.
	b.call(t, http.MethodPut, fmt.Sprintf("/public/api/V1/contact/%d", first.ID), map[string]any{"comment": "third"}, http.StatusOK, nil)
	if got := b.queryStrings(t, "SELECT comment FROM comments WHERE tenant_id = ? AND contact_id = ? ORDER BY id", b.tenant.ID, first.ID); len(got) != 3 {
		t.Fatalf("comments after PUT = %q, want 3", got)
	}
}

// TestCreateContactQntn covers the WordPress plugin's qntn object: contacthub answers
// the URL to redirect the visitor to.
func TestCreateContactQntn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		contact map[string]any
		qntn    map[string]any
		want    any // redirection_url in the answer; nil when absent
	}{
		{"plain", map[string]any{"mail": "q1@example.com"}, map[string]any{"redirection_url": "https://example.com/thanks"}, "https://example.com/thanks"},
		{"not confirmed uses the plain url", map[string]any{"mail": "q2@example.com", "mail_status": 2},
			map[string]any{"redirection_url": "https://example.com/confirm", "redirection_url_confirmed": "https://example.com/welcome"}, "https://example.com/confirm"},
		{"confirmed uses the confirmed url", map[string]any{"mail": "q3@example.com", "mail_status": 1},
			map[string]any{"redirection_url": "https://example.com/confirm", "redirection_url_confirmed": "https://example.com/welcome"}, "https://example.com/welcome"},
		{"append contact info", map[string]any{"mail": "q+4@example.com", "first_name": "Jo", "family_name": "Doe Smith"},
			map[string]any{"redirection_url": "https://example.com/thanks?src=form", "append_contact_info": true},
			"https://example.com/thanks?family_name=Doe+Smith&first_name=Jo&mail=q%2B4%40example.com&src=form"},
		{"no url", map[string]any{"mail": "q5@example.com"}, map[string]any{"append_contact_info": true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			var out map[string]any
			b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": tt.contact, "qntn": tt.qntn}, http.StatusOK, &out)
			if out["id"] == nil || out["redirection_url"] != tt.want {
				t.Fatalf("answer = %v, want redirection_url %v", out, tt.want)
			}
		})
	}
}

func TestCreateContactRequestIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, ip := range []string{"123.123.123.123", "2001:db8::1", ""} {
		b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": fmt.Sprintf("ip%d@example.com", i), "request_ip": ip}}, http.StatusOK, nil)
	}
	for _, ip := range []string{"999.1.1.1", "1.2.3", "localhost", "fe80::1%eth0"} {
		e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "badip@example.com", "request_ip": ip}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.request_ip"}) {
			t.Errorf("request_ip %q: errors %+v", ip, e.Errors)
		}
	}
}

// TestCreateContactIdentity: a contact needs a valid mail, or a full postal address
// with both names.
func TestCreateContactIdentity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	address := map[string]any{"first_name": "Max", "family_name": "Muster", "ba_street": "Hauptstr. 1", "ba_city": "Berlin", "ba_postal_code": "10115"}
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": address}, http.StatusOK, &out)
	got := b.getFields(t, out.ID, "first_name,ba_city,mail")
	if got["ba_city"] != "Berlin" || got["mail"] != "" {
		t.Fatalf("address contact = %v", got)
	}
	partial := map[string]any{"first_name": "Max", "family_name": "Muster", "ba_city": "Berlin"}
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": partial}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"contact.mail"}) {
		t.Fatalf("partial address: errors %+v", e.Errors)
	}
	for _, body := range []any{map[string]any{}, map[string]any{"contact": nil}, map[string]any{"contact": map[string]any{}}} {
		e := b.fail(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusUnprocessableEntity)
		if f := e.fields(); len(f) != 1 || !strings.HasPrefix(f[0], "contact") {
			t.Errorf("body %v: errors %+v, want one naming contact", body, e.Errors)
		}
	}
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "get@example.com", "first_name": "Gert", "family_name": "Getter", "phone": "+49 30 1234567", "company": "Acme"})
	base := fmt.Sprintf("/public/api/V1/contact/%d", id)
	tests := []struct {
		query string
		want  map[string]any
	}{
		{"", map[string]any{"id": float64(id), "first_name": "Gert", "family_name": "Getter", "mail": "get@example.com"}},
		{"?fields=", map[string]any{"id": float64(id), "first_name": "Gert", "family_name": "Getter", "mail": "get@example.com"}},
		{"?fields=family_name,phone,mail", map[string]any{"id": float64(id), "family_name": "Getter", "phone": "+49 30 1234567", "mail": "get@example.com"}},
		{"?fields=company", map[string]any{"id": float64(id), "company": "Acme"}},
		{"?fields=id", map[string]any{"id": float64(id)}},
		{"?fields=terms,uid,owner", map[string]any{"id": float64(id), "terms": []any{}, "uid": float64(0), "owner": map[string]any{"uid": float64(0)}}},
		{"?fields=+company+,,mail", map[string]any{"id": float64(id), "company": "Acme", "mail": "get@example.com"}},
	}
	for _, tt := range tests {
		var got map[string]any
		b.call(t, http.MethodGet, base+tt.query, nil, http.StatusOK, &got)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("GET %s = %v, want %v", tt.query, got, tt.want)
		}
	}
	var times map[string]float64
	b.call(t, http.MethodGet, base+"?fields=created,changed", nil, http.StatusOK, &times)
	if now := float64(time.Now().Unix()); times["created"] < now-60 || times["changed"] < times["created"] {
		t.Errorf("created/changed = %v", times)
	}
}

// TestGetContactByMail: a mail answers an array of every contact with that address,
// ignoring case, with "+" unencoded (as the PHP SDK sends it) or %2B-encoded.
func TestGetContactByMail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.createContact(t, map[string]any{"mail": "Anna+news@Example.com", "first_name": "Anna"})
	second := b.createContact(t, map[string]any{"mail": "anna+news@example.com", "first_name": "Anna B"})
	b.createContact(t, map[string]any{"mail": "anna@example.com"})
	want := []contact{{ID: first, Mail: "Anna+news@Example.com"}, {ID: second, Mail: "anna+news@example.com"}}
	for _, path := range []string{
		"/public/api/V1/contact/anna+news@example.com?fields=mail",
		"/public/api/V1/contact/anna%2Bnews@example.com?fields=mail",
		"/public/api/V1/contact/anna%2bnews%40example.com?fields=mail",
		"/public/api/v1/contact/ANNA+NEWS@EXAMPLE.COM/?fields=mail",
		"/public/api/v1/contact/anna%2Bnews@example.com?fields=mail",
	} {
		var got []contact
		b.call(t, http.MethodGet, path, nil, http.StatusOK, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s = %+v, want %+v", path, got, want)
		}
	}
	// One match is still an array, with the default fields.
	var one []map[string]any
	b.call(t, http.MethodGet, "/public/api/V1/contact/anna@example.com", nil, http.StatusOK, &one)
	if len(one) != 1 || len(one[0]) != 4 || one[0]["mail"] != "anna@example.com" {
		t.Errorf("GET single = %v", one)
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact/nobody@example.com", nil, http.StatusNotFound)
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.call(t, http.MethodPost, "/public/api/V1/custom-fields", map[string]any{"label": "Note", "field_type": "text", "max_length": 20}, http.StatusOK, nil)
	id := b.createContact(t, map[string]any{"mail": "upd@example.com", "first_name": "Udo", "company": "Acme", "job_title": "CEO", "phone": "030 123", "field_note": "hello"})
	path := fmt.Sprintf("/public/api/V1/contact/%d", id)
	var out map[string]any
	b.call(t, http.MethodPut, path, map[string]any{"first_name": "Ulla", "company": "", "job_title": nil, "field_note": nil, "phone": "040 999",
		"return_fields": []string{"first_name", "company", "job_title", "phone", "field_note"}}, http.StatusOK, &out)
	want := map[string]any{"success": true, "id": float64(id), "first_name": "Ulla", "company": "", "job_title": "", "phone": "040 999", "field_note": nil}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("PUT = %v, want %v", out, want)
	}
	// The trailing slash and v1 work for PUT as well; no return_fields answers success only.
	var bare map[string]any
	b.call(t, http.MethodPut, fmt.Sprintf("/public/api/v1/contact/%d/", id), map[string]any{"mail": "UPD2@example.com"}, http.StatusOK, &bare)
	if !reflect.DeepEqual(bare, map[string]any{"success": true}) {
		t.Fatalf("PUT = %v, want success only", bare)
	}
	got := b.getFields(t, id, "mail,first_name,family_name,field_note")
	if want := map[string]any{"id": float64(id), "mail": "UPD2@example.com", "first_name": "Ulla", "family_name": "", "field_note": nil}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after PUT = %v, want %v", got, want)
	}
	// The new mail is found by address, the old one no longer.
	var found []contact
	b.call(t, http.MethodGet, "/public/api/V1/contact/upd2@example.com", nil, http.StatusOK, &found)
	if len(found) != 1 || found[0].ID != id {
		t.Fatalf("lookup by new mail = %+v", found)
	}
	b.fail(t, http.MethodGet, "/public/api/V1/contact/upd@example.com", nil, http.StatusNotFound)
}

func TestUpdateContactErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "upderr@example.com"})
	path := fmt.Sprintf("/public/api/V1/contact/%d", id)
	tests := []struct {
		name       string
		path       string
		body       any
		status     int
		wantFields []string
	}{
		{"unknown field", path, map[string]any{"first_name": "A", "nickname": "x"}, 422, []string{"nickname"}},
		{"read-only created", path, map[string]any{"created": 1600000000}, 422, []string{"created"}},
		{"read-only id", path, map[string]any{"id": id + 1}, 422, []string{"id"}},
		{"request_ip only on create", path, map[string]any{"request_ip": "1.2.3.4"}, 422, []string{"request_ip"}},
		{"undefined custom field", path, map[string]any{"field_nope": "x"}, 422, []string{"field_nope"}},
		{"clearing the only identity", path, map[string]any{"mail": ""}, 422, []string{"mail"}},
		{"unknown term", path, map[string]any{"terms": []int64{987654321}}, 422, []string{"terms"}},
		{"empty body", path, map[string]any{}, 422, []string{"body"}},
		{"only return_fields", path, map[string]any{"return_fields": []string{"mail"}}, 422, []string{"body"}},
		{"bad return_fields", path, map[string]any{"mail": "a@example.com", "return_fields": []string{"nope"}}, 422, []string{"return_fields[0]"}},
		{"return_fields not a list", path, map[string]any{"mail": "a@example.com", "return_fields": "mail"}, 422, []string{"return_fields"}},
		{"wrapped like create", path, map[string]any{"contact": map[string]any{"mail": "a@example.com"}}, 422, []string{"contact"}},
		{"body is an array", path, `[1]`, 400, nil},
		{"malformed", path, `{"mail": }`, 400, nil},
		{"unknown id", "/public/api/V1/contact/987654321", map[string]any{"first_name": "A"}, 404, nil},
		{"mail instead of id", "/public/api/V1/contact/upderr@example.com", map[string]any{"first_name": "A"}, 404, nil},
		{"zero id", "/public/api/V1/contact/0", map[string]any{"first_name": "A"}, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, http.MethodPut, tt.path, tt.body, tt.status)
			if tt.wantFields != nil && !slices.Equal(e.fields(), tt.wantFields) {
				t.Fatalf("errors %+v, want fields %v", e.Errors, tt.wantFields)
			}
		})
	}
}

func TestDeleteContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.newTerm(t, "t")
	id := b.createContact(t, map[string]any{"mail": "del@example.com", "terms": []int64{term}, "comment": "bye"})
	keep := b.createContact(t, map[string]any{"mail": "keep@example.com"})
	path := fmt.Sprintf("/public/api/V1/contact/%d", id)
	var out map[string]any
	b.call(t, http.MethodDelete, path, nil, http.StatusOK, &out)
	if !reflect.DeepEqual(out, map[string]any{"success": true}) {
		t.Fatalf("DELETE = %v", out)
	}
	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodDelete, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodPut, path, map[string]any{"first_name": "x"}, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/public/api/V1/contact/del@example.com", nil, http.StatusNotFound)
	if n := b.queryStrings(t, "SELECT comment FROM comments WHERE tenant_id = ? AND contact_id = ?", b.tenant.ID, id); len(n) != 0 {
		t.Fatalf("comments left: %q", n)
	}
	b.call(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d", keep), nil, http.StatusOK, nil)
	// The mail is free again: a new POST with check email creates a new contact.
	var again struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "del@example.com"}, "duplicate_check_method": "email"}, http.StatusOK, &again)
	if again.ID == id {
		t.Fatalf("POST after delete reused id %d", id)
	}
	for _, p := range []string{"/public/api/V1/contact/del@example.com", "/public/api/V1/contact/abc", "/public/api/V1/contact/-1"} {
		b.fail(t, http.MethodDelete, p, nil, http.StatusNotFound)
	}
}

// TestCreateContactConcurrentDuplicates: identical creates racing with check email
// yield one contact, through HTTP as well.
func TestCreateContactConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 20
	ids := make(chan int64, n)
	errs := make(chan string, n)
	for range n {
		go func() {
			rec := b.do(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "race@example.com"}, "duplicate_check_method": "email"})
			var out struct{ ID int64 }
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
				errs <- fmt.Sprintf("status %d: %s", rec.Code, rec.Body)
				ids <- 0
				return
			}
			ids <- out.ID
		}()
	}
	seen := map[int64]bool{}
	for range n {
		seen[<-ids] = true
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(seen) != 1 {
		t.Fatalf("%d concurrent identical creates gave ids %v, want one", n, seen)
	}
	storetest.AssertConsistent(t, b.st)
}

// BenchmarkCreateContact posts one new contact per request through the router into
// the test database, as a web form does: go test ./handlers -run '^$' -bench
// CreateContact -benchmem (with CONTACTHUB_TEST_DATABASE_URL for Postgres). "plain"
// sends the contact alone; "sdk" sends what the official SDK sends by default
// (check auto, flood_limit 5, spam_protection) with in-memory limits, each request
// from another address; "return_fields" also reads the stored contact back. The spam
// checker reads the lists' versions once per the server's refresh interval, as in a
// server (with a checker that re-reads them on every request, as the tests use, two
// version queries were a fifth of a form create's allocations).
func BenchmarkCreateContact(b *testing.B) {
	st := setup(b).st
	for _, bc := range []struct {
		name string
		opts map[string]any
	}{
		{"plain", map[string]any{}},
		{"sdk", map[string]any{"duplicate_check_method": "auto", "duplicate_merge_method": "update_add", "flood_limit": 5, "spam_protection": true}},
		{"return_fields", map[string]any{"return_fields": []string{"mail", "first_name", "terms"}}},
		// The bench tool's form scenario: a web form's whole body, check email, flood
		// limit and spam check (benchkit.FormBody).
		{"form", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bb := setup(b, withServerLimits(st, "1000000/s"))
			bodies := make([][]byte, b.N)
			run := "hb" + strconv.FormatInt(time.Now().UnixNano(), 36)
			for n := range bodies {
				if bc.opts == nil {
					data, err := json.Marshal(benchkit.FormBody(run, int64(n), "email"))
					if err != nil {
						b.Fatal(err)
					}
					bodies[n] = data
					continue
				}
				body := map[string]any{"contact": map[string]any{
					"first_name": fmt.Sprintf("First%d", n%50), "family_name": fmt.Sprintf("Family%d", n%300),
					"mail": fmt.Sprintf("c%d.%s@bench%d.example", n, bc.name, n%97), "phone": fmt.Sprintf("+49 30 %07d", n),
					"request_ip": fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255),
				}}
				for k, v := range bc.opts {
					body[k] = v
				}
				data, err := json.Marshal(body)
				if err != nil {
					b.Fatal(err)
				}
				bodies[n] = data
			}
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				rec := bb.do(b, http.MethodPost, "/public/api/V1/contact", bodies[n])
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// TestEdgeReturnFieldsCustom: return_fields naming an undefined custom field must be
// a 422 like GET's fields param; it answers null instead.
func TestEdgeReturnFieldsCustom(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Budget", "field_type": "integer"})
	e := b.fail(t, http.MethodGet, edgeU+"/contact/"+itoa(b.createContact(t, map[string]any{"mail": "rf0@example.com"}))+"?fields=field_nope", nil, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"fields"}) {
		t.Fatalf("GET errors %+v", e.Errors)
	}
	var ok map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "rf1@example.com", "field_budget": 7}, "return_fields": []string{" field_budget "}}, http.StatusOK, &ok)
	if ok["field_budget"] != float64(7) {
		t.Fatalf("return_fields field_budget: %v", ok)
	}
	t.Run("undefined custom field", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "rf2@example.com"}, "return_fields": []string{"field_nope"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"return_fields[0]"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
		edgeNoContact(t, b, "rf2@example.com")
		e = b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(int64(ok["id"].(float64))), map[string]any{"first_name": "X", "return_fields": []string{"field_nope"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"return_fields[0]"}) {
			t.Fatalf("PUT errors %+v", e.Errors)
		}
	})
}

// TestEdgeMailLookupSpellings: lookups by mail with plus tags, case, IDN domains,
// escaped characters and garbage; never a 500.
func TestEdgeMailLookupSpellings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plus := b.createContact(t, map[string]any{"mail": "Max+Promo@Example.COM"})
	bare := b.createContact(t, map[string]any{"mail": "max@example.com"})
	idn := b.createContact(t, map[string]any{"mail": "Jürgen@Bücher.de"})
	puny := b.createContact(t, map[string]any{"mail": "juergen@xn--bcher-kva.de"})
	slash := b.createContact(t, map[string]any{"mail": "a/b@example.com"})
	tests := []struct {
		path string
		want []int64
	}{
		{"max+promo@example.com", []int64{plus}},
		{"MAX+PROMO@EXAMPLE.COM", []int64{plus}},
		{"max%2Bpromo%40example.com", []int64{plus}},
		{"Max%2bPromo@Example.com", []int64{plus}},
		{"max@example.com", []int64{bare}}, // plus tags are not folded (README)
		{"MAX@EXAMPLE.COM/", []int64{bare}},
		{"%20max@example.com%20", []int64{bare}},
		{url.PathEscape("jürgen@bücher.de"), []int64{idn}},
		{"J%C3%BCrgen@B%C3%BCcher.de", []int64{idn}},
		{"j%c3%bcrgen@b%c3%bccher.de", []int64{idn}},
		{"JÜRGEN@BÜCHER.DE", []int64{idn}},
		{"juergen@xn--bcher-kva.de", []int64{puny}},
		{"a%2Fb@example.com", []int64{slash}},
		{"a%2fb%40example.com", []int64{slash}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got []contact
			b.call(t, http.MethodGet, edgeU+"/contact/"+tt.path+"?fields=mail", nil, http.StatusOK, &got)
			ids := []int64{}
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Fatalf("GET %s = %+v, want ids %v", tt.path, got, tt.want)
			}
		})
	}
	for _, p := range []string{"@", "@@", "a@", "@example.com", "max%2540example.com", "max%25promo@example.com", "a%2Fb%2F@example.com", "%E2%80%AE@example.com", strings.Repeat("a", 5000) + "@example.com"} {
		t.Run("none "+p[:min(len(p), 30)], func(t *testing.T) {
			b.fail(t, http.MethodGet, edgeU+"/contact/"+p, nil, http.StatusNotFound)
		})
	}
}

// TestEdgeCreateOptionTypes: every option is validated with its name, numbers are
// not accepted as strings for options, and nothing unknown is dropped.
func TestEdgeCreateOptionTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := map[string]any{"mail": "opt@example.com"}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"flood_limit as string", map[string]any{"contact": c, "flood_limit": "5"}, 422, []string{"flood_limit"}},
		{"flood_limit fraction", map[string]any{"contact": c, "flood_limit": 1.5}, 422, []string{"flood_limit"}},
		{"flood_limit negative", map[string]any{"contact": c, "flood_limit": -1}, 422, []string{"flood_limit"}},
		{"flood_limit over max", map[string]any{"contact": c, "flood_limit": 10001}, 422, []string{"flood_limit"}},
		{"flood_limit huge", map[string]any{"contact": c, "flood_limit": 1e30}, 422, []string{"flood_limit"}},
		{"spam_protection as string", map[string]any{"contact": c, "spam_protection": "true"}, 422, []string{"spam_protection"}},
		{"check method case", map[string]any{"contact": c, "duplicate_check_method": "EMAIL"}, 422, []string{"duplicate_check_method"}},
		{"merge method typo", map[string]any{"contact": c, "duplicate_merge_method": "update-add"}, 422, []string{"duplicate_merge_method"}},
		{"both methods bad", map[string]any{"contact": c, "duplicate_check_method": 1, "duplicate_merge_method": "x"}, 422, []string{"duplicate_check_method"}},
		{"return_fields not strings", map[string]any{"contact": c, "return_fields": []any{1}}, 422, []string{"return_fields"}},
		{"return_fields write-only", map[string]any{"contact": c, "return_fields": []string{"comment", "request_ip"}}, 422, []string{"return_fields[0]", "return_fields[1]"}},
		{"request_ip on top level", map[string]any{"contact": c, "request_ip": "1.2.3.4"}, 422, []string{"request_ip"}},
		{"contacts instead of contact", map[string]any{"contacts": []any{c}}, 422, []string{"contacts"}},
		{"qntn not an object", map[string]any{"contact": c, "qntn": "x"}, 422, []string{"qntn"}},
		{"qntn bad url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url": "javascript:alert(1)"}}, 422, []string{"qntn.redirection_url"}},
		{"qntn relative url", map[string]any{"contact": c, "qntn": map[string]any{"redirection_url_confirmed": "/thanks"}}, 422, []string{"qntn.redirection_url_confirmed"}},
		{"qntn append as string", map[string]any{"contact": c, "qntn": map[string]any{"append_contact_info": "1"}}, 422, []string{"qntn.append_contact_info"}},
		{"contact is a list", map[string]any{"contact": []any{c}}, 422, []string{"contact"}},
		{"contact is a string", map[string]any{"contact": "opt@example.com"}, 422, []string{"contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, edgeU+"/contact", tt.body, tt.status)
			if !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want fields %v", e.Errors, tt.fields)
			}
		})
	}
	t.Run("qntn unknown key names its path", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": c, "qntn": map[string]any{"redirect": "https://example.com"}}, http.StatusUnprocessableEntity)
		if len(e.Errors) != 1 || e.Errors[0].Field != "qntn.redirect" {
			t.Fatalf("errors %+v, want one naming qntn.redirect", e.Errors)
		}
	})
	edgeNoContact(t, b, "opt@example.com")
	// null options mean "not sent": the defaults apply.
	var out map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": c, "duplicate_check_method": nil, "duplicate_merge_method": nil, "return_fields": nil, "flood_limit": nil, "spam_protection": nil, "qntn": nil}, http.StatusOK, &out)
	if len(out) != 1 || out["id"] == nil {
		t.Fatalf("answer %v, want only id", out)
	}
}

// TestEdgeTextFieldLimits: lengths count characters, not bytes, on both databases;
// numbers are text where text is expected; every problem is named.
func TestEdgeTextFieldLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("ü", 255)
	var created struct{ ID int64 }
	b.call(t, http.MethodPost, edgeU+"/contact", `{"contact": {"mail": "len@example.com", "first_name": "`+long+`", "company": "`+strings.Repeat("😀", 255)+`", "ba_postal_code": 99999999999999999999, "ba_street": 12, "ba_city": 1.5e3}}`, http.StatusOK, &created)
	id := created.ID
	got := b.getFields(t, id, "first_name,company,ba_postal_code,ba_street,ba_city")
	if got["first_name"] != long || got["ba_postal_code"] != strings.Repeat("9", 20) || got["ba_street"] != "12" || got["ba_city"] != "1.5e3" {
		t.Fatalf("stored %v", got)
	}
	e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{
		"mail": "len2@example.com", "first_name": long + "ü", "ba_postal_code": strings.Repeat("9", 21),
		"title": true, "title2": "prof.", "phone": "12", "fax": strings.Repeat("1", 21), "ba_country": "de ", "comment": strings.Repeat("x", 10001),
		"date_of_birth": "1799-12-31", "mail2": "Name <a@example.com>", "mail_status": 9, "uid": -1, "terms": []any{"1"},
	}}, http.StatusUnprocessableEntity)
	want := []string{"contact.ba_postal_code", "contact.comment", "contact.date_of_birth", "contact.fax", "contact.first_name", "contact.mail2", "contact.mail_status", "contact.phone", "contact.terms", "contact.title", "contact.title2", "contact.uid"}
	if !slices.Equal(e.fields(), want) {
		t.Fatalf("errors %+v, want fields %v", e.Errors, want)
	}
	edgeNoContact(t, b, "len2@example.com")
	// ba_country is trimmed and upper-cased; mail_status and uid accept numeric strings.
	var out map[string]any
	b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "len3@example.com", "ba_country": " de ", "mail_status": "2", "uid": "7"},
		"return_fields": []string{"ba_country", "mail_status", "uid", "owner"}}, http.StatusOK, &out)
	if out["ba_country"] != "DE" || out["mail_status"] != float64(2) || out["uid"] != float64(7) || !reflect.DeepEqual(out["owner"], map[string]any{"uid": float64(7)}) {
		t.Fatalf("answer %v", out)
	}
	// A very long mail is refused, not truncated or a 500.
	b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": strings.Repeat("a", 300) + "@example.com"}}, http.StatusUnprocessableEntity)
}

// TestEdgeOwnerRoundTrip: GET answers owner as {"uid": n}; writing that value back
// is refused.
func TestEdgeOwnerRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "owner@example.com", "owner": 5})
	got := b.getFields(t, id, "owner,uid")
	if !reflect.DeepEqual(got["owner"], map[string]any{"uid": float64(5)}) || got["uid"] != float64(5) {
		t.Fatalf("owner = %v", got)
	}
	b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"owner": map[string]any{"uid": 6}}, http.StatusOK, nil)
	if got := b.getFields(t, id, "uid"); got["uid"] != float64(6) {
		t.Fatalf("uid after PUT owner {uid: 6} = %v", got["uid"])
	}
	e := b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"uid": 7, "owner": 8}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"uid"}) {
		t.Fatalf("uid and owner disagreeing: errors %+v", e.Errors)
	}
	b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"uid": 7, "owner": map[string]any{"uid": 7}}, http.StatusOK, nil)
}

// TestEdgeEveryProblemAtOnce: README "422 invalid or unknown fields — every problem at
// once". The identity rule and the term check run after field validation, so their
// problems are reported only once the others are fixed.
func TestEdgeEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "all@example.com", "first_name": "Al"})
	t.Run("POST: unknown term and bad field together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "x@example.com", "phone": "x", "terms": []int64{987654321}}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.phone", "contact.terms"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	t.Run("POST: identity and bad field together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"first_name": "A", "phone": "x"}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"contact.mail", "contact.phone"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	t.Run("PUT: cleared identity and unknown term together", func(t *testing.T) {
		e := b.fail(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{"mail": "", "terms": []int64{987654321}}, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{"mail", "terms"}) {
			t.Fatalf("errors %+v", e.Errors)
		}
	})
	// Nothing of a refused PUT is written.
	if got := b.getFields(t, id, "mail,first_name"); got["mail"] != "all@example.com" || got["first_name"] != "Al" {
		t.Fatalf("after refused PUTs: %v", got)
	}
}

// TestEdgeNoPartialWrite: a refused request writes nothing — no contact, no comment,
// no field, on POST and on PUT.
func TestEdgeNoPartialWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	term := b.postTerm(t, "edge")
	id := b.createContact(t, map[string]any{"mail": "npw@example.com", "first_name": "Nina", "terms": []int64{term}})
	path := edgeU + "/contact/" + itoa(id)
	for _, body := range []map[string]any{
		{"first_name": "Changed", "comment": "should not appear", "terms": []int64{987654321}},
		{"first_name": "Changed", "comment": "should not appear", "phone": "nope"},
		{"first_name": "Changed", "comment": "should not appear", "mail": ""},
	} {
		b.fail(t, http.MethodPut, path, body, http.StatusUnprocessableEntity)
	}
	// A merge that fails writes nothing either.
	b.fail(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "NPW@example.com", "first_name": "Changed", "comment": "x", "terms": []int64{term, 987654321}}, "duplicate_check_method": "email"}, http.StatusUnprocessableEntity)
	if got := b.getFields(t, id, "first_name,terms"); got["first_name"] != "Nina" || !reflect.DeepEqual(got["terms"], []any{float64(term)}) {
		t.Fatalf("after refused writes: %v", got)
	}
	var comments struct {
		NumberComments int `json:"number_comments"`
	}
	b.call(t, http.MethodGet, path+"/comments", nil, http.StatusOK, &comments)
	if comments.NumberComments != 0 {
		t.Fatalf("%d comments written by refused requests", comments.NumberComments)
	}
}

// TestMergeEdgeNativeCreate: 201/200, explanations, return_fields, and that option
// and contact problems are named together.
func TestMergeEdgeNativeCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.mgeNative(t, map[string]any{"contact": map[string]any{"first_name": "Jürgen", "family_name": "Müller", "phone": "030 7654321", "ba_postal_code": "10115"}}, http.StatusCreated)
	if !first.Created || first.MergeID != "" {
		t.Fatalf("first %+v", first)
	}
	// A weak candidate (same family name only) is explained but does not match.
	weak := b.mgeNative(t, map[string]any{"contact": map[string]any{"first_name": "Karla", "family_name": "Müller", "ba_postal_code": "10115"}}, http.StatusCreated)
	if !weak.Created || weak.ID == first.ID || weak.MergeID != "" || (weak.Explanation != nil && weak.Explanation.Match) {
		t.Fatalf("weak %+v", weak)
	}
	var merged struct {
		nativeCreated
		Contact map[string]any `json:"contact"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"first_name": "Juergen", "family_name": "Mueller", "phone": "+49 30 7654321", "job_title": "CTO"},
		"return_fields": []string{"job_title", "first_name"}}, http.StatusOK, &merged)
	if merged.Created || merged.ID != first.ID || merged.MergeID == "" || merged.Explanation == nil || !merged.Explanation.Match ||
		merged.Contact["job_title"] != "CTO" || merged.Contact["first_name"] != "Juergen" { // update_add: a submitted value overwrites
		t.Fatalf("merged %+v", merged)
	}
	t.Run("option and contact problems together", func(t *testing.T) {
		e := b.fail(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "not-a-mail"}, "duplicate_check_method": "fuzzy", "flood_limit": -1}, 422)
		got := e.fields()
		slices.Sort(got)
		want := []string{"contact.mail", "duplicate_check_method", "flood_limit"}
		if !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
	})
	for _, tc := range []struct {
		name  string
		body  string
		field string
	}{
		{"flood_limit string", `{"contact": {"mail": "o@example.com"}, "flood_limit": "5"}`, "flood_limit"},
		{"flood_limit float", `{"contact": {"mail": "o@example.com"}, "flood_limit": 1.5}`, "flood_limit"},
		{"flood_limit huge", `{"contact": {"mail": "o@example.com"}, "flood_limit": 1e30}`, "flood_limit"},
		{"flood_limit over max", `{"contact": {"mail": "o@example.com"}, "flood_limit": 10001}`, "flood_limit"},
		{"spam_protection string", `{"contact": {"mail": "o@example.com"}, "spam_protection": "yes"}`, "spam_protection"},
		{"request_ip with zone", `{"contact": {"mail": "o@example.com", "request_ip": "fe80::1%eth0"}}`, "contact.request_ip"},
		{"return field unknown", `{"contact": {"mail": "o@example.com"}, "return_fields": ["nick"]}`, "return_fields[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, "/api/v1/contacts", tc.body, 422)
			if !slices.Equal(e.fields(), []string{tc.field}) {
				t.Fatalf("fields %v, want [%s]", e.fields(), tc.field)
			}
		})
	}
	var list struct {
		Contacts []map[string]any `json:"contacts"`
	}
	b.call(t, http.MethodGet, "/api/v1/contacts?mail=o@example.com", nil, http.StatusOK, &list)
	if len(list.Contacts) != 0 {
		t.Fatalf("a refused create wrote %v", list.Contacts)
	}
}

// TestMailLookupSaysWhenItIsCut: a mail shared by more contacts than a lookup answers
// gives the first ones, oldest first, and a header saying there are more.
func TestMailLookupSaysWhenItIsCut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := make([]map[string]any, models.MaxMailMatches+1)
	for i := range items {
		items[i] = map[string]any{"mail": "shared-inbox@example.com", "first_name": fmt.Sprintf("P%d", i)}
	}
	b.call(t, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": items, "duplicate_check_method": "none"}, http.StatusOK, nil)
	rec := b.do(t, http.MethodGet, "/public/api/V1/contact/shared-inbox@example.com", nil)
	var got []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET: %d %v", rec.Code, err)
	}
	if len(got) != models.MaxMailMatches || rec.Header().Get("X-Contacthub-Truncated") != "true" {
		t.Errorf("%d contacts, truncated header %q; want %d and true", len(got), rec.Header().Get("X-Contacthub-Truncated"), models.MaxMailMatches)
	}
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+fmt.Sprint(got[0]["id"]), nil, http.StatusOK, nil)
	rec = b.do(t, http.MethodGet, "/public/api/V1/contact/shared-inbox@example.com", nil)
	if rec.Header().Get("X-Contacthub-Truncated") != "" {
		t.Errorf("exactly %d contacts: truncated header %q, want none", models.MaxMailMatches, rec.Header().Get("X-Contacthub-Truncated"))
	}
}

// BenchmarkGetContact reads one of 200 contacts per request through the router, as
// the load tool's get scenario does: go test ./handlers -run '^$' -bench GetContact
// -benchmem (with CONTACTHUB_TEST_DATABASE_URL for Postgres). "default" asks for the
// Quentn default fields, "fields" for a web form's fields with terms and a custom
// field, "native" is GET /api/v1/contacts/{id}.
func BenchmarkGetContact(b *testing.B) {
	bb := setup(b, withLimits(setup(b).st, "1000000/s"))
	bb.createField(b, map[string]any{"label": "Budget", "field_type": "integer"})
	ids := make([]int64, 200)
	for i := range ids {
		ids[i] = bb.createContact(b, map[string]any{"mail": fmt.Sprintf("get%d@bench.example", i), "first_name": "Anna", "family_name": fmt.Sprintf("Lesewitz%d", i),
			"phone": fmt.Sprintf("+49 30 %07d", i), "ba_street": "Hauptstraße 1", "ba_city": "Berlin", "ba_postal_code": "10115", "field_budget": i})
	}
	for _, bc := range []struct{ name, prefix, query string }{
		{"default", "/public/api/V1/contact/", ""},
		{"fields", "/public/api/V1/contact/", "?fields=first_name,family_name,mail,phone,ba_street,ba_city,ba_postal_code,terms,field_budget"},
		{"native", "/api/v1/contacts/", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			paths := make([]string, len(ids))
			for i, id := range ids {
				paths[i] = bc.prefix + strconv.FormatInt(id, 10) + bc.query
			}
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				rec := bb.do(b, http.MethodGet, paths[n%len(paths)], nil)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
			}
		})
	}
}
