package store

import (
	"fmt"
	"hash/fnv"
	"slices"
	"testing"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// TestLockIDsKeepTheirFormat: a key's advisory lock is FNV-1a of "<tenant>\x00<key>",
// as every earlier version computed it. Replicas of two versions during a rolling
// deploy must lock the same key with the same id, or two writers of one mail would
// not exclude each other.
func TestLockIDsKeepTheirFormat(t *testing.T) {
	t.Parallel()
	keys := []string{"e:anna@example.com", "n:657|10115", "", "l:ü\x00ß", "p:+4930123456"}
	for _, tenant := range []int64{1, 42, 9_007_199_254_740_993} {
		var want []int64
		for _, k := range keys {
			h := fnv.New64a()
			fmt.Fprintf(h, "%d\x00%s", tenant, k)
			want = append(want, int64(h.Sum64()))
		}
		slices.Sort(want)
		if got := lockIDs(tenant, keys); !slices.Equal(got, want) {
			t.Errorf("tenant %d: lockIDs = %v, want %v", tenant, got, want)
		}
	}
	if got := lockIDs(1, []string{"a", "a"}); len(got) != 1 {
		t.Errorf("duplicate keys give %d lock ids, want 1", len(got))
	}
}

// TestLockModes: the exclusive and shared locks merge into one ascending list, a key in
// both (or two keys with one id) exclusive.
func TestLockModes(t *testing.T) {
	ex, sh := lockIDs(3, []string{"e:a@b.c", "f:862"}), lockIDs(3, []string{"p:+4930", "f:862", "a:10117|x"})
	l := lockModes(3, []string{"e:a@b.c", "f:862"}, []string{"p:+4930", "f:862", "a:10117|x"})
	if !slices.IsSorted(l.ids) || len(l.ids) != 4 || len(l.shared) != 4 {
		t.Fatalf("locks %+v", l)
	}
	for i, id := range l.ids {
		if want := !slices.Contains(ex, id); l.shared[i] != want || !(slices.Contains(ex, id) || slices.Contains(sh, id)) {
			t.Errorf("lock %d (%d): shared %v, want %v", i, id, l.shared[i], want)
		}
	}
	if got := pgBoolArray(l.shared); len(got) != 9 || got[0] != '{' {
		t.Errorf("pgBoolArray = %q", got)
	}
	if got := pgBoolArray(nil); got != "{}" {
		t.Errorf("pgBoolArray(nil) = %q", got)
	}
}

// TestLockPlan: what each check locks exclusive and shared.
func TestLockPlan(t *testing.T) {
	s := &Store{engine: dedupe.New(dedupe.Config{})}
	c := &models.Contact{FirstName: "Anna", FamilyName: "Schmitt", Mail: "anna@example.com", Phone: "+49 30 1234567", BaStreet: "Hauptstraße 1", BaPostalCode: "10115", BaCity: "Berlin"}
	store := s.storeKeys(c)
	fam := "f:" + dedupe.FamilyKey("Schmidt") // one sound for both spellings
	for check, want := range map[models.CheckMethod][2][]string{
		models.CheckEmail: {{"e:anna@example.com"}, {fam}},
		models.CheckNone:  {nil, {fam, "e:anna@example.com"}},
	} {
		excl, shared := s.lockPlan(c, store, s.lookupKeys(c, check), check)
		if !slices.Equal(excl, want[0]) || !slices.Equal(shared, want[1]) {
			t.Errorf("%s: exclusive %q shared %q, want %q and %q", check, excl, shared, want[0], want[1])
		}
	}
	excl, shared := s.lockPlan(c, store, s.lookupKeys(c, models.CheckAuto), models.CheckAuto)
	if !slices.Equal(excl, []string{fam, "e:anna@example.com"}) || len(shared) != len(store)-1 || slices.Contains(shared, "e:anna@example.com") {
		t.Errorf("auto: exclusive %q shared %q (store keys %q)", excl, shared, store)
	}
	// Without a family name or a mail, auto locks every key it looks up exclusive.
	noName := &models.Contact{FirstName: "Anna", Phone: "+49 30 1234567"}
	excl, shared = s.lockPlan(noName, s.storeKeys(noName), s.lookupKeys(noName, models.CheckAuto), models.CheckAuto)
	if len(excl) == 0 || len(shared) != 0 {
		t.Errorf("auto without name and mail: exclusive %q shared %q", excl, shared)
	}
}
