package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

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

// DuplicateStore is the review queue (possible duplicates).
type DuplicateStore interface {
	ListDuplicates(ctx context.Context, tenantID int64, f models.DuplicateFilter) (*models.DuplicatePage, error)
	MergeDuplicate(ctx context.Context, tenantID, id, targetID int64) (*models.MergeOutcome, *models.DuplicatePair, error)
	DismissDuplicate(ctx context.Context, tenantID, id int64) (*models.DuplicatePair, error)
}

// Listing limits of the review queue.
const (
	defaultDuplicatePage = 50
	maxDuplicatePage     = 200
)

type duplicatePairResponse struct {
	contactwire.Duplicate
	// Contacts are the pair's two contacts as they are now (contact_ids order); a
	// contact merged away or deleted since is left out.
	Contacts []contactwire.Contact `json:"contacts"`
}

// listDuplicates handles GET /api/v1/duplicates?status=&limit=&cursor=: the review
// queue, highest score first, each pair with its explanation and both contacts.
func (a *API) listDuplicates(c echo.Context) error {
	f := models.DuplicateFilter{Limit: defaultDuplicatePage, Status: c.QueryParam("status")}
	var v models.ValidationError
	switch f.Status {
	case "", models.DuplicateOpen, models.DuplicateDismissed, models.DuplicateMerged:
	default:
		v.Add("status", "must be open, dismissed or merged")
	}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxDuplicatePage {
			v.Add("limit", "must be between 1 and 200")
		}
		f.Limit = n
	}
	if s := c.QueryParam("cursor"); s != "" {
		score, id, ok := parseDuplicateCursor(s)
		if !ok {
			v.Add("cursor", "must be the next_cursor of the previous page")
		}
		f.AfterScore, f.AfterID = score, id
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := a.Duplicates.ListDuplicates(c.Request().Context(), tenantID(c), f)
	if err != nil {
		return err
	}
	out := make([]duplicatePairResponse, len(page.Pairs))
	for i, p := range page.Pairs {
		out[i] = duplicatePairResponse{Duplicate: contactwire.FromDuplicate(p), Contacts: []contactwire.Contact{}}
		for _, id := range []int64{p.ContactA, p.ContactB} {
			if ct := page.Contacts[id]; ct != nil {
				out[i].Contacts = append(out[i].Contacts, contactwire.FromModel(ct))
			}
		}
	}
	resp := map[string]any{"duplicates": out, "next_cursor": nil}
	if page.More && len(page.Pairs) > 0 {
		last := page.Pairs[len(page.Pairs)-1]
		resp["next_cursor"] = duplicateCursor(last.Score, last.ID)
	}
	return c.JSON(http.StatusOK, resp)
}

// duplicateCursor is the position after a pair in the queue's order (score
// descending, id ascending): the score's exact bits and the id.
func duplicateCursor(score float64, id int64) string {
	return strconv.FormatUint(math.Float64bits(score), 16) + "." + strconv.FormatInt(id, 10)
}

func parseDuplicateCursor(s string) (float64, int64, bool) {
	bits, id, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, false
	}
	b, err1 := strconv.ParseUint(bits, 16, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	score := math.Float64frombits(b)
	if err1 != nil || err2 != nil || n <= 0 || math.IsNaN(score) || math.IsInf(score, 0) || duplicateCursor(score, n) != s {
		return 0, 0, false
	}
	return score, n, true
}

type mergeDuplicateRequest struct {
	// TargetID is the contact that survives: one of the pair; the older by default.
	TargetID int64 `json:"target_id"`
}

// mergeDuplicate handles POST /api/v1/duplicates/{id}/merge: the pair is merged with
// an ordinary merge (undoable through POST /api/v1/merges/{merge_id}/undo). The body
// is optional.
func (a *API) mergeDuplicate(c echo.Context) error {
	id, err := pathID(c, "id", "possible duplicate")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var req mergeDuplicateRequest
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeBytes(body, &req); err != nil {
			return err
		}
	}
	if req.TargetID < 0 {
		return invalid("target_id", "must be a contact id")
	}
	out, pair, err := a.Duplicates.MergeDuplicate(c.Request().Context(), tenantID(c), id, req.TargetID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"duplicate": contactwire.FromDuplicate(pair), "merge_id": out.Merge.ID,
		"contact": contactwire.FromModel(out.Contact), "changed": nonNilStrings(out.Changed)})
}

// dismissDuplicate handles POST /api/v1/duplicates/{id}/dismiss: the two contacts are
// different people; the pair is never suggested again and never joined automatically.
func (a *API) dismissDuplicate(c echo.Context) error {
	id, err := pathID(c, "id", "possible duplicate")
	if err != nil {
		return err
	}
	pair, err := a.Duplicates.DismissDuplicate(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"duplicate": contactwire.FromDuplicate(pair)})
}
