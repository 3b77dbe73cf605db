package webhooks

import "testing"

// An endpoint changed after a publisher read the clock is seen as changed by that
// publisher's first attempts, and only by those; other endpoints are not.
func TestChanges(t *testing.T) {
	c := newChanges()
	read := c.now()
	if c.since(7, read) || c.since(8, read) {
		t.Fatal("changed before any change")
	}
	c.forget(7)
	if !c.since(7, read) {
		t.Error("7 not changed after forget")
	}
	if c.since(8, read) {
		t.Error("8 changed by 7's change")
	}
	// A publisher that read after the change sees no change.
	if later := c.now(); c.since(7, later) {
		t.Error("7 changed for a publisher that read after the change")
	}
}
