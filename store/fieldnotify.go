package store

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// Custom field definitions are tenant metadata every contact write reads. Each
// replica caches them (fieldCache); a change on one replica must reach the others'
// caches, or another replica keeps refusing a value a field now allows, or accepting
// a contact without a field that became required.
//
// On PostgreSQL every change of a definition sends NOTIFY contacthub_custom_fields
// with the tenant's id in its transaction — delivered when it commits, never for a
// rolled-back change — and every replica LISTENs on a connection of its own and drops
// the tenant's entry when one arrives. While it listens, an entry is trusted for
// fieldListenTTL (a backstop); while its listening connection is down (and on
// SQLite, whose one process forgets its own changes) for customFieldTTL, as before.
// A notification can cross a load that read the old definitions: the cache's
// generation, bumped by every drop, keeps such a load from being stored.

// fieldsChannel is the NOTIFY channel of definition changes.
const fieldsChannel = "contacthub_custom_fields"

// fieldListenTTL is how long an entry is trusted while notifications arrive.
const fieldListenTTL = time.Minute

// notifyFieldsChanged queues the notification of a change of tenantID's definitions
// in tx (PostgreSQL; nothing on SQLite).
func (s *Store) notifyFieldsChanged(ctx context.Context, tx *gorm.DB, tenantID int64) error {
	if s.dialect != Postgres {
		return nil
	}
	err := tx.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", fieldsChannel, strconv.FormatInt(tenantID, 10)).Error
	return translate("notify custom field change", err)
}

// fieldListener runs the LISTEN connection of a store (PostgreSQL).
type fieldListener struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startFieldListener listens for definition changes until Close, reconnecting after
// a lost connection (every second at most).
func (s *Store) startFieldListener(dsn string) {
	ctx, cancel := context.WithCancel(context.Background())
	s.listener.cancel = cancel
	s.listener.wg.Add(1)
	go func() {
		defer s.listener.wg.Done()
		for ctx.Err() == nil {
			err := s.listenFields(ctx, dsn)
			s.fields.setListening(false)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("custom field change listener lost its connection; definitions are trusted for 2 s until it is back", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

// listenFields listens on one connection until it fails or ctx ends.
func (s *Store) listenFields(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+fieldsChannel); err != nil {
		return err
	}
	// Changes made while nobody listened were missed: start from nothing.
	s.fields.forgetAll()
	s.fields.setListening(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			s.fields.forget(id)
		}
	}
}

// stopFieldListener ends the listener, if one runs.
func (s *Store) stopFieldListener() {
	if s.listener.cancel != nil {
		s.listener.cancel()
		s.listener.wg.Wait()
	}
}
