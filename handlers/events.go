package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// EventStore is what the change feed needs from the store.
type EventStore interface {
	// ListEvents returns a page of the tenant's events after f.After, in feed order.
	ListEvents(ctx context.Context, tenantID int64, f models.EventFilter) (*models.EventPage, error)
}

// defaultEventPage is the page size without limit=.
const defaultEventPage = 100

type eventResponse struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

type eventPageResponse struct {
	Events []eventResponse `json:"events"`
	// Next is the cursor to pass as after= for the next page; with an empty page it is
	// the cursor that was given, so a reader polls with it until events arrive.
	Next    string `json:"next"`
	HasMore bool   `json:"has_more"`
}

// listEvents handles GET /api/v1/events?after=&limit=&types=: the change feed, every
// event of the tenant in commit-safe order (see store.ListEvents). types is a comma
// list of event types and patterns (contact.*); after is the next value of a previous
// page (omitted: from the oldest event kept).
func (a *API) listEvents(c echo.Context) error {
	var v models.ValidationError
	f := models.EventFilter{Limit: defaultEventPage}
	if s := strings.TrimSpace(c.QueryParam("after")); s != "" {
		pos, ok := models.ParseEventPosition(s)
		if !ok {
			v.Add("after", "is not a cursor this API gave out (use the next value of a previous page)")
		}
		f.After = pos
	}
	if s := strings.TrimSpace(c.QueryParam("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > models.MaxEventPage {
			v.Addf("limit", "must be 1 to %d", models.MaxEventPage)
		}
		f.Limit = n
	}
	if s := strings.TrimSpace(c.QueryParam("types")); s != "" {
		types, unknown := models.ParseEventTypes(strings.Split(s, ","))
		if len(unknown) > 0 {
			v.Addf("types", "%q is not an event type or pattern; the types are %s, and patterns such as contact.*",
				models.Excerpt(unknown[0]), strings.Join(models.EventTypes, ", "))
		}
		f.Types = types
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := a.Events.ListEvents(c.Request().Context(), tenantID(c), f)
	if err != nil {
		return err
	}
	out := eventPageResponse{Events: make([]eventResponse, len(page.Events)), Next: page.Next.String(), HasMore: page.HasMore}
	for i, e := range page.Events {
		out.Events[i] = eventResponse{ID: e.Position.String(), Type: e.Type, CreatedAt: e.CreatedAt, Data: e.Data}
	}
	return c.JSON(http.StatusOK, out)
}
