package models

import "time"

// Statuses of a pair in the review queue.
const (
	DuplicateOpen      = "open"      // waiting for a person
	DuplicateDismissed = "dismissed" // not the same person: never queued or joined again
	DuplicateMerged    = "merged"    // merged through the queue (MergeID)
)

// DuplicatePair is a possible duplicate: two contacts the duplicate engine scored
// between its review threshold and its match threshold. ContactA is the smaller id.
type DuplicatePair struct {
	ID                 int64
	TenantID           int64
	ContactA, ContactB int64
	Score              float64
	// Explanation is the comparison that queued the pair: a submission (which
	// became or merged into one of the two) against the other contact.
	Explanation *Explanation
	Status      string
	MergeID     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DuplicateFilter selects a page of the review queue: pairs with Status (open when
// empty), by descending score, then ascending id, after the pair (AfterScore,
// AfterID) when AfterID is set.
type DuplicateFilter struct {
	Status     string
	AfterScore float64
	AfterID    int64
	Limit      int
}

// DuplicatePage is one page of the review queue with the contacts of its pairs.
type DuplicatePage struct {
	Pairs    []*DuplicatePair
	Contacts map[int64]*Contact
	// More reports whether another page follows.
	More bool
}
