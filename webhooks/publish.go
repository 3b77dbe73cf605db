package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/contacthub/contacthub/models"
)

// Publish is the outbox subscriber: for every event it is handed and every active
// endpoint of the event's tenant that subscribes to its type and existed when the
// event happened, it writes a delivery with the lease of its first attempt, in tx —
// the publisher's transaction, which also moves the publisher's cursor past these
// events. Each (event, endpoint) is therefore written exactly once, also with several
// replicas and across restarts. Once tx committed (Ended), this process makes the
// first attempts (dispatch.go).
func (s *Service) Publish(ctx context.Context, tx *sql.Tx, events []models.Event) error {
	tenants := make([]int64, 0, 4)
	seen := map[int64]bool{}
	for _, e := range events {
		if !seen[e.TenantID] {
			seen[e.TenantID] = true
			tenants = append(tenants, e.TenantID)
		}
	}
	read := s.changes.now()
	hooks, err := s.store.ActiveWebhooks(ctx, tx, tenants)
	if err != nil || len(hooks) == 0 {
		return err
	}
	byTenant := map[int64][]*models.Webhook{}
	for _, h := range hooks {
		byTenant[h.TenantID] = append(byTenant[h.TenantID], h)
	}
	now := s.now().UTC()
	var ds []*models.WebhookDelivery
	var dhooks []*models.Webhook
	for _, e := range events {
		var payload []byte
		for _, h := range byTenant[e.TenantID] {
			// An endpoint hears of what happens after it was registered, also when the
			// publisher runs behind (a replica restarting, a long transaction holding
			// the feed back): not of older events published late.
			if !h.Subscribes(e.Type) || e.CreatedAt.Before(h.CreatedAt) {
				continue
			}
			if payload == nil {
				payload = Payload(e.Type, e.CreatedAt, e.Data)
			}
			d, err := s.newDelivery(h, e.Type, payload, now)
			if err != nil {
				return err
			}
			d.EventID = e.Position.ID
			d.MessageID = "msg_" + strconv.FormatInt(e.Position.ID, 10)
			ds, dhooks = append(ds, d), append(dhooks, h)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	published := time.Now()
	until := published.Add(s.lease)
	if err := s.store.InsertDeliveries(ctx, tx, ds, until); err != nil {
		return err
	}
	items := make([]firstAttempt, len(ds))
	for i, d := range ds {
		items[i] = firstAttempt{d: d, hook: dhooks[i], read: read, at: published, until: until}
	}
	s.dispatch.stage(tx, items)
	return nil
}

// Ended is told by the outbox publisher whether a transaction Publish wrote in
// committed: the first attempts of its deliveries start now, or are forgotten.
func (s *Service) Ended(tx *sql.Tx, committed bool) { s.dispatch.ended(tx, committed) }

// newDelivery is a pending delivery of payload to h, due now.
func (s *Service) newDelivery(h *models.Webhook, typ string, payload []byte, now time.Time) (*models.WebhookDelivery, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("webhooks: delivery id: %w", err)
	}
	return &models.WebhookDelivery{
		ID: id.String(), TenantID: h.TenantID, WebhookID: h.ID, Type: typ, Payload: payload,
		State: models.DeliveryPending, Run: 1, MaxAttempts: len(s.schedule) + 1, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Payload is the body of a delivery, as Standard Webhooks recommends:
// {"type", "timestamp" (when the event happened, RFC 3339 UTC), "data"}. data is the
// event's data as the change feed shows it (a contact in its wire form).
func Payload(typ string, at time.Time, data json.RawMessage) []byte {
	b := make([]byte, 0, len(data)+96)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, typ) // event types are ASCII identifiers and dots
	b = append(b, `,"timestamp":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	b = append(b, data...)
	return append(b, '}')
}
