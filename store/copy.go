package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// Bulk create writes its new contacts and their key rows with COPY on PostgreSQL.
// A multi-row INSERT of 1,000 contacts binds ~30,000 parameters, which PostgreSQL
// parses and plans and GORM builds by reflection; COPY streams the rows in binary.
// database/sql cannot express COPY, so the transaction of a batch of copyMin or more
// submissions runs on a connection taken for it, which the write path also reaches
// directly (txOnConn, copyRows); other transactions begin on the pool as before.

// copyMin is the fewest new contacts a batch writes with COPY. Below it an INSERT
// costs little, and COPY's extra round trips (ids, then the rows) are not worth it.
const copyMin = 64

// txOnConn is tx on a connection fn may also use outside database/sql (copyRows). On
// SQLite it is tx, and conn is nil.
func (s *Store) txOnConn(ctx context.Context, fn func(tx *gorm.DB, conn *sql.Conn) error) error {
	if s.dialect != Postgres {
		return s.tx(ctx, func(tx *gorm.DB) error { return fn(tx, nil) })
	}
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return translate("begin", err)
	}
	defer conn.Close()
	db := s.db.WithContext(ctx)
	db.Statement.ConnPool = conn // gorm begins the transaction on it: *sql.Conn is a gorm.TxBeginner
	return runTx(db, func(tx *gorm.DB) error { return fn(tx, conn) })
}

// copyRows writes rows into the columns of table with COPY, inside the transaction
// in progress on conn (see txOnConn).
func copyRows(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error {
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, not %T", dc)
		}
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("store: COPY %s wrote %d of %d rows", table, n, len(rows))
		}
		return err
	})
}

// copyContacts inserts new contacts (none has an id) with COPY and sets their ids,
// which it takes from the contacts' identity sequence first: COPY returns nothing.
// What the contacts carry afterwards is what GORM's insert would have left there.
func (s *Store) copyContacts(ctx context.Context, tx *gorm.DB, conn *sql.Conn, fresh []*models.Contact) error {
	var ids []int64
	if err := tx.Raw("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, ?)", len(fresh)).
		Scan(&ids).Error; err != nil {
		return translate("reserve contact ids", err)
	}
	if len(ids) != len(fresh) {
		return fmt.Errorf("store: reserved %d contact ids for %d contacts", len(ids), len(fresh))
	}
	slices.Sort(ids) // ids ascend in input order, as a multi-row insert assigns them
	now := s.now()
	columns, values := copyContactColumns()
	rows := make([][]any, len(fresh))
	cells := make([]any, len(fresh)*len(columns)) // one allocation for every row's cells
	for i, c := range fresh {
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = now
		}
		c.ID = ids[i]
		row := cells[i*len(columns) : (i+1)*len(columns) : (i+1)*len(columns)]
		for j, value := range values {
			row[j] = value(c)
		}
		rows[i] = row
	}
	if err := copyRows(ctx, conn, "contacts", columns, rows); err != nil {
		return translate("insert contacts", err) // a retry builds its contacts anew
	}
	return nil
}

// copyContactColumns are the columns copyContacts writes — contactRow's, id included —
// and for each the function that reads its value from a contact: the same values
// contactRow holds (TestCopyContactColumns), without building a map per contact,
// which was a tenth of a bulk batch's allocations.
var copyContactColumns = sync.OnceValues(func() ([]string, []func(*models.Contact) any) {
	columns := append(slices.Clone(createIfNewColumns()), "id")
	values := make([]func(*models.Contact) any, len(columns))
	for j, name := range columns {
		switch name {
		case "mail_status":
			values[j] = func(c *models.Contact) any { return c.MailStatus }
		case "uid":
			values[j] = func(c *models.Contact) any { return c.UID }
		case "custom_fields":
			values[j] = func(c *models.Contact) any { return customJSON(c.Custom) }
		case "profile":
			values[j] = func(c *models.Contact) any { return profileJSON(c.Profile) }
		case "mail_key":
			values[j] = func(c *models.Contact) any { return c.MailKey }
		case "version":
			values[j] = func(c *models.Contact) any { return c.Version }
		case "updated_at":
			values[j] = func(c *models.Contact) any { return c.UpdatedAt }
		case "tenant_id":
			values[j] = func(c *models.Contact) any { return c.TenantID }
		case "created_at":
			values[j] = func(c *models.Contact) any { return c.CreatedAt }
		case "id":
			values[j] = func(c *models.Contact) any { return c.ID }
		default:
			if (&models.Contact{}).TextPtr(name) == nil {
				panic("store: no value for contact column " + name)
			}
			values[j] = func(c *models.Contact) any { return *c.TextPtr(name) }
		}
	}
	return columns, values
})

// copyKeyRows writes new contacts' key rows with COPY (see copyRows), ordered as the
// primary key (tenant_id, key, contact_id) orders them: the index entries then go in
// leaf after leaf instead of at random places (a batch's rows COPYed in key order
// took about a seventh less time than in contact order into a table of 1.9M rows).
func copyKeyRows(ctx context.Context, conn *sql.Conn, tenantID int64, rows []keyRow) error {
	slices.SortFunc(rows, func(a, b keyRow) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.ContactID, b.ContactID)
	})
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, not %T", dc)
		}
		row := []any{tenantID, nil, nil} // reused: CopyFrom encodes a row before it asks for the next
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{"contact_keys"}, []string{"tenant_id", "key", "contact_id"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				row[1], row[2] = rows[i].Key, rows[i].ContactID
				return row, nil
			}))
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("store: COPY contact_keys wrote %d of %d rows", n, len(rows))
		}
		return err
	})
}
