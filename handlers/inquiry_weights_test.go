package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

const weightsPath = "/api/v1/inquiry-score-weights"

type weightsAnswer struct {
	Weights   map[string]float64 `json:"weights"`
	Version   int64              `json:"version"`
	UpdatedAt *string            `json:"updated_at"`
}

func allWeights(kv map[string]any) map[string]any {
	w := map[string]any{}
	for _, f := range models.ScoreFactorNames {
		w[f] = 1
	}
	for k, v := range kv {
		w[k] = v
	}
	return w
}

// TestInquiryScoreWeights: a tenant's weights change the score and band of its
// inquiries from then on (new ones, and changed ones); another tenant keeps the
// README's points; every bad body is a 422 naming the factor, and changes nothing.
func TestInquiryScoreWeights(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := storetest.NewTenant(t, b.st)

	var w weightsAnswer
	b.call(t, "GET", weightsPath, nil, http.StatusOK, &w)
	if w.Version != 0 || w.UpdatedAt != nil || len(w.Weights) != len(models.ScoreFactorNames) || w.Weights[models.FactorUrgency] != 1 {
		t.Fatalf("defaults: %+v", w)
	}

	// urgent 15 + probability 80 % 20 + 60,000 EUR 25 + name and e-mail 10 = 70: warm.
	body := map[string]any{"title": "Badsanierung", "urgency": "urgent", "probability": 80,
		"expected_value": map[string]any{"amount": "60000", "currency": "EUR"},
		"contact":        map[string]any{"name": "Eva Lang", "email": "eva@example.de"}}
	before := b.inquiry(t, body)
	if before.LeadScore != 70 || before.LeadBand != models.BandWarm {
		t.Fatalf("before: %d %s", before.LeadScore, before.LeadBand)
	}

	b.call(t, "PUT", weightsPath, map[string]any{"weights": allWeights(map[string]any{"urgency": 2, "probability": 1.5, "completeness": 0})}, http.StatusOK, &w)
	if w.Version != 1 || w.UpdatedAt == nil || w.Weights["urgency"] != 2 || w.Weights["probability"] != 1.5 || w.Weights["completeness"] != 0 {
		t.Fatalf("after PUT: %+v", w)
	}
	var got weightsAnswer
	b.call(t, "GET", weightsPath, nil, http.StatusOK, &got)
	if got.Version != 1 || got.Weights["urgency"] != 2 {
		t.Fatalf("GET after PUT: %+v", got)
	}

	// 30 + 30 + 25 + 0 = 85: hot.
	after := b.inquiry(t, body)
	if after.LeadScore != 85 || after.LeadBand != models.BandHot {
		t.Fatalf("with weights: %d %s; factors %+v", after.LeadScore, after.LeadBand, after.LeadFactors)
	}
	// A change of an inquiry scored before takes the weights too.
	var patched struct {
		LeadScore int    `json:"lead_score"`
		LeadBand  string `json:"lead_band"`
	}
	b.call(t, "PATCH", inquiriesPath+"/"+itoa(before.ID), map[string]any{"notes": "Rückruf erbeten"}, http.StatusOK, &patched)
	if patched.LeadScore != 85 || patched.LeadBand != models.BandHot {
		t.Errorf("changed inquiry: %d %s, want 85 hot", patched.LeadScore, patched.LeadBand)
	}

	// Another tenant: defaults, and the README's points.
	b.call(t, "GET", weightsPath, nil, http.StatusOK, &got, withKey(other.Key))
	if got.Version != 0 || got.Weights["urgency"] != 1 {
		t.Errorf("other tenant's weights: %+v", got)
	}
	var theirs struct {
		LeadScore int `json:"lead_score"`
	}
	b.call(t, "POST", inquiriesPath, body, http.StatusCreated, &theirs, withKey(other.Key))
	if theirs.LeadScore != 70 {
		t.Errorf("other tenant's inquiry: %d, want 70", theirs.LeadScore)
	}

	for _, tc := range []struct {
		name   string
		body   any
		fields []string
	}{
		{"unknown factor", map[string]any{"weights": allWeights(map[string]any{"budget": 1, "source": 2})}, []string{"weights.budget", "weights.source"}},
		{"missing factors", map[string]any{"weights": map[string]any{"urgency": 1}}, []string{"weights.completeness", "weights.expected_close", "weights.expected_value", "weights.follow_up", "weights.probability", "weights.staleness"}},
		{"above 5", map[string]any{"weights": allWeights(map[string]any{"urgency": 5.5})}, []string{"weights.urgency"}},
		{"negative", map[string]any{"weights": allWeights(map[string]any{"staleness": -1})}, []string{"weights.staleness"}},
		{"not a number", map[string]any{"weights": allWeights(map[string]any{"probability": "2", "urgency": nil, "follow_up": true})}, []string{"weights.follow_up", "weights.probability", "weights.urgency"}},
		{"no weights", map[string]any{}, []string{"weights"}},
		{"unknown key", map[string]any{"weights": allWeights(nil), "factors": 1}, []string{"factors"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := b.fail(t, "PUT", weightsPath, tc.body, http.StatusUnprocessableEntity)
			f := e.fields()
			slices.Sort(f)
			if !slices.Equal(f, tc.fields) {
				t.Errorf("fields %v, want %v (%+v)", f, tc.fields, e.Errors)
			}
		})
	}
	b.call(t, "GET", weightsPath, nil, http.StatusOK, &got)
	if got.Version != 1 || got.Weights["urgency"] != 2 {
		t.Errorf("refused changes changed the weights: %+v", got)
	}
}
