package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// write stores a batch: new contacts with one multi-row insert, changed ones with an
// optimistic version check, then keys, terms and comments with multi-row inserts.
func (s *Store) write(ctx context.Context, tx *gorm.DB, b *batch) error {
	tx = tx.WithContext(ctx)
	var fresh []*models.Contact
	// idNow are the new contacts that get their id from this insert: no key row can
	// name them yet. (An undo brings a contact back under its old id.)
	idNow := map[*working]bool{}
	for _, w := range b.touched {
		if w.isNew {
			fresh = append(fresh, w.c)
			idNow[w] = w.c.ID == 0
		}
	}
	switch {
	case len(fresh) == 1 && len(b.touched) == 1 && s.dialect == Postgres:
		// The web-form case: one new contact. Contact and keys go in with one statement,
		// a round trip less on the hottest path.
		if err := insertContactWithKeys(ctx, tx, b.touched[0]); err != nil {
			return err
		}
	case len(fresh) >= copyMin && b.conn != nil && !slices.ContainsFunc(fresh, func(c *models.Contact) bool { return c.ID != 0 }):
		if err := s.copyContacts(ctx, tx, b.conn, fresh); err != nil {
			return err
		}
	case len(fresh) > 0:
		if err := tx.CreateInBatches(fresh, s.rowsPerInsert(len(createIfNewColumns()), 500)).Error; err != nil {
			return translate("insert contacts", err)
		}
	}
	type termRow struct {
		TenantID, ContactID, TermID int64
	}
	var keyRows, newContactKeyRows []keyRow // keyRow: all of the batch's tenant
	var termRows []termRow
	var replaceTerms []int64
	now := s.now()
	// The lock order (locks.go): the terms this batch writes again for contacts it
	// changes (the foreign key takes them), then the contacts in ascending id. New
	// contacts' terms are the caller's, locked by missingTerms.
	var rewritten []int64
	for _, w := range b.touched {
		if !w.isNew && w.termsDirty {
			rewritten = append(rewritten, w.c.Terms...)
		}
	}
	if err := s.lockTermRows(ctx, tx, b.tenantID, rewritten); err != nil {
		return err
	}
	newKeys := 0
	for _, w := range b.touched {
		if idNow[w] {
			newKeys += len(w.newKeys)
		}
	}
	newContactKeyRows = make([]keyRow, 0, newKeys)
	for _, w := range byID(b.touched) {
		c := w.c
		for _, k := range w.newKeys {
			if idNow[w] {
				newContactKeyRows = append(newContactKeyRows, keyRow{k, c.ID})
			} else {
				keyRows = append(keyRows, keyRow{k, c.ID})
			}
		}
		if !w.isNew && w.dirty {
			c.UpdatedAt = now
			res := tx.Model(&models.Contact{}).Where(contactByIDVersion, c.ID, b.tenantID, w.version).
				Updates(contactColumns(c))
			if res.Error != nil {
				return translate(fmt.Sprintf("update contact %d", c.ID), res.Error)
			}
			if res.RowsAffected == 0 {
				return errConcurrentChange
			}
		} else if !w.isNew && (c.Version != w.version || s.dialect == Postgres) {
			// A merge that changed nothing still takes a version of its own (see
			// ingest), and with it updated_at (a sync by updated_since sees every new
			// version), and attaches keys, comments and a merge record to the contact:
			// make sure it was not deleted or changed meanwhile (and hold it until
			// commit). SQLite has one writer, so there it only needs the version.
			if c.Version != w.version {
				c.UpdatedAt = now
			}
			res := tx.Exec("UPDATE contacts SET version = ?, updated_at = ? WHERE "+contactByIDVersion, c.Version, c.UpdatedAt, c.ID, b.tenantID, w.version)
			if res.Error != nil {
				return translate(fmt.Sprintf("lock contact %d", c.ID), res.Error)
			}
			if res.RowsAffected == 0 {
				return errConcurrentChange
			}
		}
		if w.isNew || w.termsDirty {
			if !w.isNew {
				replaceTerms = append(replaceTerms, c.ID)
			}
			for _, t := range c.Terms {
				termRows = append(termRows, termRow{b.tenantID, c.ID, t})
			}
		}
	}
	for chunk := range slices.Chunk(replaceTerms, 1000) {
		if err := tx.Exec("DELETE FROM contact_terms WHERE "+termsOfContacts, chunk, b.tenantID).Error; err != nil {
			return translate("replace contact terms", err)
		}
	}
	// Link rows go as arrays on Postgres (pgbatch.go): VALUES lists of ~10,000 key rows
	// per 1,000 contacts were the write path's main cost.
	termContacts, termIDs := make([]int64, len(termRows)), make([]int64, len(termRows))
	for i, r := range termRows {
		termContacts[i], termIDs[i] = r.ContactID, r.TermID
	}
	if err := s.insertContactTerms(ctx, tx, b.tenantID, termContacts, termIDs); err != nil {
		return err
	}
	// A contact whose id was just assigned has no key rows yet, and addKeys made its
	// keys distinct. Other contacts need the conflict check: UpdateContact adds all of
	// a contact's keys again, and the ones it already has must be left alone.
	for _, group := range []struct {
		rows     []keyRow
		mayExist bool
	}{{newContactKeyRows, false}, {keyRows, true}} {
		if !group.mayExist && len(group.rows) >= copyMin && b.conn != nil {
			if err := copyKeyRows(ctx, b.conn, b.tenantID, group.rows); err != nil {
				return translate("insert contact keys", err)
			}
			continue
		}
		keys, keyContacts := make([]string, len(group.rows)), make([]int64, len(group.rows))
		for i, r := range group.rows {
			keys[i], keyContacts[i] = r.Key, r.ContactID
		}
		if err := s.insertContactKeys(ctx, tx, b.tenantID, keys, keyContacts, group.mayExist); err != nil {
			return err
		}
	}
	var comments []*models.Comment
	if len(b.comments) > 0 {
		rows := make([]*models.Comment, len(b.comments))
		for i, pc := range b.comments {
			rows[i] = &models.Comment{TenantID: b.tenantID, ContactID: pc.w.c.ID, Comment: pc.text, CreatedAt: now, UpdatedAt: now}
		}
		if err := tx.CreateInBatches(rows, s.rowsPerInsert(6, 500)).Error; err != nil {
			return translate("insert comments", err)
		}
		for i, pc := range b.comments {
			if pc.merge != nil {
				pc.merge.m.AddedComments = append(pc.merge.m.AddedComments, rows[i].ID)
			}
		}
		comments = rows
	}
	if err := s.writeEvents(ctx, tx, b.conn, b.tenantID, s.batchEvents(b, comments)); err != nil {
		return err
	}
	if len(b.merges) > 0 {
		rows := make([]*mergeRow, len(b.merges))
		for i, pm := range b.merges {
			// Contacts created earlier in the batch have their ids only now.
			pm.m.ContactID, pm.m.Before.ID, pm.m.After.ID = pm.w.c.ID, pm.w.c.ID, pm.w.c.ID
			rows[i] = toMergeRow(pm.m)
		}
		if err := tx.CreateInBatches(rows, s.rowsPerInsert(20, 200)).Error; err != nil {
			return translate("record merges", err)
		}
	}
	return nil
}

// batchEvents are the events of a written batch: contact.created for each new
// contact, contact.updated for each changed one (a version of its own, see write),
// comment.created for each comment; none for contacts when the caller writes its own.
func (s *Store) batchEvents(b *batch, comments []*models.Comment) []pendingEvent {
	evs := make([]pendingEvent, 0, len(b.touched)+len(comments))
	if !b.ownEvent {
		for _, w := range b.touched {
			switch {
			case w.isNew:
				evs = append(evs, pendingEvent{models.EventContactCreated, contactData(w.c)})
			case w.dirty || w.c.Version != w.version:
				evs = append(evs, pendingEvent{models.EventContactUpdated, contactData(w.c)})
			}
		}
	}
	for _, c := range comments {
		evs = append(evs, pendingEvent{models.EventCommentCreated, eventData(contactwire.CommentFromModel(c))})
	}
	return evs
}

// rowsPerInsert is how many rows of columns columns one multi-row INSERT carries:
// def on PostgreSQL; on SQLite about 400 parameters' worth, because its driver binds
// parameters in time that grows with the square of their number (500 new contacts in
// one statement took 5.8 s, in statements of 8 rows 0.24 s).
func (s *Store) rowsPerInsert(columns, def int) int {
	if s.dialect != SQLite {
		return def
	}
	return max(1, min(def, 400/columns))
}

// byID orders a batch's contacts for writing: existing ones in ascending id, so their
// row locks are taken in the one order (locks.go), then new ones as they came.
func byID(touched []*working) []*working {
	return slices.SortedStableFunc(slices.Values(touched), func(a, b *working) int {
		switch {
		case a.isNew != b.isNew:
			if a.isNew {
				return 1
			}
			return -1
		case a.isNew:
			return 0
		}
		return cmp.Compare(a.c.ID, b.c.ID)
	})
}

// insertContactWithKeys inserts a new contact and its keys in one statement (Postgres)
// and clears w.newKeys, which are then written.
func insertContactWithKeys(ctx context.Context, tx *gorm.DB, w *working) error {
	c := w.c
	cols := contactRow(c)
	names := slices.Sorted(maps.Keys(cols))
	args := make([]any, 0, len(names)+2)
	for _, n := range names {
		args = append(args, cols[n])
	}
	args = append(args, c.TenantID, pgTextArray(w.newKeys))
	q := "WITH c AS (INSERT INTO contacts (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ") RETURNING id), " +
		"k AS (INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT ?, x, c.id FROM c, unnest(?::text[]) AS x " +
		"ON CONFLICT DO NOTHING) SELECT id FROM c"
	if err := scan(tx.WithContext(ctx).Raw(q, args...), &c.ID); err != nil {
		return translate("insert contact", err)
	}
	if w.keys == nil { // the keys were newKeys (see working)
		w.keys = make(map[string]bool, len(w.newKeys))
		for _, k := range w.newKeys {
			w.keys[k] = true
		}
	}
	w.newKeys = nil
	return nil
}

// errConcurrentChange aborts a transaction whose contact was changed by another writer
// after it was read; retry runs the whole transaction again.
var errConcurrentChange = errors.New("store: contact changed concurrently")

// retry runs fn in a write transaction and runs it again when it lost a race
// (optimistic version check, serialization failure or deadlock) or its connection
// before committing (see repeat). Every write transaction goes through it.
func (s *Store) retry(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.repeat(ctx, func() error { return s.tx(ctx, fn) })
}

// retryOnConn is retry with txOnConn's transactions: fn may also COPY on conn.
func (s *Store) retryOnConn(ctx context.Context, fn func(tx *gorm.DB, conn *sql.Conn) error) error {
	return s.repeat(ctx, func() error { return s.txOnConn(ctx, fn) })
}

// maxAttempts bounds how often repeat runs a transaction that keeps losing races.
const maxAttempts = 5

// repeat runs a transaction until it does not lose a race, at most maxAttempts
// times, waiting a little longer (with jitter) after each loss so that writers that
// collided do not collide again in step. A transaction that lost its connection
// before committing runs once more at once (a fresh connection needs no waiting); a
// lost connection after that, or while committing, is EUNAVAILABLE (connlost.go). So
// is a transaction that lost every race: the contact is busy, not the request wrong.
func (s *Store) repeat(ctx context.Context, run func() error) error {
	var err error
	reconnected := false
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = run()
		var cu *commitUnknownError
		switch {
		case err == nil:
			return nil
		case connLost(err):
			s.noteLost()
			if errors.As(err, &cu) || reconnected || ctx.Err() != nil {
				s.logFor(ctx).Warn("database connection lost", "unknown_outcome", cu != nil, "err", err)
				return unavailable(err, cu != nil)
			}
			reconnected = true
			s.retries.connLost.Add(1)
			s.logFor(ctx).Debug("retrying write transaction on a new connection", "err", err)
			continue
		case !retryable(err):
			return err
		}
		s.retries.count(err)
		s.logFor(ctx).Debug("retrying write transaction", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff(attempt)):
		}
	}
	if connLost(err) {
		return unavailable(err, false)
	}
	s.logFor(ctx).Warn("write transaction kept losing races", "attempts", maxAttempts, "err", err)
	return fmt.Errorf("store: write kept conflicting with concurrent writers (%v): %w", err,
		&models.Error{Code: models.EUNAVAILABLE, Message: "the contact is being changed by other requests; try again", RetryAfter: time.Second})
}

// backoff is the wait after a transaction's attempt (from 0) lost a race: up to
// 5 ms × 2^attempt, at least half of it.
func backoff(attempt int) time.Duration {
	d := 5 * time.Millisecond << attempt
	return d/2 + rand.N(d/2+1)
}

func retryable(err error) bool {
	if errors.Is(err, errConcurrentChange) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// Retries counts the transactions the store ran again since it was opened, by the
// race they lost.
type Retries struct {
	// Deadlock: PostgreSQL broke a deadlock (40P01). Locks taken in one order
	// (locks.go) leave none to break; a count here is a path that does not.
	Deadlock int64
	// Serialization: a serialization failure (40001).
	Serialization int64
	// Conflict: the contact changed between its read and the write (version check).
	Conflict int64
	// ConnectionLost: the connection was lost before the commit (connlost.go).
	ConnectionLost int64
}

type retryCounts struct{ deadlock, serialization, conflict, connLost atomic.Int64 }

func (r *retryCounts) count(err error) {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, errConcurrentChange):
		r.conflict.Add(1)
	case errors.As(err, &pgErr) && pgErr.Code == "40P01":
		r.deadlock.Add(1)
	case errors.As(err, &pgErr) && pgErr.Code == "40001":
		r.serialization.Add(1)
	}
}

// Retries returns how many transactions were run again, by reason.
func (s *Store) Retries() Retries {
	return Retries{Deadlock: s.retries.deadlock.Load(), Serialization: s.retries.serialization.Load(),
		Conflict: s.retries.conflict.Load(), ConnectionLost: s.retries.connLost.Load()}
}
