package inquiries_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestRescoreJob: the periodic River job cools down an inquiry nobody touched, by the
// store's clock, and the change is an inquiry.updated event.
func TestRescoreJob(t *testing.T) {
	// The clock stands years back, so the job (which serves every tenant) touches no
	// other test's inquiries.
	clock := storetest.NewClock(time.Date(2003, 3, 1, 9, 0, 0, 0, time.UTC))
	st := storetest.OpenWithClock(t, clock)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	engine := jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob { return inquiries.Register(w, st, nil) })
	svc := inquiries.New(inquiries.Config{Store: st, Contacts: contacts.New(contacts.Config{Store: st}), Jobs: engine})
	in := &models.InquiryInput{Title: models.Given("Wintergarten"), Probability: models.Given(100), Urgency: models.Given(models.UrgencyUrgent),
		ExpectedValue: models.Given(models.MoneyInput{Amount: "75000"}), Contact: models.Given(models.ContactInput{Name: "Ida Roth", Email: "ida@example.de"})}
	q, err := svc.Create(ctx, tn.ID, in, inquiries.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Score.Score != 75 || q.Score.Band != models.BandWarm {
		t.Fatalf("fresh: %d %s", q.Score.Score, q.Score.Band)
	}
	rescore := func() {
		t.Helper()
		rescoreNow(ctx, t, engine)
	}
	for _, step := range []struct {
		after time.Duration
		score int
		band  string
	}{
		{13 * 24 * time.Hour, 75, models.BandWarm},
		{24 * time.Hour, 65, models.BandWarm},      // 14 days: -10
		{14 * 24 * time.Hour, 55, models.BandWarm}, // 28 days: -20
		{28 * 24 * time.Hour, 45, models.BandCold}, // 56 days: -30
	} {
		clock.Advance(step.after)
		rescore()
		got, err := st.GetInquiry(ctx, tn.ID, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Score.Score != step.score || got.Score.Band != step.band {
			t.Fatalf("at %v: %d %s, want %d %s", clock.Now(), got.Score.Score, got.Score.Band, step.score, step.band)
		}
	}
	// A change by a client warms it up again.
	got, err := svc.Update(ctx, tn.ID, q.ID, &models.InquiryInput{Notes: models.Given("Kunde hat angerufen")}, models.InquiryPatch)
	if err != nil || got.Score.Score != 75 {
		t.Fatalf("after a change: %v, %v", got.Score, err)
	}
}

// rescoreNow runs a re-score that starts after this call, and waits for it. The job
// is unique while one waits or runs: an insert skipped as a duplicate of a run that
// began earlier — the periodic job's run on start, which River enqueues when it gets
// to it, on a loaded machine after the test has moved its clock — would leave that
// run, which read the clock before, as the only one; so wait for it and insert again.
func rescoreNow(ctx context.Context, t *testing.T, engine *jobs.Engine) {
	t.Helper()
	for {
		res, err := engine.Insert(ctx, inquiries.RescoreArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jobstest.WaitIdle(t, engine)
		if !res.UniqueSkippedAsDuplicate {
			return
		}
	}
}
