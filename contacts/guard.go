package contacts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
)

// Guard holds a write that is not a contact (an inquiry) to the same spam and flood
// guards as a contact write, with the same spam list and flood counter: with
// SpamProtection on, a spam-listed requestIP is refused (EFORBIDDEN); with FloodLimit
// above 0, at most that many writes of kind are let through per requestIP per sliding
// hour (ELIMITED with RetryAfter beyond). Each kind counts on its own, apart from
// contacts. Without requestIP neither guard applies. o's other fields are not read.
//
// done must be called once the write is over, with whether it happened: a refused or
// failed write gives its place back. It is never nil. Guard returns EUNAVAILABLE for
// an unavailable flood counter, and the spam list's errors.
func (s *Service) Guard(ctx context.Context, tenant int64, kind, requestIP string, o Options) (done func(written bool), err error) {
	done = func(bool) {}
	if requestIP == "" {
		return done, nil
	}
	addr, err := netip.ParseAddr(requestIP)
	if err != nil {
		return done, invalid("request_ip", "must be an IPv4 or IPv6 address")
	}
	if o.SpamProtection != nil && *o.SpamProtection && s.spam != nil {
		scope, listed, err := s.spam.Listed(ctx, tenant, addr)
		if err != nil {
			return done, fmt.Errorf("spam check: %w", err)
		}
		if listed {
			s.metrics.SpamRefused()
			return done, models.Errorf(models.EFORBIDDEN, "request_ip %s is on the %s spam list", requestIP, scope)
		}
	}
	limit := 0
	if o.FloodLimit != nil {
		limit = *o.FloodLimit
	}
	if limit < 0 || limit > MaxFloodLimit {
		return done, invalid("flood_limit", fmt.Sprintf("must be 0 (disabled) or a number per hour up to %d", MaxFloodLimit))
	}
	if limit == 0 || s.flood == nil {
		return done, nil
	}
	key := fmt.Sprintf("flood-%s:%d:%s", kind, tenant, ratelimit.IPKey(addr))
	r, err := s.flood.Reserve(ctx, key, limit, floodWindow)
	if errors.Is(err, ratelimit.ErrUnavailable) {
		return done, &models.Error{Code: models.EUNAVAILABLE, Message: "flood limiter unavailable; try again shortly", RetryAfter: max(r.RetryAfter, time.Second)}
	}
	if err != nil {
		return done, fmt.Errorf("flood limit: %w", err)
	}
	if !r.Allowed {
		s.metrics.FloodRefused()
		return done, &models.Error{Code: models.ELIMITED, RetryAfter: r.RetryAfter,
			Message: fmt.Sprintf("flood limit reached: at most %d per hour from %s", limit, requestIP)}
	}
	return func(written bool) {
		if written {
			return
		}
		if err := s.flood.Cancel(context.WithoutCancel(ctx), key, r.ID); err != nil {
			s.log.Warn("cancel flood reservation", "err", err)
		}
	}, nil
}
