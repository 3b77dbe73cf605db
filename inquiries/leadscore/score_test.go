package leadscore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/inquiries/leadscore"
	"github.com/contacthub/contacthub/models"
)

var now = time.Date(2026, 12, 10, 15, 30, 0, 0, time.UTC)

func open() *models.Inquiry {
	return &models.Inquiry{Title: "t", Status: &models.InquiryStatus{Name: "Neu", Kind: models.StatusOpen}, Urgency: models.UrgencyNormal, TouchedAt: now}
}

func ptr[T any](v T) *T { return &v }

func with(fs ...func(*models.Inquiry)) *models.Inquiry {
	q := open()
	for _, f := range fs {
		f(q)
	}
	return q
}

func urgency(u string) func(*models.Inquiry) { return func(q *models.Inquiry) { q.Urgency = u } }
func prob(p int) func(*models.Inquiry)       { return func(q *models.Inquiry) { q.Probability = ptr(p) } }
func value(cents int64) func(*models.Inquiry) {
	return func(q *models.Inquiry) { q.ExpectedValue = &models.Money{Cents: cents, Currency: "EUR"} }
}
func contact(first, mail, phone string) func(*models.Inquiry) {
	return func(q *models.Inquiry) {
		q.Contact = models.InquiryContact{FirstName: first, Email: mail, Phone: phone}
	}
}
func followUp(d string) func(*models.Inquiry) { return func(q *models.Inquiry) { q.FollowUpOn = d } }
func closeOn(d string) func(*models.Inquiry) {
	return func(q *models.Inquiry) { q.ExpectedCloseOn = d }
}
func touched(ago time.Duration) func(*models.Inquiry) {
	return func(q *models.Inquiry) { q.TouchedAt = now.Add(-ago) }
}
func status(kind string) func(*models.Inquiry) {
	return func(q *models.Inquiry) { q.Status = &models.InquiryStatus{Name: kind, Kind: kind} }
}
func complete(q *models.Inquiry) {
	q.Contact = models.InquiryContact{FirstName: "Anna", FamilyName: "Schmidt", Email: "a@example.de", Phone: "030 1234"}
	q.Address = models.InquiryAddress{Street: "Hauptstr. 1", PostalCode: "10115", City: "Berlin"}
	q.Category, q.DesiredStartOn = "Bad", "2027-03-01"
}

// TestBands checks the scores on both sides of every band boundary.
func TestBands(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		name  string
		q     *models.Inquiry
		score int
		band  string
	}{
		{"nothing but the title", open(), 5, models.BandUnqualified},
		{"19", with(urgency(models.UrgencyUrgent), prob(16)), 19, models.BandUnqualified},
		{"20", with(urgency(models.UrgencyUrgent), prob(20)), 20, models.BandCold},
		{"49", with(urgency(models.UrgencyUrgent), value(50_000_00), prob(36)), 49, models.BandCold},
		{"50", with(urgency(models.UrgencyUrgent), value(50_000_00), prob(40)), 50, models.BandWarm},
		{"79", with(urgency(models.UrgencyUrgent), value(50_000_00), prob(96), contact("Anna", "a@example.de", "030 1")), 79, models.BandWarm},
		{"80", with(urgency(models.UrgencyUrgent), value(50_000_00), prob(100), contact("Anna", "a@example.de", "030 1")), 80, models.BandHot},
		{"100", with(urgency(models.UrgencyUrgent), value(80_000_00), prob(100), complete, followUp("2026-12-10"), closeOn("2027-01-09")), 100, models.BandHot},
		{"clamped at 0", with(urgency(models.UrgencyLow), touched(60*day)), 0, models.BandUnqualified},
		{"won", with(status(models.StatusWon)), 100, models.BandHot},
		{"lost", with(status(models.StatusLost), value(90_000_00), prob(100)), 0, models.BandUnqualified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := leadscore.Score(tc.q, now, nil)
			if s.Score != tc.score || s.Band != tc.band {
				t.Fatalf("score %d %s, want %d %s; factors %+v", s.Score, s.Band, tc.score, tc.band, s.Factors)
			}
			sum := 0
			for _, f := range s.Factors {
				sum += f.Points
			}
			if clamped := max(0, min(100, sum)); clamped != s.Score {
				t.Errorf("factors add up to %d, score is %d", sum, s.Score)
			}
		})
	}
}

// TestFactors checks each factor at its thresholds.
func TestFactors(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		name   string
		q      *models.Inquiry
		factor string
		points int
	}{
		{"no value", open(), leadscore.FactorExpectedValue, 0},
		{"value 0", with(value(0)), leadscore.FactorExpectedValue, 5},
		{"value 999.99", with(value(999_99)), leadscore.FactorExpectedValue, 5},
		{"value 1000", with(value(1_000_00)), leadscore.FactorExpectedValue, 10},
		{"value 4999.99", with(value(4_999_99)), leadscore.FactorExpectedValue, 10},
		{"value 5000", with(value(5_000_00)), leadscore.FactorExpectedValue, 15},
		{"value 20000", with(value(20_000_00)), leadscore.FactorExpectedValue, 20},
		{"value 49999.99", with(value(49_999_99)), leadscore.FactorExpectedValue, 20},
		{"value 50000", with(value(50_000_00)), leadscore.FactorExpectedValue, 25},
		{"budget max counts without a value", with(func(q *models.Inquiry) {
			q.Budget = &models.Budget{MinCents: ptr(int64(1_000_00)), MaxCents: ptr(int64(6_000_00)), Currency: "EUR"}
		}), leadscore.FactorExpectedValue, 15},
		{"budget min alone", with(func(q *models.Inquiry) { q.Budget = &models.Budget{MinCents: ptr(int64(1_000_00)), Currency: "EUR"} }), leadscore.FactorExpectedValue, 10},
		{"probability unknown", open(), leadscore.FactorProbability, 0},
		{"probability 0", with(prob(0)), leadscore.FactorProbability, 0},
		{"probability 1 rounds down", with(prob(1)), leadscore.FactorProbability, 0},
		{"probability 2 rounds up", with(prob(2)), leadscore.FactorProbability, 1},
		{"probability 100", with(prob(100)), leadscore.FactorProbability, 25},
		{"urgency low", with(urgency(models.UrgencyLow)), leadscore.FactorUrgency, 0},
		{"urgency unset is normal", with(urgency("")), leadscore.FactorUrgency, 5},
		{"urgency high", with(urgency(models.UrgencyHigh)), leadscore.FactorUrgency, 10},
		{"nothing complete", open(), leadscore.FactorCompleteness, 0},
		{"everything complete", with(complete), leadscore.FactorCompleteness, 25},
		{"address without city", with(func(q *models.Inquiry) { q.Address = models.InquiryAddress{Street: "a", PostalCode: "1"} }), leadscore.FactorCompleteness, 0},
		{"follow-up today", with(followUp("2026-12-10")), leadscore.FactorFollowUp, 5},
		{"follow-up yesterday", with(followUp("2026-12-09")), leadscore.FactorFollowUp, -5},
		{"follow-up 7 days ago", with(followUp("2026-12-03")), leadscore.FactorFollowUp, -5},
		{"follow-up 8 days ago", with(followUp("2026-12-02")), leadscore.FactorFollowUp, -10},
		{"close in 30 days", with(closeOn("2027-01-09")), leadscore.FactorExpectedClose, 5},
		{"close in 31 days", with(closeOn("2027-01-10")), leadscore.FactorExpectedClose, 0},
		{"close today", with(closeOn("2026-12-10")), leadscore.FactorExpectedClose, 5},
		{"close passed", with(closeOn("2026-12-09")), leadscore.FactorExpectedClose, -5},
		{"touched 13 days ago", with(touched(14*day - time.Second)), leadscore.FactorStaleness, 0},
		{"touched 14 days ago", with(touched(14 * day)), leadscore.FactorStaleness, -10},
		{"touched 28 days ago", with(touched(28 * day)), leadscore.FactorStaleness, -20},
		{"touched 56 days ago", with(touched(56 * day)), leadscore.FactorStaleness, -30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := leadscore.Score(tc.q, now, nil)
			for _, f := range s.Factors {
				if f.Factor == tc.factor {
					if f.Points != tc.points {
						t.Fatalf("%s: %d points (%s), want %d", f.Factor, f.Points, f.Detail, tc.points)
					}
					return
				}
			}
			t.Fatalf("no factor %s in %+v", tc.factor, s.Factors)
		})
	}
}

// TestNext checks when time alone changes the score next, and that it does then.
func TestNext(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	midnight := func(d string) time.Time { t, _ := time.Parse("2006-01-02", d); return t }
	for _, tc := range []struct {
		name string
		q    *models.Inquiry
		want time.Time
	}{
		{"fresh: staleness at 14 days", open(), now.Add(14 * day)},
		{"stale 20 days: next step at 28", with(prob(100), touched(20*day)), now.Add(8 * day)},
		{"follow-up tomorrow: overdue the day after", with(followUp("2026-12-11")), midnight("2026-12-12")},
		{"overdue 2 days: long overdue a week after the day after", with(prob(100), followUp("2026-12-08")), midnight("2026-12-16")},
		{"close in 40 days: soon in 10", with(closeOn("2027-01-19")), midnight("2026-12-20")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, next := leadscore.Score(tc.q, now, nil)
			if next == nil || !next.Equal(tc.want) {
				t.Fatalf("next %v, want %v", next, tc.want)
			}
			if still, _ := leadscore.Score(tc.q, tc.want.Add(-time.Second), nil); still.Score != before.Score {
				t.Errorf("score changed before next: %d -> %d", before.Score, still.Score)
			}
			if after, _ := leadscore.Score(tc.q, tc.want, nil); after.Score == before.Score {
				t.Errorf("score did not change at next: still %d", after.Score)
			}
		})
	}
	if _, next := leadscore.Score(with(status(models.StatusWon)), now, nil); next != nil {
		t.Errorf("a won inquiry is re-scored at %v; want never", next)
	}
	if _, next := leadscore.Score(with(touched(57*day)), now, nil); next != nil {
		t.Errorf("an inquiry stale for good is re-scored at %v; want never", next)
	}
}

// TestWeights checks that a tenant's weights multiply each factor's points (rounded
// half away from zero), move the band, say so in the detail, and leave a closed
// inquiry's status factor alone.
func TestWeights(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	weights := func(kv map[string]float64) *models.ScoreWeights {
		w := models.DefaultScoreWeights(1)
		for k, v := range kv {
			w.Weights[k] = v
		}
		return w
	}
	// urgent 15 + probability 40 % 10 + value 50,000 25 = 50: warm.
	q := with(urgency(models.UrgencyUrgent), value(50_000_00), prob(40))
	for _, tc := range []struct {
		name  string
		w     *models.ScoreWeights
		score int
		band  string
	}{
		{"nil is the table", nil, 50, models.BandWarm},
		{"all 1 is the table", weights(nil), 50, models.BandWarm},
		{"value ignored", weights(map[string]float64{models.FactorExpectedValue: 0}), 25, models.BandCold},
		{"urgency doubled", weights(map[string]float64{models.FactorUrgency: 2}), 65, models.BandWarm},
		{"probability ×3 makes it hot", weights(map[string]float64{models.FactorProbability: 3, models.FactorUrgency: 2}), 85, models.BandHot},
		{"rounded half away from zero", weights(map[string]float64{models.FactorUrgency: 0.5}), 43, models.BandCold}, // 7.5 → 8
		{"clamped at 100", weights(map[string]float64{models.FactorExpectedValue: 5}), 100, models.BandHot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := leadscore.Score(q, now, tc.w)
			if s.Score != tc.score || s.Band != tc.band {
				t.Fatalf("score %d %s, want %d %s; factors %+v", s.Score, s.Band, tc.score, tc.band, s.Factors)
			}
		})
	}
	stale := with(prob(100), touched(15*day))
	s, _ := leadscore.Score(stale, now, weights(map[string]float64{models.FactorStaleness: 1.5}))
	for _, f := range s.Factors {
		if f.Factor == models.FactorStaleness && (f.Points != -15 || !strings.Contains(f.Detail, "weight 1.5")) {
			t.Errorf("staleness ×1.5: %d points, %q; want -15 and the weight named", f.Points, f.Detail)
		}
		if f.Factor == models.FactorProbability && strings.Contains(f.Detail, "weight") {
			t.Errorf("probability weighs 1 but its detail says %q", f.Detail)
		}
	}
	won, _ := leadscore.Score(with(status(models.StatusWon)), now, weights(map[string]float64{models.FactorUrgency: 0}))
	if won.Score != 100 {
		t.Errorf("a won inquiry with weights scores %d, want 100", won.Score)
	}
}
