package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func title(s string) *models.InquiryInput {
	return &models.InquiryInput{Title: models.Given(s)}
}

func newInquiry(t *testing.T, st *store.Store, tenantID int64, in *models.InquiryInput) *models.Inquiry {
	t.Helper()
	q, err := st.CreateInquiry(context.Background(), tenantID, in, nil)
	if err != nil {
		t.Fatalf("create inquiry: %v", err)
	}
	return q
}

// eventTypes are the types of the tenant's events, in id order (tenantEventTypes).
func eventTypes(t *testing.T, st *store.Store, tenantID int64) []string {
	t.Helper()
	types, _, _ := tenantEventTypes(t, st, tenantID, 0)
	return types
}

func TestCreateInquiryDefaultsAndRefs(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()

	q := newInquiry(t, st, tn.ID, title("Bad sanieren"))
	if q.Status.Name != "Neu" || q.Status.Kind != models.StatusOpen || q.Source.Name != "API" {
		t.Fatalf("defaults: status %+v, source %+v", q.Status, q.Source)
	}
	if q.Score.Band == "" || len(q.Score.Factors) == 0 || q.RescoreAt == nil || q.Version != 1 {
		t.Fatalf("score %+v, rescore at %v, version %d", q.Score, q.RescoreAt, q.Version)
	}

	in := title("Dach")
	in.Status = models.Given(models.StatusRef{Name: "gewonnen"})
	in.Source = models.Given(models.SourceRef{Name: "LinkedIn Ads"})
	in.Assignee = models.Given(models.StaffRef{Email: "Max@Firma.de", Name: "Max"})
	termID := newTerm(t, st, tn.ID, "Dach")
	in.Tags = models.Given([]models.TagRef{{Name: "Neubau"}, {ID: termID}, {Name: "dach"}})
	q2 := newInquiry(t, st, tn.ID, in)
	if q2.Status.Kind != models.StatusWon || q2.Score.Score != 100 {
		t.Errorf("a status named gewonnen: %+v, score %d", q2.Status, q2.Score.Score)
	}
	if q2.Source.Name != "LinkedIn Ads" || q2.Assignee == nil || q2.Assignee.Email != "Max@Firma.de" {
		t.Errorf("source %+v, assignee %+v", q2.Source, q2.Assignee)
	}
	if len(q2.Tags) != 2 || q2.Tags[0].ID != termID || q2.Tags[1].Name != "Neubau" {
		t.Errorf("tags %+v", q2.Tags)
	}
	// Named again, they are found, ignoring case.
	in3 := title("Keller")
	in3.Source = models.Given(models.SourceRef{Name: "linkedin ads"})
	in3.Assignee = models.Given(models.StaffRef{Email: "max@firma.de"})
	q3 := newInquiry(t, st, tn.ID, in3)
	if q3.Source.ID != q2.Source.ID || q3.Assignee.ID != q2.Assignee.ID {
		t.Errorf("named again: source %d/%d, staff %d/%d", q3.Source.ID, q2.Source.ID, q3.Assignee.ID, q2.Assignee.ID)
	}
	got, err := st.GetInquiry(ctx, tn.ID, q2.ID)
	if err != nil || got.Status.Name != "gewonnen" || len(got.Tags) != 2 || got.Assignee.Name != "Max" {
		t.Fatalf("read back: %+v, %v", got, err)
	}

	// Unknown references are named, all at once; nothing is written.
	bad := title("x")
	bad.Status = models.Given(models.StatusRef{ID: 999999})
	bad.Source = models.Given(models.SourceRef{ID: 999999})
	bad.Assignee = models.Given(models.StaffRef{ID: 999999})
	bad.Tags = models.Given([]models.TagRef{{ID: 999999}})
	bad.CustomerID = models.Given(int64(999999))
	_, err = st.CreateInquiry(ctx, tn.ID, bad, nil)
	var de *models.Error
	if !errors.As(err, &de) || de.Code != models.EINVALID || len(de.Fields) != 5 {
		t.Fatalf("unknown refs: %v", err)
	}
	// Another tenant sees none of it.
	if _, err := st.GetInquiry(ctx, storetest.NewTenant(t, st).ID, q.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("other tenant's read: %v", err)
	}
	want := []string{"inquiry_status.created", "inquiry_source.created", "inquiry.created", "term.created", "inquiry_status.created",
		"inquiry_source.created", "staff.created", "term.created", "inquiry.created", "inquiry.created"}
	if got := eventTypes(t, st, tn.ID); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestInquiryRefsRace: concurrent inquiries naming one new source, status, staff
// member and tag create each once.
func TestInquiryRefsRace(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := title(fmt.Sprintf("race %d", i))
			in.Source = models.Given(models.SourceRef{Name: "Portal X"})
			in.Status = models.Given(models.StatusRef{Name: "Rückruf"})
			in.Assignee = models.Given(models.StaffRef{Email: "team@firma.de"})
			in.Tags = models.Given([]models.TagRef{{Name: "Heizung"}, {Name: "Bad"}})
			_, err := st.CreateInquiry(ctx, tn.ID, in, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sources, _ := st.ListInquirySources(ctx, tn.ID)
	statuses, _ := st.ListInquiryStatuses(ctx, tn.ID)
	staff, _ := st.ListStaff(ctx, tn.ID, 0, 0)
	terms, _ := st.ListTerms(ctx, tn.ID, 0, 0)
	if len(sources) != 1 || len(statuses) != 1 || len(staff) != 1 || len(terms) != 2 {
		t.Fatalf("sources %d, statuses %d, staff %d, terms %d; want 1 1 1 2", len(sources), len(statuses), len(staff), len(terms))
	}
}

func TestUpdateInquiry(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	in := title("Fenster")
	in.Probability = models.Given(40)
	in.Notes = models.Given("drei Fenster")
	in.Source = models.Given(models.SourceRef{Name: "Website"})
	q := newInquiry(t, st, tn.ID, in)

	// PATCH: only what is given.
	p, err := st.UpdateInquiry(ctx, tn.ID, q.ID, &models.InquiryInput{Probability: models.Given(80)}, models.InquiryPatch, nil)
	if err != nil || *p.Probability != 80 || p.Notes != "drei Fenster" || p.Source.Name != "Website" || p.Version != 2 || p.Score.Score <= q.Score.Score {
		t.Fatalf("patch: %+v, %v", p, err)
	}
	// The same again changes nothing: no new version, no event.
	same, err := st.UpdateInquiry(ctx, tn.ID, q.ID, &models.InquiryInput{Probability: models.Given(80)}, models.InquiryPatch, nil)
	if err != nil || same.Version != 2 {
		t.Fatalf("no-op patch: version %d, %v", same.Version, err)
	}
	// A stale version is refused.
	_, err = st.UpdateInquiry(ctx, tn.ID, q.ID, &models.InquiryInput{Notes: models.Given("x"), Version: models.Given(int64(1))}, models.InquiryPatch, nil)
	if !errors.Is(err, models.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	// PUT: what is not given is cleared; status and source go back to the defaults.
	r, err := st.UpdateInquiry(ctx, tn.ID, q.ID, title("Fenster und Türen"), models.InquiryReplace, nil)
	if err != nil || r.Probability != nil || r.Notes != "" || r.Source.Name != "API" || r.Title != "Fenster und Türen" {
		t.Fatalf("replace: %+v, %v", r, err)
	}
	if _, err := st.UpdateInquiry(ctx, tn.ID, 99999999, title("x"), models.InquiryReplace, nil); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := st.DeleteInquiry(ctx, tn.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteInquiry(ctx, tn.ID, q.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	want := []string{"inquiry_status.created", "inquiry_source.created", "inquiry.created", "inquiry.updated", "inquiry_source.created", "inquiry.updated", "inquiry.deleted"}
	if got := eventTypes(t, st, tn.ID); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestInquiryCustomerFollowsContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	a := newContact(t, st, tn.ID, map[string]any{"mail": "a@example.com", "first_name": "A"})
	b := newContact(t, st, tn.ID, map[string]any{"mail": "b@example.com", "first_name": "B"})
	in := title("x")
	in.CustomerID = models.Given(b)
	q := newInquiry(t, st, tn.ID, in)
	if q.Customer == nil || q.Customer.ID != b || !q.Customer.Matched {
		t.Fatalf("customer %+v", q.Customer)
	}
	if _, err := st.MergeContacts(ctx, tn.ID, models.MergeRequest{TargetID: a, SourceID: b}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetInquiry(ctx, tn.ID, q.ID); got.Customer == nil || got.Customer.ID != a || got.Version != 2 {
		t.Fatalf("after merge: customer %+v, version %d", got.Customer, got.Version)
	}
	if err := st.DeleteContact(ctx, tn.ID, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetInquiry(ctx, tn.ID, q.ID); got.Customer != nil || got.Version != 3 {
		t.Fatalf("after delete: customer %+v, version %d", got.Customer, got.Version)
	}
	// A matched customer that is gone meanwhile is reported, to be matched again.
	_, err := st.CreateInquiry(ctx, tn.ID, title("y"), &models.CustomerLink{ID: a})
	if !errors.Is(err, models.ErrCustomerGone) {
		t.Fatalf("gone customer: %v", err)
	}
}

func TestInquiryRefsInUse(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	in := title("x")
	in.Assignee = models.Given(models.StaffRef{Email: "s@firma.de"})
	in.Tags = models.Given([]models.TagRef{{Name: "weg"}})
	q := newInquiry(t, st, tn.ID, in)
	for _, del := range []func() error{
		func() error { return st.DeleteInquiryStatus(ctx, tn.ID, q.Status.ID) },
		func() error { return st.DeleteInquirySource(ctx, tn.ID, q.Source.ID) },
		func() error { return st.DeleteStaff(ctx, tn.ID, q.Assignee.ID) },
	} {
		if err := del(); !errors.Is(err, models.ErrConflict) {
			t.Errorf("delete in use: %v, want conflict", err)
		}
	}
	// A deleted term leaves the inquiry.
	if err := st.DeleteTerm(ctx, tn.ID, q.Tags[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetInquiry(ctx, tn.ID, q.ID); len(got.Tags) != 0 || got.Version != 2 {
		t.Fatalf("after term delete: %+v, version %d", got.Tags, got.Version)
	}
	if err := st.DeleteInquiry(ctx, tn.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteInquiryStatus(ctx, tn.ID, q.Status.ID); err != nil {
		t.Errorf("delete unused status: %v", err)
	}
	if err := st.DeleteStaff(ctx, tn.ID, q.Assignee.ID); err != nil {
		t.Errorf("delete unused staff: %v", err)
	}
}

func TestRescoreDue(t *testing.T) {
	t.Parallel()
	// RescoreDue serves every tenant: the clock stands years before the other tests'
	// inquiries, so this test re-scores none of theirs.
	clock := storetest.NewClock(time.Date(2001, 12, 1, 12, 0, 0, 0, time.UTC))
	st := storetest.OpenWithClock(t, clock)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	in := title("warm")
	in.Probability = models.Given(100)
	in.Urgency = models.Given(models.UrgencyUrgent)
	in.ExpectedValue = models.Given(models.MoneyInput{Amount: "60000"})
	q := newInquiry(t, st, tn.ID, in)
	if q.Score.Score != 65 {
		t.Fatalf("score %d, want 65", q.Score.Score)
	}
	rescoreAll := func() {
		for {
			n, err := st.RescoreDue(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n < 100 {
				return
			}
		}
	}
	clock.Advance(13 * 24 * time.Hour)
	rescoreAll()
	if got, _ := st.GetInquiry(ctx, tn.ID, q.ID); got.Score.Score != 65 || got.Version != 1 {
		t.Fatalf("after 13 days: %d (version %d), want unchanged", got.Score.Score, got.Version)
	}
	clock.Advance(24 * time.Hour)
	rescoreAll()
	got, _ := st.GetInquiry(ctx, tn.ID, q.ID)
	if got.Score.Score != 55 || got.Version != 2 || !got.TouchedAt.Equal(q.TouchedAt) {
		t.Fatalf("after 14 days: %d (version %d, touched %v), want 55, version 2", got.Score.Score, got.Version, got.TouchedAt)
	}
	clock.Advance(50 * 24 * time.Hour)
	rescoreAll()
	if got, _ := st.GetInquiry(ctx, tn.ID, q.ID); got.Score.Score != 35 || got.Score.Band != models.BandCold || got.RescoreAt != nil {
		t.Fatalf("after 64 days: %d %s, rescore at %v; want 35 cold, never", got.Score.Score, got.Score.Band, got.RescoreAt)
	}
	if types := eventTypes(t, st, tn.ID); types[len(types)-1] != models.EventInquiryUpdated || len(types) != 5 {
		t.Errorf("events %v: want two inquiry.updated from the re-scores", types)
	}
}
