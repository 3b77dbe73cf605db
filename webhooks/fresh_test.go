package webhooks

import (
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// A first attempt takes the delivery its process's publisher enqueued, once; a
// change of the endpoint since the publisher read it, another tenant's ref, or age
// sends it to the database instead.
func TestFreshDeliveries(t *testing.T) {
	f := newFresh()
	now := time.Now()
	hook := &models.Webhook{ID: 7, TenantID: 1, Active: true}
	other := &models.Webhook{ID: 8, TenantID: 1, Active: true}
	d := func(id string, h *models.Webhook) *models.WebhookDelivery {
		return &models.WebhookDelivery{ID: id, TenantID: h.TenantID, WebhookID: h.ID, Run: 1, State: models.DeliveryPending}
	}
	ref := func(id string) models.DeliveryRef { return models.DeliveryRef{TenantID: 1, ID: id} }

	read := f.now()
	f.add([]*models.WebhookDelivery{d("a", hook), d("b", hook), d("c", other), d("d", hook)}, []*models.Webhook{hook, hook, other, hook}, read, now)
	if got, ok := f.take(ref("a"), now); !ok || got.d.ID != "a" || got.hook != hook {
		t.Fatalf("take a: %+v %v", got, ok)
	}
	if _, ok := f.take(ref("a"), now); ok {
		t.Error("a taken twice")
	}
	if _, ok := f.take(models.DeliveryRef{TenantID: 2, ID: "d"}, now); ok {
		t.Error("another tenant's ref took d")
	}
	if _, ok := f.take(ref("d"), now); ok {
		t.Error("d still there after a wrong ref asked for it")
	}

	// The endpoint changes after the publisher read it: its entries are stale, the
	// other endpoint's are not.
	f.forget(hook.ID)
	if _, ok := f.take(ref("b"), now); ok {
		t.Error("b taken after its endpoint changed")
	}
	if _, ok := f.take(ref("c"), now); !ok {
		t.Error("c (another endpoint) not taken")
	}
	// A publisher that read the endpoint after the change makes usable entries.
	read = f.now()
	f.add([]*models.WebhookDelivery{d("e", hook), d("f", hook)}, []*models.Webhook{hook, hook}, read, now)
	if _, ok := f.take(ref("e"), now); !ok {
		t.Error("e (read after the change) not taken")
	}
	if _, ok := f.take(ref("f"), now.Add(freshFor+time.Millisecond)); ok {
		t.Error("f taken after freshFor")
	}
	f.add([]*models.WebhookDelivery{d("g", hook)}, []*models.Webhook{hook}, read, now.Add(2*freshFor))
	if len(f.entries) != 1 || len(f.order) != 1 {
		t.Errorf("after expiry: %d entries, %d in order; want 1", len(f.entries), len(f.order))
	}
}
