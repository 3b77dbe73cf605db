package models

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhooks: endpoints a tenant registers to be told about its events. Deliveries
// follow Standard Webhooks (standardwebhooks.com); the webhooks package sends them.

// Webhook limits.
const (
	MaxWebhooksPerTenant   = 50
	MaxWebhookURLLength    = 2048
	MaxWebhookDescription  = 500
	MaxWebhookEventTypes   = 50
	WebhookSecretPrefix    = "whsec_"
	WebhookSecretOverlap   = 24 * time.Hour // a rotated-out secret keeps signing this long
	MaxWebhookResponseKept = 4096           // bytes of a receiver's answer the log keeps
)

// EventWebhookPing is the type of a test delivery (POST /api/v1/webhooks/{id}/test).
// It is no outbox event and no subscription is needed for it.
const EventWebhookPing = "webhook.ping"

// Webhook is one endpoint of a tenant.
type Webhook struct {
	ID       int64
	TenantID int64
	URL      string
	// Description is the tenant's own note.
	Description string
	// EventTypes are the types and patterns subscribed to, as given (contact.*,
	// IMPORT_COMPLETED, *).
	EventTypes []string
	// Active endpoints get deliveries. An endpoint the server disabled says why in
	// DisabledReason.
	Active         bool
	DisabledReason string
	// Secret signs deliveries (whsec_…). After a rotation PreviousSecret signs too,
	// until PreviousSecretExpiresAt, so receivers can switch without losing any.
	Secret                  string
	PreviousSecret          string
	PreviousSecretExpiresAt *time.Time
	// FailingSince is when the first failed attempt after the last success was made;
	// nil while the endpoint answers.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Validate checks the URL's form, the event types and the description, and reports
// every problem at once (EINVALID naming url, event_types[i], description). Where
// deliveries may go (https only, private addresses) is the webhooks package's policy.
func (w *Webhook) Validate() error {
	var v ValidationError
	if msg := checkWebhookURL(w.URL); msg != "" {
		v.Add("url", msg)
	}
	switch {
	case len(w.EventTypes) == 0:
		v.Add("event_types", `is required: a list of event types or patterns, e.g. ["contact.*"]`)
	case len(w.EventTypes) > MaxWebhookEventTypes:
		v.Addf("event_types", "has %d entries; at most %d", len(w.EventTypes), MaxWebhookEventTypes)
	default:
		for i, p := range w.EventTypes {
			if _, unknown := ParseEventTypes([]string{p}); len(unknown) > 0 {
				v.Addf(fmt.Sprintf("event_types[%d]", i), "%q is not an event type or pattern; the types are %s (IMPORT_COMPLETED is import.completed), and patterns such as contact.* or *",
					Excerpt(p), strings.Join(EventTypes, ", "))
			}
		}
	}
	if n := utf8.RuneCountInString(w.Description); n > MaxWebhookDescription || !utf8.ValidString(w.Description) || strings.ContainsRune(w.Description, 0) {
		v.Addf("description", "must be UTF-8 text of at most %d characters", MaxWebhookDescription)
	}
	return v.Err()
}

// checkWebhookURL returns why u cannot be a webhook URL, or "".
func checkWebhookURL(u string) string {
	if u == "" {
		return "is required: the absolute http(s) URL deliveries are posted to"
	}
	if len(u) > MaxWebhookURLLength {
		return fmt.Sprintf("is longer than %d bytes", MaxWebhookURLLength)
	}
	if !utf8.ValidString(u) || strings.ContainsAny(u, " \t\r\n\x00") {
		return "must not contain spaces or control characters"
	}
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Opaque != "" {
		return "must be an absolute http(s) URL such as https://example.com/hooks"
	}
	switch {
	case p.Scheme != "https" && p.Scheme != "http":
		return fmt.Sprintf("scheme %q: must be https (or http where the server allows it)", p.Scheme)
	case p.Hostname() == "":
		return "has no host"
	case p.User != nil:
		return "must not carry credentials; deliveries are authenticated by their signature"
	case p.Fragment != "" || strings.Contains(u, "#"):
		return "must not have a fragment (#…)"
	}
	return ""
}

// Subscribes reports whether the endpoint wants events of type t.
func (w *Webhook) Subscribes(t string) bool {
	for _, p := range w.EventTypes {
		if MatchEventType(p, t) {
			return true
		}
	}
	return false
}

// SigningSecrets are the secrets that sign a delivery made at now: the current one,
// then the previous one while it overlaps.
func (w *Webhook) SigningSecrets(now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// WebhookPatch changes some of a webhook's settings; nil fields stay.
type WebhookPatch struct {
	URL         *string
	Description *string
	EventTypes  []string // nil: unchanged
	Active      *bool
}

// Apply changes w as p says. Turning an endpoint on again clears why it was off and
// its failure streak.
func (p WebhookPatch) Apply(w *Webhook) {
	if p.URL != nil {
		w.URL = *p.URL
	}
	if p.Description != nil {
		w.Description = *p.Description
	}
	if p.EventTypes != nil {
		w.EventTypes = p.EventTypes
	}
	if p.Active != nil {
		if *p.Active && !w.Active {
			w.DisabledReason, w.FailingSince = "", nil
		}
		w.Active = *p.Active
	}
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // an attempt is due or scheduled
	DeliverySucceeded = "succeeded" // a receiver answered 2xx
	DeliveryFailed    = "failed"    // attempts ran out, or the endpoint was disabled by its answers
	DeliveryCanceled  = "canceled"  // the endpoint was off when the attempt was due
)

// DeliveryStates lists the states, for validation.
var DeliveryStates = []string{DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliveryCanceled}

// WebhookDelivery is one event sent (or to be sent) to one endpoint, with the log of
// its attempts.
type WebhookDelivery struct {
	// ID is a UUID (version 7: ordered by creation).
	ID        string
	TenantID  int64
	WebhookID int64
	// EventID is the outbox event's id; 0 for a ping.
	EventID int64
	// MessageID is the webhook-id header: the same for every attempt and redelivery,
	// so receivers can drop repeats.
	MessageID string
	Type      string
	// Payload is the exact body sent: {"type", "timestamp", "data"}.
	Payload []byte
	State   string
	// Run counts redeliveries (1 for the first); RunAttempts are the attempts of the
	// current run, which the retry schedule counts; Attempts are all of them.
	Run         int
	RunAttempts int
	Attempts    int
	// MaxAttempts is how many attempts one run makes (1 for a ping).
	MaxAttempts   int
	NextAttemptAt *time.Time
	// Log holds the latest attempts, oldest first (at most MaxDeliveryLog).
	Log       []WebhookAttempt
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxDeliveryLog is how many attempts a delivery's log keeps (a full retry run).
const MaxDeliveryLog = 12

// WebhookAttempt is one POST to a receiver and what came of it.
type WebhookAttempt struct {
	Attempt int
	At      time.Time
	// StatusCode is the receiver's answer; 0 when none came (timeout, refused, blocked).
	StatusCode int
	Latency    time.Duration
	Error      string
	// Response is the start of the receiver's answer, at most MaxWebhookResponseKept bytes.
	Response string
}

// DeliveryFilter selects a page of an endpoint's deliveries, newest first.
type DeliveryFilter struct {
	// Before is the id of the last delivery of the previous page.
	Before string
	// State is one of DeliveryStates, or "" for all.
	State string
	Limit int
}

// MaxDeliveryPage is the most deliveries one page holds.
const MaxDeliveryPage = 200

// DeliveryOutcome is what one attempt of a delivery came to, for the store to record
// in one transaction with what it means for the endpoint.
type DeliveryOutcome struct {
	TenantID   int64
	WebhookID  int64
	DeliveryID string
	// Run is the run the attempt belonged to: a redelivery since makes the record moot.
	Run int
	// Log is the delivery's log with this attempt appended (at most MaxDeliveryLog).
	Log           []WebhookAttempt
	State         string
	NextAttemptAt *time.Time
	// StartsFailing records the endpoint's first failure after a success (its
	// FailingSince is set if unset); Recovered clears FailingSince.
	StartsFailing *time.Time
	Recovered     bool
	// Disable turns the endpoint off, saying why.
	Disable string
}

// KeepsEndpoint tells whether the outcome changes nothing of its endpoint (the
// common case: a success of a healthy endpoint, or a failure of one already failing).
func (o DeliveryOutcome) KeepsEndpoint() bool {
	return o.Disable == "" && !o.Recovered && o.StartsFailing == nil
}

// DeliveryRef names a delivery of a tenant.
type DeliveryRef struct {
	TenantID int64
	ID       string
}
