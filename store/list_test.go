package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestListContactsCursorAndTenant(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	ctx := context.Background()
	var want []int64
	for i := range 5 {
		want = append(want, newContact(t, st, tn.ID, map[string]any{"mail": fmt.Sprintf("l%d@example.com", i)}))
		newContact(t, st, other.ID, map[string]any{"mail": fmt.Sprintf("l%d@example.com", i)})
	}
	if got := pageAll(t, st, tn.ID, models.ContactFilter{Limit: 2}); !slices.Equal(got, want) {
		t.Fatalf("listing = %v, want %v", got, want)
	}
	if _, err := st.ListContacts(ctx, tn.ID, models.ContactFilter{Cursor: "bm9wZQ"}); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("foreign cursor = %v, want invalid", err)
	}

	// GetContacts leaves out ids of other tenants and unknown ids.
	cs, err := st.GetContacts(ctx, other.ID, append(want, 99999999))
	if err != nil || len(cs) != 0 {
		t.Fatalf("other tenant's GetContacts = %v, %v", cs, err)
	}
	cs, err = st.GetContacts(ctx, tn.ID, []int64{want[3], want[1], want[3]})
	if err != nil || len(cs) != 2 || cs[0].ID != want[1] || cs[1].ID != want[3] || cs[0].Terms == nil {
		t.Fatalf("GetContacts = %+v, %v", cs, err)
	}
}

// pageAll follows a listing's cursors to its last page and returns the ids shown.
func pageAll(t *testing.T, st *store.Store, tenantID int64, f models.ContactFilter) []int64 {
	t.Helper()
	var got []int64
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("listing %+v: no end of pages", f)
		}
		page, err := st.ListContacts(context.Background(), tenantID, f)
		if err != nil {
			t.Fatalf("listing %+v: %v", f, err)
		}
		for _, c := range page.Contacts {
			got = append(got, c.ID)
		}
		if page.NextCursor == "" {
			return got
		}
		f.Cursor = page.NextCursor
	}
}
