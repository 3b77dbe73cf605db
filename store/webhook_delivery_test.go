package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// The delivery worker reads and records the attempts of jobs running together with
// one statement each; every delivery must get its own row's values.
func TestDeliveriesForAttemptAndRecordAttemptsInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t)
	tenant, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	hook := &models.Webhook{TenantID: tenant.ID, URL: "https://example.com/hook", EventTypes: []string{"contact.*"}, Active: true, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	newDelivery := func(msg string) *models.WebhookDelivery {
		t.Helper()
		d := &models.WebhookDelivery{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, WebhookID: hook.ID,
			MessageID: msg, Type: "contact.created", Payload: []byte(`{"n":"` + msg + `"}`), State: models.DeliveryPending,
			Run: 1, MaxAttempts: 10, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateDelivery(ctx, d, func(context.Context, *sql.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d1, d2, d3 := newDelivery("msg_1"), newDelivery("msg_2"), newDelivery("msg_3")

	refs := []models.DeliveryRef{
		{TenantID: tenant.ID, ID: d2.ID},
		{TenantID: tenant.ID, ID: uuid.Must(uuid.NewV7()).String()}, // gone
		{TenantID: other.ID, ID: d1.ID},                             // another tenant's
		{TenantID: tenant.ID, ID: d1.ID},
	}
	ds, ws, err := st.DeliveriesForAttempt(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(refs) || len(ws) != len(refs) {
		t.Fatalf("got %d deliveries and %d endpoints for %d refs", len(ds), len(ws), len(refs))
	}
	for i, want := range []*models.WebhookDelivery{d2, nil, nil, d1} {
		switch {
		case want == nil && (ds[i] != nil || ws[i] != nil):
			t.Errorf("ref %d: got delivery %+v, want none", i, ds[i])
		case want != nil && (ds[i] == nil || ws[i] == nil):
			t.Errorf("ref %d: got nothing, want %s", i, want.ID)
		case want != nil && (ds[i].ID != want.ID || ds[i].MessageID != want.MessageID || string(ds[i].Payload) != string(want.Payload) || ws[i].ID != hook.ID || ws[i].Secret != hook.Secret):
			t.Errorf("ref %d: got %s %s %s (webhook %d), want %s %s %s", i, ds[i].ID, ds[i].MessageID, ds[i].Payload, ws[i].ID, want.ID, want.MessageID, want.Payload)
		}
	}

	at := now.Add(time.Second)
	next := at.Add(5 * time.Second)
	attempt := func(status int) []models.WebhookAttempt {
		return []models.WebhookAttempt{{Attempt: 1, At: at, StatusCode: status, Latency: 3 * time.Millisecond}}
	}
	err = st.RecordAttempts(ctx, []models.DeliveryOutcome{
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: d1.ID, Run: 1, Log: attempt(204), State: models.DeliverySucceeded},
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: d2.ID, Run: 1, Log: attempt(500), State: models.DeliveryPending, NextAttemptAt: &next},
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: d3.ID, Run: 2, Log: attempt(204), State: models.DeliverySucceeded}, // an outdated run
		{TenantID: other.ID, WebhookID: hook.ID, DeliveryID: d3.ID, Run: 1, Log: attempt(204), State: models.DeliverySucceeded},  // another tenant's
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d        *models.WebhookDelivery
		state    string
		attempts int
		status   int
		next     *time.Time
	}{
		{d1, models.DeliverySucceeded, 1, 204, nil},
		{d2, models.DeliveryPending, 1, 500, &next},
		{d3, models.DeliveryPending, 0, 0, &now},
	} {
		got, err := st.GetDelivery(ctx, tenant.ID, hook.ID, c.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != c.state || got.Attempts != c.attempts || got.RunAttempts != c.attempts || len(got.Log) != c.attempts {
			t.Errorf("%s: state %s, attempts %d/%d, log %d; want %s, %d", c.d.MessageID, got.State, got.Attempts, got.RunAttempts, len(got.Log), c.state, c.attempts)
		}
		if c.attempts > 0 && got.Log[0].StatusCode != c.status {
			t.Errorf("%s: logged status %d, want %d", c.d.MessageID, got.Log[0].StatusCode, c.status)
		}
		if (got.NextAttemptAt == nil) != (c.next == nil) || (c.next != nil && !got.NextAttemptAt.Equal(*c.next)) {
			t.Errorf("%s: next attempt %v, want %v", c.d.MessageID, got.NextAttemptAt, c.next)
		}
	}
}

// A delivery written by the publisher holds a lease: its first attempt's outcome is
// written with the lease's end, and only while the lease is held; a lease claimed (by
// ID, or by a sweep once it ran out) goes to the enqueue callback once and leaves a
// later outcome unwritten. (That leased deliveries count as pending is checked where
// River's tables exist: webhooks.TestLeaseRunOutIsSweptOnce.)
func TestDeliveryLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t)
	tenant := storetest.NewTenant(t, st)
	hook := &models.Webhook{TenantID: tenant.ID, URL: "https://example.com/hook", EventTypes: []string{"contact.*"}, Active: true, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var ds []*models.WebhookDelivery
	for _, msg := range []string{"msg_l1", "msg_l2", "msg_l3", "msg_l4"} {
		ds = append(ds, &models.WebhookDelivery{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, WebhookID: hook.ID,
			MessageID: msg, Type: "contact.created", Payload: []byte(`{"n":"` + msg + `"}`), State: models.DeliveryPending,
			Run: 1, MaxAttempts: 10, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now})
	}
	publish := func(ds []*models.WebhookDelivery, until time.Time) {
		t.Helper()
		tx, err := st.DB().Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.InsertDeliveries(ctx, tx, ds, until); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	publish(ds[:2], now.Add(time.Minute))
	publish(ds[2:], now.Add(-time.Second)) // already ran out

	var claimed []models.DeliveryRef
	enqueue := func(_ context.Context, tx *sql.Tx, refs []models.DeliveryRef) error {
		if tx == nil {
			t.Error("enqueue without a transaction")
		}
		claimed = append(claimed, refs...)
		return nil
	}
	// The sweep takes the leases that ran out, once.
	for range 2 {
		if _, err := st.ClaimLeases(ctx, nil, now, 100, enqueue); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for _, r := range claimed {
		if r.TenantID != tenant.ID {
			t.Errorf("claimed %+v of another tenant", r)
		}
		got[r.ID] = true
	}
	if len(claimed) != 2 || !got[ds[2].ID] || !got[ds[3].ID] {
		t.Fatalf("swept %+v, want %s and %s once each", claimed, ds[2].ID, ds[3].ID)
	}
	// ds[1]'s lease is handed over by ID.
	claimed = nil
	if n, err := st.ClaimLeases(ctx, []string{ds[1].ID}, time.Time{}, 0, enqueue); err != nil || n != 1 || len(claimed) != 1 || claimed[0].ID != ds[1].ID {
		t.Fatalf("claim by id: %d, %+v, %v", n, claimed, err)
	}

	at := now.Add(time.Second)
	log := []models.WebhookAttempt{{Attempt: 1, At: at, StatusCode: 204, Latency: time.Millisecond}}
	var retried []models.DeliveryOutcome
	retry := func(_ context.Context, _ *sql.Tx, os []models.DeliveryOutcome) error {
		retried = append(retried, os...)
		return nil
	}
	next := at.Add(5 * time.Second)
	written, err := st.RecordFirstAttempts(ctx, []models.DeliveryOutcome{
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: ds[0].ID, Run: 1, Log: log, State: models.DeliverySucceeded},
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: ds[1].ID, Run: 1, Log: log, State: models.DeliverySucceeded},                     // claimed
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: ds[2].ID, Run: 1, Log: log, State: models.DeliveryPending, NextAttemptAt: &next}, // swept
	}, retry)
	if err != nil {
		t.Fatal(err)
	}
	if !written[ds[0].ID] || written[ds[1].ID] || written[ds[2].ID] || len(retried) != 0 {
		t.Errorf("written %v, retried %+v; want only %s written", written, retried, ds[0].ID)
	}
	for i, want := range []string{models.DeliverySucceeded, models.DeliveryPending, models.DeliveryPending} {
		d, err := st.GetDelivery(ctx, tenant.ID, hook.ID, ds[i].ID)
		if err != nil || d.State != want || (want == models.DeliveryPending) != (d.Attempts == 0) {
			t.Errorf("delivery %d: %+v, %v; want %s", i, d, err, want)
		}
	}

	// A failed first attempt under its lease is written and its retry handed over.
	ds5 := &models.WebhookDelivery{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, WebhookID: hook.ID,
		MessageID: "msg_l5", Type: "contact.created", Payload: []byte(`{}`), State: models.DeliveryPending,
		Run: 1, MaxAttempts: 10, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
	publish([]*models.WebhookDelivery{ds5}, now.Add(time.Minute))
	failed := []models.WebhookAttempt{{Attempt: 1, At: at, StatusCode: 503, Latency: time.Millisecond}}
	written, err = st.RecordFirstAttempts(ctx, []models.DeliveryOutcome{
		{TenantID: tenant.ID, WebhookID: hook.ID, DeliveryID: ds5.ID, Run: 1, Log: failed, State: models.DeliveryPending, NextAttemptAt: &next},
	}, retry)
	if err != nil || !written[ds5.ID] || len(retried) != 1 || retried[0].DeliveryID != ds5.ID {
		t.Fatalf("failed first attempt: written %v, retried %+v, %v", written, retried, err)
	}
	if d, err := st.GetDelivery(ctx, tenant.ID, hook.ID, ds5.ID); err != nil || d.State != models.DeliveryPending || d.Attempts != 1 || d.NextAttemptAt == nil {
		t.Errorf("after the failed first attempt: %+v, %v", d, err)
	}
}
