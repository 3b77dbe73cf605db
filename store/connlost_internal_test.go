package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

func TestConnLostClassifiesErrors(t *testing.T) {
	t.Parallel()
	// A real failed connect (nothing listens on port 1).
	_, refused := pgconn.Connect(context.Background(), "postgres://u@127.0.0.1:1/x?connect_timeout=5")
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", fmt.Errorf("store: x: %w", &pgconn.PgError{Code: "08006"}), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"bad conn", driver.ErrBadConn, true},
		{"conn done", sql.ErrConnDone, true},
		{"network", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, true},
		{"conn closed", errors.New("conn closed"), true},
		{"connect refused", refused, true},
		{"wrapped connect error", fmt.Errorf("connect: %w", &pgconn.ConnectError{Config: &pgconn.Config{}}), true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"not found", gorm.ErrRecordNotFound, false},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, false},
		{"nil", nil, false},
	} {
		if got := connLost(c.err); got != c.want {
			t.Errorf("%s: connLost = %v, want %v", c.name, got, c.want)
		}
	}
}

// A lost connection reaches the handlers as EUNAVAILABLE with a Retry-After, however
// it was wrapped, and says so when the change may have been stored.
func TestLostConnectionIsUnavailable(t *testing.T) {
	t.Parallel()
	lost := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, c := range []struct {
		name    string
		err     error
		unknown bool
	}{
		{"read", translate("get contact 1", lost), false},
		{"commit", unavailable(&commitUnknownError{err: lost}, false), true},
		{"lone write", translate("create contact", unavailable(lost, true)), true},
	} {
		var de *models.Error
		if !errors.As(c.err, &de) || de.Code != models.EUNAVAILABLE || de.RetryAfter <= 0 {
			t.Errorf("%s: %v is not EUNAVAILABLE with a Retry-After", c.name, c.err)
			continue
		}
		if !connLost(c.err) {
			t.Errorf("%s: the driver's error is lost from %v", c.name, c.err)
		}
		if mayBeStored := de.Message != "the database connection was lost; try again"; mayBeStored != c.unknown {
			t.Errorf("%s: message %q; want it to say the change may be stored: %v", c.name, de.Message, c.unknown)
		}
	}
	if err := translate("x", &pgconn.PgError{Code: "23503"}); models.ErrorCode(err) != models.EINTERNAL {
		t.Errorf("a foreign-key violation became %v", err)
	}
}

func TestIsRead(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"SELECT * FROM contacts":                 true,
		"  select id from terms":                 true,
		"INSERT INTO comments (x) VALUES (1)":    false,
		"UPDATE contacts SET version = 2":        false,
		"WITH c AS (INSERT INTO contacts …) SEL": false,
		"DELETE FROM contact_keys":               false,
		"SEL":                                    false,
	} {
		if got := isRead(q); got != want {
			t.Errorf("isRead(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	t.Parallel()
	for attempt := range maxAttempts {
		ceiling := 5 * time.Millisecond << attempt
		for range 100 {
			if d := backoff(attempt); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}
