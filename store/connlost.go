package store

// Lost database connections (PostgreSQL): a backend terminated by an administrator
// or a failover, a server restart, a network cut. database/sql replaces a connection
// it knows to be bad before using it, but a connection that dies while idle in the
// pool is only found out by the statement that uses it next, and that statement
// fails (57P01, an unexpected EOF, a reset): a plain GET answered 500.
//
// What the store does about it:
//
//   - A read outside a transaction (a statement that begins with SELECT) runs once
//     more on another connection (retryPool), as does any statement the driver never
//     sent (pgconn.SafeToRetry).
//   - A transaction that lost its connection before COMMIT was sent was rolled back
//     by the server: repeat runs it once more, on another connection.
//   - Where the outcome is unknown — the connection went while COMMIT, or a lone
//     write outside a transaction, was under way — nothing is repeated: a write that
//     is not idempotent might then happen twice. The caller gets EUNAVAILABLE (503
//     with Retry-After) saying that the change may or may not be stored.
//   - Every other failure that is still a lost connection after its one retry is
//     EUNAVAILABLE too: the database is away, a client should try again shortly.
//
// After a loss the pool pings every connection before handing it out for a while
// (shouldPing), so the retry gets a live one instead of the next dead one.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/contacthub/contacthub/models"
)

// connLost reports whether err says the database connection was lost (rather than
// that the statement failed on a working connection).
func connLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// No connection could be made (the server down or starting, too many clients):
	// whatever the server said, nothing was sent.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: admin shutdown, crash
		// shutdown, cannot connect now (a server starting or stopping).
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &netErr) || strings.Contains(err.Error(), "conn closed")
}

// commitUnknownError is a lost connection while a transaction was committing: the
// server may have committed it or not.
type commitUnknownError struct{ err error }

func (e *commitUnknownError) Error() string { return "commit outcome unknown: " + e.err.Error() }
func (e *commitUnknownError) Unwrap() error { return e.err }

// lostError is a lost connection as the domain sees it: EUNAVAILABLE, with the
// driver's error kept for the log and for connLost.
type lostError struct {
	err error
	de  *models.Error
}

func (e *lostError) Error() string   { return "database connection lost: " + e.err.Error() }
func (e *lostError) Unwrap() []error { return []error{e.de, e.err} }

// unavailableRetryAfter is what a 503 for a lost connection tells a client to wait:
// a terminated backend is replaced at once, a failover takes seconds.
const unavailableRetryAfter = 2 * time.Second

// unavailable turns a lost connection into EUNAVAILABLE; other errors (and one
// already turned) come back unchanged. unknown says the change may have been stored.
func unavailable(err error, unknown bool) error {
	if !connLost(err) {
		return err
	}
	var le *lostError
	if errors.As(err, &le) && !unknown {
		return err
	}
	var cu *commitUnknownError
	msg := "the database connection was lost; try again"
	if unknown || errors.As(err, &cu) {
		msg = "the database connection was lost while the change was being stored; it may or may not have been stored: check before repeating it"
	}
	return &lostError{err: err, de: &models.Error{Code: models.EUNAVAILABLE, Message: msg, RetryAfter: unavailableRetryAfter}}
}

// lostPingWindow is how long after a lost connection the pool pings connections
// before reusing them: the others of the pool most likely died with it.
const lostPingWindow = 5 * time.Second

// noteLost records that a connection was lost now (see shouldPing).
func (s *Store) noteLost() { s.lostAt.Store(time.Now().UnixNano()) }

// shouldPing decides whether the pool pings a connection before reusing it: pgx's
// default (idle over a second), and every time shortly after a connection was lost.
func (s *Store) shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	return p.IdleDuration > time.Second || time.Since(time.Unix(0, s.lostAt.Load())) < lostPingWindow
}

// retryPool is the connection pool gorm runs statements on outside transactions
// (PostgreSQL): *sql.DB, with one retry of a statement that lost its connection when
// repeating it cannot do harm (see the top of this file).
type retryPool struct {
	db *sql.DB
	s  *Store
}

// again reports whether a statement that failed with err runs once more.
func (p *retryPool) again(ctx context.Context, query string, err error) bool {
	if !connLost(err) {
		return false
	}
	p.s.noteLost()
	return ctx.Err() == nil && (pgconn.SafeToRetry(err) || errors.Is(err, driver.ErrBadConn) || isRead(query))
}

// done classifies the final error of a statement.
func (p *retryPool) done(ctx context.Context, query string, err error) error {
	if !connLost(err) {
		return err
	}
	p.s.noteLost()
	unknown := !isRead(query) && !pgconn.SafeToRetry(err) && !errors.Is(err, driver.ErrBadConn)
	p.s.logFor(ctx).Warn("database connection lost", "unknown_outcome", unknown, "err", err)
	return unavailable(err, unknown)
}

// isRead reports whether a statement only reads: the store's reads all begin with
// SELECT, and none of its SELECTs outside a transaction writes.
func isRead(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

func (p *retryPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *retryPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.db.ExecContext(ctx, query, args...)
	if p.again(ctx, query, err) {
		res, err = p.db.ExecContext(ctx, query, args...)
	}
	return res, p.done(ctx, query, err)
}

func (p *retryPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := p.db.QueryContext(ctx, query, args...)
	if p.again(ctx, query, err) {
		rows, err = p.db.QueryContext(ctx, query, args...)
	}
	return rows, p.done(ctx, query, err)
}

// QueryRowContext retries like QueryContext; a *sql.Row keeps its own error, which
// translate classifies.
func (p *retryPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	row := p.db.QueryRowContext(ctx, query, args...)
	if p.again(ctx, query, row.Err()) {
		row = p.db.QueryRowContext(ctx, query, args...)
	}
	return row
}

// BeginTx begins a transaction; BEGIN changes nothing, so it is always tried again.
func (p *retryPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if connLost(err) && ctx.Err() == nil {
		p.s.noteLost()
		tx, err = p.db.BeginTx(ctx, opts)
	}
	return tx, err
}

// GetDBConn lets gorm's DB() find the *sql.DB.
func (p *retryPool) GetDBConn() (*sql.DB, error) { return p.db, nil }
