package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// scoreWeightsResponse is a tenant's weights of the lead score's factors.
type scoreWeightsResponse struct {
	// Weights has every factor with its weight (1: the README table's points).
	Weights map[string]float64 `json:"weights"`
	// Version counts the tenant's changes; 0 is the defaults.
	Version   int64      `json:"version"`
	UpdatedAt *time.Time `json:"updated_at"`
}

func scoreWeightsFromModel(w *models.ScoreWeights) scoreWeightsResponse {
	out := scoreWeightsResponse{Weights: make(map[string]float64, len(models.ScoreFactorNames)), Version: w.Version, UpdatedAt: w.UpdatedAt}
	for _, f := range models.ScoreFactorNames {
		out.Weights[f] = w.Of(f)
	}
	return out
}

// scoreWeightsRequest is the body of PUT /api/v1/inquiry-score-weights. The weights
// are read raw so a value that is not a number is named by its factor.
type scoreWeightsRequest struct {
	Weights map[string]json.RawMessage `json:"weights"`
}

func (r *scoreWeightsRequest) toMap() (map[string]float64, error) {
	if r.Weights == nil {
		return nil, invalid("weights", "is required: an object of every factor's weight")
	}
	var v models.ValidationError
	out := make(map[string]float64, len(r.Weights))
	names := make([]string, 0, len(r.Weights))
	for f := range r.Weights {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		raw := bytes.TrimSpace(r.Weights[f])
		var x float64
		// Only a JSON number: a string, null or true would decode or default silently.
		if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || json.Unmarshal(raw, &x) != nil {
			v.Addf("weights."+f, "must be a number from 0 to %d", models.MaxScoreWeight)
			continue
		}
		out[f] = x
	}
	return out, v.Err()
}

// getInquiryScoreWeights handles GET /api/v1/inquiry-score-weights: the tenant's weights of
// the lead score's factors.
func (a *API) getInquiryScoreWeights(c echo.Context) error {
	w, err := a.Inquiries.ScoreWeights(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scoreWeightsFromModel(w))
}

// setInquiryScoreWeights handles PUT /api/v1/inquiry-score-weights {weights: {factor:
// weight}}: every factor named, each 0 to 5. New scores take them at once; the
// tenant's open inquiries are re-scored in the background.
func (a *API) setInquiryScoreWeights(c echo.Context) error {
	var req scoreWeightsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	weights, err := req.toMap()
	if err != nil {
		return err
	}
	w, err := a.Inquiries.SetScoreWeights(c.Request().Context(), tenantID(c), weights)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scoreWeightsFromModel(w))
}
