package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
)

// SpamChecker tells whether an address is spam-listed (globally or by the tenant), for
// GET /api/v1/spamlist/check. The contact service refuses spam-listed contacts.
type SpamChecker interface {
	Listed(ctx context.Context, tenantID int64, addr netip.Addr) (scope string, listed bool, err error)
	// Invalidate makes the next check see a change this replica just made.
	Invalidate(list int64)
}

// RateLimits are the request quota and the spam list the spam list endpoints check. A
// nil Limiter means no request quota (tests); without Spam, checking answers 503. The
// flood and spam guards of contact writes are the contact service's.
type RateLimits struct {
	Limiter ratelimit.Limiter
	// Default is the per-key quota for keys without an override.
	Default ratelimit.Limit
	Spam    SpamChecker
}

// limitRequests enforces the per-key request quota and sets the X-Rate-Limit-* headers
// Quentn clients read: Limit (requests per window), Remaining, and Reset (seconds until
// the quota is full again).
func (a *API) limitRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.RateLimits.Limiter == nil {
			return next(c)
		}
		p := principal(c)
		limit := a.RateLimits.Default
		if p.RateLimit != "" {
			if l, err := ratelimit.ParseLimit(p.RateLimit); err == nil {
				limit = l
			}
		}
		res, err := a.RateLimits.Limiter.Allow(c.Request().Context(), "key:"+strconv.FormatInt(p.KeyID, 10), limit)
		if errors.Is(err, ratelimit.ErrUnavailable) {
			return &models.Error{Code: models.EUNAVAILABLE, Message: "rate limiter unavailable; try again shortly", RetryAfter: max(res.RetryAfter, time.Second)}
		}
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		h := c.Response().Header()
		h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit.Rate))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("X-Rate-Limit-Reset", strconv.Itoa(int(math.Ceil(res.ResetAfter.Seconds()))))
		if !res.Allowed {
			a.Metrics.rateLimited()
			return &models.Error{Code: models.ELIMITED, RetryAfter: res.RetryAfter,
				Message: fmt.Sprintf("rate limit of %s per API key exceeded", limit)}
		}
		return next(c)
	}
}
