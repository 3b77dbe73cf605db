package webhooks

import (
	"sync"
	"time"

	"github.com/contacthub/contacthub/models"
)

// fresh keeps the deliveries this process's publisher has just enqueued, with their
// endpoints as the publisher read them, for the first attempt of each: a job fetched
// by the process that published it takes its delivery from here instead of reading
// it back (a statement per batch, and decoding every row). Only a job of run 1 takes
// an entry, once; a later attempt, a job another replica fetched, an entry older than
// freshFor or one whose endpoint changed since in this process reads the database.
//
// What the database could say differently is what changed since the publisher's
// transaction, a moment ago: an endpoint turned off, deleted or given a new secret on
// another replica (this one forgets the endpoint's entries, see forget), or a
// redelivery of a delivery not yet attempted on another replica — the attempt is then
// made as an attempt read a moment earlier would have been made; its record is
// written only if the run is still its own, as always. A publisher transaction that
// rolls back leaves entries no job asks for; they expire.
type fresh struct {
	mu      sync.Mutex
	entries map[string]freshEntry
	order   []freshKey // in the order added, for expiry
	// clock counts the changes of endpoints this process made or saw; changed is the
	// clock of an endpoint's latest change. An entry whose endpoint was read before
	// that change (its publisher started at an earlier clock) is stale.
	clock   uint64
	changed map[int64]uint64
}

type freshEntry struct {
	d    *models.WebhookDelivery
	hook *models.Webhook
	at   time.Time
	read uint64 // the clock when its publisher began to read the endpoints
}

type freshKey struct {
	id string
	at time.Time
}

// freshFor bounds an entry's age; freshMax the entries kept (a backlog beyond is read
// from the database, as any delivery can be).
const (
	freshFor = 5 * time.Second
	freshMax = 20000
)

func newFresh() *fresh {
	return &fresh{entries: map[string]freshEntry{}, changed: map[int64]uint64{}}
}

// now is the clock, taken by a publisher before it reads the endpoints.
func (f *fresh) now() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

// add keeps ds (each with its endpoint in hooks, read after the clock was read) for
// their first attempts.
func (f *fresh) add(ds []*models.WebhookDelivery, hooks []*models.Webhook, read uint64, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire(now)
	for i, d := range ds {
		if len(f.entries) >= freshMax {
			return
		}
		f.entries[d.ID] = freshEntry{d: d, hook: hooks[i], at: now, read: read}
		f.order = append(f.order, freshKey{d.ID, now})
	}
}

// expire drops the entries older than freshFor.
func (f *fresh) expire(now time.Time) {
	n := 0
	for n < len(f.order) && now.Sub(f.order[n].at) > freshFor {
		delete(f.entries, f.order[n].id)
		n++
	}
	if n > 0 {
		f.order = append(f.order[:0:0], f.order[n:]...)
	}
}

// take returns the delivery ref names and its endpoint, and forgets them; ok is false
// when there is no usable entry.
func (f *fresh) take(ref models.DeliveryRef, now time.Time) (attemptInput, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[ref.ID]
	if !ok {
		return attemptInput{}, false
	}
	delete(f.entries, ref.ID)
	if e.d.TenantID != ref.TenantID || now.Sub(e.at) > freshFor || f.changed[e.d.WebhookID] > e.read {
		return attemptInput{}, false
	}
	return attemptInput{e.d, e.hook}, true
}

// forget makes the entries of an endpoint stale: it was changed (turned off, deleted,
// a new secret, disabled or found failing by an attempt).
func (f *fresh) forget(webhookID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock++
	f.changed[webhookID] = f.clock
}

// drop forgets one delivery (it is being redelivered).
func (f *fresh) drop(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, id)
}
