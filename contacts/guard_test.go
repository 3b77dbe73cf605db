package contacts_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
)

// TestGuard: a write that is not a contact is held to the spam list and its own flood
// limit per kind; a write that did not happen gives its place back.
func TestGuard(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *contacts.Config) {
		c.Spam = listed{netip.MustParseAddr("198.51.100.7")}
		c.Flood = ratelimit.NewMemoryFloodCounter(nil)
	})
	ctx := context.Background()
	opts := contacts.Options{SpamProtection: ptr(true), FloodLimit: ptr(1)}
	if _, err := b.svc.Guard(ctx, b.tenant, "inquiry", "198.51.100.7", opts); models.ErrorCode(err) != models.EFORBIDDEN {
		t.Fatalf("listed address: %v", err)
	}
	done, err := b.svc.Guard(ctx, b.tenant, "inquiry", "192.0.2.1", opts)
	if err != nil {
		t.Fatal(err)
	}
	done(false) // not written: the place is free again
	done, err = b.svc.Guard(ctx, b.tenant, "inquiry", "192.0.2.1", opts)
	if err != nil {
		t.Fatalf("after a write that did not happen: %v", err)
	}
	done(true)
	var de *models.Error
	if _, err := b.svc.Guard(ctx, b.tenant, "inquiry", "192.0.2.1", opts); !errors.As(err, &de) || de.Code != models.ELIMITED || de.RetryAfter <= 0 {
		t.Fatalf("beyond the limit: %v", err)
	}
	// Another kind, and contacts, count apart.
	if done, err := b.svc.Guard(ctx, b.tenant, "other", "192.0.2.1", opts); err != nil {
		t.Fatalf("another kind: %v", err)
	} else {
		done(true)
	}
	if b.metrics.spam.Load() != 1 || b.metrics.flood.Load() != 1 {
		t.Errorf("refusals counted: spam %d, flood %d", b.metrics.spam.Load(), b.metrics.flood.Load())
	}
	// Without an address, nothing applies; a malformed one is a 422.
	if _, err := b.svc.Guard(ctx, b.tenant, "inquiry", "", opts); err != nil {
		t.Fatalf("no address: %v", err)
	}
	if _, err := b.svc.Guard(ctx, b.tenant, "inquiry", "1.2.3", opts); models.ErrorCode(err) != models.EINVALID {
		t.Fatalf("malformed address: %v", err)
	}
}
