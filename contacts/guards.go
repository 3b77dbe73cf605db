package contacts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/contacthub/contacthub/logctx"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
)

// floodWindow is the sliding window of flood_limit: contacts per IP per hour.
const floodWindow = time.Hour

// A contact write is no longer tied to its caller's context: WriteTimeout plus
// writeTimePerItem per submission bounds it (a 10,000-contact import: 130 s).
const (
	// WriteTimeout is the time bound of a write of one contact (less 10 ms); one that
	// takes longer fails with EUNAVAILABLE.
	WriteTimeout     = 30 * time.Second
	writeTimePerItem = 10 * time.Millisecond
)

// ingest runs the one write path with the spam and flood options: a spam-listed
// request_ip is refused (EFORBIDDEN) when spam protection is on; with a flood limit at
// most that many contacts are *created* per request_ip per sliding hour (merges do not
// count), the rest refused (ELIMITED). Only the refused items fail. Without
// request_ip neither guard can apply.
func (s *Service) ingest(ctx context.Context, tenant int64, subs []*models.Submission, opts *parsedOptions) ([]models.IngestResult, error) {
	var refused []error // by position in subs, once one is refused
	for i, sub := range subs {
		if opts.spamProtection && s.spam != nil && sub.RequestIP != "" {
			scope, listed, err := s.spam.Listed(ctx, tenant, netip.MustParseAddr(sub.RequestIP))
			if err != nil {
				return nil, fmt.Errorf("spam check: %w", err)
			}
			if listed {
				s.metrics.SpamRefused()
				if refused == nil {
					refused = make([]error, len(subs))
				}
				refused[i] = models.Errorf(models.EFORBIDDEN, "request_ip %s is on the %s spam list", sub.RequestIP, scope)
			}
		}
	}
	if refused == nil {
		return s.write(ctx, tenant, subs, opts)
	}
	results := make([]models.IngestResult, len(subs))
	var kept []*models.Submission
	var keep []int // keep[j] is the position in subs of kept[j]
	for i, sub := range subs {
		if refused[i] != nil {
			results[i].Err = refused[i]
			continue
		}
		kept, keep = append(kept, sub), append(keep, i)
	}
	if len(kept) == 0 {
		return results, nil
	}
	if opts.ingest.Within != nil || opts.ingest.Targets != nil {
		o := *opts
		if opts.ingest.Targets != nil {
			o.ingest.Targets = make([]int64, len(keep))
			for j, i := range keep {
				o.ingest.Targets[j] = opts.ingest.Targets[i]
			}
		}
		opts = &o
	}
	if within := opts.ingest.Within; within != nil {
		// Within is told about every submission, the refused ones too.
		o := *opts
		o.ingest.Within = func(ctx context.Context, tx *sql.Tx, out []models.IngestResult) error {
			all := slices.Clone(results)
			for j, i := range keep {
				all[i] = out[j]
			}
			return within(ctx, tx, all)
		}
		opts = &o
	}
	out, err := s.write(ctx, tenant, kept, opts)
	if err != nil {
		return nil, err
	}
	for j, i := range keep {
		results[i] = out[j]
	}
	return results, nil
}

// write calls the store's Ingest with the flood guard, detached from the caller and
// bounded in time.
func (s *Service) write(ctx context.Context, tenant int64, kept []*models.Submission, opts *parsedOptions) ([]models.IngestResult, error) {
	type reservation struct{ key, id string }
	var reserved map[int]reservation // by index into kept
	iopts := opts.ingest
	if opts.floodLimit > 0 && s.flood != nil {
		reserved = map[int]reservation{}
		iopts.BeforeCreate = func(ctx context.Context, j int, sub *models.Submission) error {
			if sub.RequestIP == "" {
				return nil
			}
			if _, ok := reserved[j]; ok {
				return nil // a retried transaction asks again for the same item
			}
			key := fmt.Sprintf("flood:%d:%s", tenant, ratelimit.IPKey(netip.MustParseAddr(sub.RequestIP)))
			r, err := s.flood.Reserve(ctx, key, opts.floodLimit, floodWindow)
			if errors.Is(err, ratelimit.ErrUnavailable) {
				return &models.Error{Code: models.EUNAVAILABLE, Message: "flood limiter unavailable; try again shortly", RetryAfter: max(r.RetryAfter, time.Second)}
			}
			if err != nil {
				return fmt.Errorf("flood limit: %w", err)
			}
			if !r.Allowed {
				s.metrics.FloodRefused()
				return &models.Error{Code: models.ELIMITED, RetryAfter: r.RetryAfter,
					Message: fmt.Sprintf("flood limit reached: at most %d contacts per hour from %s", opts.floodLimit, sub.RequestIP)}
			}
			reserved[j] = reservation{key, r.ID}
			return nil
		}
	}
	// The write runs to its end even if the caller goes away: a web form that gave up
	// still gets its contact (a retry finds it as a duplicate), and a cancelled query
	// would cost the pool its connection.
	limit := WriteTimeout + time.Duration(len(kept))*writeTimePerItem
	var wctx context.Context
	var cancel context.CancelFunc
	if before := iopts.BeforeTx; before != nil {
		// The bound starts when BeforeTx let the write go on: a pipelined import batch
		// waits there for the batch before it, which is not time spent writing.
		var cancelCause context.CancelCauseFunc
		wctx, cancelCause = context.WithCancelCause(context.WithoutCancel(ctx))
		var timer *time.Timer
		cancel = func() {
			if timer != nil {
				timer.Stop()
			}
			cancelCause(nil)
		}
		iopts.BeforeTx = func(ctx context.Context) error {
			if err := before(ctx); err != nil {
				return err
			}
			timer = time.AfterFunc(limit, func() { cancelCause(context.DeadlineExceeded) })
			return nil
		}
	} else {
		wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), limit)
	}
	defer cancel()
	out, err := s.store.Ingest(wctx, tenant, kept, iopts)
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(wctx), context.DeadlineExceeded)) {
		// Mostly time spent queueing behind other big batches of the tenant: not a bug.
		err = &models.Error{Code: models.EUNAVAILABLE, RetryAfter: 5 * time.Second,
			Message: fmt.Sprintf("the write did not finish within %v (busy with other writes of this tenant); try again — with a duplicate check a retry finds what was stored", limit.Round(time.Second))}
	}
	// Only contacts actually created count against the flood limit.
	for j, r := range reserved {
		if err != nil || !out[j].Created {
			if cerr := s.flood.Cancel(context.WithoutCancel(ctx), r.key, r.id); cerr != nil {
				logctx.From(ctx, s.log).Warn("cancel flood reservation", "err", cerr)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
