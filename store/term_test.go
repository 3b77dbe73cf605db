package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// newContact ingests one contact (check none) and returns its id.
func newContact(t *testing.T, st *store.Store, tenantID int64, fields map[string]any) int64 {
	t.Helper()
	res, err := st.Ingest(context.Background(), tenantID, []*models.Submission{storetest.Submission(t, fields)}, models.IngestOptions{Check: models.CheckNone})
	if err != nil || res[0].Err != nil {
		t.Fatalf("ingest: %v %v", err, res)
	}
	return res[0].ID
}

func newTerm(t *testing.T, st *store.Store, tenantID int64, name string) int64 {
	t.Helper()
	tm := &models.Term{TenantID: tenantID, Name: name}
	if _, err := st.CreateTerm(context.Background(), tm); err != nil {
		t.Fatal(err)
	}
	return tm.ID
}

func TestCreateTermConcurrentSameName(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	const n = 16
	ids := make([]int64, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tm := &models.Term{TenantID: tn.ID, Name: fmt.Sprintf("%c%s", "sS"[i%2], "ame")}
			c, err := st.CreateTerm(context.Background(), tm)
			if err != nil {
				t.Errorf("create %d: %v", i, err)
			}
			ids[i], created[i] = tm.ID, c
		})
	}
	wg.Wait()
	var nCreated int
	for i := range n {
		if ids[i] != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Errorf("%d creates reported created, want 1", nCreated)
	}
	storetest.AssertConsistent(t, st)
}

// TestDeleteTermWhileTagging races DeleteTerm against AddContactTerms of the same term:
// afterwards no contact carries the deleted term, and each tagging either succeeded
// before the delete or was refused as an unknown term.
func TestDeleteTermWhileTagging(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	for round := range 5 {
		term := newTerm(t, st, tn.ID, fmt.Sprintf("racy-%d", round))
		contacts := make([]int64, 8)
		for i := range contacts {
			contacts[i] = newContact(t, st, tn.ID, map[string]any{"mail": fmt.Sprintf("race%d-%d@example.com", round, i)})
		}
		var wg sync.WaitGroup
		for _, id := range contacts {
			wg.Go(func() {
				err := st.AddContactTerms(ctx, tn.ID, id, []int64{term})
				if err != nil && models.ErrorCode(err) != models.EINVALID {
					t.Errorf("tag %d: %v", id, err)
				}
			})
		}
		wg.Go(func() {
			if err := st.DeleteTerm(ctx, tn.ID, term); err != nil {
				t.Errorf("delete term: %v", err)
			}
		})
		wg.Wait()
		got, err := st.GetContacts(ctx, tn.ID, contacts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if slices.Contains(c.Terms, term) {
				t.Fatalf("round %d: contact %d still carries deleted term %d", round, c.ID, term)
			}
		}
	}
	storetest.AssertConsistent(t, st)
}

func TestDeleteTermBlocked(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	tm := &models.Term{TenantID: tn.ID, Name: "keep", DeletionBlocked: true}
	if _, err := st.CreateTerm(ctx, tm); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteTerm(ctx, tn.ID, tm.ID); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("delete blocked term = %v, want conflict", err)
	}
	other := storetest.NewTenant(t, st)
	if err := st.DeleteTerm(ctx, other.ID, tm.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("other tenant's delete = %v, want not found", err)
	}
}
