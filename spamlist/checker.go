package spamlist

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// Source is where the checker reads lists from: the store. List 0 is the global list;
// every other id is a tenant's own.
type Source interface {
	// SpamListVersion is a counter that changes whenever the list changes.
	SpamListVersion(ctx context.Context, list int64) (int64, error)
	SpamRanges(ctx context.Context, list int64, fn func(Range)) error
}

// Checker answers "is this address listed?" from in-memory Sets (O(log n), no query per
// check). Each list's version is re-read at most once per refresh interval, and a
// changed list is reloaded in the background while the old Set keeps answering, so a
// request never waits for a million-range reload (except the very first load).
type Checker struct {
	src     Source
	refresh time.Duration
	now     func() time.Time
	mu      sync.Mutex
	lists   map[int64]*cachedList
}

type cachedList struct {
	mu      sync.Mutex
	set     *Set
	version int64
	checked time.Time
	loading bool
}

// ServerRefresh is the server's refresh interval: how long a list's version is trusted
// before it is read again.
const ServerRefresh = 5 * time.Second

// syncReloadLimit is the size below which a changed list is reloaded synchronously.
const syncReloadLimit = 10000

// NewChecker returns a checker over src that looks for changes every refresh interval.
func NewChecker(src Source, refresh time.Duration) *Checker {
	return &Checker{src: src, refresh: refresh, now: time.Now, lists: map[int64]*cachedList{}}
}

// Scopes that Listed reports.
const (
	ScopeGlobal = "global"
	ScopeTenant = "tenant"
)

// Listed reports whether addr is on the global list or on the tenant's own list, and
// which. It returns an error only when a list could never be loaded.
func (c *Checker) Listed(ctx context.Context, tenantID int64, addr netip.Addr) (string, bool, error) {
	for _, list := range []struct {
		id    int64
		scope string
	}{{0, ScopeGlobal}, {tenantID, ScopeTenant}} {
		set, err := c.set(ctx, list.id)
		if err != nil {
			return "", false, err
		}
		if set.Contains(addr) {
			return list.scope, true, nil
		}
	}
	return "", false, nil
}

// Invalidate makes the next check re-read a list's version (after a local change).
func (c *Checker) Invalidate(list int64) {
	l := c.list(list)
	l.mu.Lock()
	l.checked = time.Time{}
	l.mu.Unlock()
}

func (c *Checker) list(id int64) *cachedList {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lists[id]
	if l == nil {
		l = &cachedList{}
		c.lists[id] = l
	}
	return l
}

func (c *Checker) set(ctx context.Context, id int64) (*Set, error) {
	l := c.list(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := c.now()
	if l.set != nil && now.Sub(l.checked) < c.refresh {
		return l.set, nil
	}
	// A big list (the global one) is checked and reloaded in the background: no lookup
	// waits for the version query or for a million-range reload.
	if l.set != nil && l.set.Len() >= syncReloadLimit {
		if !l.loading {
			l.loading, l.checked = true, now
			go c.refreshBig(id, l)
		}
		return l.set, nil
	}
	// Small lists (a tenant's own) are checked at once, so a change made through the
	// API applies to the next request.
	version, err := c.src.SpamListVersion(ctx, id)
	if err != nil {
		if l.set != nil {
			return l.set, nil // keep answering from the last good copy
		}
		return nil, err
	}
	l.checked = now
	if l.set != nil && version == l.version {
		return l.set, nil
	}
	set, err := c.load(ctx, id)
	if err != nil {
		if l.set != nil {
			return l.set, nil
		}
		return nil, err
	}
	l.set, l.version = set, version
	return set, nil
}

// refreshBig re-reads a big list's version and reloads it when it changed.
func (c *Checker) refreshBig(id int64, l *cachedList) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	version, err := c.src.SpamListVersion(ctx, id)
	var set *Set
	if err == nil && version != l.currentVersion() {
		set, err = c.load(ctx, id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loading = false
	switch {
	case err != nil:
		l.checked = time.Time{} // try again on the next check
	case set != nil:
		l.set, l.version = set, version
	}
}

func (l *cachedList) currentVersion() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.version
}

func (c *Checker) load(ctx context.Context, id int64) (*Set, error) {
	var b Builder
	if err := c.src.SpamRanges(ctx, id, b.Add); err != nil {
		return nil, err
	}
	return b.Set(), nil
}
