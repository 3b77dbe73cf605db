package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/spamlist"
)

// SpamlistStore keeps a tenant's own spam list (the global list is managed by the CLI).
type SpamlistStore interface {
	AddSpamRanges(ctx context.Context, tenantID int64, ranges []spamlist.Range, source string) (int64, error)
	RemoveSpamRanges(ctx context.Context, tenantID int64, ranges []spamlist.Range) (int64, error)
	ListSpamRanges(ctx context.Context, tenantID, afterID int64, limit int) ([]models.SpamEntry, error)
}

// Limits of the spam list API.
const (
	maxSpamEntriesPerCall = 10000
	defaultSpamPage       = 100
	maxSpamPage           = 1000
)

type spamEntriesRequest struct {
	Entries []string `json:"entries"`
	Source  string   `json:"source"`
}

func (r *spamEntriesRequest) ranges() ([]spamlist.Range, error) {
	var v models.ValidationError
	if len(r.Entries) == 0 {
		v.Add("entries", "send at least one address or range")
	}
	if len(r.Entries) > maxSpamEntriesPerCall {
		return nil, models.Errorf(models.ETOOLARGE, "at most %d entries per call", maxSpamEntriesPerCall)
	}
	out := make([]spamlist.Range, 0, len(r.Entries))
	for i, e := range r.Entries {
		rg, err := spamlist.ParseRange(strings.TrimSpace(e))
		if err != nil {
			v.Addf(fmt.Sprintf("entries[%d]", i), "%s is not an IP address, CIDR or a-b range", models.Quote(e))
			continue
		}
		out = append(out, rg)
	}
	if s, reason := models.CleanText(r.Source, 100); reason != "" {
		v.Add("source", reason)
	} else {
		r.Source = s
	}
	return out, v.Err()
}

type spamEntryResponse struct {
	ID      int64  `json:"id"`
	Entry   string `json:"entry"`
	Source  string `json:"source"`
	Created int64  `json:"created"`
}

// listSpam handles GET /api/v1/spamlist?after=&limit=: the tenant's own entries by id.
func (a *API) listSpam(c echo.Context) error {
	limit, after := defaultSpamPage, int64(0)
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSpamPage {
			return invalid("limit", fmt.Sprintf("must be between 1 and %d", maxSpamPage))
		}
		limit = n
	}
	if s := c.QueryParam("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return invalid("after", "must be an entry id")
		}
		after = n
	}
	list, err := a.Spamlist.ListSpamRanges(c.Request().Context(), tenantID(c), after, limit)
	if err != nil {
		return err
	}
	out := make([]spamEntryResponse, len(list))
	for i, e := range list {
		out[i] = spamEntryResponse{ID: e.ID, Entry: e.Entry, Source: e.Source, Created: e.CreatedAt.Unix()}
	}
	resp := map[string]any{"entries": out}
	if len(list) == limit {
		resp["next_after"] = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// addSpam handles POST /api/v1/spamlist {"entries": ["203.0.113.7", "198.51.100.0/24"]}.
func (a *API) addSpam(c echo.Context) error {
	var req spamEntriesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ranges, err := req.ranges()
	if err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = "api"
	}
	added, err := a.Spamlist.AddSpamRanges(c.Request().Context(), tenantID(c), ranges, req.Source)
	if err != nil {
		return err
	}
	a.invalidateSpam(tenantID(c))
	return c.JSON(http.StatusOK, map[string]any{"success": true, "added": added})
}

// removeSpam handles DELETE /api/v1/spamlist {"entries": [...]}: exact entries only.
func (a *API) removeSpam(c echo.Context) error {
	var req spamEntriesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ranges, err := req.ranges()
	if err != nil {
		return err
	}
	removed, err := a.Spamlist.RemoveSpamRanges(c.Request().Context(), tenantID(c), ranges)
	if err != nil {
		return err
	}
	a.invalidateSpam(tenantID(c))
	return c.JSON(http.StatusOK, map[string]any{"success": true, "removed": removed})
}

// checkSpam handles GET /api/v1/spamlist/check?ip=: is the address listed, globally or
// by this tenant?
func (a *API) checkSpam(c echo.Context) error {
	addr, err := netip.ParseAddr(strings.TrimSpace(c.QueryParam("ip")))
	if err != nil || addr.Zone() != "" {
		return invalid("ip", "must be an IPv4 or IPv6 address")
	}
	if a.RateLimits.Spam == nil {
		return models.Errorf(models.EUNAVAILABLE, "spam checking is not configured")
	}
	scope, listed, err := a.RateLimits.Spam.Listed(c.Request().Context(), tenantID(c), addr)
	if err != nil {
		return err
	}
	out := map[string]any{"ip": addr.String(), "listed": listed}
	if listed {
		out["scope"] = scope
	}
	return c.JSON(http.StatusOK, out)
}

// invalidateSpam lets this replica apply a list change at once; others see it within
// their refresh interval.
func (a *API) invalidateSpam(tenant int64) {
	if a.RateLimits.Spam != nil {
		a.RateLimits.Spam.Invalidate(tenant)
	}
}
