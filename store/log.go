package store

import (
	"context"
	"log/slog"

	"github.com/contacthub/contacthub/logctx"
)

// logFor is the logger of the request ctx serves (its lines carry the request id), or
// the store's own for work outside a request.
func (s *Store) logFor(ctx context.Context) *slog.Logger { return logctx.From(ctx, s.log) }
