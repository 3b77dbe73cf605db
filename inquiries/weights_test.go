package inquiries_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestWeightsRescore: a change of a tenant's weights re-scores its open inquiries in
// the background (a closed one keeps 100, another tenant keeps its scores), the
// periodic re-score uses the weights, and a job of an older version does nothing.
func TestWeightsRescore(t *testing.T) {
	// Years back, as in TestRescoreJob: the periodic job serves every tenant.
	clock := storetest.NewClock(time.Date(2004, 5, 1, 9, 0, 0, 0, time.UTC))
	st := storetest.OpenWithClock(t, clock)
	a, b := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	ctx := context.Background()
	engine := jobstest.Start(t, st, func(w *river.Workers) []*river.PeriodicJob { return inquiries.Register(w, st, nil) })
	svc := inquiries.New(inquiries.Config{Store: st, Contacts: contacts.New(contacts.Config{Store: st}), Jobs: engine})
	// urgent 15 + probability 100 % 25 + value 75,000 25 + name and e-mail 10 = 75.
	in := func(status string) *models.InquiryInput {
		return &models.InquiryInput{Title: models.Given("Dach"), Probability: models.Given(100), Urgency: models.Given(models.UrgencyUrgent),
			Status:        models.Given(models.StatusRef{Name: status}),
			ExpectedValue: models.Given(models.MoneyInput{Amount: "75000"}), Contact: models.Given(models.ContactInput{Name: "Ida Roth", Email: "ida@example.de"})}
	}
	create := func(tenant int64, status string) *models.Inquiry {
		t.Helper()
		q, err := svc.Create(ctx, tenant, in(status), inquiries.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	score := func(tenant, id int64) models.LeadScore {
		t.Helper()
		q, err := st.GetInquiry(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return q.Score
	}
	openA, wonA, openB := create(a.ID, "Neu"), create(a.ID, "Gewonnen"), create(b.ID, "Neu")
	if openA.Score.Score != 75 || wonA.Score.Score != 100 || openB.Score.Score != 75 {
		t.Fatalf("before: %d, %d, %d", openA.Score.Score, wonA.Score.Score, openB.Score.Score)
	}

	weights := models.DefaultScoreWeights(a.ID).Weights
	weights[models.FactorExpectedValue] = 0
	weights[models.FactorStaleness] = 2
	w, err := svc.SetScoreWeights(ctx, a.ID, weights)
	if err != nil {
		t.Fatal(err)
	}
	if w.Version != 1 {
		t.Fatalf("version %d, want 1", w.Version)
	}
	jobstest.WaitIdle(t, engine)
	if s := score(a.ID, openA.ID); s.Score != 50 || s.Band != models.BandWarm {
		t.Errorf("tenant's open inquiry after the change: %d %s, want 50 warm", s.Score, s.Band)
	}
	if s := score(a.ID, wonA.ID); s.Score != 100 {
		t.Errorf("won inquiry after the change: %d, want 100", s.Score)
	}
	if s := score(b.ID, openB.ID); s.Score != 75 {
		t.Errorf("other tenant's inquiry: %d, want 75 (untouched)", s.Score)
	}
	// A new inquiry takes the weights at once.
	if q := create(a.ID, "Neu"); q.Score.Score != 50 {
		t.Errorf("new inquiry: %d, want 50", q.Score.Score)
	}

	// The periodic re-score: 14 days untouched is -10, doubled.
	clock.Advance(14 * 24 * time.Hour)
	rescoreNow(ctx, t, engine)
	if s := score(a.ID, openA.ID); s.Score != 30 || s.Band != models.BandCold {
		t.Errorf("after 14 days: %d %s, want 30 cold", s.Score, s.Band)
	}
	if s := score(b.ID, openB.ID); s.Score != 65 {
		t.Errorf("other tenant after 14 days: %d, want 65", s.Score)
	}

	// A job of a version a later change superseded changes nothing; the later one does.
	weights[models.FactorStaleness] = 1
	if _, err := svc.SetScoreWeights(ctx, a.ID, weights); err != nil {
		t.Fatal(err)
	}
	jobstest.WaitIdle(t, engine)
	if s := score(a.ID, openA.ID); s.Score != 40 {
		t.Errorf("after the second change: %d, want 40", s.Score)
	}
	if _, err := st.SetInquiryScoreWeights(ctx, &models.ScoreWeights{TenantID: a.ID, Weights: models.DefaultScoreWeights(a.ID).Weights}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Insert(ctx, inquiries.WeightsRescoreArgs{TenantID: a.ID, Version: 2, Settle: true}, nil); err != nil {
		t.Fatal(err)
	}
	jobstest.WaitIdle(t, engine)
	if s := score(a.ID, openA.ID); s.Score != 40 {
		t.Errorf("a superseded job re-scored: %d, want 40 still", s.Score)
	}

	// Validation: unknown factors and bad numbers are named; nothing is stored.
	bad := map[string]float64{"budget": 1, models.FactorUrgency: 7}
	_, err = svc.SetScoreWeights(ctx, a.ID, bad)
	var de *models.Error
	if !errors.As(err, &de) || de.Code != models.EINVALID {
		t.Fatalf("bad weights: %v, want EINVALID", err)
	}
	named := map[string]bool{}
	for _, f := range de.Fields {
		named[f.Field] = true
	}
	for _, f := range []string{"weights.budget", "weights.urgency", "weights.probability"} {
		if !named[f] {
			t.Errorf("error does not name %s: %+v", f, de.Fields)
		}
	}
	if got, err := svc.ScoreWeights(ctx, a.ID); err != nil || got.Version != 3 {
		t.Errorf("after a refused change: %+v, %v; want version 3", got, err)
	}
}
