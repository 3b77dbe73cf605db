package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/models"
)

// What the HTTP handlers call. Every method is scoped by tenant: another tenant's
// endpoint or delivery is ENOTFOUND.

// Create stores w, a new endpoint of w.TenantID as a client describes it (URL,
// description, event types, active), with a new signing secret, and sets its ID,
// Secret and times. The response to the client is the only time the secret is shown
// apart from a rotation. It returns EINVALID (url, event_types[i], description; the
// tenant's limit of endpoints).
func (s *Service) Create(ctx context.Context, w *models.Webhook) error {
	w.URL, w.EventTypes, w.Secret = strings.TrimSpace(w.URL), trimAll(w.EventTypes), NewSecret()
	w.DisabledReason, w.FailingSince, w.PreviousSecret, w.PreviousSecretExpiresAt = "", nil, "", nil
	if err := w.Validate(); err != nil {
		return err
	}
	if err := s.checkURL(w.URL); err != nil {
		return err
	}
	return s.store.CreateWebhook(ctx, w)
}

func trimAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// List returns the tenant's endpoints.
func (s *Service) List(ctx context.Context, tenantID int64) ([]*models.Webhook, error) {
	return s.store.ListWebhooks(ctx, tenantID)
}

// Get returns one endpoint, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, tenantID, id int64) (*models.Webhook, error) {
	return s.store.GetWebhook(ctx, tenantID, id)
}

// Update changes an endpoint's settings. Turning it on again clears why it was
// disabled. It returns ENOTFOUND and EINVALID.
func (s *Service) Update(ctx context.Context, tenantID, id int64, p models.WebhookPatch) (*models.Webhook, error) {
	if p.URL != nil {
		u := strings.TrimSpace(*p.URL)
		p.URL = &u
	}
	p.EventTypes = trimAll(p.EventTypes)
	defer s.changes.forget(id)
	return s.store.UpdateWebhook(ctx, tenantID, id, func(w *models.Webhook) error {
		p.Apply(w)
		if err := w.Validate(); err != nil {
			return err
		}
		if p.URL != nil {
			return s.checkURL(w.URL)
		}
		return nil
	})
}

// Delete removes an endpoint and its delivery log. It returns ENOTFOUND.
func (s *Service) Delete(ctx context.Context, tenantID, id int64) error {
	defer s.changes.forget(id)
	return s.store.DeleteWebhook(ctx, tenantID, id)
}

// RotateSecret gives the endpoint a new secret and returns the endpoint with it. The
// secret it replaces keeps signing deliveries, beside the new one, for
// models.WebhookSecretOverlap (24 h); a secret rotated out before is dropped. It
// returns ENOTFOUND.
func (s *Service) RotateSecret(ctx context.Context, tenantID, id int64) (*models.Webhook, error) {
	defer s.changes.forget(id)
	return s.store.UpdateWebhook(ctx, tenantID, id, func(w *models.Webhook) error {
		until := s.now().UTC().Add(models.WebhookSecretOverlap).Truncate(time.Microsecond) // as PostgreSQL keeps it
		w.PreviousSecret, w.PreviousSecretExpiresAt, w.Secret = w.Secret, &until, NewSecret()
		return nil
	})
}

// Ping sends a webhook.ping delivery to the endpoint (one attempt, also while the
// endpoint is disabled, whatever it subscribes to) and returns the pending delivery;
// its log shows the result. It returns ENOTFOUND.
func (s *Service) Ping(ctx context.Context, tenantID, id int64) (*models.WebhookDelivery, error) {
	hook, err := s.store.GetWebhook(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if s.jobs == nil {
		return nil, errNoJobs
	}
	now := s.now().UTC()
	data := fmt.Appendf(nil, `{"webhook_id":%d,"message":"a test delivery from contacthub"}`, hook.ID)
	d, err := s.newDelivery(hook, models.EventWebhookPing, Payload(models.EventWebhookPing, now, data), now)
	if err != nil {
		return nil, err
	}
	d.MaxAttempts = 1
	d.MessageID = "msg_ping_" + strings.ReplaceAll(d.ID, "-", "")
	err = s.store.CreateDelivery(ctx, d, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.jobs.InsertTx(ctx, tx, DeliverArgs{TenantID: tenantID, DeliveryID: d.ID, Run: 1}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Deliveries returns a page of an endpoint's delivery log, newest first. It returns
// ENOTFOUND and EINVALID (limit, state, before).
func (s *Service) Deliveries(ctx context.Context, tenantID, id int64, f models.DeliveryFilter) ([]*models.WebhookDelivery, error) {
	return s.store.ListDeliveries(ctx, tenantID, id, f)
}

// Delivery returns one delivery of an endpoint, or ENOTFOUND.
func (s *Service) Delivery(ctx context.Context, tenantID, id int64, deliveryID string) (*models.WebhookDelivery, error) {
	if _, err := uuid.Parse(deliveryID); err != nil {
		return nil, models.Errorf(models.ENOTFOUND, "delivery %q not found", deliveryID)
	}
	return s.store.GetDelivery(ctx, tenantID, id, deliveryID)
}

// Redeliver sends a delivery again, now, with a fresh retry schedule and the same
// webhook-id and body: after a receiver's outage outlasted the retries, or to replay
// one it mishandled. A retry still scheduled is superseded, not added to. It returns
// the delivery as restarted, ENOTFOUND, and ECONFLICT while the endpoint is disabled.
func (s *Service) Redeliver(ctx context.Context, tenantID, id int64, deliveryID string) (*models.WebhookDelivery, error) {
	hook, err := s.store.GetWebhook(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(deliveryID); err != nil {
		return nil, models.Errorf(models.ENOTFOUND, "delivery %q not found", deliveryID)
	}
	if s.jobs == nil {
		return nil, errNoJobs
	}
	if !hook.Active {
		why := ""
		if hook.DisabledReason != "" {
			why = " (" + hook.DisabledReason + ")"
		}
		return nil, models.Errorf(models.ECONFLICT, "webhook %d is disabled%s; turn it on (PUT with \"active\": true) before redelivering", id, why)
	}
	return s.store.RestartDelivery(ctx, tenantID, id, deliveryID, func(ctx context.Context, tx *sql.Tx, run int) error {
		_, err := s.jobs.InsertTx(ctx, tx, DeliverArgs{TenantID: tenantID, DeliveryID: deliveryID, Run: run}, nil)
		return err
	})
}

// errNoJobs is a service used before Attach: a wiring bug.
var errNoJobs = errors.New("webhooks: no job engine attached")

var _ river.JobArgs = DeliverArgs{}
