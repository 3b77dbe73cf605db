package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// The outbox. Every mutation appends its events (appendEvents) in the transaction of
// the change, so an event exists exactly when its change committed. Readers page the
// events in commit-safe order (ListEvents for the change feed, ConsumeEvents for the
// publisher job): see migrations/postgres/00011_events.sql for why PostgreSQL orders
// by (txid, id) and reads only below the oldest running transaction.

// pendingEvent is an event a transaction is about to write.
type pendingEvent struct {
	typ  string
	data []byte
}

// appendEvents writes events of one tenant in tx with one statement (PostgreSQL: arrays
// expanded by unnest; SQLite: a multi-row insert).
func (s *Store) appendEvents(ctx context.Context, tx *gorm.DB, tenantID int64, evs []pendingEvent) error {
	if len(evs) == 0 {
		return nil
	}
	now := s.now()
	if s.dialect == Postgres {
		for start := 0; start < len(evs); start += unnestChunk {
			part := evs[start:min(start+unnestChunk, len(evs))]
			types, data := make([]string, len(part)), make([]string, len(part))
			for i, e := range part {
				types[i], data[i] = e.typ, string(e.data)
			}
			err := tx.WithContext(ctx).Exec("INSERT INTO events (tenant_id, type, data, created_at) SELECT ?, t, d, ? FROM unnest(?::text[], ?::text[]) AS u(t, d)",
				tenantID, now, pgTextArray(types), pgTextArray(data)).Error
			if err != nil {
				return translate("append events", err)
			}
		}
		return nil
	}
	// SQLite: multi-row VALUES built here, not by GORM's reflection (a bulk create
	// writes a thousand of them).
	for part := range slices.Chunk(evs, s.rowsPerInsert(4, 500)) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO events (tenant_id, type, data, created_at) VALUES ")
		args := make([]any, 0, 4*len(part))
		for i, e := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?)")
			args = append(args, tenantID, e.typ, string(e.data), now)
		}
		if err := tx.WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			return translate("append events", err)
		}
	}
	return nil
}

// writeEvents appends events as appendEvents does; a batch that writes its contacts
// with COPY (conn set, PostgreSQL) writes its events with COPY too.
func (s *Store) writeEvents(ctx context.Context, tx *gorm.DB, conn *sql.Conn, tenantID int64, evs []pendingEvent) error {
	if conn == nil || len(evs) < copyMin {
		return s.appendEvents(ctx, tx, tenantID, evs)
	}
	now := s.now()
	rows := make([][]any, len(evs))
	for i, e := range evs {
		rows[i] = []any{tenantID, e.typ, string(e.data), now}
	}
	if err := copyRows(ctx, conn, "events", []string{"tenant_id", "type", "data", "created_at"}, rows); err != nil {
		return translate("append events", err)
	}
	return nil
}

// touchedContacts runs a set-based change of contacts (UPDATE … RETURNING id) and
// returns the ids it changed, for contactsUpdated.
func touchedContacts(touch *gorm.DB) ([]int64, error) {
	var ids []int64
	if err := touch.Scan(&ids).Error; err != nil {
		return nil, translate("touch contacts", err)
	}
	return ids, nil
}

// contactsUpdated appends a contact.updated event for each of the contacts ids, as
// they are now in tx (read back in chunks): a set-based change wrote them.
func (s *Store) contactsUpdated(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) error {
	for chunk := range slices.Chunk(ids, 1000) {
		contacts, err := getContacts(ctx, tx, tenantID, chunk)
		if err != nil {
			return err
		}
		evs := make([]pendingEvent, len(contacts))
		for i, c := range contacts {
			evs[i] = pendingEvent{models.EventContactUpdated, contactData(c)}
		}
		if err := s.appendEvents(ctx, tx, tenantID, evs); err != nil {
			return err
		}
	}
	return nil
}

// contactData is a contact's wire form, the data of its contact.* events.
func contactData(c *models.Contact) []byte {
	b, err := contactwire.FromModel(c).AppendJSON(make([]byte, 0, 768))
	if err != nil {
		panic(fmt.Sprintf("store: contact %d is not JSON: %v", c.ID, err)) // values come from Coerce
	}
	return b
}

// eventData encodes an event's data. The values are the store's own (wire forms, ids),
// so an error is a bug.
func eventData(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: event data is not JSON: %v", err))
	}
	return b
}

// visibleBelow is the condition that keeps a reader behind every transaction still
// running (PostgreSQL). Rows of such a transaction may commit with a position lower
// than one the reader has already passed; stopping below the oldest one of them means
// no row can ever appear behind a reader's cursor.
//
// The horizon is the oldest transaction of the statement's snapshot that is not known
// to run in another database of the cluster (pg_stat_activity): those cannot write
// this database's events, and a long transaction there must not hold the feed back.
// An xid whose backend cannot be told (it ended meanwhile, or its session is hidden
// from this role) counts, which is only more cautious. Without any running
// transaction the horizon is the snapshot's xmax, above every committed xid.
const visibleBelow = "txid < (SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot())) " +
	"FROM pg_snapshot_xip(pg_current_snapshot()) AS x " +
	"WHERE (x::text::numeric % 4294967296)::bigint NOT IN (SELECT backend_xid::text::bigint FROM pg_stat_activity " +
	"WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()))"

// feedOrder orders events by feed position. The columns are qualified: the readers
// select txid as text under the same name, and an unqualified ORDER BY txid would
// sort by that text ("1000001" before "999998") — out of feed order where txids gain
// a digit, and never by the position index (a sort of every row after the cursor).
const feedOrder = "events.txid, events.id"

// ListEvents returns one page of a tenant's events after f.After in feed order. It
// returns EINVALID for a limit out of range.
func (s *Store) ListEvents(ctx context.Context, tenantID int64, f models.EventFilter) (*models.EventPage, error) {
	if f.Limit < 1 || f.Limit > models.MaxEventPage {
		return nil, models.Errorf(models.EINVALID, "limit must be 1 to %d", models.MaxEventPage)
	}
	q := s.db.WithContext(ctx).Table("events").Where("tenant_id = ?", tenantID)
	if s.dialect == Postgres {
		q = q.Select("id, type, data, created_at, txid::text AS txid").
			Where("(txid, id) > (?::xid8, ?) AND "+visibleBelow, strconv.FormatUint(f.After.TxID, 10), f.After.ID).
			Order(feedOrder)
	} else {
		q = q.Select("id, type, data, created_at, txid").Where("id > ?", f.After.ID).Order("id")
	}
	if len(f.Types) > 0 {
		q = q.Where("type IN ?", f.Types)
	}
	events, err := s.readEvents(q.Limit(f.Limit + 1))
	if err != nil {
		return nil, translate("list events", err)
	}
	page := &models.EventPage{Events: events, Next: f.After}
	if len(events) > f.Limit {
		page.Events, page.HasMore = events[:f.Limit], true
	}
	if n := len(page.Events); n > 0 {
		page.Next = page.Events[n-1].Position
	}
	for i := range page.Events {
		page.Events[i].TenantID = tenantID
	}
	return page, nil
}

// eventRow is an events row as read.
type eventRow struct {
	ID        int64
	TenantID  int64
	Type      string
	Data      string
	CreatedAt time.Time
	TxID      string `gorm:"column:txid"`
}

func (s *Store) readEvents(q *gorm.DB) ([]models.Event, error) {
	var rows []eventRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]models.Event, len(rows))
	for i, r := range rows {
		txid, err := strconv.ParseUint(r.TxID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("event %d has txid %q: %w", r.ID, r.TxID, err)
		}
		out[i] = models.Event{Position: models.EventPosition{TxID: txid, ID: r.ID}, TenantID: r.TenantID,
			Type: r.Type, Data: json.RawMessage(r.Data), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// ConsumeEvents hands the next events (of every tenant) after consumer's cursor to fn,
// in feed order, inside the transaction that records them as consumed: what fn writes
// in tx commits with the cursor, so each event is handled exactly once unless fn's own
// effects leave the database. It gives fn
// at most limit events. Callers of
// one consumer take turns: the cursor row is locked until commit. It returns how many
// events fn was given (0 when there were none: fn is not called).
func (s *Store) ConsumeEvents(ctx context.Context, consumer string, limit int, fn func(ctx context.Context, tx *sql.Tx, events []models.Event) error) (int, error) {
	// Nothing new is the common case (the publisher asks every second): find that out
	// without a write transaction, which on SQLite would take the one writer's lock.
	if pending, err := s.eventsAfterCursor(ctx, consumer); err != nil || !pending {
		return 0, err
	}
	n := 0
	err := s.retry(ctx, func(tx *gorm.DB) error {
		n = 0
		// Create the cursor on first use; its row is the consumer's lock.
		if err := tx.Exec("INSERT INTO event_cursors (name) VALUES (?) ON CONFLICT DO NOTHING", consumer).Error; err != nil {
			return translate("create event cursor", err)
		}
		var cur struct {
			TxID    string `gorm:"column:txid"`
			EventID int64
		}
		lock := ""
		if s.dialect == Postgres {
			lock = " FOR UPDATE"
		}
		if err := scan(tx.Raw("SELECT CAST(txid AS text) AS txid, event_id FROM event_cursors WHERE name = ?"+lock, consumer), &cur); err != nil {
			return translate("read event cursor", err)
		}
		q := tx.Table("events")
		if s.dialect == Postgres {
			q = q.Select("id, tenant_id, type, data, created_at, txid::text AS txid").
				Where("(txid, id) > (?::xid8, ?) AND "+visibleBelow, cur.TxID, cur.EventID).Order(feedOrder)
		} else {
			q = q.Select("id, tenant_id, type, data, created_at, txid").Where("id > ?", cur.EventID).Order("id")
		}
		events, err := s.readEvents(q.Limit(limit))
		if err != nil {
			return translate("read events", err)
		}
		if len(events) == 0 {
			return nil
		}
		sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
		if !ok {
			return fmt.Errorf("store: consume events: transaction is a %T", tx.Statement.ConnPool)
		}
		if err := fn(ctx, sqlTx, events); err != nil {
			return err
		}
		last := events[len(events)-1].Position
		err = tx.Exec("UPDATE event_cursors SET txid = ?, event_id = ?, updated_at = ? WHERE name = ?",
			txidArg(s.dialect, last.TxID), last.ID, s.now(), consumer).Error
		if err != nil {
			return translate("advance event cursor", err)
		}
		n = len(events)
		return nil
	})
	return n, err
}

// eventsAfterCursor reports whether a visible event stands after consumer's cursor
// (all events when it has none yet), reading without locks.
func (s *Store) eventsAfterCursor(ctx context.Context, consumer string) (bool, error) {
	var cur struct {
		TxID    string `gorm:"column:txid"`
		EventID int64
	}
	cur.TxID = "0"
	if err := scan(s.db.WithContext(ctx).Raw("SELECT CAST(txid AS text) AS txid, event_id FROM event_cursors WHERE name = ?", consumer), &cur); err != nil {
		return false, translate("read event cursor", err)
	}
	q := "SELECT EXISTS (SELECT 1 FROM events WHERE id > ?)"
	args := []any{cur.EventID}
	if s.dialect == Postgres {
		// The first event after the cursor in feed order, then whether it is visible:
		// one step of the index. EXISTS over both conditions at once let the planner
		// scan the whole table when nothing was new (it expected most rows to match),
		// 100 ms at 20,000 events, every poll of every replica.
		q = "SELECT EXISTS (SELECT 1 FROM (SELECT txid FROM events WHERE (txid, id) > (?::xid8, ?) ORDER BY txid, id LIMIT 1) AS first WHERE " + visibleBelow + ")"
		args = []any{cur.TxID, cur.EventID}
	}
	var pending bool
	if err := s.db.WithContext(ctx).Raw(q, args...).Row().Scan(&pending); err != nil {
		return false, translate("look for new events", err)
	}
	return pending, nil
}

// txidArg is a transaction id as the dialect's txid column takes it.
func txidArg(dialect string, txid uint64) any {
	if dialect == Postgres {
		return gorm.Expr("CAST(? AS xid8)", strconv.FormatUint(txid, 10))
	}
	return int64(txid)
}

// pruneBatch bounds one delete of PruneEvents, so retention never holds a long lock.
const pruneBatch = 5000

// PruneEvents deletes events created before cutoff, oldest first, in batches, and
// returns how many it deleted. Events are deleted in feed order, so a feed reader loses
// only a prefix it is too late for.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var res *gorm.DB
		err := s.retry(ctx, func(tx *gorm.DB) error {
			q := "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?) AND created_at < ?"
			if s.dialect == Postgres { // in the order of the primary key (txid, id)
				q = "DELETE FROM events WHERE (txid, id) IN (SELECT txid, id FROM events ORDER BY txid, id LIMIT ?) AND created_at < ?"
			}
			res = tx.Exec(q, pruneBatch, cutoff.UTC())
			return res.Error
		})
		if err != nil {
			return total, translate("prune events", err)
		}
		total += res.RowsAffected
		if res.RowsAffected < pruneBatch {
			return total, nil
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
