package importflow_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

// claimCounter is the store with its two ways of claiming an import counted.
type claimCounter struct {
	*store.Store
	readBack, held atomic.Int32
}

func (c *claimCounter) ClaimImport(ctx context.Context, tenantID, id int64, owner string, until time.Time) (*models.Import, []byte, bool, error) {
	c.readBack.Add(1)
	return c.Store.ClaimImport(ctx, tenantID, id, owner, until)
}

func (c *claimCounter) ClaimImportHeld(ctx context.Context, tenantID, id int64, owner string, until time.Time) (*models.Import, bool, error) {
	c.held.Add(1)
	return c.Store.ClaimImportHeld(ctx, tenantID, id, owner, until)
}

func countClaims(c **claimCounter) func(*imports.Config) {
	return func(cfg *imports.Config) {
		*c = &claimCounter{Store: cfg.Store.(*store.Store)}
		cfg.Store = *c
	}
}

// TestAcceptingReplicaStartsFromItsOwnRecords: the replica that accepted an import
// works on the records it holds, without reading the stored payload back; another
// replica, which holds nothing, reads it back. Both write every record once.
func TestAcceptingReplicaStartsFromItsOwnRecords(t *testing.T) {
	var counted *claimCounter
	b := setup(t, countClaims(&counted))
	persons := func(tag string) []map[string]any {
		var out []map[string]any
		for i := range 20 { // 3 batches of 7
			out = append(out, map[string]any{"email": fmt.Sprintf("%s%d@x.example", tag, i), "firstname": tag})
		}
		return out
	}
	id := b.start(t, importBody(persons("held"), nil))
	if s := b.wait(t, id); s.Status != "completed" || s.Created != 20 {
		t.Fatalf("status %+v, want 20 created", s)
	}
	if r, h := counted.readBack.Load(), counted.held.Load(); r != 0 || h != 1 {
		t.Fatalf("the accepting replica claimed %d times reading back and %d times holding the records; want 0 and 1", r, h)
	}

	// Accepted here with this replica's worker stopped, processed by another.
	if err := b.jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	var other *claimCounter
	setup(t, countClaims(&other)) // its River works on every tenant's jobs
	id = b.start(t, importBody(persons("read"), nil))
	if s := b.wait(t, id); s.Status != "completed" || s.Created != 20 {
		t.Fatalf("status %+v, want 20 created", s)
	}
	if r, h := other.readBack.Load(), other.held.Load(); r == 0 || h != 0 {
		t.Fatalf("the other replica claimed %d times reading back and %d times holding the records; want reads only", r, h)
	}
	for _, tag := range []string{"held", "read"} {
		for i := range 20 {
			if n := len(b.contactsByMail(t, fmt.Sprintf("%s%d@x.example", tag, i))); n != 1 {
				t.Fatalf("%s person %d written %d times", tag, i, n)
			}
		}
	}
}
