// Package leadscore computes an inquiry's lead score: 0–100 points from a fixed
// table of factors (README, "Lead score"), each factor's points returned with it so
// every score can be explained. It is pure — an inquiry and a time in, a score out —
// so the store can score inside the transaction that writes the inquiry and the daily
// job can re-score without anything else.
//
// Time matters: a follow-up date passes, an expected close comes near, an inquiry
// nobody touches cools down. Score therefore also returns when time alone changes the
// score next, so the re-score job reads only the inquiries that are due.
package leadscore

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/contacthub/contacthub/models"
)

// Factor names, as lead_factors shows them (models holds them: a tenant's weights
// name them too).
const (
	FactorExpectedValue = models.FactorExpectedValue
	FactorProbability   = models.FactorProbability
	FactorUrgency       = models.FactorUrgency
	FactorCompleteness  = models.FactorCompleteness
	FactorFollowUp      = models.FactorFollowUp
	FactorExpectedClose = models.FactorExpectedClose
	FactorStaleness     = models.FactorStaleness
	FactorStatus        = models.FactorStatus
)

// Points of the factors (the README's table).
const (
	// probability / 4, rounded.
	probabilityMax = 25
	// contact data and project details.
	pointsName, pointsEmail, pointsPhone, pointsAddress = 5, 5, 5, 5
	pointsCategory, pointsDesiredStart                  = 3, 2
	// a follow-up date today or later; overdue; overdue for more than a week.
	followUpPlanned, followUpOverdue, followUpLongOverdue = 5, -5, -10
	overdueLong                                           = 7 // days
	// an expected close within closeSoon days (today included); one that passed.
	closeSoonPoints, closePassedPoints = 5, -5
	closeSoon                          = 30 // days
	// a won inquiry scores the most, a lost one nothing, whatever else it has.
	wonScore, lostScore = 100, 0
)

// valueSteps are the thresholds of the expected value in whole currency units and the
// points from each.
var valueSteps = []struct {
	from   int64
	points int
}{{50_000, 25}, {20_000, 20}, {5_000, 15}, {1_000, 10}, {0, 5}}

// urgencyPoints are the points of each urgency.
var urgencyPoints = map[string]int{
	models.UrgencyLow: 0, models.UrgencyNormal: 5, models.UrgencyHigh: 10, models.UrgencyUrgent: 15,
}

// staleSteps: days since the last change a client made, and the points from then on.
var staleSteps = []struct {
	days   int
	points int
}{{56, -30}, {28, -20}, {14, -10}}

const day = 24 * time.Hour

// Score is q's lead score at now: the sum of the factors' points, clamped to 0..100,
// with its band and every factor (in the table's order). w are the tenant's weights:
// each factor's points are multiplied by its weight and rounded (half away from
// zero), and a factor whose weight is not 1 says so in its detail; a nil w weighs
// every factor 1. A closed inquiry's status factor has no weight. next is when time
// alone changes the score next; nil when it never does (a closed inquiry). q.Status
// must be set (its Kind decides whether the inquiry is closed).
func Score(q *models.Inquiry, now time.Time, w *models.ScoreWeights) (s models.LeadScore, next *time.Time) {
	now = now.UTC()
	if q.Status != nil && q.Status.Kind != models.StatusOpen {
		points, detail := lostScore, "lost: a closed inquiry is no lead"
		if q.Status.Kind == models.StatusWon {
			points, detail = wonScore, "won"
		}
		s.Factors = []models.ScoreFactor{{Factor: FactorStatus, Points: points, Detail: fmt.Sprintf("%s (status %q)", detail, q.Status.Name)}}
		s.Score, s.Band = points, models.BandOf(points)
		return s, nil
	}
	today := now.Truncate(day)
	var nexts []time.Time
	add := func(factor string, points int, detail string, at ...time.Time) {
		if x := w.Of(factor); x != 1 {
			points = int(math.Round(float64(points) * x))
			detail += fmt.Sprintf(" (weight %s)", strconv.FormatFloat(x, 'f', -1, 64))
		}
		s.Factors = append(s.Factors, models.ScoreFactor{Factor: factor, Points: points, Detail: detail})
		s.Score += points
		nexts = append(nexts, at...)
	}
	points, detail := valueFactor(q)
	add(FactorExpectedValue, points, detail)
	points, detail = probabilityFactor(q)
	add(FactorProbability, points, detail)
	u := q.Urgency
	if u == "" {
		u = models.UrgencyNormal
	}
	add(FactorUrgency, urgencyPoints[u], u)
	points, detail = completenessFactor(q)
	add(FactorCompleteness, points, detail)
	points, detail, at := followUpFactor(q.FollowUpOn, today)
	add(FactorFollowUp, points, detail, at...)
	points, detail, at = closeFactor(q.ExpectedCloseOn, today)
	add(FactorExpectedClose, points, detail, at...)
	points, detail, at = staleFactor(q.TouchedAt, now)
	add(FactorStaleness, points, detail, at...)
	s.Score = max(0, min(100, s.Score))
	s.Band = models.BandOf(s.Score)
	for _, t := range nexts {
		if t.After(now) && (next == nil || t.Before(*next)) {
			t := t
			next = &t
		}
	}
	return s, next
}

func valueFactor(q *models.Inquiry) (int, string) {
	var cents int64
	var currency, what string
	switch {
	case q.ExpectedValue != nil:
		cents, currency, what = q.ExpectedValue.Cents, q.ExpectedValue.Currency, "expected value"
	case q.Budget != nil && q.Budget.MaxCents != nil:
		cents, currency, what = *q.Budget.MaxCents, q.Budget.Currency, "budget up to"
	case q.Budget != nil && q.Budget.MinCents != nil:
		cents, currency, what = *q.Budget.MinCents, q.Budget.Currency, "budget from"
	default:
		return 0, "no expected value or budget"
	}
	units := cents / 100
	for _, st := range valueSteps {
		if units >= st.from {
			return st.points, fmt.Sprintf("%s %s %s (at least %d)", what, models.FormatCents(cents), currency, st.from)
		}
	}
	return 0, "" // unreachable: the last step starts at 0
}

func probabilityFactor(q *models.Inquiry) (int, string) {
	if q.Probability == nil {
		return 0, "not known"
	}
	p := *q.Probability
	return (p*probabilityMax + 50) / 100, fmt.Sprintf("%d %%", p)
}

func completenessFactor(q *models.Inquiry) (int, string) {
	var have, missing []string
	points := 0
	for _, c := range []struct {
		name   string
		ok     bool
		points int
	}{
		{"name", q.Contact.FirstName != "" || q.Contact.FamilyName != "", pointsName},
		{"e-mail", q.Contact.Email != "", pointsEmail},
		{"phone", q.Contact.Phone != "", pointsPhone},
		{"address", q.Address.Complete(), pointsAddress},
		{"category", q.Category != "", pointsCategory},
		{"desired start", q.DesiredStartOn != "", pointsDesiredStart},
	} {
		if c.ok {
			points += c.points
			have = append(have, c.name)
		} else {
			missing = append(missing, c.name)
		}
	}
	detail := "has " + list(have)
	if len(missing) > 0 {
		detail += "; missing " + list(missing)
	}
	return points, detail
}

func list(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// followUpFactor: planned (today or later), overdue, or overdue for more than a week;
// the score changes the day after the date and a week after that. Details name dates,
// not ages, so a stored score's factors stay true until it changes.
func followUpFactor(date string, today time.Time) (int, string, []time.Time) {
	d, ok := parseDate(date)
	if !ok {
		return 0, "none", nil
	}
	overdueFrom, longFrom := d.Add(day), d.Add((overdueLong+1)*day)
	switch {
	case today.Before(overdueFrom):
		return followUpPlanned, fmt.Sprintf("planned for %s", date), []time.Time{overdueFrom}
	case today.Before(longFrom):
		return followUpOverdue, fmt.Sprintf("overdue since %s", date), []time.Time{longFrom}
	}
	return followUpLongOverdue, fmt.Sprintf("overdue since %s, for more than %d days", date, overdueLong), nil
}

// closeFactor: an expected close within the next 30 days counts for the inquiry, one
// that passed against it.
func closeFactor(date string, today time.Time) (int, string, []time.Time) {
	d, ok := parseDate(date)
	if !ok {
		return 0, "none", nil
	}
	soonFrom, passedFrom := d.Add(-closeSoon*day), d.Add(day)
	switch {
	case today.Before(soonFrom):
		return 0, fmt.Sprintf("%s, more than %d days ahead", date, closeSoon), []time.Time{soonFrom}
	case !today.After(d):
		return closeSoonPoints, fmt.Sprintf("%s, within %d days", date, closeSoon), []time.Time{passedFrom}
	}
	return closePassedPoints, fmt.Sprintf("%s, passed", date), nil
}

// staleFactor: days since the last change a client made.
func staleFactor(touched, now time.Time) (int, string, []time.Time) {
	if touched.IsZero() {
		touched = now
	}
	days := int(now.Sub(touched) / day)
	last := touched.UTC().Format("2006-01-02")
	for i, st := range staleSteps {
		if days >= st.days {
			var next []time.Time
			if i > 0 {
				next = []time.Time{touched.Add(time.Duration(staleSteps[i-1].days) * day)}
			}
			return st.points, fmt.Sprintf("no change since %s: %d days or more", last, st.days), next
		}
	}
	first := staleSteps[len(staleSteps)-1].days
	return 0, fmt.Sprintf("changed within %d days (last on %s)", first, last), []time.Time{touched.Add(time.Duration(first) * day)}
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}
