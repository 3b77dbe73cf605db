package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// WebhookService is what the webhook endpoints need (package webhooks). Every method
// is scoped by tenant: another tenant's ids are ENOTFOUND.
type WebhookService interface {
	// Create stores a new endpoint with a new secret; EINVALID naming the field.
	Create(ctx context.Context, w *models.Webhook) error
	List(ctx context.Context, tenantID int64) ([]*models.Webhook, error)
	Get(ctx context.Context, tenantID, id int64) (*models.Webhook, error)
	Update(ctx context.Context, tenantID, id int64, p models.WebhookPatch) (*models.Webhook, error)
	Delete(ctx context.Context, tenantID, id int64) error
	// RotateSecret returns the endpoint with its new secret.
	RotateSecret(ctx context.Context, tenantID, id int64) (*models.Webhook, error)
	// Ping enqueues a webhook.ping delivery and returns it.
	Ping(ctx context.Context, tenantID, id int64) (*models.WebhookDelivery, error)
	Deliveries(ctx context.Context, tenantID, id int64, f models.DeliveryFilter) ([]*models.WebhookDelivery, error)
	Delivery(ctx context.Context, tenantID, id int64, deliveryID string) (*models.WebhookDelivery, error)
	// Redeliver restarts a delivery now; ECONFLICT while the endpoint is disabled.
	Redeliver(ctx context.Context, tenantID, id int64, deliveryID string) (*models.WebhookDelivery, error)
}

type webhookRequest struct {
	URL         *string  `json:"url"`
	Description *string  `json:"description"`
	EventTypes  []string `json:"event_types"`
	Active      *bool    `json:"active"`
}

type webhookResponse struct {
	ID             int64      `json:"id"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types"`
	Active         bool       `json:"active"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	// Secret is shown when the endpoint is created and when it is rotated, never again.
	Secret string `json:"secret,omitempty"`
	// PreviousSecretExpiresAt: until then the rotated-out secret signs too.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

func webhookFromModel(w *models.Webhook, now time.Time, withSecret bool) webhookResponse {
	out := webhookResponse{ID: w.ID, URL: w.URL, Description: w.Description, EventTypes: w.EventTypes, Active: w.Active,
		DisabledReason: w.DisabledReason, FailingSince: w.FailingSince, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if withSecret {
		out.Secret = w.Secret
	}
	if w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		out.PreviousSecretExpiresAt = w.PreviousSecretExpiresAt
	}
	return out
}

type attemptResponse struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	LatencyMS  float64   `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
}

type deliveryResponse struct {
	ID            string            `json:"id"`
	WebhookID     int64             `json:"webhook_id"`
	EventID       string            `json:"event_id,omitempty"`
	MessageID     string            `json:"message_id"`
	Type          string            `json:"type"`
	State         string            `json:"state"`
	Attempts      int               `json:"attempts"`
	NextAttemptAt *time.Time        `json:"next_attempt_at,omitempty"`
	Log           []attemptResponse `json:"log"`
	Payload       json.RawMessage   `json:"payload"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

func deliveryFromModel(d *models.WebhookDelivery) deliveryResponse {
	out := deliveryResponse{ID: d.ID, WebhookID: d.WebhookID, MessageID: d.MessageID, Type: d.Type, State: d.State,
		Attempts: d.Attempts, Log: make([]attemptResponse, len(d.Log)), Payload: d.Payload, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.EventID != 0 {
		out.EventID = strconv.FormatInt(d.EventID, 10)
	}
	if d.State == models.DeliveryPending {
		out.NextAttemptAt = d.NextAttemptAt
	}
	for i, a := range d.Log {
		out.Log[i] = attemptResponse{Attempt: a.Attempt, At: a.At, StatusCode: a.StatusCode,
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: a.Error, Response: a.Response}
	}
	return out
}

// webhookID reads the :id path parameter.
func webhookID(c echo.Context) (int64, error) { return pathID(c, "id", "webhook") }

// listWebhooks handles GET /api/v1/webhooks.
func (a *API) listWebhooks(c echo.Context) error {
	list, err := a.Webhooks.List(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]webhookResponse, len(list))
	for i, w := range list {
		out[i] = webhookFromModel(w, now, false)
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": out})
}

// createWebhook handles POST /api/v1/webhooks: 201 with the signing secret, shown
// this once.
func (a *API) createWebhook(c echo.Context) error {
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	w := &models.Webhook{TenantID: tenantID(c), EventTypes: req.EventTypes, Active: req.Active == nil || *req.Active}
	if req.URL != nil {
		w.URL = *req.URL
	}
	if req.Description != nil {
		w.Description = *req.Description
	}
	if err := a.Webhooks.Create(c.Request().Context(), w); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, webhookFromModel(w, time.Now(), true))
}

// getWebhook handles GET /api/v1/webhooks/{id}.
func (a *API) getWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	w, err := a.Webhooks.Get(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookFromModel(w, time.Now(), false))
}

// updateWebhook handles PUT /api/v1/webhooks/{id}: the fields sent change, the others
// stay; "active": true turns a disabled endpoint on again.
func (a *API) updateWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.EventTypes != nil && len(req.EventTypes) == 0 {
		return invalid("event_types", "must name at least one event type or pattern")
	}
	w, err := a.Webhooks.Update(c.Request().Context(), tenantID(c), id,
		models.WebhookPatch{URL: req.URL, Description: req.Description, EventTypes: req.EventTypes, Active: req.Active})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookFromModel(w, time.Now(), false))
}

// deleteWebhook handles DELETE /api/v1/webhooks/{id}; its delivery log goes with it.
func (a *API) deleteWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if err := a.Webhooks.Delete(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return success(c)
}

// rotateWebhookSecret handles POST /api/v1/webhooks/{id}/rotate-secret: a new secret,
// shown this once; the old one signs too for 24 hours.
func (a *API) rotateWebhookSecret(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	w, err := a.Webhooks.RotateSecret(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookFromModel(w, time.Now(), true))
}

// testWebhook handles POST /api/v1/webhooks/{id}/test: a webhook.ping is sent at once
// (one attempt); 202 with the delivery, whose log shows the answer.
func (a *API) testWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	d, err := a.Webhooks.Ping(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, deliveryFromModel(d))
}

// defaultDeliveryPage is the page size of the delivery log without limit=.
const defaultDeliveryPage = 50

// listDeliveries handles GET /api/v1/webhooks/{id}/deliveries?state=&limit=&before=:
// the endpoint's deliveries, newest first, each with the log of its attempts.
func (a *API) listDeliveries(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	var v models.ValidationError
	f := models.DeliveryFilter{Limit: defaultDeliveryPage}
	if s := strings.TrimSpace(c.QueryParam("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > models.MaxDeliveryPage {
			v.Addf("limit", "must be 1 to %d", models.MaxDeliveryPage)
		}
		f.Limit = n
	}
	if s := strings.TrimSpace(c.QueryParam("state")); s != "" {
		if !slices.Contains(models.DeliveryStates, s) {
			v.Addf("state", "must be one of %s", strings.Join(models.DeliveryStates, ", "))
		}
		f.State = s
	}
	if s := strings.TrimSpace(c.QueryParam("before")); s != "" {
		if !isDeliveryID(s) {
			v.Add("before", "must be a delivery id (next_before of the previous page)")
		}
		f.Before = s
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Webhooks.Deliveries(c.Request().Context(), tenantID(c), id, f)
	if err != nil {
		return err
	}
	out := make([]deliveryResponse, len(list))
	for i, d := range list {
		out[i] = deliveryFromModel(d)
	}
	resp := map[string]any{"deliveries": out}
	if len(list) == f.Limit {
		resp["next_before"] = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// isDeliveryID reports whether s has the form of a delivery id (a UUID, lower case).
func isDeliveryID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if ch != '-' {
				return false
			}
		case ch >= '0' && ch <= '9', ch >= 'a' && ch <= 'f':
		default:
			return false
		}
	}
	return true
}

// delivery reads the :delivery path parameter.
func deliveryParam(c echo.Context) (string, error) {
	s, err := pathParam(c, "delivery", "delivery")
	if err != nil {
		return "", err
	}
	if !isDeliveryID(s) {
		return "", models.Errorf(models.ENOTFOUND, "delivery %q not found", models.Excerpt(s))
	}
	return s, nil
}

// getDelivery handles GET /api/v1/webhooks/{id}/deliveries/{delivery}.
func (a *API) getDelivery(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	did, err := deliveryParam(c)
	if err != nil {
		return err
	}
	d, err := a.Webhooks.Delivery(c.Request().Context(), tenantID(c), id, did)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, deliveryFromModel(d))
}

// redeliver handles POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver: the
// same message (webhook-id and body) is sent again now, with a new retry schedule.
func (a *API) redeliver(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	did, err := deliveryParam(c)
	if err != nil {
		return err
	}
	d, err := a.Webhooks.Redeliver(c.Request().Context(), tenantID(c), id, did)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, deliveryFromModel(d))
}
