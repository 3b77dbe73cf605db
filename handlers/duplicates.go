package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

type duplicatesRequest struct {
	Contact   map[string]json.RawMessage `json:"contact"`
	ContactID int64                      `json:"contact_id"`
	Limit     int                        `json:"limit"`
}

type duplicateCandidate struct {
	ID          int64               `json:"id"`
	Score       float64             `json:"score"`
	Match       bool                `json:"match"`
	Explanation models.Explanation  `json:"explanation"`
	Contact     contactwire.Contact `json:"contact"`
}

// findDuplicates handles POST /api/v1/contacts/duplicates: would this contact (given as
// fields, or a stored contact's id) duplicate an existing one? Ranked candidates with
// scores and explanations; nothing is written.
func (a *API) findDuplicates(c echo.Context) error {
	var req duplicatesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	q := contacts.DuplicateQuery{ContactID: req.ContactID, Limit: req.Limit}
	if req.Contact != nil {
		in := contacts.FromJSON(req.Contact)
		q.Contact = &in
	}
	cands, threshold, err := a.ContactService.Duplicates(c.Request().Context(), tenantID(c), q)
	if err != nil {
		return err
	}
	out := make([]duplicateCandidate, len(cands))
	for i, cand := range cands {
		out[i] = duplicateCandidate{ID: cand.Contact.ID, Score: cand.Explanation.Score, Match: cand.Explanation.Match,
			Explanation: cand.Explanation, Contact: contactwire.FromModel(cand.Contact)}
	}
	return c.JSON(http.StatusOK, map[string]any{"threshold": threshold, "candidates": out})
}
