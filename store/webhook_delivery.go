package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
)

// The delivery log (migration 00025): one row per (event, endpoint) or ping, written
// with its River job in one transaction, rewritten by each attempt.

// deliveryRow is a webhook_deliveries row.
type deliveryRow struct {
	ID            string `gorm:"primaryKey"`
	TenantID      int64
	WebhookID     int64
	EventID       int64
	MessageID     string
	Type          string
	Payload       string
	State         string
	Run           int
	RunAttempts   int
	Attempts      int
	MaxAttempts   int
	NextAttemptAt *time.Time
	Log           string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

// attemptJSON is an attempt as the log column keeps it.
type attemptJSON struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	LatencyMS  float64   `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
}

func (r *deliveryRow) model() (*models.WebhookDelivery, error) {
	d := &models.WebhookDelivery{ID: r.ID, TenantID: r.TenantID, WebhookID: r.WebhookID, EventID: r.EventID,
		MessageID: r.MessageID, Type: r.Type, Payload: []byte(r.Payload), State: r.State, Run: r.Run,
		RunAttempts: r.RunAttempts, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts,
		NextAttemptAt: utcPtr(r.NextAttemptAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	var log []attemptJSON
	if err := json.Unmarshal([]byte(r.Log), &log); err != nil {
		return nil, fmt.Errorf("store: delivery %s: log: %w", r.ID, err)
	}
	d.Log = make([]models.WebhookAttempt, len(log))
	for i, a := range log {
		d.Log[i] = models.WebhookAttempt{Attempt: a.Attempt, At: a.At.UTC(), StatusCode: a.StatusCode,
			Latency: time.Duration(a.LatencyMS * float64(time.Millisecond)), Error: a.Error, Response: a.Response}
	}
	return d, nil
}

func encodeLog(log []models.WebhookAttempt) string {
	out := make([]attemptJSON, len(log))
	for i, a := range log {
		out[i] = attemptJSON{Attempt: a.Attempt, At: a.At.UTC(), StatusCode: a.StatusCode,
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: a.Error, Response: a.Response}
	}
	b, _ := json.Marshal(out) // strings and numbers always encode
	return string(b)
}

// deliveryColumns are the columns a new delivery is written with; the counters and
// the log start at their defaults.
const deliveryColumns = "id, tenant_id, webhook_id, event_id, message_id, type, payload, state, max_attempts, next_attempt_at, created_at, updated_at"

func deliveryValues(d *models.WebhookDelivery) []any {
	return []any{d.ID, d.TenantID, d.WebhookID, d.EventID, d.MessageID, d.Type, string(d.Payload), d.State,
		d.MaxAttempts, d.NextAttemptAt, d.CreatedAt, d.CreatedAt}
}

// InsertDeliveries writes new deliveries (state pending, run 1) in tx, the outbox
// publisher's transaction, each with a lease until leaseUntil (migration 00041): its
// first attempt is the publishing process's to make until then
// (RecordFirstAttempts); after, a sweep hands it to a job (ClaimLeases).
func (s *Store) InsertDeliveries(ctx context.Context, tx *sql.Tx, ds []*models.WebhookDelivery, leaseUntil time.Time) error {
	leaseUntil = leaseUntil.UTC()
	if s.dialect == Postgres {
		return insertDeliveriesPostgres(ctx, tx, ds, leaseUntil)
	}
	db := s.onTx(ctx, tx)
	const perStatement = 500 // 12 values each, under every driver's parameter limit
	for part := range slices.Chunk(ds, perStatement) {
		var sb, lb strings.Builder
		sb.WriteString("INSERT INTO webhook_deliveries (" + deliveryColumns + ") VALUES ")
		lb.WriteString("INSERT INTO webhook_leases (delivery_id, tenant_id, lease_until, created_at) VALUES ")
		args := make([]any, 0, 12*len(part))
		largs := make([]any, 0, 4*len(part))
		for i, d := range part {
			if i > 0 {
				sb.WriteString(", ")
				lb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			lb.WriteString("(?, ?, ?, ?)")
			args = append(args, deliveryValues(d)...)
			largs = append(largs, d.ID, d.TenantID, leaseUntil, d.CreatedAt.UTC())
		}
		if err := db.Exec(sb.String(), args...).Error; err != nil {
			return translate("insert webhook deliveries", err)
		}
		if err := db.Exec(lb.String(), largs...).Error; err != nil {
			return translate("insert webhook delivery leases", err)
		}
	}
	return nil
}

// insertDeliveriesPostgres is InsertDeliveries with one statement of constant text,
// the values in arrays (see RecordAttempts), writing the leases too.
func insertDeliveriesPostgres(ctx context.Context, tx *sql.Tx, ds []*models.WebhookDelivery, leaseUntil time.Time) error {
	n := len(ds)
	ids, msgs, types, payloads, states := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	tenants, hooks, events := make([]int64, n), make([]int64, n), make([]int64, n)
	maxAttempts := make([]int32, n)
	nexts, created := make([]*time.Time, n), make([]time.Time, n)
	for i, d := range ds {
		ids[i], tenants[i], hooks[i], events[i], msgs[i], types[i] = d.ID, d.TenantID, d.WebhookID, d.EventID, d.MessageID, d.Type
		payloads[i], states[i], maxAttempts[i], nexts[i], created[i] = string(d.Payload), d.State, int32(d.MaxAttempts), d.NextAttemptAt, d.CreatedAt
	}
	_, err := tx.ExecContext(ctx, insertDeliveriesSQL, ids, tenants, hooks, events, msgs, types, payloads, states, maxAttempts, nexts, created, leaseUntil)
	return translate("insert webhook deliveries", err)
}

const insertDeliveriesSQL = `WITH d AS (INSERT INTO webhook_deliveries (` + deliveryColumns + `)
	SELECT id, tenant_id, webhook_id, event_id, message_id, type, payload, state, max_attempts, next_attempt_at, created_at, created_at
	FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::timestamptz[], $11::timestamptz[])
	AS v (id, tenant_id, webhook_id, event_id, message_id, type, payload, state, max_attempts, next_attempt_at, created_at)
	RETURNING id, tenant_id, created_at)
INSERT INTO webhook_leases (delivery_id, tenant_id, lease_until, created_at) SELECT id, tenant_id, $12, created_at FROM d`

// CreateDelivery writes one new delivery and calls enqueue in the same transaction
// (to insert its job). It returns ENOTFOUND when the endpoint is not the tenant's,
// and enqueue's errors.
func (s *Store) CreateDelivery(ctx context.Context, d *models.WebhookDelivery, enqueue func(ctx context.Context, tx *sql.Tx) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := getWebhook(tx, d.TenantID, d.WebhookID); err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO webhook_deliveries ("+deliveryColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", deliveryValues(d)...).Error; err != nil {
			return translate("create webhook delivery", err)
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t)
	})
}

// attemptColumns are what an attempt needs of a delivery and its endpoint, read
// together (scanAttempt).
const attemptColumns = "d.id, d.tenant_id, d.webhook_id, d.event_id, d.message_id, d.type, d.payload, d.state, " +
	"d.run, d.run_attempts, d.attempts, d.max_attempts, d.next_attempt_at, d.log, d.created_at, d.updated_at, " +
	"w.url, w.event_types, w.active, w.disabled_reason, w.secret, w.previous_secret, w.previous_secret_expires_at, w.failing_since " +
	"FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.tenant_id = d.tenant_id "

func scanAttempt(scan func(dest ...any) error) (*models.WebhookDelivery, *models.Webhook, error) {
	var d deliveryRow
	var w webhookRow
	var next, prevExpires, failing sql.NullTime
	err := scan(&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.MessageID, &d.Type, &d.Payload, &d.State,
		&d.Run, &d.RunAttempts, &d.Attempts, &d.MaxAttempts, &next, &d.Log, &d.CreatedAt, &d.UpdatedAt,
		&w.URL, &w.EventTypes, &w.Active, &w.DisabledReason, &w.Secret, &w.PreviousSecret, &prevExpires, &failing)
	if err != nil {
		return nil, nil, err
	}
	d.NextAttemptAt, w.PreviousSecretExpiresAt, w.FailingSince = nullTime(next), nullTime(prevExpires), nullTime(failing)
	w.ID, w.TenantID = d.WebhookID, d.TenantID
	delivery, err := d.model()
	if err != nil {
		return nil, nil, err
	}
	hook, err := w.model()
	if err != nil {
		return nil, nil, err
	}
	return delivery, hook, nil
}

// DeliveriesForAttempt returns deliveries with their endpoints for the jobs that
// attempt them (the attempts of one batch), read with one statement. The results
// are in the order of refs; a delivery that is gone, or whose endpoint is (deleted),
// is nil in both.
func (s *Store) DeliveriesForAttempt(ctx context.Context, refs []models.DeliveryRef) ([]*models.WebhookDelivery, []*models.Webhook, error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	var rows *sql.Rows
	var err error
	if s.dialect == Postgres {
		// One statement of constant text, the ids in an array (see RecordAttempts); an
		// id is unique across tenants, each row's tenant is checked against its ref below.
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = r.ID
		}
		rows, err = s.sqlDB.QueryContext(ctx, "SELECT "+attemptColumns+"WHERE d.id = ANY($1::uuid[])", ids)
	} else {
		var sb strings.Builder
		args := make([]any, 0, 2*len(refs))
		sb.WriteString("SELECT " + attemptColumns + "WHERE (d.tenant_id, d.id) IN (")
		for i, r := range refs {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?)")
			args = append(args, r.TenantID, r.ID)
		}
		sb.WriteString(")")
		rows, err = s.db.WithContext(ctx).Raw(sb.String(), args...).Rows()
	}
	if err != nil {
		return nil, nil, translate("get webhook deliveries", err)
	}
	defer rows.Close()
	type found struct {
		d *models.WebhookDelivery
		w *models.Webhook
	}
	byRef := make(map[models.DeliveryRef]found, len(refs))
	for rows.Next() {
		d, w, err := scanAttempt(rows.Scan)
		if err != nil {
			return nil, nil, translate("get webhook deliveries", err)
		}
		byRef[models.DeliveryRef{TenantID: d.TenantID, ID: d.ID}] = found{d, w}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate("get webhook deliveries", err)
	}
	ds, ws := make([]*models.WebhookDelivery, len(refs)), make([]*models.Webhook, len(refs))
	for i, r := range refs {
		f := byRef[r]
		ds[i], ws[i] = f.d, f.w
	}
	return ds, ws, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// getDelivery reads a delivery of the tenant (and of webhookID unless 0).
func getDelivery(db *gorm.DB, tenantID, webhookID int64, id string) (*models.WebhookDelivery, error) {
	q := db.Where("tenant_id = ? AND id = ?", tenantID, id)
	if webhookID != 0 {
		q = q.Where("webhook_id = ?", webhookID)
	}
	var rows []deliveryRow
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return nil, translate("get webhook delivery", err)
	}
	if len(rows) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "delivery %q not found", id)
	}
	return rows[0].model()
}

// GetDelivery returns one delivery of the tenant's endpoint, or ENOTFOUND.
func (s *Store) GetDelivery(ctx context.Context, tenantID, webhookID int64, id string) (*models.WebhookDelivery, error) {
	db := s.db.WithContext(ctx)
	if _, err := getWebhook(db, tenantID, webhookID); err != nil {
		return nil, err
	}
	return getDelivery(db, tenantID, webhookID, id)
}

// ListDeliveries returns a page of the endpoint's deliveries, newest first. It
// returns ENOTFOUND when the endpoint is not the tenant's, EINVALID for a limit out of
// range.
func (s *Store) ListDeliveries(ctx context.Context, tenantID, webhookID int64, f models.DeliveryFilter) ([]*models.WebhookDelivery, error) {
	if f.Limit < 1 || f.Limit > models.MaxDeliveryPage {
		return nil, models.Errorf(models.EINVALID, "limit must be 1 to %d", models.MaxDeliveryPage)
	}
	db := s.db.WithContext(ctx)
	if _, err := getWebhook(db, tenantID, webhookID); err != nil {
		return nil, err
	}
	q := db.Where("tenant_id = ? AND webhook_id = ?", tenantID, webhookID)
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	var rows []deliveryRow
	if err := q.Order("id DESC").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate("list webhook deliveries", err)
	}
	out := make([]*models.WebhookDelivery, len(rows))
	for i := range rows {
		d, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// RecordAttempt writes what an attempt came to: the delivery's state, counters, next
// attempt and log, and the endpoint's failure streak or its disabling. Nothing is
// written when the delivery was redelivered (or deleted) meanwhile.
func (s *Store) RecordAttempt(ctx context.Context, o models.DeliveryOutcome) error {
	now := s.now()
	if o.KeepsEndpoint() && s.dialect == Postgres {
		// The common case, one statement: no transaction around it (three round trips).
		_, err := recordAttempt(s.db.WithContext(ctx), o, now)
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		n, err := recordAttempt(tx, o, now)
		if err != nil || n == 0 || o.KeepsEndpoint() {
			return err
		}
		return s.endpointHealth(tx, o, now)
	})
}

func recordAttempt(db *gorm.DB, o models.DeliveryOutcome, now time.Time) (int64, error) {
	res := db.Exec("UPDATE webhook_deliveries SET state = ?, run_attempts = run_attempts + 1, attempts = attempts + 1, "+
		"next_attempt_at = ?, log = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND run = ?",
		o.State, o.NextAttemptAt, encodeLog(o.Log), now, o.TenantID, o.DeliveryID, o.Run)
	return res.RowsAffected, translate("record webhook attempt", res.Error)
}

// RecordAttempts is RecordAttempt for several attempts (of one batch). Those that
// leave their endpoint as it is are written together: on PostgreSQL with one
// statement, on SQLite in one transaction. The others are written one by one, as
// RecordAttempt does. An error may leave some of them written; writing one again is
// harmless (the next attempt rewrites it).
func (s *Store) RecordAttempts(ctx context.Context, outcomes []models.DeliveryOutcome) error {
	plain := make([]models.DeliveryOutcome, 0, len(outcomes))
	for _, o := range outcomes {
		if !o.KeepsEndpoint() {
			if err := s.RecordAttempt(ctx, o); err != nil {
				return err
			}
			continue
		}
		plain = append(plain, o)
	}
	if len(plain) == 0 {
		return nil
	}
	now := s.now()
	if s.dialect != Postgres {
		return s.tx(ctx, func(tx *gorm.DB) error {
			for _, o := range plain {
				if _, err := recordAttempt(tx, o, now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	_, err := s.sqlDB.ExecContext(ctx, recordAttemptsPostgres, outcomeArgs(now, plain)...)
	return translate("record webhook attempts", err)
}

// outcomeArgs sorts outcomes by delivery and gives the arguments of the statements that
// write them on PostgreSQL (recordAttemptsPostgres, recordFirstAttemptsPostgres): now,
// then one array per column. Rows in key order, so two replicas' batches never wait on
// each other in a cycle; one statement of constant text whatever the batch's size, its
// values in arrays: prepared once per connection and planned once, where a VALUES list
// of each length was a statement of its own to parse and plan.
func outcomeArgs(now time.Time, outcomes []models.DeliveryOutcome) []any {
	slices.SortFunc(outcomes, func(a, b models.DeliveryOutcome) int { return strings.Compare(a.DeliveryID, b.DeliveryID) })
	n := len(outcomes)
	ids, tenants, runs := make([]string, n), make([]int64, n), make([]int32, n)
	states, nexts, logs := make([]string, n), make([]*time.Time, n), make([]string, n)
	for i, o := range outcomes {
		ids[i], tenants[i], runs[i], states[i], nexts[i], logs[i] = o.DeliveryID, o.TenantID, int32(o.Run), o.State, o.NextAttemptAt, encodeLog(o.Log)
	}
	return []any{now, ids, tenants, runs, states, nexts, logs}
}

// recordAttemptsPostgres writes the outcomes of a batch of attempts (RecordAttempts).
const recordAttemptsPostgres = `UPDATE webhook_deliveries AS d SET state = v.state, run_attempts = d.run_attempts + 1,
	attempts = d.attempts + 1, next_attempt_at = v.next_attempt_at, log = v.log, updated_at = $1
FROM unnest($2::uuid[], $3::bigint[], $4::integer[], $5::text[], $6::timestamptz[], $7::text[]) AS v (id, tenant_id, run, state, next_attempt_at, log)
WHERE d.tenant_id = v.tenant_id AND d.id = v.id AND d.run = v.run`

// RecordFirstAttempts writes the outcomes of first attempts made in the publishing
// process, each only while its delivery still holds its lease (InsertDeliveries),
// which is deleted in the same statement or transaction: a lease already claimed by a
// sweep (ClaimLeases) or ended by a redelivery leaves its outcome unwritten, and that
// delivery's job, which exists then, makes the attempt. Outcomes that leave the
// delivery pending (a retry is due) are handed to retry in the same transaction, to
// enqueue their jobs. It returns the IDs of the outcomes written.
func (s *Store) RecordFirstAttempts(ctx context.Context, outcomes []models.DeliveryOutcome, retry func(ctx context.Context, tx *sql.Tx, os []models.DeliveryOutcome) error) (map[string]bool, error) {
	written := make(map[string]bool, len(outcomes))
	slow := make([]models.DeliveryOutcome, 0)
	plain := make([]models.DeliveryOutcome, 0, len(outcomes))
	for _, o := range outcomes {
		if s.dialect == Postgres && o.KeepsEndpoint() && o.State != models.DeliveryPending {
			plain = append(plain, o)
		} else {
			slow = append(slow, o)
		}
	}
	if len(plain) > 0 {
		// The common case (a success of a healthy endpoint): one statement of constant
		// text, the lease's deletion and the delivery's rewrite together.
		rows, err := s.sqlDB.QueryContext(ctx, recordFirstAttemptsPostgres, outcomeArgs(s.now(), plain)...)
		if err != nil {
			return written, translate("record webhook first attempts", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return written, translate("record webhook first attempts", err)
			}
			written[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return written, translate("record webhook first attempts", err)
		}
	}
	if len(slow) == 0 {
		return written, nil
	}
	now := s.now()
	done := map[string]bool{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		clear(done)
		var retries []models.DeliveryOutcome
		for _, o := range slow {
			res := tx.Exec("DELETE FROM webhook_leases WHERE delivery_id = ?", o.DeliveryID)
			if res.Error != nil {
				return translate("end webhook delivery lease", res.Error)
			}
			if res.RowsAffected == 0 {
				continue // claimed by a sweep, or redelivered: its job attempts it
			}
			n, err := recordAttempt(tx, o, now)
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			done[o.DeliveryID] = true
			if !o.KeepsEndpoint() {
				if err := s.endpointHealth(tx, o, now); err != nil {
					return err
				}
			}
			if o.State == models.DeliveryPending {
				retries = append(retries, o)
			}
		}
		if len(retries) == 0 {
			return nil
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return retry(ctx, t, retries)
	})
	if err != nil {
		return written, err
	}
	for id := range done {
		written[id] = true
	}
	return written, nil
}

// recordFirstAttemptsPostgres ends the leases of a batch of first attempts and
// writes the outcomes of those whose lease it ended (RecordFirstAttempts).
const recordFirstAttemptsPostgres = `WITH l AS (DELETE FROM webhook_leases WHERE delivery_id = ANY($2::uuid[]) RETURNING delivery_id)
UPDATE webhook_deliveries AS d SET state = v.state, run_attempts = d.run_attempts + 1,
	attempts = d.attempts + 1, next_attempt_at = v.next_attempt_at, log = v.log, updated_at = $1
FROM unnest($2::uuid[], $3::bigint[], $4::integer[], $5::text[], $6::timestamptz[], $7::text[]) AS v (id, tenant_id, run, state, next_attempt_at, log)
	JOIN l ON l.delivery_id = v.id
WHERE d.tenant_id = v.tenant_id AND d.id = v.id AND d.run = v.run
RETURNING CAST(d.id AS text)`

// ClaimLeases ends the leases of first attempts the publishing process will not make
// and calls enqueue with their deliveries in the same transaction (to insert their
// jobs). With ids it claims those (handed over by the process holding them); without,
// at most limit leases that ended before expired (a sweep). On PostgreSQL the rows
// are locked with SKIP LOCKED, so sweeps of several replicas claim each lease once.
// It returns how many it claimed.
func (s *Store) ClaimLeases(ctx context.Context, ids []string, expired time.Time, limit int, enqueue func(ctx context.Context, tx *sql.Tx, refs []models.DeliveryRef) error) (int, error) {
	var refs []models.DeliveryRef
	err := s.tx(ctx, func(tx *gorm.DB) error {
		refs = refs[:0]
		var rows []struct {
			DeliveryID string
			TenantID   int64
		}
		if s.dialect == Postgres {
			q := "DELETE FROM webhook_leases WHERE delivery_id IN (SELECT delivery_id FROM webhook_leases WHERE lease_until < ? LIMIT ? FOR UPDATE SKIP LOCKED) " +
				"RETURNING CAST(delivery_id AS text) AS delivery_id, tenant_id"
			args := []any{expired.UTC(), limit}
			if ids != nil {
				q = "DELETE FROM webhook_leases WHERE delivery_id = ANY(CAST(? AS uuid[])) RETURNING CAST(delivery_id AS text) AS delivery_id, tenant_id"
				args = []any{"{" + strings.Join(ids, ",") + "}"}
			}
			if err := tx.Raw(q, args...).Scan(&rows).Error; err != nil {
				return translate("claim webhook delivery leases", err)
			}
		} else {
			q := tx.Table("webhook_leases").Select("delivery_id, tenant_id")
			if ids != nil {
				q = q.Where("delivery_id IN ?", ids)
			} else {
				q = q.Where("lease_until < ?", expired.UTC()).Limit(limit)
			}
			if err := q.Scan(&rows).Error; err != nil {
				return translate("claim webhook delivery leases", err)
			}
			for part := range slices.Chunk(rows, 500) {
				del := make([]string, len(part))
				for i, r := range part {
					del[i] = r.DeliveryID
				}
				if err := tx.Exec("DELETE FROM webhook_leases WHERE delivery_id IN ?", del).Error; err != nil {
					return translate("claim webhook delivery leases", err)
				}
			}
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			refs = append(refs, models.DeliveryRef{TenantID: r.TenantID, ID: r.DeliveryID})
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, refs)
	})
	if err != nil {
		return 0, err
	}
	return len(refs), nil
}

// endpointHealth applies an outcome to the endpoint. Each statement is conditional,
// so attempts of one endpoint finishing together agree on the result.
func (s *Store) endpointHealth(tx *gorm.DB, o models.DeliveryOutcome, now time.Time) error {
	var err error
	switch {
	case o.Disable != "":
		err = tx.Exec("UPDATE webhooks SET active = ?, disabled_reason = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND active",
			false, o.Disable, now, o.TenantID, o.WebhookID).Error
	case o.Recovered:
		err = tx.Exec("UPDATE webhooks SET failing_since = NULL WHERE tenant_id = ? AND id = ? AND failing_since IS NOT NULL",
			o.TenantID, o.WebhookID).Error
	case o.StartsFailing != nil:
		err = tx.Exec("UPDATE webhooks SET failing_since = ? WHERE tenant_id = ? AND id = ? AND failing_since IS NULL",
			*o.StartsFailing, o.TenantID, o.WebhookID).Error
	}
	return translate("update webhook health", err)
}

// FinishDelivery ends a pending delivery without an attempt (state canceled: its
// endpoint was off when it was due). Nothing is written after a redelivery.
func (s *Store) FinishDelivery(ctx context.Context, tenantID int64, id string, run int, state string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return translate("finish webhook delivery", tx.Exec("UPDATE webhook_deliveries SET state = ?, next_attempt_at = NULL, updated_at = ? "+
			"WHERE tenant_id = ? AND id = ? AND run = ? AND state = ?", state, s.now(), tenantID, id, run, models.DeliveryPending).Error)
	})
}

// RestartDelivery starts a new run of a delivery of the tenant's endpoint (a
// redelivery), whatever its state: the run counter moves on, so a job of an earlier
// run still queued finds itself outdated and sends nothing. enqueue is called in the
// same transaction with the new run to insert its job. It returns the delivery as
// restarted, ENOTFOUND, and enqueue's errors.
func (s *Store) RestartDelivery(ctx context.Context, tenantID, webhookID int64, id string, enqueue func(ctx context.Context, tx *sql.Tx, run int) error) (*models.WebhookDelivery, error) {
	var out *models.WebhookDelivery
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := getWebhook(tx, tenantID, webhookID); err != nil {
			return err
		}
		lock := tx
		if s.dialect == Postgres {
			lock = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		d, err := getDelivery(lock, tenantID, webhookID, id)
		if err != nil {
			return err
		}
		now := s.now()
		d.Run, d.RunAttempts, d.State, d.NextAttemptAt, d.UpdatedAt = d.Run+1, 0, models.DeliveryPending, &now, now
		err = tx.Exec("UPDATE webhook_deliveries SET run = ?, run_attempts = 0, state = ?, next_attempt_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
			d.Run, d.State, now, now, tenantID, id).Error
		if err != nil {
			return translate("restart webhook delivery", err)
		}
		// A first attempt not yet made by the publishing process is not made: the new
		// run's job makes it (RecordFirstAttempts writes nothing without the lease).
		if err := tx.Exec("DELETE FROM webhook_leases WHERE delivery_id = ?", id).Error; err != nil {
			return translate("restart webhook delivery", err)
		}
		out = d
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, d.Run)
	})
	return out, err
}

// PendingDeliveries counts the deliveries waiting for an attempt, of every tenant, and
// returns when the oldest of them was created (zero without any). On PostgreSQL it
// counts the first attempts leased to the publishing process (webhook_leases) and the
// River jobs (kind webhook_deliver) that are not finished: a retry's or a
// redelivery's job counts from when it was enqueued.
func (s *Store) PendingDeliveries(ctx context.Context) (int64, time.Time, error) {
	if s.dialect == Postgres {
		// The deliveries' own partial index on pending rows is gone (migration 00039),
		// so an attempt's rewrite of its row touches no index; the leases and the jobs
		// are what waits.
		var n int64
		var oldest sql.NullTime
		err := s.sqlDB.QueryRowContext(ctx, `SELECT j.n + l.n, least(j.oldest, l.oldest) FROM
	(SELECT count(*) AS n, min(created_at) AS oldest FROM river_job
		WHERE state IN ('available', 'pending', 'running', 'retryable', 'scheduled') AND kind = 'webhook_deliver') AS j,
	(SELECT count(*) AS n, min(created_at) AS oldest FROM webhook_leases) AS l`).Scan(&n, &oldest)
		if err != nil {
			return 0, time.Time{}, translate("count pending deliveries", err)
		}
		if n == 0 || !oldest.Valid {
			return n, time.Time{}, nil
		}
		return n, oldest.Time.UTC(), nil
	}
	var row struct{ N int64 }
	// Two statements: the oldest is one probe of the partial index, and SQLite would
	// return min() of a DATETIME column as text.
	db := s.db.WithContext(ctx)
	// The state is spelled out, not a parameter, so the planner uses the partial index.
	if err := db.Raw("SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'").Scan(&row).Error; err != nil {
		return 0, time.Time{}, translate("count pending deliveries", err)
	}
	if row.N == 0 {
		return 0, time.Time{}, nil
	}
	var oldest []deliveryRow
	if err := db.Select("created_at").Where("state = 'pending'").Order("created_at").Limit(1).Find(&oldest).Error; err != nil {
		return 0, time.Time{}, translate("oldest pending delivery", err)
	}
	if len(oldest) == 0 {
		return row.N, time.Time{}, nil
	}
	return row.N, oldest[0].CreatedAt.UTC(), nil
}

// PruneDeliveries deletes finished deliveries created before cutoff, in batches, and
// returns how many.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var res *gorm.DB
		err := s.tx(ctx, func(tx *gorm.DB) error {
			res = tx.Exec("DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE created_at < ? AND state <> ? ORDER BY created_at LIMIT ?)",
				cutoff.UTC(), models.DeliveryPending, pruneBatch)
			return res.Error
		})
		if err != nil {
			return total, translate("prune webhook deliveries", err)
		}
		total += res.RowsAffected
		if res.RowsAffected < pruneBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
