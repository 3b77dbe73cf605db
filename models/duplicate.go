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

// Actions of a tenant-wide duplicate scan.
const (
	ScanReview = "review" // queue every pair from the review threshold up
	ScanMerge  = "merge"  // merge the pairs that match, queue the rest
)

// Statuses of a scan.
const (
	ScanRunning   = "running"
	ScanCompleted = "completed"
	ScanFailed    = "failed"
)

// DuplicateScan is a tenant-wide search for duplicates among existing contacts
// (POST /api/v1/duplicates/scan): its progress and what it found.
type DuplicateScan struct {
	ID       int64  `json:"id"`
	TenantID int64  `json:"-"`
	Action   string `json:"action"`
	Status   string `json:"status"`
	// Total is the tenant's contacts when the scan started; Processed those scanned.
	Total     int64 `json:"total"`
	Processed int64 `json:"processed"`
	// LastID is the checkpoint: every contact up to it was scanned.
	LastID int64 `json:"-"`
	// Queued counts the pairs found for review (each is in the queue once: a pair
	// queued or dismissed before stays as it is), Merged the matching pairs merged,
	// Skipped the matches not merged (dismissed, merged already, or a contact merged
	// into a third or deleted meanwhile).
	Queued     int64      `json:"queued"`
	Merged     int64      `json:"merged"`
	Skipped    int64      `json:"skipped"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at"`
}
