package models

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event types: every mutation writes exactly one event per entity it changes, in the
// transaction of the change (the outbox). The change feed and the webhooks read them.
const (
	EventContactCreated = "contact.created" // data: the contact (wire form)
	EventContactUpdated = "contact.updated" // data: the contact after the change
	EventContactDeleted = "contact.deleted" // data: {"id"}
	// EventContactMerged is a merge of two existing contacts (manual or a join): one
	// event for the pair, data {"merge_id", "kind", "contact", "merged_id"}; the merged
	// contact is gone, the survivor is shown as it is after the merge.
	EventContactMerged = "contact.merged"
	// EventMergeUndone: data {"merge_id", "contact", "restored"}: the survivor as it is
	// again, and the contact the undo brought back (null for an ingest merge).
	EventMergeUndone        = "merge.undone"
	EventTermCreated        = "term.created"
	EventTermUpdated        = "term.updated"
	EventTermDeleted        = "term.deleted"
	EventCommentCreated     = "comment.created"
	EventCommentUpdated     = "comment.updated"
	EventCommentDeleted     = "comment.deleted"
	EventCustomFieldCreated = "custom_field.created"
	EventCustomFieldUpdated = "custom_field.updated"
	EventCustomFieldDeleted = "custom_field.deleted"
	// EventImportCompleted: an import ended (completed, failed or cancelled); data is
	// ImportCompletedData, the seed's IMPORT_COMPLETED webhook payload.
	EventImportCompleted      = "import.completed"
	eventTypePatternSeparator = "."
)

// Event types of inquiries and what they refer to. inquiry.created and
// inquiry.updated carry the inquiry's wire form as it is after the change (a re-score
// that changes the score is an update too); the statuses', sources' and staff's
// events carry theirs; every *.deleted carries {"v", "id"}.
const (
	EventInquiryCreated       = "inquiry.created"
	EventInquiryUpdated       = "inquiry.updated"
	EventInquiryDeleted       = "inquiry.deleted"
	EventInquiryStatusCreated = "inquiry_status.created"
	EventInquiryStatusUpdated = "inquiry_status.updated"
	EventInquiryStatusDeleted = "inquiry_status.deleted"
	EventInquirySourceCreated = "inquiry_source.created"
	EventInquirySourceUpdated = "inquiry_source.updated"
	EventInquirySourceDeleted = "inquiry_source.deleted"
	EventStaffCreated         = "staff.created"
	EventStaffUpdated         = "staff.updated"
	EventStaffDeleted         = "staff.deleted"
)

// Event types of the review queue (possible duplicates). Each carries the pair's wire
// form (id, contact_ids, score, status, merge_id) as it is after the change.
const (
	EventDuplicateFound     = "duplicate.found"
	EventDuplicateDismissed = "duplicate.dismissed"
	EventDuplicateMerged    = "duplicate.merged"
)

// EventTypes lists every event type, for validation and documentation.
var EventTypes = []string{
	EventContactCreated, EventContactUpdated, EventContactDeleted, EventContactMerged,
	EventMergeUndone,
	EventTermCreated, EventTermUpdated, EventTermDeleted,
	EventCommentCreated, EventCommentUpdated, EventCommentDeleted,
	EventCustomFieldCreated, EventCustomFieldUpdated, EventCustomFieldDeleted,
	EventInquiryCreated, EventInquiryUpdated, EventInquiryDeleted,
	EventInquiryStatusCreated, EventInquiryStatusUpdated, EventInquiryStatusDeleted,
	EventInquirySourceCreated, EventInquirySourceUpdated, EventInquirySourceDeleted,
	EventStaffCreated, EventStaffUpdated, EventStaffDeleted,
	EventImportCompleted,
	EventDuplicateFound, EventDuplicateDismissed, EventDuplicateMerged,
}

// EventTypeAliases are other names of event types that subscriptions accept: the
// names other APIs use for them (seed 000's IMPORT_COMPLETED).
var EventTypeAliases = map[string]string{"IMPORT_COMPLETED": EventImportCompleted}

// Event is one row of the outbox as readers see it.
type Event struct {
	// Position orders events; it is the feed's cursor.
	Position  EventPosition
	TenantID  int64
	Type      string
	Data      json.RawMessage
	CreatedAt time.Time
}

// EventPosition is where an event stands in the feed. On PostgreSQL events are ordered
// by the transaction that wrote them, then by id (see migrations/postgres/00011); on
// SQLite, where transactions commit one at a time, TxID is 0 and the id alone orders.
type EventPosition struct {
	TxID uint64
	ID   int64
}

// String is the cursor clients pass back as after=. It is opaque to them.
func (p EventPosition) String() string {
	return strconv.FormatUint(p.TxID, 10) + "-" + strconv.FormatInt(p.ID, 10)
}

// Less orders positions as the feed does.
func (p EventPosition) Less(q EventPosition) bool {
	return p.TxID < q.TxID || (p.TxID == q.TxID && p.ID < q.ID)
}

// ParseEventPosition reads a cursor made by String; ok is false for anything else.
func ParseEventPosition(s string) (p EventPosition, ok bool) {
	tx, id, found := strings.Cut(s, "-")
	if !found || !isDecimal(tx) || !isDecimal(id) {
		return EventPosition{}, false
	}
	txid, err1 := strconv.ParseUint(tx, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil {
		return EventPosition{}, false
	}
	return EventPosition{TxID: txid, ID: n}, true
}

// isDecimal reports whether s is a canonical unsigned decimal (no sign, no leading zero).
func isDecimal(s string) bool {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaxEventPage is the most events one feed page holds.
const MaxEventPage = 1000

// EventFilter selects a page of the feed.
type EventFilter struct {
	After EventPosition
	// Limit is 1..MaxEventPage.
	Limit int
	// Types are exact types; empty means all. Patterns are expanded by ParseEventTypes.
	Types []string
}

// EventPage is one page of the feed. Next is the cursor to continue from: the last
// event's position, or After when the page is empty, so a reader polls with it.
type EventPage struct {
	Events  []Event
	Next    EventPosition
	HasMore bool
}

// ParseEventTypes expands a list of event types, their aliases (EventTypeAliases) and
// patterns ("contact.*", "*") into the exact types they name. unknown lists the entries that name none.
func ParseEventTypes(list []string) (types, unknown []string) {
	for _, p := range list {
		p = strings.TrimSpace(p)
		if t, ok := EventTypeAliases[p]; ok {
			p = t
		}
		matched := false
		for _, t := range EventTypes {
			if MatchEventType(p, t) {
				matched = true
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			}
		}
		if !matched {
			unknown = append(unknown, p)
		}
	}
	return types, unknown
}

// MatchEventType reports whether pattern names type t: equal, an alias of it
// (EventTypeAliases), "*", or "prefix.*".
func MatchEventType(pattern, t string) bool {
	if alias, ok := EventTypeAliases[pattern]; ok {
		pattern = alias
	}
	if pattern == "*" || pattern == t {
		return true
	}
	prefix, ok := strings.CutSuffix(pattern, eventTypePatternSeparator+"*")
	return ok && prefix != "" && strings.HasPrefix(t, prefix+eventTypePatternSeparator)
}
