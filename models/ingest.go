package models

import (
	"context"
	"database/sql"
	"time"
)

// IngestOptions are the per-call choices of the one contact write path.
type IngestOptions struct {
	Check CheckMethod
	Merge MergeMethod
	// RequiredCustom names custom fields a newly created contact must have.
	RequiredCustom []string
	// BeforeCreate, when set, is asked before item i creates a new contact (not when it
	// merges into an existing one); an error fails that item only. Flood limits hook in
	// here, so that only contacts actually created count.
	BeforeCreate func(ctx context.Context, i int, sub *Submission) error
	// Source labels merge records: "api", "import", "inquiry".
	Source string
	// SkipExisting leaves a submission that matches a contact alone: nothing is
	// written for it and its result is Skipped, with the ID of the contact it matched
	// (imports with update_existing false: reported, never silently merged).
	SkipExisting bool
	// Targets, when set, names per submission the contact it merges into (an import
	// with update_key id): the check method is not asked, and a submission whose
	// contact the tenant does not have fails (field id).
	Targets []int64
	// Within, when set, is called in the write's transaction after the batch was
	// written, with the results so far (ids set; joins come after the transaction): what
	// it writes in tx commits with the contacts or not at all (an import's checkpoint).
	// An error from it rolls everything back and is returned. It may be called more
	// than once when the transaction is run again after losing a race.
	Within func(ctx context.Context, tx *sql.Tx, results []IngestResult) error
	// BeforeTx, when set, is called once the submissions' blocking keys are computed
	// (most of the batch's Go work) and before its transaction begins; an error from
	// it writes nothing and is returned. An import pipelines its batches through it:
	// the next batch is decoded and keyed while the previous one is written, and waits
	// here until that one committed.
	BeforeTx func(ctx context.Context) error
}

// IngestResult is the outcome of the write path for one submitted contact.
type IngestResult struct {
	ID      int64
	Created bool
	// MergeID names the merge record when the submission was merged into an existing
	// contact (an undo handle); "" when created or unchanged.
	MergeID string
	// Explanation is the duplicate engine's reasoning for the best candidate (auto
	// check only; nil when there was no candidate).
	Explanation *Explanation
	// Joined are the other existing contacts the submission also matched (auto
	// check), each merged into ID afterwards with its own merge record.
	Joined []JoinedContact
	// Skipped: the submission matched contact ID and was left alone (SkipExisting).
	Skipped bool
	// Err is set when this item was not written; the other items were.
	Err error
}

// JoinedContact is a contact merged into a submission's contact because the
// submission matched both.
type JoinedContact struct {
	ContactID int64  `json:"id"`
	MergeID   string `json:"merge_id"`
}

// Explanation is why the duplicate engine did or did not match: the total score, the
// threshold it was held against, and each field's contribution.
type Explanation struct {
	Score     float64      `json:"score"`
	Threshold float64      `json:"threshold"`
	Match     bool         `json:"match"`
	Fields    []FieldScore `json:"fields"`
	// History is 0 when the contact's current record scored best, i when its i-th
	// earlier version (before the i-th latest merge) did.
	History int `json:"history,omitempty"`
	// ModelVersion is the tenant's duplicate model the weights came from: 0 for
	// the defaults (GET /api/v1/dedupe/model).
	ModelVersion int `json:"model_version"`
}

// FieldScore is one field's contribution to a match score.
type FieldScore struct {
	Field      string  `json:"field"`
	Comparison string  `json:"comparison"`
	Similarity float64 `json:"similarity"`
	Weight     float64 `json:"weight"`
	// History is 0 when the field was compared with the contact as it is, i when
	// with its state before its i-th latest merge.
	History int `json:"history,omitempty"`
	// TFAdjustment is the part of Weight a learned model's term frequencies added
	// or took away: how common the agreeing value is in the tenant.
	TFAdjustment float64 `json:"tf_adjustment,omitempty"`
}

// DuplicateCandidate is an existing contact ranked against a probe, with the reasons.
type DuplicateCandidate struct {
	Contact     *Contact
	Explanation Explanation
}

// DedupeModelVersion is one of a tenant's trained duplicate models (GET
// /api/v1/dedupe/model): its version, the tenant's size when it was trained, and
// whether it is the one in use.
type DedupeModelVersion struct {
	Version   int       `json:"version"`
	Contacts  int64     `json:"contacts"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}
