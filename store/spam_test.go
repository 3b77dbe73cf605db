package store_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestLoadSpamListIsIdempotentAndVersioned(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st) // a tenant's own list, so parallel tests do not share it
	ctx := context.Background()
	list := "# blocklist\n192.0.2.0/24\n198.51.100.7 ; one host\n2001:db8::/32\nnot an address\n10.0.0.1-10.0.0.9\n"

	stats, added, err := st.LoadSpamList(ctx, tn.ID, strings.NewReader(list), "test")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Ranges != 4 || stats.Invalid != 1 || added != 4 {
		t.Fatalf("first load: stats %+v, added %d", stats, added)
	}
	v1, err := st.SpamListVersion(ctx, tn.ID)
	if err != nil || v1 == 0 {
		t.Fatalf("version after load = %d, %v", v1, err)
	}
	_, added, err = st.LoadSpamList(ctx, tn.ID, strings.NewReader(list), "test")
	if err != nil || added != 0 {
		t.Fatalf("second load added %d (%v), want 0", added, err)
	}
	if v2, _ := st.SpamListVersion(ctx, tn.ID); v2 != v1 {
		t.Fatalf("an idempotent reload changed the version %d → %d", v1, v2)
	}

	checker := spamlist.NewChecker(st, 0)
	for addr, want := range map[string]bool{"192.0.2.200": true, "198.51.100.7": true, "198.51.100.8": false, "2001:db8:1::1": true, "10.0.0.9": true, "10.0.0.10": false} {
		scope, listed, err := checker.Listed(ctx, tn.ID, netip.MustParseAddr(addr))
		if err != nil || listed != want || (listed && scope != spamlist.ScopeTenant) {
			t.Errorf("Listed(%s) = %q %v %v, want %v", addr, scope, listed, err, want)
		}
	}

	removed, err := st.RemoveSpamRanges(ctx, tn.ID, []spamlist.Range{mustParseRange(t, "192.0.2.0/24")})
	if err != nil || removed != 1 {
		t.Fatalf("remove = %d, %v", removed, err)
	}
	if _, listed, _ := checker.Listed(ctx, tn.ID, netip.MustParseAddr("192.0.2.200")); listed {
		t.Fatal("a removed range is still listed for a small list")
	}
	entries, err := st.ListSpamRanges(ctx, tn.ID, 0, 10)
	if err != nil || len(entries) != 3 {
		t.Fatalf("entries = %+v, %v", entries, err)
	}
}

func mustParseRange(t *testing.T, s string) spamlist.Range {
	t.Helper()
	r, err := spamlist.ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
