package webhooks

import (
	"sync"
	"time"
)

// changes tells whether an endpoint changed, through this process, since a moment:
// the publisher takes the clock before it reads the endpoints, and a first attempt
// made in this process (dispatch.go) reads its delivery and endpoint from the
// database again, instead of using what the publisher read, when the endpoint changed
// since (turned off, deleted, a new secret, disabled or found failing by an attempt).
//
// A change made through another replica is not seen: the attempt is then made as an
// attempt read a moment earlier would have been made. A first attempt that waited
// more than freshFor reads the database in any case.
type changes struct {
	mu sync.Mutex
	// clock counts the changes of endpoints this process made or saw; changed is the
	// clock of an endpoint's latest change.
	clock   uint64
	changed map[int64]uint64
}

// freshFor bounds how long what the publisher read is used for a first attempt.
const freshFor = 5 * time.Second

func newChanges() *changes {
	return &changes{changed: map[int64]uint64{}}
}

// now is the clock, taken by a publisher before it reads the endpoints.
func (c *changes) now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock
}

// since tells whether the endpoint changed after the clock was read.
func (c *changes) since(webhookID int64, read uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed[webhookID] > read
}

// forget notes a change of the endpoint.
func (c *changes) forget(webhookID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	c.changed[webhookID] = c.clock
}
