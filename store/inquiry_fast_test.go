package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestCreateInquiryAtOnce: on PostgreSQL an inquiry whose status and source an
// earlier create resolved is written with one statement, and is the inquiry the
// transaction would have written (as read back, and as its event says); a status or
// source renamed meanwhile, or a customer deleted, makes the statement write nothing
// and the transaction decide.
func TestCreateInquiryAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A store of its own: the counts are its creates alone.
	st, err := store.Open(ctx, storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tn := storetest.NewTenant(t, st)
	pg := storetest.Dialect() == store.Postgres
	counts := func() (int64, int64) { return st.InquiryCreateCounts() }
	atOnce0, tx0 := counts()
	expect := func(what string, atOnce, tx int64) {
		t.Helper()
		a, x := counts()
		if !pg {
			atOnce, tx = 0, atOnce+tx // SQLite: always the transaction
		}
		if a-atOnce0 != atOnce || x-tx0 != tx {
			t.Fatalf("%s: %d at once, %d transactions; want %d and %d", what, a-atOnce0, x-tx0, atOnce, tx)
		}
	}
	form := func(title string) *models.InquiryInput {
		in := &models.InquiryInput{Title: models.Given(title), Source: models.Given(models.SourceRef{Name: "Website"})}
		in.Contact = models.Given(models.ContactInput{FirstName: "Anna", FamilyName: "Schmidt", Email: "anna@example.de", Phone: "+49 30 1234567"})
		in.Address = models.Given(models.InquiryAddress{Street: "Hauptstraße 5", PostalCode: "10115", City: "Berlin", Country: "DE"})
		in.Urgency = models.Given(models.UrgencyHigh)
		in.ExpectedValue = models.Given(models.MoneyInput{Amount: "12000", Currency: "EUR"})
		in.Probability = models.Given(40)
		in.Category = models.Given("Bad")
		in.FollowUpOn = models.Given("2099-01-15")
		in.Notes = models.Given("Bitte zurückrufen")
		return in
	}
	first := newInquiry(t, st, tn.ID, form("erste"))
	expect("first create", 0, 1)
	customer := newContact(t, st, tn.ID, map[string]any{"mail": "anna@example.de", "first_name": "Anna"})
	link := &models.CustomerLink{ID: customer, Matched: true, Explanation: &models.Explanation{Score: 12.5, Threshold: 8, Match: true}}
	second, err := st.CreateInquiry(ctx, tn.ID, form("zweite"), link)
	if err != nil {
		t.Fatal(err)
	}
	expect("second create", 1, 1)
	if second.Status.ID != first.Status.ID || second.Source.ID != first.Source.ID || second.Customer == nil || second.Customer.ID != customer {
		t.Fatalf("second: status %+v, source %+v, customer %+v", second.Status, second.Source, second.Customer)
	}
	// What was answered, what is read back and what the event says are one inquiry.
	read, err := st.GetInquiry(ctx, tn.ID, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	answered, _ := json.Marshal(contactwire.InquiryFromModel(second))
	_, data, _ := tenantEventTypes(t, st, tn.ID, 0)
	if last := data[len(data)-1]; string(last) != string(answered) {
		t.Fatalf("event %s\nanswered %s", last, answered)
	}
	// PostgreSQL keeps microseconds (as after the transaction).
	for _, at := range []*time.Time{&second.CreatedAt, &second.UpdatedAt, &second.TouchedAt, &read.CreatedAt, &read.UpdatedAt, &read.TouchedAt} {
		*at = at.Truncate(time.Microsecond)
	}
	answered, _ = json.Marshal(contactwire.InquiryFromModel(second))
	if stored, _ := json.Marshal(contactwire.InquiryFromModel(read)); string(answered) != string(stored) {
		t.Fatalf("answered %s\nread back %s", answered, stored)
	}
	// The same body through the transaction scores the same.
	if second.Score.Score != first.Score.Score || second.Score.Band != first.Score.Band {
		t.Fatalf("scores %+v and %+v", first.Score, second.Score)
	}

	// The source renamed: "Website" is a new source now.
	if _, err := st.UpdateInquirySource(ctx, tn.ID, first.Source.ID, models.RefChange{Name: ptr("Website (alt)")}); err != nil {
		t.Fatal(err)
	}
	third := newInquiry(t, st, tn.ID, form("dritte"))
	expect("after a rename", 1, 2)
	if third.Source.ID == first.Source.ID || third.Source.Name != "Website" {
		t.Fatalf("third: source %+v", third.Source)
	}
	newInquiry(t, st, tn.ID, form("vierte"))
	expect("once learnt again", 2, 2)
	// "Neu" renamed with "New" beside it: "New" is the default now.
	if err := st.CreateInquiryStatus(ctx, &models.InquiryStatus{TenantID: tn.ID, Name: "New", Kind: models.StatusOpen}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateInquiryStatus(ctx, tn.ID, first.Status.ID, models.RefChange{Name: ptr("Eingang")}); err != nil {
		t.Fatal(err)
	}
	fifth := newInquiry(t, st, tn.ID, form("fünfte"))
	expect("a new default status", 2, 3)
	if fifth.Status.Name != "New" {
		t.Fatalf("fifth: status %+v", fifth.Status)
	}
	// The tenant's score weights changed by another replica: the statement sees a new
	// version and writes nothing; the transaction scores with the new weights.
	other, err := store.Open(ctx, storetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	weights := models.DefaultScoreWeights(tn.ID).Weights
	weights[models.FactorUrgency] = 0
	if _, err := other.SetInquiryScoreWeights(ctx, &models.ScoreWeights{TenantID: tn.ID, Weights: weights}, nil); err != nil {
		t.Fatal(err)
	}
	sixth := newInquiry(t, st, tn.ID, form("sechste"))
	expect("new weights", 2, 4)
	seventh := newInquiry(t, st, tn.ID, form("siebte"))
	expect("the new weights learnt", 3, 4)
	if want := fifth.Score.Score - 10; sixth.Score.Score != want || seventh.Score.Score != want {
		t.Fatalf("with urgency weighing 0: %d and %d, want %d", sixth.Score.Score, seventh.Score.Score, want)
	}
	// A customer deleted meanwhile: nothing written at once, reported by the transaction.
	if err := st.DeleteContact(ctx, tn.ID, customer); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateInquiry(ctx, tn.ID, form("achte"), link); !errors.Is(err, models.ErrCustomerGone) {
		t.Fatalf("gone customer: %v", err)
	}
	expect("a gone customer", 3, 4)
	// Tags, an assignee or a status by id go through the transaction.
	in := form("neunte")
	in.Tags = models.Given([]models.TagRef{{Name: "Bad"}})
	newInquiry(t, st, tn.ID, in)
	expect("with tags", 3, 5)
}

func ptr[T any](v T) *T { return &v }
