package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/contacthub/contacthub/inquiries/leadscore"
	"github.com/contacthub/contacthub/models"
)

// TestDecodeFactors: the reader of lead_factors reads what encoding/json reads, for
// the scores leadscore makes and for strings it must leave to encoding/json.
func TestDecodeFactors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var lists [][]models.ScoreFactor
	for _, q := range []*models.Inquiry{
		{Title: "a", Status: &models.InquiryStatus{Name: "Neu", Kind: models.StatusOpen}, TouchedAt: now.Add(-30 * 24 * time.Hour), FollowUpOn: "2026-11-01"},
		{Title: "b", Status: &models.InquiryStatus{Name: `"Gewonnen" <&>`, Kind: models.StatusWon}},
		{Title: "c", Status: &models.InquiryStatus{Name: "Neu", Kind: models.StatusOpen}, Urgency: models.UrgencyUrgent,
			ExpectedValue: &models.Money{Cents: 12_345_00, Currency: "EUR"}, Category: "Bäder & Küchen", TouchedAt: now},
	} {
		w := models.DefaultScoreWeights(1)
		w.Weights[models.FactorStaleness] = 1.5
		for _, weights := range []*models.ScoreWeights{nil, w} {
			s, _ := leadscore.Score(q, now, weights)
			lists = append(lists, s.Factors)
		}
	}
	lists = append(lists, nil, []models.ScoreFactor{},
		[]models.ScoreFactor{{Factor: "x", Points: -30, Detail: "tab\there, quote \" and \\ backslash, \u2028, emoji 🙂"}},
		[]models.ScoreFactor{{Factor: "", Points: 0, Detail: ""}, {Factor: "ü", Points: 100, Detail: "Straße"}})
	for _, want := range lists {
		data, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var ref []models.ScoreFactor
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatal(err)
		}
		got, err := decodeFactors(string(data))
		if err != nil || !reflect.DeepEqual(got, ref) {
			t.Errorf("%s:\n got %#v, %v\nwant %#v", data, got, err, ref)
		}
	}
	for _, bad := range []string{"", "[", `[{"factor":"x"}`, `[{"factor":"x","points":1,"detail":"d"},]`, `{"factor":"x"}`, `[{"factor":"x","points":01,"detail":"d"}]`} {
		var ref []models.ScoreFactor
		refErr := json.Unmarshal([]byte(bad), &ref)
		got, err := decodeFactors(bad)
		if (err == nil) != (refErr == nil) || (err == nil && !reflect.DeepEqual(got, ref)) {
			t.Errorf("%q: %#v, %v; encoding/json: %#v, %v", bad, got, err, ref, refErr)
		}
	}
}
