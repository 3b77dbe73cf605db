package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/webhooks"
)

const inquiriesPath = "/api/v1/inquiries"

// inquiry posts body and returns the inquiry created.
func (b *bundle) inquiry(t *testing.T, body any) contactwire.Inquiry {
	t.Helper()
	var q contactwire.Inquiry
	b.call(t, "POST", inquiriesPath, body, http.StatusCreated, &q)
	return q
}

// feed returns the tenant's events of the types given, oldest first. On PostgreSQL
// the feed holds back events while an older transaction of the database still runs
// (another test's), so it reads until it shows every such event the outbox table
// has, at most 30 s.
func (b *bundle) feed(t *testing.T, types string) []struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
} {
	t.Helper()
	exact, unknown := models.ParseEventTypes(strings.Split(types, ","))
	if len(unknown) > 0 {
		t.Fatalf("feed types %v", unknown)
	}
	var written int
	q := "SELECT count(*) FROM events WHERE tenant_id = ? AND type IN ('" + strings.Join(exact, "', '") + "')"
	if err := b.st.DB().QueryRow(rebind(q), b.tenant.ID).Scan(&written); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.call(t, "GET", "/api/v1/events?limit=1000&types="+types, nil, http.StatusOK, &page)
		if len(page.Events) >= written || time.Now().After(deadline) {
			return page.Events
		}
		time.Sleep(5 * time.Millisecond) // another test's transaction holds the feed back
	}
}

// TestInquirySeedScenario is seed 002's scenario end to end: the business subscribes
// a receiver to inquiry.created; a web form sends an inquiry from a new person; the
// inquiry gets status "Neu" and source "Website", the customer is created, the score
// and band are set, and the receiver gets the inquiry within seconds, signed.
//
// Not parallel: it works delivery jobs (deliverWebhooks).
func TestInquirySeedScenario(t *testing.T) {
	b := setup(t)
	deliverWebhooks(t, b)
	type delivery struct {
		id, ts, sig string
		body        []byte
	}
	received := make(chan delivery, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- delivery{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body}
	}))
	defer srv.Close()
	var hook webhook
	b.call(t, "POST", "/api/v1/webhooks", map[string]any{"url": srv.URL + "/anfragen", "event_types": []string{models.EventInquiryCreated}}, http.StatusCreated, &hook)

	q := b.inquiry(t, map[string]any{
		"title":   "Badsanierung, ca. 8 m²",
		"contact": map[string]any{"name": "Anna Schmidt", "email": "anna.schmidt@example.de", "phone": "+49 30 1234567"},
		"address": map[string]any{"street": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin", "country": "de"},
		"source":  "Website", "notes": "Bitte zurückrufen", "request_ip": "203.0.113.9", "spam_protection": true, "flood_limit": 5,
	})
	if q.Status.Name != "Neu" || q.Status.Kind != "open" || q.Source.Name != "Website" {
		t.Fatalf("status %+v, source %+v", q.Status, q.Source)
	}
	if q.Customer == nil || q.Customer.Matched || q.Customer.ID == 0 {
		t.Fatalf("customer %+v: want a new one", q.Customer)
	}
	if q.LeadBand != models.BandOf(q.LeadScore) || q.LeadScore != 25 || len(q.LeadFactors) != 7 {
		t.Fatalf("score %d %s %+v", q.LeadScore, q.LeadBand, q.LeadFactors)
	}
	if q.Contact.FirstName != "Anna" || q.Contact.FamilyName != "Schmidt" || q.Address.Country != "DE" {
		t.Errorf("contact %+v, address %+v", q.Contact, q.Address)
	}
	var customer contactwire.Contact
	b.call(t, "GET", fmt.Sprintf("/api/v1/contacts/%d", q.Customer.ID), nil, http.StatusOK, &customer)
	if customer.Mail != "anna.schmidt@example.de" || customer.FirstName != "Anna" || customer.BaCity != "Berlin" || customer.Phone == "" {
		t.Errorf("customer %+v", customer)
	}
	evs := b.feed(t, "inquiry.*")
	if len(evs) != 1 || evs[0].Type != models.EventInquiryCreated {
		t.Fatalf("events %+v", evs)
	}

	// The notification: the receiver gets inquiry.created with the inquiry, signed with
	// the endpoint's secret — and nothing it did not subscribe to (the customer's
	// contact.created).
	var d delivery
	select {
	case d = <-received:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook within 30 s")
	}
	if err := webhooks.Verify(hook.Secret, d.id, d.ts, d.body, d.sig, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	var payload struct {
		Type string              `json:"type"`
		Data contactwire.Inquiry `json:"data"`
	}
	if err := json.Unmarshal(d.body, &payload); err != nil || payload.Type != models.EventInquiryCreated {
		t.Fatalf("payload %s: %v", d.body, err)
	}
	if got := payload.Data; got.V != 1 || got.ID != q.ID || got.Title != q.Title || got.Status.Name != "Neu" || got.Source.Name != "Website" ||
		got.Customer == nil || got.Customer.ID != q.Customer.ID || got.LeadScore != q.LeadScore || got.LeadBand != q.LeadBand {
		t.Errorf("delivered inquiry %+v, want %+v", got, q)
	}
	select {
	case extra := <-received:
		t.Errorf("a delivery not subscribed to: %s", extra.body)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestInquiryCustomerMatching: by e-mail (any case), by name with the address as
// evidence, by id; a name alone is no evidence: a new customer.
func TestInquiryCustomerMatching(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var existing struct{ ID int64 }
	b.call(t, "POST", "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Jürgen", "family_name": "Bauer", "mail": "j.bauer@example.de",
		"ba_street": "Lindenweg 3", "ba_postal_code": "80331", "ba_city": "München", "phone": "089 123456"}}, http.StatusCreated, &existing)

	byMail := b.inquiry(t, map[string]any{"title": "Heizung", "contact": map[string]any{"email": "J.Bauer@Example.DE", "name": "J. Bauer"}})
	if byMail.Customer == nil || !byMail.Customer.Matched || byMail.Customer.ID != existing.ID || byMail.Customer.Explanation == nil {
		t.Fatalf("by e-mail: %+v", byMail.Customer)
	}
	byName := b.inquiry(t, map[string]any{"title": "Dach",
		"contact": map[string]any{"first_name": "Jürgen", "family_name": "Bauer", "phone": "+49 89 123456"},
		"address": map[string]any{"street": "Lindenweg 3", "postal_code": "80331", "city": "München"}})
	if byName.Customer == nil || !byName.Customer.Matched || byName.Customer.ID != existing.ID {
		t.Fatalf("by name and address: %+v", byName.Customer)
	}
	nameOnly := b.inquiry(t, map[string]any{"title": "Garten", "contact": map[string]any{"name": "Jürgen Bauer"}})
	if nameOnly.Customer == nil || nameOnly.Customer.Matched || nameOnly.Customer.ID == existing.ID {
		t.Fatalf("name alone: %+v; want a new customer", nameOnly.Customer)
	}
	byID := b.inquiry(t, map[string]any{"title": "Fenster", "customer_id": existing.ID, "contact": map[string]any{"email": "other@example.de"}})
	if byID.Customer == nil || !byID.Customer.Matched || byID.Customer.ID != existing.ID || byID.Customer.Explanation != nil {
		t.Fatalf("by id: %+v", byID.Customer)
	}
	none := b.inquiry(t, map[string]any{"title": "ohne Kontakt"})
	if none.Customer != nil {
		t.Fatalf("no contact data: customer %+v", none.Customer)
	}
	// Another tenant's contact is no customer here.
	other := setup(t)
	e := other.fail(t, "POST", inquiriesPath, map[string]any{"title": "x", "customer_id": existing.ID}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"customer_id"}) {
		t.Fatalf("other tenant's contact: %+v", e)
	}
	// A patch that brings contact data to an inquiry without a customer matches it.
	var patched contactwire.Inquiry
	b.call(t, "PATCH", fmt.Sprintf("%s/%d", inquiriesPath, none.ID), map[string]any{"contact": map[string]any{"email": "j.bauer@example.de"}}, http.StatusOK, &patched)
	if patched.Customer == nil || patched.Customer.ID != existing.ID {
		t.Fatalf("patched: %+v", patched.Customer)
	}
}

// TestInquiryConcurrentNewPerson: 50 inquiries at once from one new person create one
// customer, and the new source they name once.
func TestInquiryConcurrentNewPerson(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 50
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := b.do(t, "POST", inquiriesPath, map[string]any{"title": fmt.Sprintf("Anfrage %d", i), "source": "Portal Neu",
				"contact": map[string]any{"name": "Greta Wolf", "email": "greta.wolf@example.de", "phone": "0171 2345678"}})
			if rec.Code != http.StatusCreated {
				t.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
			var q contactwire.Inquiry
			json.Unmarshal(rec.Body.Bytes(), &q)
			ids <- q.Customer.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		seen[id] = true
	}
	var list struct{ Contacts []struct{ ID int64 } }
	b.call(t, "GET", "/api/v1/contacts", nil, http.StatusOK, &list)
	if len(seen) != 1 || len(list.Contacts) != 1 {
		t.Fatalf("customers %v, contacts %d: want one", seen, len(list.Contacts))
	}
	var sources struct{ Sources []contactwire.InquirySource }
	b.call(t, "GET", "/api/v1/inquiry-sources", nil, http.StatusOK, &sources)
	if len(sources.Sources) != 1 {
		t.Fatalf("sources %+v", sources.Sources)
	}
}

// TestInquiryKnownCustomer: inquiries from a customer who brings nothing new — 50 of
// them at once — are linked to the customer and leave it as it was (no new version,
// no merge record, no contact event); one that brings a phone the customer lacks
// fills it through the contact service, with a merge record that can be undone.
func TestInquiryKnownCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var existing struct{ ID int64 }
	b.call(t, "POST", "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Jürgen", "family_name": "Bauer", "mail": "j.bauer@example.de",
		"ba_street": "Lindenweg 3", "ba_postal_code": "80331", "ba_city": "München"}}, http.StatusCreated, &existing)
	customer := func() contactwire.Contact {
		var c contactwire.Contact
		b.call(t, "GET", fmt.Sprintf("/api/v1/contacts/%d", existing.ID), nil, http.StatusOK, &c)
		return c
	}
	merges := func() int {
		var list struct{ Merges []mergeView }
		b.call(t, "GET", "/api/v1/merges", nil, http.StatusOK, &list)
		return len(list.Merges)
	}
	before := customer()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := b.do(t, "POST", inquiriesPath, map[string]any{"title": fmt.Sprintf("Heizung %d", i), "source": "Website",
				"contact":    map[string]any{"first_name": "Jürgen", "family_name": "Bauer", "email": "J.Bauer@example.de"},
				"address":    map[string]any{"street": "Lindenweg 3", "postal_code": "80331", "city": "München"},
				"request_ip": "203.0.113.9", "flood_limit": 0, "spam_protection": true})
			var q contactwire.Inquiry
			if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &q) != nil {
				t.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
			if q.Customer == nil || q.Customer.ID != existing.ID || !q.Customer.Matched || q.Customer.Explanation == nil || !q.Customer.Explanation.Match {
				t.Errorf("customer %+v", q.Customer)
			}
		}()
	}
	wg.Wait()
	if after := customer(); after.Version != before.Version || after.Changed != before.Changed || merges() != 0 {
		t.Fatalf("customer version %d -> %d, %d merges: want it untouched", before.Version, after.Version, merges())
	}
	if evs := b.feed(t, "contact.*"); len(evs) != 1 {
		t.Fatalf("contact events %d: want the creation only", len(evs))
	}

	// Something new for the customer goes through the write path and is merged in.
	q := b.inquiry(t, map[string]any{"title": "Dach", "contact": map[string]any{"email": "j.bauer@example.de", "phone": "089 123456"}})
	if q.Customer == nil || q.Customer.ID != existing.ID || !q.Customer.Matched {
		t.Fatalf("customer %+v", q.Customer)
	}
	if after := customer(); after.Phone != "089 123456" || after.Version != before.Version+1 || after.FirstName != "Jürgen" || merges() != 1 {
		t.Fatalf("customer %+v, %d merges: want the phone added by one merge", after, merges())
	}
}

// TestInquiryValidation: every problem is a 422 naming the field; several at once.
func TestInquiryValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("x", 256)
	for _, tc := range []struct {
		name   string
		body   any
		fields []string
	}{
		{"no title", map[string]any{"notes": "x"}, []string{"title"}},
		{"empty title", map[string]any{"title": "  "}, []string{"title"}},
		{"title too long", map[string]any{"title": long}, []string{"title"}},
		{"title not a string", map[string]any{"title": 5}, []string{"title"}},
		{"unknown fields, all named", map[string]any{"title": "x", "colour": "red", "size": 3}, []string{"colour", "size"}},
		{"unknown nested field", map[string]any{"title": "x", "contact": map[string]any{"fax": "1"}}, []string{"contact.fax"}},
		{"contact not an object", map[string]any{"title": "x", "contact": "Anna"}, []string{"contact"}},
		{"bad e-mail and phone", map[string]any{"title": "x", "contact": map[string]any{"email": "anna@", "phone": "call me"}}, []string{"contact.email", "contact.phone"}},
		{"bad country", map[string]any{"title": "x", "address": map[string]any{"country": "Germany"}}, []string{"address.country"}},
		{"probability out of range", map[string]any{"title": "x", "probability": 101}, []string{"probability"}},
		{"probability negative", map[string]any{"title": "x", "probability": -1}, []string{"probability"}},
		{"probability not a number", map[string]any{"title": "x", "probability": "high"}, []string{"probability"}},
		{"urgency", map[string]any{"title": "x", "urgency": "sofort"}, []string{"urgency"}},
		{"dates", map[string]any{"title": "x", "follow_up_on": "10.12.2026", "expected_close_on": "2026-02-30", "desired_start_on": 20261201},
			[]string{"desired_start_on", "expected_close_on", "follow_up_on"}},
		{"amount with three decimals", map[string]any{"title": "x", "expected_value": map[string]any{"amount": 10.125}}, []string{"expected_value.amount"}},
		{"negative amount, bad currency", map[string]any{"title": "x", "expected_value": map[string]any{"amount": -5, "currency": "EURO"}},
			[]string{"expected_value.amount", "expected_value.currency"}},
		{"amount missing", map[string]any{"title": "x", "expected_value": map[string]any{"currency": "EUR"}}, []string{"expected_value.amount"}},
		{"budget reversed", map[string]any{"title": "x", "budget": map[string]any{"min": 5000, "max": 1000}}, []string{"budget.max"}},
		{"budget empty", map[string]any{"title": "x", "budget": map[string]any{}}, []string{"budget"}},
		{"tags not a list", map[string]any{"title": "x", "tags": "Bad"}, []string{"tags"}},
		{"unknown tag id", map[string]any{"title": "x", "tags": []any{999999999}}, []string{"tags"}},
		{"empty tag name", map[string]any{"title": "x", "tags": []any{"Bad", " "}}, []string{"tags[1]"}},
		{"status kind", map[string]any{"title": "x", "status": map[string]any{"name": "Neu", "kind": "maybe"}}, []string{"status.kind"}},
		{"status empty name", map[string]any{"title": "x", "status": ""}, []string{"status"}},
		{"unknown status id", map[string]any{"title": "x", "status": map[string]any{"id": 999999999}}, []string{"status.id"}},
		{"unknown source id", map[string]any{"title": "x", "source": map[string]any{"id": 999999999}}, []string{"source.id"}},
		{"assignee without e-mail", map[string]any{"title": "x", "assignee": map[string]any{"name": "Max"}}, []string{"assignee.email"}},
		{"assignee bad e-mail", map[string]any{"title": "x", "assignee": "max"}, []string{"assignee.email"}},
		{"unknown assignee id", map[string]any{"title": "x", "assignee": map[string]any{"id": 999999999}}, []string{"assignee.id"}},
		{"customer twice", map[string]any{"title": "x", "customer_id": 1, "customer": map[string]any{"id": 1}}, []string{"customer_id"}},
		{"unknown customer", map[string]any{"title": "x", "customer_id": 999999999}, []string{"customer_id"}},
		{"bad request_ip and flood_limit", map[string]any{"title": "x", "request_ip": "1.2.3", "flood_limit": -1}, []string{"flood_limit", "request_ip"}},
		{"many at once", map[string]any{"title": "", "probability": 200, "urgency": "x", "notes": 1},
			[]string{"notes", "probability", "title", "urgency"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, "POST", inquiriesPath, tc.body, http.StatusUnprocessableEntity)
			if got := e.fields(); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%+v)", got, tc.fields, e.Errors)
			}
		})
	}
	// Malformed JSON and a body that is no object are 400; nothing was written.
	b.fail(t, "POST", inquiriesPath, `{"title": "x",}`, http.StatusBadRequest)
	b.fail(t, "POST", inquiriesPath, `[]`, http.StatusBadRequest)
	var list struct{ Inquiries []contactwire.Inquiry }
	b.call(t, "GET", inquiriesPath, nil, http.StatusOK, &list)
	if len(list.Inquiries) != 0 {
		t.Fatalf("invalid requests wrote %d inquiries", len(list.Inquiries))
	}
	// Options are for creating only; the title cannot be cleared.
	q := b.inquiry(t, map[string]any{"title": "x"})
	e := b.fail(t, "PATCH", fmt.Sprintf("%s/%d", inquiriesPath, q.ID), map[string]any{"request_ip": "192.0.2.1", "title": nil}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"request_ip", "title"}) {
		t.Fatalf("patch: %+v", e)
	}
}

// TestInquiryReadChangeDelete: read, PATCH, PUT (the read form sent back changes
// nothing), a stale version, DELETE, and another tenant that sees none of it.
func TestInquiryReadChangeDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.inquiry(t, map[string]any{"title": "Küche", "probability": 20, "urgency": "high",
		"expected_value": map[string]any{"amount": "12000.5"}, "budget": map[string]any{"max": 15000, "currency": "eur"},
		"assignee": map[string]any{"email": "max@firma.de", "name": "Max Mustermann"}, "tags": []any{"Küche", "Neubau"},
		"follow_up_on": "2099-01-15", "category": "Küche", "status": map[string]any{"name": "Angebot"}})
	path := fmt.Sprintf("%s/%d", inquiriesPath, q.ID)
	if q.ExpectedValue == nil || q.ExpectedValue.Amount != "12000.50" || q.ExpectedValue.Currency != "EUR" || q.Budget.Currency != "EUR" {
		t.Fatalf("money: %+v %+v", q.ExpectedValue, q.Budget)
	}
	var got contactwire.Inquiry
	b.call(t, "GET", path, nil, http.StatusOK, &got)
	if got.ID != q.ID || got.Assignee == nil || got.Assignee.Name != "Max Mustermann" || len(got.Tags) != 2 || got.Status.Name != "Angebot" {
		t.Fatalf("read: %+v", got)
	}
	// The read form sent back as PUT is accepted and changes nothing.
	var same contactwire.Inquiry
	b.call(t, "PUT", path, got, http.StatusOK, &same)
	if same.Version != got.Version || same.LeadScore != got.LeadScore {
		t.Fatalf("PUT of the read form: version %d -> %d", got.Version, same.Version)
	}
	var patched contactwire.Inquiry
	b.call(t, "PATCH", path, map[string]any{"probability": 90, "version": got.Version}, http.StatusOK, &patched)
	if *patched.Probability != 90 || patched.LeadScore <= got.LeadScore || patched.Version != got.Version+1 || patched.Category != "Küche" {
		t.Fatalf("patch: %+v", patched)
	}
	b.fail(t, "PATCH", path, map[string]any{"notes": "late", "version": got.Version}, http.StatusConflict)
	// PUT replaces: what is not sent is cleared.
	var replaced contactwire.Inquiry
	b.call(t, "PUT", path, map[string]any{"title": "Küche neu"}, http.StatusOK, &replaced)
	if replaced.Probability != nil || replaced.Assignee != nil || len(replaced.Tags) != 0 || replaced.Status.Name != "Neu" || replaced.FollowUpOn != nil {
		t.Fatalf("put: %+v", replaced)
	}
	other := setup(t)
	other.fail(t, "GET", path, nil, http.StatusNotFound)
	other.fail(t, "PATCH", path, map[string]any{"notes": "x"}, http.StatusNotFound)
	other.fail(t, "DELETE", path, nil, http.StatusNotFound)
	b.call(t, "DELETE", path, nil, http.StatusOK, nil)
	b.fail(t, "GET", path, nil, http.StatusNotFound)
	b.fail(t, "GET", inquiriesPath+"/abc", nil, http.StatusNotFound)
	var types []string
	for _, e := range b.feed(t, "inquiry.*") {
		types = append(types, e.Type)
	}
	if want := []string{"inquiry.created", "inquiry.updated", "inquiry.updated", "inquiry.deleted"}; !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

// TestInquiryListing: filters, orders and cursors.
func TestInquiryListing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mk := func(title string, prob int, status, source, follow string, tags ...string) int64 {
		body := map[string]any{"title": title, "probability": prob, "status": status, "source": source, "tags": tags}
		if follow != "" {
			body["follow_up_on"] = follow
		}
		return b.inquiry(t, body).ID
	}
	a := mk("Bad Fliesen", 100, "Neu", "Website", "2030-01-03", "Zuschuss", "Bad", "Altbau")
	c := mk("Dach decken", 40, "Neu", "Portal", "2030-01-01")
	d := mk("Heizung tauschen", 80, "Angebot", "Website", "", "Bad")
	e := mk("Fliesen Küche", 0, "Neu", "Website", "2030-01-02")
	list := func(query string) []int64 {
		t.Helper()
		var ids []int64
		cursor := ""
		for pages := 0; pages < 20; pages++ {
			var page struct {
				Inquiries  []contactwire.Inquiry `json:"inquiries"`
				NextCursor *string               `json:"next_cursor"`
			}
			b.call(t, "GET", inquiriesPath+"?limit=2&"+query+cursor, nil, http.StatusOK, &page)
			for _, q := range page.Inquiries {
				ids = append(ids, q.ID)
			}
			if page.NextCursor == nil {
				return ids
			}
			cursor = "&cursor=" + *page.NextCursor
		}
		t.Fatal("no end of pages")
		return nil
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{e, d, c, a}},
		{"sort=created", []int64{a, c, d, e}},
		{"sort=-score", []int64{a, d, c, e}},
		{"sort=score&status=Neu", []int64{e, c, a}},
		{"sort=-score&status=neu&source=Website", []int64{a, e}},
		{"sort=follow_up", []int64{c, e, a, d}},
		{"sort=-follow_up", []int64{d, a, e, c}},
		{"follow_up_by=2030-01-02&sort=follow_up", []int64{c, e}},
		{"tag=bad&sort=created", []int64{a, d}},
		{"q=fliesen&sort=created", []int64{a, e}},
		{"q=FLIES%20bad", []int64{a}},
		{"score_min=15&score_max=25", []int64{d, c}},
		{"band=unqualified", []int64{e}},
		{"status=Unbekannt", nil},
		{"status_kind=won", nil},
	} {
		if got := list(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	// A listed inquiry is the inquiry as GET shows it: every field, the tags in order.
	var all struct {
		Inquiries []json.RawMessage `json:"inquiries"`
	}
	b.call(t, "GET", inquiriesPath+"?sort=created", nil, http.StatusOK, &all)
	if len(all.Inquiries) != 4 {
		t.Fatalf("%d inquiries listed, want 4", len(all.Inquiries))
	}
	for i, listed := range all.Inquiries {
		id := []int64{a, c, d, e}[i]
		rec := b.do(t, "GET", inquiriesPath+"/"+itoa(id), nil)
		if got := strings.TrimSpace(rec.Body.String()); got != string(listed) {
			t.Errorf("listed %s\nGET    %s", listed, got)
		}
	}
	for _, q := range []string{"sort=name", "band=lukewarm", "score_min=101", "limit=0", "follow_up_by=tomorrow", "created_since=x", "status_kind=closed"} {
		b.fail(t, "GET", inquiriesPath+"?"+q, nil, http.StatusUnprocessableEntity)
	}
	var first struct {
		NextCursor string `json:"next_cursor"`
	}
	b.call(t, "GET", inquiriesPath+"?limit=1&sort=-score", nil, http.StatusOK, &first)
	e2 := b.fail(t, "GET", inquiriesPath+"?sort=created&cursor="+first.NextCursor, nil, http.StatusUnprocessableEntity)
	if !slices.Equal(e2.fields(), []string{"cursor"}) {
		t.Fatalf("cursor of another order: %+v", e2)
	}
}

// TestInquiryStatusesSourcesStaff: list, create, rename, order, change a kind (the
// inquiries re-score), delete (409 while in use).
func TestInquiryStatusesSourcesStaff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.inquiry(t, map[string]any{"title": "x", "probability": 40, "assignee": "team@firma.de"})
	var st contactwire.InquiryStatus
	b.call(t, "POST", "/api/v1/inquiry-statuses", map[string]any{"name": "Auftrag erteilt"}, http.StatusCreated, &st)
	if st.Kind != "won" || st.Position == nil || *st.Position != 1 {
		t.Fatalf("created status %+v", st)
	}
	b.fail(t, "POST", "/api/v1/inquiry-statuses", map[string]any{"name": "auftrag ERTEILT"}, http.StatusConflict)
	b.fail(t, "POST", "/api/v1/inquiry-statuses", map[string]any{"name": "x", "email": "a@b.de"}, http.StatusUnprocessableEntity)
	// Order: the new status first.
	b.call(t, "PATCH", fmt.Sprintf("/api/v1/inquiry-statuses/%d", st.ID), map[string]any{"position": 0}, http.StatusOK, nil)
	b.call(t, "PATCH", fmt.Sprintf("/api/v1/inquiry-statuses/%d", q.Status.ID), map[string]any{"position": 5, "name": "Eingang"}, http.StatusOK, nil)
	var statuses struct{ Statuses []contactwire.InquiryStatus }
	b.call(t, "GET", "/api/v1/inquiry-statuses", nil, http.StatusOK, &statuses)
	if len(statuses.Statuses) != 2 || statuses.Statuses[0].ID != st.ID || statuses.Statuses[1].Name != "Eingang" {
		t.Fatalf("statuses %+v", statuses.Statuses)
	}
	b.fail(t, "PATCH", fmt.Sprintf("/api/v1/inquiry-statuses/%d", st.ID), map[string]any{"name": "eingang"}, http.StatusConflict)
	b.fail(t, "PATCH", fmt.Sprintf("/api/v1/inquiry-statuses/%d", st.ID), map[string]any{"kind": "done"}, http.StatusUnprocessableEntity)
	// The inquiry's status becomes a lost one: after the re-score it scores 0.
	b.call(t, "PATCH", fmt.Sprintf("/api/v1/inquiry-statuses/%d", q.Status.ID), map[string]any{"kind": "lost"}, http.StatusOK, nil)
	if _, err := b.st.RescoreDue(context.Background(), 1000); err != nil {
		t.Fatal(err)
	}
	var lost contactwire.Inquiry
	b.call(t, "GET", fmt.Sprintf("%s/%d", inquiriesPath, q.ID), nil, http.StatusOK, &lost)
	if lost.LeadScore != 0 || lost.Status.Kind != "lost" || lost.LeadFactors[0].Factor != "status" {
		t.Fatalf("after the kind changed: %d %+v %+v", lost.LeadScore, lost.Status, lost.LeadFactors)
	}
	b.fail(t, "DELETE", fmt.Sprintf("/api/v1/inquiry-statuses/%d", q.Status.ID), nil, http.StatusConflict)
	b.fail(t, "DELETE", fmt.Sprintf("/api/v1/inquiry-sources/%d", q.Source.ID), nil, http.StatusConflict)
	b.fail(t, "DELETE", fmt.Sprintf("/api/v1/staff/%d", q.Assignee.ID), nil, http.StatusConflict)
	b.call(t, "DELETE", fmt.Sprintf("/api/v1/inquiry-statuses/%d", st.ID), nil, http.StatusOK, nil)
	b.fail(t, "GET", fmt.Sprintf("/api/v1/inquiry-statuses/%d", st.ID), nil, http.StatusNotFound)

	// Sources and staff.
	var so contactwire.InquirySource
	b.call(t, "POST", "/api/v1/inquiry-sources", map[string]any{"name": "Messe"}, http.StatusCreated, &so)
	b.call(t, "PUT", fmt.Sprintf("/api/v1/inquiry-sources/%d", so.ID), map[string]any{"name": "Messe 2027"}, http.StatusOK, &so)
	if so.Name != "Messe 2027" {
		t.Fatalf("renamed source %+v", so)
	}
	b.fail(t, "POST", "/api/v1/inquiry-sources", map[string]any{"name": "x", "kind": "won"}, http.StatusUnprocessableEntity)
	var staff contactwire.Staff
	b.call(t, "POST", "/api/v1/staff", map[string]any{"email": "eva@firma.de", "name": "Eva"}, http.StatusCreated, &staff)
	b.fail(t, "POST", "/api/v1/staff", map[string]any{"email": "EVA@firma.de"}, http.StatusConflict)
	b.fail(t, "POST", "/api/v1/staff", map[string]any{"email": "eva"}, http.StatusUnprocessableEntity)
	b.call(t, "PATCH", fmt.Sprintf("/api/v1/staff/%d", staff.ID), map[string]any{"name": "Eva Maria"}, http.StatusOK, &staff)
	var page struct {
		Staff      []contactwire.Staff `json:"staff"`
		NextCursor *string             `json:"next_cursor"`
	}
	b.call(t, "GET", "/api/v1/staff?limit=1", nil, http.StatusOK, &page)
	if len(page.Staff) != 1 || page.NextCursor == nil {
		t.Fatalf("staff page %+v", page)
	}
	b.call(t, "GET", "/api/v1/staff?cursor="+*page.NextCursor, nil, http.StatusOK, &page)
	if len(page.Staff) != 1 || page.Staff[0].Name != "Eva Maria" || page.NextCursor != nil {
		t.Fatalf("staff page 2 %+v", page)
	}
	b.call(t, "DELETE", fmt.Sprintf("/api/v1/staff/%d", staff.ID), nil, http.StatusOK, nil)
	// Another tenant sees none of them.
	other := setup(t)
	other.fail(t, "GET", fmt.Sprintf("/api/v1/inquiry-sources/%d", so.ID), nil, http.StatusNotFound)
	other.fail(t, "DELETE", fmt.Sprintf("/api/v1/inquiry-statuses/%d", q.Status.ID), nil, http.StatusNotFound)
}

// storeOf is the store setup wired into a.
func storeOf(a *handlers.API) *store.Store { return a.InquiryStore.(*store.Store) }

// listedIP is a spam list of one address.
type listedIP struct{ addr netip.Addr }

func (l listedIP) Listed(_ context.Context, _ int64, a netip.Addr) (string, bool, error) {
	return "tenant", a == l.addr, nil
}

// TestInquiryGuards: spam protection and the flood limit apply to inquiries with
// request_ip, counted per address, apart from contacts.
func TestInquiryGuards(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) {
		svc := contacts.New(contacts.Config{Store: storeOf(a), Spam: listedIP{netip.MustParseAddr("198.51.100.7")}, Flood: ratelimit.NewMemoryFloodCounter(nil)})
		a.ContactService = svc
		a.Inquiries = inquiries.New(inquiries.Config{Store: storeOf(a), Contacts: svc})
	})
	b.fail(t, "POST", inquiriesPath, map[string]any{"title": "spam", "request_ip": "198.51.100.7", "spam_protection": true}, http.StatusForbidden)
	b.inquiry(t, map[string]any{"title": "not checked", "request_ip": "198.51.100.7"})
	for i := range 2 {
		b.inquiry(t, map[string]any{"title": fmt.Sprintf("ok %d", i), "request_ip": "192.0.2.1", "flood_limit": 2, "contact": map[string]any{"email": "f@example.de"}})
	}
	rec := b.do(t, "POST", inquiriesPath, map[string]any{"title": "flood", "request_ip": "192.0.2.1", "flood_limit": 2})
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third from one address: %d %s", rec.Code, rec.Body)
	}
	b.inquiry(t, map[string]any{"title": "other address", "request_ip": "192.0.2.2", "flood_limit": 2})
	// An invalid inquiry does not use up the limit.
	b.fail(t, "POST", inquiriesPath, map[string]any{"title": "x", "probability": 500, "request_ip": "192.0.2.3", "flood_limit": 1}, http.StatusUnprocessableEntity)
	b.inquiry(t, map[string]any{"title": "first valid", "request_ip": "192.0.2.3", "flood_limit": 1})
}
