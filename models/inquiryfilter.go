package models

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Page sizes of the inquiry listing (GET /api/v1/inquiries).
const (
	DefaultInquiriesPage = 50
	MaxInquiriesPage     = 500
)

// Orders of the inquiry listing; a leading "-" is descending. Ties are broken by id
// in the same direction, so every order is total and a cursor continues it exactly.
const (
	SortCreated      = "created"
	SortCreatedDesc  = "-created"
	SortScore        = "score"
	SortScoreDesc    = "-score"
	SortFollowUp     = "follow_up"
	SortFollowUpDesc = "-follow_up"
)

// InquirySorts lists the orders; the first is the default.
var InquirySorts = []string{SortCreatedDesc, SortCreated, SortScoreDesc, SortScore, SortFollowUp, SortFollowUpDesc}

// NoDate is the follow-up date an inquiry without one sorts as: after every date.
const NoDate = "9999-12-31"

// InquiryFilter selects and pages inquiries. Filters combine with AND. References
// are given as the client named them: Status, Source and Tag by id or name, Assignee
// by id or e-mail; one that names nothing of the tenant matches no inquiry.
type InquiryFilter struct {
	Status     string
	StatusKind string
	Source     string
	Assignee   string
	CustomerID int64
	Tag        string
	Category   string
	// Band keeps the scores of one band; ScoreMin and ScoreMax (inclusive) narrow it.
	Band     string
	ScoreMin *int
	ScoreMax *int
	// FollowUpBy keeps inquiries with a follow-up date on or before it (YYYY-MM-DD):
	// what is due by then.
	FollowUpBy   string
	CreatedSince time.Time
	UpdatedSince time.Time
	// Query keeps inquiries whose title or notes contain every word, ignoring case.
	Query  string
	Sort   string
	Cursor string
	// Limit is 1..MaxInquiriesPage; 0 means DefaultInquiriesPage.
	Limit int
}

// Validate normalises the filter and checks it. It returns EINVALID naming every
// problem, with the query parameters' names.
func (f *InquiryFilter) Validate() error {
	var v ValidationError
	if f.Sort == "" {
		f.Sort = SortCreatedDesc
	}
	if !slices.Contains(InquirySorts, f.Sort) {
		v.Add("sort", "must be one of "+strings.Join(InquirySorts, ", "))
	}
	if f.StatusKind != "" && !validKind(f.StatusKind) {
		v.Add("status_kind", "must be open, won or lost")
	}
	if f.Band != "" {
		if _, _, ok := BandRange(f.Band); !ok {
			v.Add("band", "must be hot, warm, cold or unqualified")
		}
	}
	for _, s := range []struct {
		name string
		p    *int
	}{{"score_min", f.ScoreMin}, {"score_max", f.ScoreMax}} {
		if s.p != nil && (*s.p < 0 || *s.p > 100) {
			v.Add(s.name, "must be 0 to 100")
		}
	}
	if f.FollowUpBy != "" {
		if t, err := time.Parse(dateLayout, f.FollowUpBy); err != nil {
			v.Add("follow_up_by", "must be a date YYYY-MM-DD")
		} else {
			f.FollowUpBy = t.Format(dateLayout)
		}
	}
	f.Query = strings.TrimSpace(f.Query)
	if !utf8.ValidString(f.Query) || utf8.RuneCountInString(f.Query) > 255 {
		v.Add("q", "must be valid text of at most 255 characters")
	} else if len(strings.Fields(f.Query)) > MaxQueryWords {
		v.Addf("q", "at most %d words", MaxQueryWords)
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultInquiriesPage
	case f.Limit < 0:
		v.Addf("limit", "must be 1 to %d", MaxInquiriesPage)
	case f.Limit > MaxInquiriesPage:
		f.Limit = MaxInquiriesPage
	}
	return v.Err()
}

// ScoreRange is the scores the filter keeps, from Band, ScoreMin and ScoreMax; empty
// is false when no score can match.
func (f *InquiryFilter) ScoreRange() (lo, hi int, empty bool) {
	lo, hi = 0, 100
	if f.Band != "" {
		lo, hi, _ = BandRange(f.Band)
	}
	if f.ScoreMin != nil {
		lo = max(lo, *f.ScoreMin)
	}
	if f.ScoreMax != nil {
		hi = min(hi, *f.ScoreMax)
	}
	return lo, hi, lo > hi
}

// QueryWords returns the lower-cased words of Query.
func (f *InquiryFilter) QueryWords() []string {
	return strings.Fields(strings.ToLower(f.Query))
}

// InquiryPage is one page of the listing. NextCursor is "" on the last page.
type InquiryPage struct {
	Inquiries  []*Inquiry
	NextCursor string
}
