// Package logctx carries a request's logger in its context. The HTTP layer puts a
// logger there that names the request (its request id); whatever logs on behalf of
// that request further down — the error handler's 5xx detail, the contact service,
// the store's retries — takes it from the context, so every line of one request can
// be found by its id. Code without a request logger in its context logs through
// its own.
package logctx

import (
	"context"
	"log/slog"
)

type key struct{}

// With returns ctx carrying log.
func With(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, key{}, log)
}

// From returns the logger ctx carries, or fallback when it carries none.
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if ctx != nil {
		if l, ok := ctx.Value(key{}).(*slog.Logger); ok && l != nil {
			return l
		}
	}
	return fallback
}
