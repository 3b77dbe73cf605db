package models

import (
	"math"
	"slices"
	"sort"
	"time"
)

// The factors of a lead score, as lead_factors names them. The weighted ones are
// ScoreFactorNames; FactorStatus (a closed inquiry's 100 or 0) has no weight.
const (
	FactorExpectedValue = "expected_value"
	FactorProbability   = "probability"
	FactorUrgency       = "urgency"
	FactorCompleteness  = "completeness"
	FactorFollowUp      = "follow_up"
	FactorExpectedClose = "expected_close"
	FactorStaleness     = "staleness"
	FactorStatus        = "status"
)

// ScoreFactorNames are the factors a tenant can weigh, in the README table's order.
var ScoreFactorNames = []string{
	FactorExpectedValue, FactorProbability, FactorUrgency, FactorCompleteness,
	FactorFollowUp, FactorExpectedClose, FactorStaleness,
}

// MaxScoreWeight is the largest weight of a factor. Five times a factor is already
// enough to let one factor alone decide a band; more is a typo, not a policy.
const MaxScoreWeight = 5

// ScoreWeights are a tenant's weights of the lead score's factors: each factor's
// points (the README's table) are multiplied by its weight and rounded. A tenant that
// never set them has every weight 1 (Version 0).
type ScoreWeights struct {
	TenantID int64
	// Weights maps each of ScoreFactorNames to its weight, 0..MaxScoreWeight.
	Weights map[string]float64
	// Version counts the tenant's changes of its weights; 0 is the defaults.
	Version   int64
	UpdatedAt *time.Time
}

// DefaultScoreWeights are the weights of a tenant that set none: every factor 1.
func DefaultScoreWeights(tenantID int64) *ScoreWeights {
	w := &ScoreWeights{TenantID: tenantID, Weights: make(map[string]float64, len(ScoreFactorNames))}
	for _, f := range ScoreFactorNames {
		w.Weights[f] = 1
	}
	return w
}

// Of is the weight of factor: 1 for a factor w does not name (and for a nil w).
func (w *ScoreWeights) Of(factor string) float64 {
	if w == nil {
		return 1
	}
	if x, ok := w.Weights[factor]; ok {
		return x
	}
	return 1
}

// IsDefault says whether every weight is 1: the score is the README table's.
func (w *ScoreWeights) IsDefault() bool {
	for _, f := range ScoreFactorNames {
		if w.Of(f) != 1 {
			return false
		}
	}
	return true
}

// Validate checks that every factor is named once with a weight of 0..MaxScoreWeight
// and that no unknown factor is named. It returns EINVALID naming each problem as
// "weights.<factor>".
func (w *ScoreWeights) Validate() error {
	var v ValidationError
	unknown := make([]string, 0)
	for f := range w.Weights {
		if !slices.Contains(ScoreFactorNames, f) {
			unknown = append(unknown, f)
		}
	}
	sort.Strings(unknown)
	for _, f := range unknown {
		v.Addf("weights."+f, "is not a factor of the lead score (factors: %s)", joinNames(ScoreFactorNames))
	}
	for _, f := range ScoreFactorNames {
		x, ok := w.Weights[f]
		switch {
		case !ok:
			v.Add("weights."+f, "is required: name every factor (a weight of 1 keeps the README's points)")
		case math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > MaxScoreWeight:
			v.Addf("weights."+f, "must be a number from 0 to %d", MaxScoreWeight)
		}
	}
	return v.Err()
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// RescoreCursor is where a re-score of a tenant's open inquiries continues: after
// inquiry ID, created at CreatedAt, of status StatusID (ID 0: from the status's first).
type RescoreCursor struct {
	StatusID  int64
	CreatedAt time.Time
	ID        int64
}
