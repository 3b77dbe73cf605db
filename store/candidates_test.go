package store

import (
	"fmt"
	"hash/fnv"
	"slices"
	"testing"
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
