package ratelimit

import (
	"sync"
	"time"
)

// Leases: a key whose quota admits many requests in a short time (more than one
// per LeaseWindow/2, i.e. above 100 per second) would cost one Redis round trip
// per request, most of a cheap request's time. For such a key a replica takes a
// lease of up to maxLease requests in one round trip (GCRA admitting at most n at
// once, redis_rate's AllowAtMost) and admits from it locally until it is used up
// or LeaseWindow has passed since it was taken; what is left then is dropped.
//
// What that changes, and only for quotas above 100 per second:
//
//   - never more than the quota plus LeaseWindow's share of it: every leased
//     request was admitted by Redis's GCRA when leased and is used within
//     LeaseWindow, so the requests admitted in any window are at most those GCRA
//     admits in a window LeaseWindow longer — for 1,000/s at most 20 more;
//   - a dropped remainder (the key's requests stopped mid-lease) is lost, at most
//     maxLease-1 per replica and lease; a lease shrinks to what was used when its
//     remainder was dropped, so a key whose traffic slows leases less;
//   - X-Rate-Limit-Remaining counts the replica's unused leased requests with
//     the key's Redis remainder.
//
// Quotas at or below 100 per second (the default is 100 per minute) are decided
// by Redis request by request, exactly as before.
const (
	// LeaseWindow is how long a lease may be used.
	LeaseWindow = 20 * time.Millisecond
	// leaseCap is the most requests one lease holds.
	leaseCap = 64
	// leaseKeys is how many keys' leases a replica keeps before dropping those
	// that ran out.
	leaseKeys = 4096
)

// maxLease is the largest lease for limit: LeaseWindow's share of the quota, at
// most leaseCap; 1 (no leasing) for quotas at or below 100 per second.
func maxLease(limit Limit) int {
	n := int(int64(limit.Rate) * int64(LeaseWindow) / int64(limit.Period))
	return min(max(n, 1), leaseCap)
}

// lease is one key's leased requests on this replica.
type lease struct {
	mu        sync.Mutex
	limit     Limit
	tokens    int       // leased and not used yet
	expires   time.Time // tokens are dropped at this time
	size      int       // the next lease's size
	remaining int       // Redis's remainder when the lease was taken
	resetAt   time.Time // when the key is back at its full burst, as of the lease
}

// take admits one request from the lease when it has one left and is in time.
func (l *lease) take(now time.Time, limit Limit) (Result, bool) {
	if l.limit != limit || l.tokens == 0 || !now.Before(l.expires) {
		return Result{}, false
	}
	l.tokens--
	return Result{
		Allowed:    true,
		Limit:      limit,
		Remaining:  min(l.remaining+l.tokens, limit.Rate-1),
		ResetAfter: max(l.resetAt.Sub(now), 0),
	}, true
}

// nextSize is the size of the lease to take now: twice the last one when it was
// used up, what was used of it when its remainder is dropped, never more than
// maxLease.
func (l *lease) nextSize(limit Limit) int {
	m := maxLease(limit)
	switch {
	case l.limit != limit || l.size == 0:
		l.size = 1
	case l.tokens == 0:
		l.size *= 2
	default:
		l.size -= l.tokens
	}
	l.size = min(max(l.size, 1), m)
	l.limit, l.tokens = limit, 0
	return l.size
}

// leases is a replica's leases by key.
type leases struct {
	mu sync.Mutex
	m  map[string]*lease
}

// get returns key's lease, dropping the used-up ones when there are too many.
func (ls *leases) get(key string, now time.Time) *lease {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.m[key]; ok {
		return l
	}
	if ls.m == nil {
		ls.m = make(map[string]*lease)
	}
	if len(ls.m) >= leaseKeys {
		for k, l := range ls.m {
			if l.mu.TryLock() {
				if l.tokens == 0 || !now.Before(l.expires) {
					delete(ls.m, k)
				}
				l.mu.Unlock()
			}
		}
	}
	l := &lease{}
	ls.m[key] = l
	return l
}
