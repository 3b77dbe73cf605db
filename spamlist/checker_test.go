package spamlist

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeSource serves one list (0) whose content and version the test changes.
type fakeSource struct {
	mu      sync.Mutex
	version int64
	ranges  []Range
	loads   int
}

func (f *fakeSource) SpamListVersion(context.Context, int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, nil
}

func (f *fakeSource) SpamRanges(_ context.Context, list int64, fn func(Range)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if list != 0 {
		return nil
	}
	f.loads++
	for _, r := range f.ranges {
		fn(r)
	}
	return nil
}

func (f *fakeSource) set(version int64, ranges []Range) {
	f.mu.Lock()
	f.version, f.ranges = version, ranges
	f.mu.Unlock()
}

// bigList returns more single-address ranges than a synchronous reload handles.
func bigList(t *testing.T, extra string) []Range {
	out := make([]Range, 0, syncReloadLimit+1)
	a := netip.MustParseAddr("10.0.0.0")
	for range syncReloadLimit + 1 {
		out = append(out, Range{From: a, To: a})
		a = a.Next().Next() // gaps keep ranges from merging
	}
	if extra != "" {
		r, err := ParseRange(extra)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestCheckerReloadsBigListInBackground(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	src.set(1, bigList(t, ""))
	c := NewChecker(src, 0)
	ctx := context.Background()
	probe := netip.MustParseAddr("203.0.113.5")

	if _, listed, err := c.Listed(ctx, 7, probe); err != nil || listed {
		t.Fatalf("before change: listed=%v err=%v", listed, err)
	}
	src.set(2, bigList(t, "203.0.113.0/24"))
	// The reload runs in the background; the answer flips once it is done.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, listed, err := c.Listed(ctx, 7, probe)
		if err != nil {
			t.Fatal(err)
		}
		if listed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("changed big list was never reloaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	src.mu.Lock()
	loads := src.loads
	src.mu.Unlock()
	if loads != 2 {
		t.Fatalf("list loaded %d times, want 2 (initial + one reload)", loads)
	}
}

func TestCheckerCachesWithinRefreshInterval(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	src.set(1, nil)
	c := NewChecker(src, time.Hour)
	ctx := context.Background()
	probe := netip.MustParseAddr("192.0.2.1")
	if _, listed, _ := c.Listed(ctx, 1, probe); listed {
		t.Fatal("empty list lists an address")
	}
	src.set(2, []Range{{From: probe, To: probe}})
	if _, listed, _ := c.Listed(ctx, 1, probe); listed {
		t.Fatal("checker re-read the list within its refresh interval")
	}
	c.Invalidate(0)
	if scope, listed, _ := c.Listed(ctx, 1, probe); !listed || scope != ScopeGlobal {
		t.Fatalf("after Invalidate: listed=%v scope=%q, want global", listed, scope)
	}
}
