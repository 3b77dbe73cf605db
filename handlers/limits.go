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

// MaxFloodLimit caps the flood_limit a client may ask for: the limit decides how many
// entries the sliding log per IP may hold.
const MaxFloodLimit = 10000

// floodWindow is the sliding window of flood_limit: contacts per IP per hour.
const floodWindow = time.Hour

// SpamChecker tells whether an address is spam-listed (globally or by the tenant).
type SpamChecker interface {
	Listed(ctx context.Context, tenantID int64, addr netip.Addr) (scope string, listed bool, err error)
	// Invalidate makes the next check see a change this replica just made.
	Invalidate(list int64)
}

// RateLimits are the request quota and the flood and spam guards. A nil Limiter means
// no request quota (tests); a nil Flood or Spam disables that guard.
type RateLimits struct {
	Limiter ratelimit.Limiter
	// Default is the per-key quota for keys without an override.
	Default ratelimit.Limit
	Flood   ratelimit.FloodCounter
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

// ingest runs the one write path with the request's spam and flood options: a
// spam-listed request_ip is refused (403) when spam_protection is on; with flood_limit
// at most that many contacts are *created* per request_ip per sliding hour (merges do
// not count), the rest refused (429). In a batch only the refused items fail. Without
// request_ip neither guard can apply.
// A contact write is no longer tied to its request; writeTimeout plus
// writeTimePerItem per submission bounds it (a 10,000-contact import: 130 s).
const (
	writeTimeout     = 30 * time.Second
	writeTimePerItem = 10 * time.Millisecond
)

func (a *API) ingest(ctx context.Context, tenant int64, subs []*models.Submission, opts *parsedOptions) ([]models.IngestResult, error) {
	results := make([]models.IngestResult, len(subs))
	keep := make([]int, 0, len(subs)) // indexes into subs of the items that go on
	for i, sub := range subs {
		if opts.spamProtection && a.RateLimits.Spam != nil && sub.RequestIP != "" {
			scope, listed, err := a.RateLimits.Spam.Listed(ctx, tenant, netip.MustParseAddr(sub.RequestIP))
			if err != nil {
				return nil, fmt.Errorf("spam check: %w", err)
			}
			if listed {
				a.Metrics.spamRefused()
				results[i].Err = models.Errorf(models.EFORBIDDEN, "request_ip %s is on the %s spam list", sub.RequestIP, scope)
				continue
			}
		}
		keep = append(keep, i)
	}
	if len(keep) == 0 {
		return results, nil
	}
	kept := make([]*models.Submission, len(keep))
	for j, i := range keep {
		kept[j] = subs[i]
	}
	type reservation struct{ key, id string }
	reserved := map[int]reservation{}
	iopts := opts.ingest
	if opts.floodLimit > 0 && a.RateLimits.Flood != nil {
		iopts.BeforeCreate = func(ctx context.Context, j int, sub *models.Submission) error {
			if sub.RequestIP == "" {
				return nil
			}
			if _, ok := reserved[j]; ok {
				return nil // a retried transaction asks again for the same item
			}
			key := fmt.Sprintf("flood:%d:%s", tenant, ratelimit.IPKey(netip.MustParseAddr(sub.RequestIP)))
			r, err := a.RateLimits.Flood.Reserve(ctx, key, opts.floodLimit, floodWindow)
			if errors.Is(err, ratelimit.ErrUnavailable) {
				return &models.Error{Code: models.EUNAVAILABLE, Message: "flood limiter unavailable; try again shortly", RetryAfter: max(r.RetryAfter, time.Second)}
			}
			if err != nil {
				return fmt.Errorf("flood limit: %w", err)
			}
			if !r.Allowed {
				a.Metrics.floodRefused()
				return &models.Error{Code: models.ELIMITED, RetryAfter: r.RetryAfter,
					Message: fmt.Sprintf("flood limit reached: at most %d contacts per hour from %s", opts.floodLimit, sub.RequestIP)}
			}
			reserved[j] = reservation{key, r.ID}
			return nil
		}
	}
	// The write runs to its end even if the client disconnects: a web form that gave
	// up still gets its contact (a retry finds it as a duplicate), and a cancelled
	// query would cost the pool its connection.
	limit := writeTimeout + time.Duration(len(kept))*writeTimePerItem
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	out, err := a.Contacts.Ingest(wctx, tenant, kept, iopts)
	if errors.Is(err, context.DeadlineExceeded) {
		// Mostly time spent queueing behind other big batches of the tenant: not a bug.
		err = &models.Error{Code: models.EUNAVAILABLE, RetryAfter: 5 * time.Second,
			Message: fmt.Sprintf("the write did not finish within %v (busy with other writes of this tenant); try again — with a duplicate check a retry finds what was stored", limit.Round(time.Second))}
	}
	// Only contacts actually created count against the flood limit.
	for j, r := range reserved {
		if err != nil || !out[j].Created {
			if cerr := a.RateLimits.Flood.Cancel(context.WithoutCancel(ctx), r.key, r.id); cerr != nil {
				a.Log.Warn("cancel flood reservation", "err", cerr)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for j, i := range keep {
		results[i] = out[j]
	}
	return results, nil
}
