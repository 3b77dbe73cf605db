package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// CommentStore is what the comment handlers need from the store. Every method returns
// ENOTFOUND for another tenant's or an unknown contact.
type CommentStore interface {
	// ListComments returns a page ordered by id and the contact's total comment count.
	ListComments(ctx context.Context, tenantID, contactID int64, offset, limit int, desc bool) ([]*models.Comment, int64, error)
	// AddComment sets c.ID; EINVALID for empty or too long text.
	AddComment(ctx context.Context, c *models.Comment) error
	// UpdateComment returns ENOTFOUND when the contact has no comment c.ID.
	UpdateComment(ctx context.Context, c *models.Comment) error
	// DeleteComments deletes all or nothing; ENOTFOUND names ids the contact lacks.
	DeleteComments(ctx context.Context, tenantID, contactID int64, ids []int64) error
}

// maxCommentsRange is the default and the maximum of `limit` on GET contact/{id}/comments.
const maxCommentsRange = 50

type commentResponse struct {
	ID        int64  `json:"id"`
	ContactID int64  `json:"contact_id"`
	UID       int64  `json:"uid"`
	Created   int64  `json:"created"`
	Changed   int64  `json:"changed"`
	Comment   string `json:"comment"`
}

func commentFromModel(c *models.Comment) commentResponse {
	return commentResponse{ID: c.ID, ContactID: c.ContactID, UID: c.UID, Created: c.CreatedAt.Unix(), Changed: c.UpdatedAt.Unix(), Comment: c.Comment}
}

type commentsPage struct {
	Range          int               `json:"range"`
	Limit          int               `json:"limit"`
	Sort           string            `json:"sort"`
	NumberComments int64             `json:"number_comments"`
	NumberRanges   int64             `json:"number_ranges"`
	Comments       []commentResponse `json:"comments"`
}

type addCommentRequest struct {
	Comment *string `json:"comment"`
}

type updateCommentRequest struct {
	ID      *int64  `json:"id"`
	Comment *string `json:"comment"`
}

// listComments handles GET /public/api/V1/contact/{id}/comments?range=&limit=&sort=.
// Ranges count from 0 in steps of limit (default and maximum 50); sort is asc or desc
// by id. A range past the last answers an empty list.
func (a *API) listComments(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	var v models.ValidationError
	rng := queryInt(c, &v, "range", 0, 0)
	limit := min(queryInt(c, &v, "limit", maxCommentsRange, 1), maxCommentsRange)
	sort := strings.ToLower(strings.TrimSpace(c.QueryParam("sort")))
	switch sort {
	case "":
		sort = "asc"
	case "asc", "desc":
	default:
		v.Add("sort", `must be "asc" or "desc"`)
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, total, err := a.Comments.ListComments(c.Request().Context(), tenantID(c), id, rng*limit, limit, sort == "desc")
	if err != nil {
		return err
	}
	out := commentsPage{Range: rng, Limit: limit, Sort: sort, NumberComments: total,
		NumberRanges: (total + int64(limit) - 1) / int64(limit), Comments: make([]commentResponse, len(list))}
	for i, cm := range list {
		out.Comments[i] = commentFromModel(cm)
	}
	return c.JSON(http.StatusOK, out)
}

// addComment handles POST /public/api/V1/contact/{id}/comments: {comment} →
// {success, comment_id}. uid is the id of the API key that wrote the comment.
func (a *API) addComment(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	var req addCommentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Comment == nil {
		return invalid("comment", "is required")
	}
	p := principal(c)
	cm := &models.Comment{TenantID: p.TenantID, ContactID: id, UID: p.KeyID, Comment: *req.Comment}
	if err := a.Comments.AddComment(c.Request().Context(), cm); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"success": true, "comment_id": cm.ID})
}

// updateComment handles PUT /public/api/V1/contact/{id}/comments: {id, comment}.
func (a *API) updateComment(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	var req updateCommentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v models.ValidationError
	if req.ID == nil || *req.ID <= 0 {
		v.Add("id", "is required: the id of the comment to change")
	}
	if req.Comment == nil {
		v.Add("comment", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	cm := &models.Comment{TenantID: tenantID(c), ContactID: id, ID: *req.ID, Comment: *req.Comment}
	if err := a.Comments.UpdateComment(c.Request().Context(), cm); err != nil {
		return err
	}
	return success(c)
}

// deleteComments handles DELETE /public/api/V1/contact/{id}/comments with a JSON array
// of comment ids. Either every id is a comment of the contact and all are deleted, or
// the answer is 404 naming the others and nothing is deleted.
func (a *API) deleteComments(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	ids, err := decodeIDs(c, "ids")
	if err != nil {
		return err
	}
	if err := a.Comments.DeleteComments(c.Request().Context(), tenantID(c), id, ids); err != nil {
		return err
	}
	return success(c)
}
