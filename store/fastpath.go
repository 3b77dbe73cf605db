package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/contacthub/contacthub/models"
)

// createIfNew is the write path's shortcut for its most frequent call: one web-form
// submission (check email or none, no terms, no comment) of a person
// the tenant does not have yet. On PostgreSQL it takes the same advisory locks as the
// transaction in ingest, looks up the same keys with a fresh snapshot and, when none
// of them has a contact, inserts the contact and its keys — all in one autocommitted
// statement, one round trip instead of four (BEGIN, lock and find, insert, COMMIT).
//
// ok is false when the shortcut does not apply or found a possible duplicate; nothing
// was written then (the statement's locks ended with it), and the caller runs the
// full transaction, which locks and looks up again and decides as always.
func (s *Store) createIfNew(ctx context.Context, tenantID int64, sub *models.Submission, opts models.IngestOptions) (res models.IngestResult, ok bool, err error) {
	if s.dialect != Postgres || len(sub.Terms) > 0 || sub.Comment != "" ||
		(opts.Check != models.CheckEmail && opts.Check != models.CheckNone) {
		return res, false, nil
	}
	probe := sub.NewContact(tenantID)
	if checkRequired(probe, opts.RequiredCustom) != nil {
		return res, false, nil // the full path reports it, unless the submission merges
	}
	keys := s.storeKeys(probe)
	lookup := s.lookupKeys(probe, opts.Check)
	excl, shared := s.lockPlan(probe, keys, lookup, opts.Check)
	locks := lockModes(tenantID, excl, shared)
	if len(keys) == 0 || len(locks.ids) > maxKeyLocks {
		return res, false, nil
	}
	probe.CreatedAt, probe.UpdatedAt = s.now(), s.now()
	cols := contactRow(probe)
	names := createIfNewColumns()
	args := make([]any, 0, len(names)+10)
	args = append(args, tenantID, ingestLockClass, int32(tenantID), pgArray(locks.ids), pgBoolArray(locks.shared), pgTextArray(lookup))
	for _, n := range names {
		args = append(args, cols[n])
	}
	// The contact.created event goes in with the contact; its id is known only in
	// the statement, so the payload travels in two parts around it.
	before, after := splitAtID(contactData(probe))
	args = append(args, pgTextArray(keys), before, after, probe.CreatedAt)
	if opts.BeforeCreate != nil {
		return s.createIfNewHooked(ctx, sub, opts, args)
	}
	// database/sql directly: gorm's Raw+Scan renders the statement for its logger
	// on every call (see scan), a tenth of the CPU of a create.
	rows, err := s.sqlDB.QueryContext(ctx, createIfNewStatement(), args...)
	if err != nil {
		if retryable(err) || (connLost(err) && pgconn.SafeToRetry(err)) {
			return res, false, nil // the full path decides again
		}
		return res, false, s.createIfNewFailed(ctx, err)
	}
	defer rows.Close()
	var created []int64
	found := false
	for rows.Next() {
		var key sql.NullString
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return res, false, translate("create contact", err)
		}
		if key.Valid {
			found = true // a contact shares a lookup key: decide in the full path
		} else {
			created = append(created, id)
		}
	}
	if err := rows.Err(); err != nil {
		if retryable(err) {
			return res, false, nil
		}
		return res, false, s.createIfNewFailed(ctx, err)
	}
	if found || len(created) != 1 {
		return res, false, nil
	}
	s.noteWritten(1)
	return models.IngestResult{ID: created[0], Created: true}, true, nil
}

// createIfNewHooked is createIfNew with a BeforeCreate hook (the flood limit), which
// must be asked only once the contact is known to be new, with the contact's keys
// still locked: the shortcut's statement runs in a transaction of its own, sent in
// one round trip with its BEGIN; when it created the contact the hook is asked, and
// the transaction commits when the hook agrees and rolls back when it refuses (the
// item's error, as in ingest). Three round trips instead of five (BEGIN, lock and
// find, insert, events, COMMIT). Until COMMIT is sent nothing is written, so every
// failure before it leaves the full path free to run.
func (s *Store) createIfNewHooked(ctx context.Context, sub *models.Submission, opts models.IngestOptions, args []any) (res models.IngestResult, ok bool, err error) {
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return res, false, nil // the full path decides, and reports the pool's error
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		open := true // the transaction may be open: roll it back before the pool gets the connection
		defer func() {
			if open && !pc.IsClosed() {
				if _, rerr := pc.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
					pc.Close(context.WithoutCancel(ctx)) // the pool drops it
				}
			}
		}()
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(createIfNewStatement(), args...)
		br := pc.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		var created []int64
		found := false
		for rows.Next() {
			var key *string
			var id int64
			if err := rows.Scan(&key, &id); err != nil {
				rows.Close()
				br.Close()
				return err
			}
			if key != nil {
				found = true
			} else {
				created = append(created, id)
			}
		}
		rows.Close()
		if err := br.Close(); err != nil {
			return err
		}
		if found || len(created) != 1 {
			return nil // rolled back; the full path decides
		}
		if herr := opts.BeforeCreate(ctx, 0, sub); herr != nil {
			res, ok = models.IngestResult{Err: herr}, true
			return nil // rolled back
		}
		open = false
		if _, err := pc.Exec(ctx, "COMMIT"); err != nil {
			return &commitError{err}
		}
		res, ok = models.IngestResult{ID: created[0], Created: true}, true
		return nil
	})
	var ce *commitError
	switch {
	case err == nil:
		if ok && res.Created {
			s.noteWritten(1)
		}
		return res, ok, nil
	case errors.As(err, &ce):
		return models.IngestResult{}, false, s.createIfNewFailed(ctx, ce.err)
	case retryable(err) || connLost(err):
		return models.IngestResult{}, false, nil // nothing was written: the full path decides again
	default:
		return models.IngestResult{}, false, translate("create contact", err)
	}
}

// commitError is a failed COMMIT of createIfNewHooked: its outcome is unknown when
// the connection was lost.
type commitError struct{ err error }

func (e *commitError) Error() string { return e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

// createIfNewFailed is the error of a shortcut statement that failed after it was
// sent. A lost connection leaves unknown whether the contact was created (the
// statement commits on its own): running the full path as well could create it twice.
func (s *Store) createIfNewFailed(ctx context.Context, err error) error {
	if connLost(err) {
		s.noteLost()
		s.logFor(ctx).Warn("database connection lost", "unknown_outcome", true, "err", err)
	}
	return translate("create contact", unavailable(err, true))
}

// The shortcut's columns and statement are the same for every contact: built once.
var (
	createIfNewColumns   = sync.OnceValue(func() []string { return slices.Sorted(maps.Keys(contactRow(&models.Contact{}))) })
	createIfNewStatement = sync.OnceValue(func() string { return createIfNewSQL(createIfNewColumns()) })
)

// createIfNewSQL is the shortcut's statement for the given contact columns. The
// VOLATILE function reads contact_keys after taking the locks, with its own snapshot,
// so it sees every contact committed by a writer it waited for; the insert runs only
// when it found nothing, and the locks last until the statement's transaction commits.
func createIfNewSQL(columns []string) string {
	var sb strings.Builder
	sb.WriteString("WITH f AS MATERIALIZED (SELECT key, contact_id FROM contacthub_lock_and_find_modes($1, $2, $3, $4::bigint[], $5::boolean[], $6::text[])), " +
		"c AS (INSERT INTO contacts (")
	sb.WriteString(strings.Join(columns, ", "))
	sb.WriteString(") SELECT ")
	for i := range columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("$" + strconv.Itoa(i+7)) // after the six parameters of f
	}
	sb.WriteString(" WHERE NOT EXISTS (SELECT FROM f) RETURNING id), " +
		"k AS (INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT $1, x, c.id FROM c, unnest($" + strconv.Itoa(len(columns)+7) + "::text[]) AS x ON CONFLICT DO NOTHING), " +
		"e AS (INSERT INTO events (tenant_id, type, data, created_at) SELECT $1, '" + models.EventContactCreated + "', " +
		"$" + strconv.Itoa(len(columns)+8) + "::text || c.id::text || $" + strconv.Itoa(len(columns)+9) + "::text, $" + strconv.Itoa(len(columns)+10) + " FROM c) " +
		"SELECT NULL::text AS key, id AS contact_id FROM c UNION ALL SELECT key, contact_id FROM f")
	return sb.String()
}

// splitAtID cuts a contact's wire form with id 0 around the id's value, so a statement
// that learns the id can put it in between. Strings in it are escaped, so `"id":0`
// occurs only as the contact's own key.
func splitAtID(data []byte) (before, after string) {
	const key = `,"id":0`
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		panic("store: wire form without id") // contactwire always writes it
	}
	return string(data[:i+len(key)-1]), string(data[i+len(key):])
}
