package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/contacthub/contacthub/models"
)

// The read of one contact by id — GET contact, the most frequent read — on
// PostgreSQL: one statement for the contact and its terms (the terms as an array in
// the row), sent through pgx itself rather than database/sql and gorm. Through
// database/sql pgx sets up a value converter per column and query (some 90
// allocations for the contacts row) and gorm a statement, callbacks and a reflective
// scan; the two queries of the gorm path were half of a GET's allocations
// (BENCHMARKS.md, issue 18). pgx caches the prepared statement per connection.

// getContactSQL reads a contact with its terms, ascending (arguments: id, tenant).
var getContactSQL = sync.OnceValue(func() string {
	return "SELECT c." + strings.Join(contactReadColumns(), ", c.") +
		", ARRAY(SELECT t.term_id FROM contact_terms t WHERE t.contact_id = c.id AND t.tenant_id + 0 = $2 ORDER BY t.term_id)" +
		" FROM contacts c WHERE c.id = $1 AND c.tenant_id + 0 = $2" // see byid.go
})

// getContactPG is GetContact on PostgreSQL.
func (s *Store) getContactPG(ctx context.Context, tenantID, id int64) (*models.Contact, error) {
	c := &models.Contact{}
	var custom, profile string
	found := false
	err := s.pgxRead(ctx, getContactSQL(), func(conn *pgx.Conn) error {
		*c, custom, profile = models.Contact{}, "", ""
		dest := append(contactScanDest(c, &custom, &profile), &c.Terms)
		err := conn.QueryRow(ctx, getContactSQL(), id, tenantID).Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return nil, translate(fmt.Sprintf("get contact %d", id), err)
	}
	if !found {
		return nil, models.Errorf(models.ENOTFOUND, "contact %d not found", id)
	}
	if c.Terms == nil {
		c.Terms = []int64{}
	}
	if err := decodeContactJSON(c, custom, profile); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeContactJSON fills the custom values and the profile from their columns as
// gorm's JSON serializer does; the empty object, most contacts' value, without a
// decoder.
func decodeContactJSON(c *models.Contact, custom, profile string) error {
	if custom == "{}" {
		c.Custom = models.CustomValues{}
	} else if err := json.Unmarshal([]byte(custom), &c.Custom); err != nil {
		return fmt.Errorf("store: decode custom fields of contact %d: %w", c.ID, err)
	}
	if profile != "{}" {
		if err := json.Unmarshal([]byte(profile), &c.Profile); err != nil {
			return fmt.Errorf("store: decode profile of contact %d: %w", c.ID, err)
		}
	}
	return nil
}

// pgxRead runs f on a pool connection as the pgx connection beneath it. A read that
// lost its connection runs once more, and the final error is classified, as
// retryPool does for gorm's statements (connlost.go).
func (s *Store) pgxRead(ctx context.Context, query string, f func(*pgx.Conn) error) error {
	run := func() error {
		conn, err := s.sqlDB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error { return f(dc.(*stdlib.Conn).Conn()) })
	}
	p := retryPool{db: s.sqlDB, s: s}
	err := run()
	if p.again(ctx, query, err) {
		err = run()
	}
	return p.done(ctx, query, err)
}
