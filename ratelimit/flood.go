package ratelimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// Reservation is the outcome of FloodCounter.Reserve.
type Reservation struct {
	// Allowed reports whether the creation was admitted.
	Allowed bool
	// Count is how many creations are in the window after this call,
	// including this one when admitted.
	Count int
	// RetryAfter is, when not admitted, how long until one will be; 0 when
	// admitted.
	RetryAfter time.Duration
	// ID identifies the reservation for Cancel; empty when not admitted (and
	// when a fail-open FloodFallback admitted without counting).
	ID string
}

// BatchReservation is the outcome of FloodCounter.ReserveN.
type BatchReservation struct {
	// Admitted is how many of the n requested creations were admitted: the
	// first Admitted inputs of the batch may create, the rest may not.
	Admitted int
	// Count is how many creations are in the window after this call.
	Count int
	// RetryAfter is, when fewer than n were admitted, how long until one
	// more will be; otherwise 0.
	RetryAfter time.Duration
	// IDs holds one reservation ID per admitted creation, for Cancel.
	IDs []string
}

// FloodCounter enforces "at most max creations per key in any window" (a
// sliding log, not fixed windows: no burst of 2×max at a window edge).
//
// Reserve admits one creation if fewer than max were admitted in the last
// window, atomically, and records it. ReserveN does the same for n at once
// and admits min(n, free slots); n = 0 only reports Count. Cancel removes
// reservations (the contact was merged into an existing one, or the
// transaction failed); unknown or expired IDs are ignored. All three return
// an error wrapping ErrInvalidLimit for max < 1, window < 1ms or n < 0, and
// the backend's error otherwise.
type FloodCounter interface {
	Reserve(ctx context.Context, key string, max int, window time.Duration) (Reservation, error)
	ReserveN(ctx context.Context, key string, max int, window time.Duration, n int) (BatchReservation, error)
	Cancel(ctx context.Context, key string, ids ...string) error
}

func validateFlood(max int, window time.Duration, n int) error {
	switch {
	case max < 1:
		return fmt.Errorf("%w: flood max %d must be at least 1", ErrInvalidLimit, max)
	case window < time.Millisecond:
		return fmt.Errorf("%w: flood window %s must be at least 1ms", ErrInvalidLimit, window)
	case n < 0:
		return fmt.Errorf("%w: cannot reserve %d creations", ErrInvalidLimit, n)
	}
	return nil
}

// reservationBase returns a random prefix for the IDs of one ReserveN call;
// the IDs are base.1 … base.n. 64 random bits make a collision within one key
// (at most max live entries) practically impossible.
func reservationBase() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

func reservationIDs(base string, k int) []string {
	ids := make([]string, k)
	for i := range ids {
		ids[i] = base + "." + strconv.Itoa(i+1)
	}
	return ids
}

func single(b BatchReservation) Reservation {
	r := Reservation{Allowed: b.Admitted > 0, Count: b.Count, RetryAfter: b.RetryAfter}
	if len(b.IDs) > 0 {
		r.ID = b.IDs[0]
	}
	return r
}

// IPKey returns the part of addr a flood limit should count: the address
// itself for IPv4 (IPv4-mapped IPv6 is unmapped first), and the /64 prefix
// for IPv6, because one IPv6 subscriber usually holds a whole /64 and could
// otherwise use a fresh address per submission. It returns "" for an invalid
// address.
func IPKey(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}

// memoryFlood is the sliding log in process: per key, the admitted
// reservations in time order.
type memoryFlood struct {
	clock func() time.Time
	logs  *shardMap[*floodLog]
}

type floodLog struct {
	entries []floodEntry // sorted by at
	window  int64        // window of the last reservation, for the sweep
}

type floodEntry struct {
	at int64 // unix nanoseconds
	id string
}

func (l *floodLog) prune(now, window int64) {
	cut := 0
	for cut < len(l.entries) && l.entries[cut].at <= now-window {
		cut++
	}
	if cut > 0 {
		l.entries = slices.Delete(l.entries, 0, cut)
	}
}

// NewMemoryFloodCounter returns a FloodCounter that keeps its log in this
// process, with the same semantics as NewRedisFloodCounter (but nanosecond
// rather than millisecond timestamps). clock is the time source (nil means
// time.Now). A key is forgotten once its newest reservation has left the
// window; WithMaxKeys caps memory under a flood of distinct keys.
func NewMemoryFloodCounter(clock func() time.Time, opts ...MemoryOption) FloodCounter {
	if clock == nil {
		clock = time.Now
	}
	return &memoryFlood{
		clock: clock,
		logs: newShardMap(newMemoryConfig(opts), func(l *floodLog, now int64) bool {
			return len(l.entries) == 0 || l.entries[len(l.entries)-1].at <= now-l.window
		}),
	}
}

// Reserve implements FloodCounter.
func (m *memoryFlood) Reserve(ctx context.Context, key string, limit int, window time.Duration) (Reservation, error) {
	b, err := m.ReserveN(ctx, key, limit, window, 1)
	return single(b), err
}

// ReserveN implements FloodCounter.
func (m *memoryFlood) ReserveN(_ context.Context, key string, limit int, window time.Duration, n int) (BatchReservation, error) {
	if err := validateFlood(limit, window, n); err != nil {
		return BatchReservation{}, err
	}
	now := m.clock().UnixNano()
	win := int64(window)

	sh := m.logs.lock(key, now)
	defer sh.mu.Unlock()

	l := sh.m[key]
	if l == nil {
		l = &floodLog{}
	}
	l.prune(now, win)
	k := max(0, min(n, limit-len(l.entries)))
	var ids []string
	if k > 0 {
		ids = reservationIDs(reservationBase(), k)
		// Entries are appended in time order; a clock that went back (tests,
		// NTP step) is handled by inserting at the right place.
		pos := len(l.entries)
		for pos > 0 && l.entries[pos-1].at > now {
			pos--
		}
		add := make([]floodEntry, k)
		for i, id := range ids {
			add[i] = floodEntry{at: now, id: id}
		}
		l.entries = slices.Insert(l.entries, pos, add...)
		l.window = win
		m.logs.put(sh, key, l, now)
	}
	b := BatchReservation{Admitted: k, Count: len(l.entries), IDs: ids}
	if k < n {
		b.RetryAfter = time.Duration(l.entries[len(l.entries)-limit].at + win - now)
		b.RetryAfter = max(b.RetryAfter, time.Millisecond)
	}
	return b, nil
}

// Cancel implements FloodCounter.
func (m *memoryFlood) Cancel(_ context.Context, key string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	now := m.clock().UnixNano()
	sh := m.logs.lock(key, now)
	defer sh.mu.Unlock()
	l := sh.m[key]
	if l == nil {
		return nil
	}
	if len(ids) <= 16 {
		l.entries = slices.DeleteFunc(l.entries, func(e floodEntry) bool { return slices.Contains(ids, e.id) })
		return nil
	}
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	l.entries = slices.DeleteFunc(l.entries, func(e floodEntry) bool { _, ok := set[e.id]; return ok })
	return nil
}
