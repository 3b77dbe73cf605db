package models

import (
	"strings"
	"time"
)

// Urgencies of an inquiry; "" reads as normal.
const (
	UrgencyLow    = "low"
	UrgencyNormal = "normal"
	UrgencyHigh   = "high"
	UrgencyUrgent = "urgent"
)

// Urgencies lists the urgencies in rising order.
var Urgencies = []string{UrgencyLow, UrgencyNormal, UrgencyHigh, UrgencyUrgent}

// Lead bands by score: hot 80–100, warm 50–79, cold 20–49, unqualified 0–19.
const (
	BandHot         = "hot"
	BandWarm        = "warm"
	BandCold        = "cold"
	BandUnqualified = "unqualified"
)

// Bands lists the bands from the best down.
var Bands = []string{BandHot, BandWarm, BandCold, BandUnqualified}

// BandOf is the band of a score 0..100.
func BandOf(score int) string {
	switch {
	case score >= 80:
		return BandHot
	case score >= 50:
		return BandWarm
	case score >= 20:
		return BandCold
	}
	return BandUnqualified
}

// BandRange is the lowest and highest score of band; ok is false for an unknown band.
func BandRange(band string) (lo, hi int, ok bool) {
	switch band {
	case BandHot:
		return 80, 100, true
	case BandWarm:
		return 50, 79, true
	case BandCold:
		return 20, 49, true
	case BandUnqualified:
		return 0, 19, true
	}
	return 0, 0, false
}

// Inquiry is a lead: a request for work that came in through a form, a lead tool, a
// portal or a person, possibly linked to a customer (a contact of the tenant), scored
// 0–100. Only the title is required.
type Inquiry struct {
	ID       int64
	TenantID int64
	Title    string
	// Contact is the contact data as the inquiry brought it; the customer is the
	// contact it was matched to or created as.
	Contact  InquiryContact
	Customer *CustomerLink
	Address  InquiryAddress
	Status   *InquiryStatus
	Source   *InquirySource
	// ExpectedValue is nil when not known.
	ExpectedValue *Money
	// Probability is 0..100 percent, nil when not known.
	Probability *int
	Urgency     string
	Assignee    *Staff
	// Dates are YYYY-MM-DD, "" when not set.
	FollowUpOn      string
	ExpectedCloseOn string
	DesiredStartOn  string
	Category        string
	Budget          *Budget
	// Tags are terms of the tenant, by id ascending.
	Tags  []Tag
	Notes string
	Score LeadScore
	// RescoreAt is when time alone changes the score next (nil: never).
	RescoreAt *time.Time
	// Version increases with every change, including a re-score.
	Version int64
	// TouchedAt is the last change a client made; staleness counts from it.
	TouchedAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InquiryContact is the contact data of an inquiry.
type InquiryContact struct {
	FirstName  string
	FamilyName string
	Email      string
	Phone      string
}

// Name is the full name: first and family name joined.
func (c InquiryContact) Name() string {
	return strings.TrimSpace(c.FirstName + " " + c.FamilyName)
}

// IsZero reports whether no contact data is set.
func (c InquiryContact) IsZero() bool { return c == InquiryContact{} }

// CanIdentify reports whether the data can name a customer: a name, an e-mail or a
// phone (the native contact identity).
func (c InquiryContact) CanIdentify() bool {
	return c.FirstName != "" || c.FamilyName != "" || c.Email != "" || c.Phone != ""
}

// InquiryAddress is where the work is: street, postal code, city and country (ISO
// 3166-1 alpha-2).
type InquiryAddress struct {
	Street     string
	PostalCode string
	City       string
	Country    string
}

// Complete reports whether street, postal code and city are all set.
func (a InquiryAddress) Complete() bool {
	return a.Street != "" && a.PostalCode != "" && a.City != ""
}

// CustomerLink is the contact an inquiry belongs to and how it was found.
type CustomerLink struct {
	ID int64
	// Matched is true when an existing contact was found (or named by id), false when
	// the customer was created for the inquiry.
	Matched bool
	// Explanation is the duplicate engine's reasoning for a match or a creation; nil
	// when the customer was named by id.
	Explanation *Explanation
}

// Money is an amount in cents with its currency (ISO 4217 code).
type Money struct {
	Cents    int64
	Currency string
}

// Budget is the range a customer means to spend; either bound may be missing.
type Budget struct {
	MinCents *int64
	MaxCents *int64
	Currency string
}

// Tag is a term on an inquiry.
type Tag struct {
	ID   int64
	Name string
}

// LeadScore is an inquiry's score 0..100, its band and how it came about.
type LeadScore struct {
	Score   int
	Band    string
	Factors []ScoreFactor
}

// ScoreFactor is one factor's contribution to a lead score.
type ScoreFactor struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	// Detail says what the inquiry had that earned the points.
	Detail string `json:"detail"`
}

// ErrImportRowWritten is the error of creating an inquiry for an import row that
// wrote one already (InquiryInput.ImportRow): the import's batch is being written a
// second time, after a crash or by a worker that lost its lease.
var ErrImportRowWritten = &Error{Code: ECONFLICT, Message: "this import row wrote its inquiry already"}

// ErrCustomerGone is the error of an inquiry write whose customer, matched by the
// contact service a moment before, was deleted or merged away before the inquiry was
// written: the writer matches again.
var ErrCustomerGone = &Error{Code: ECONFLICT, Message: "the customer matched for the inquiry was deleted meanwhile; send the inquiry again"}

// Status kinds: an open inquiry is still a lead; won and lost ones are closed.
const (
	StatusOpen = "open"
	StatusWon  = "won"
	StatusLost = "lost"
)

// StatusKinds lists the kinds of an inquiry status.
var StatusKinds = []string{StatusOpen, StatusWon, StatusLost}

// Default names of what an inquiry gets when it names none.
const (
	DefaultStatusName = "Neu"
	DefaultSourceName = "API"
)

// InquiryStatus is a tenant's status of inquiries. Names are unique per tenant,
// ignoring case; the list is ordered by Position, then id.
type InquiryStatus struct {
	ID        int64
	TenantID  int64
	Name      string
	NameKey   string
	Kind      string
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InquirySource is where a tenant's inquiries come from ("Website", "LinkedIn Ads").
type InquirySource struct {
	ID        int64
	TenantID  int64
	Name      string
	NameKey   string
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Staff is a member of a tenant's staff, whom inquiries are assigned to. E-mail
// addresses are unique per tenant, ignoring case.
type Staff struct {
	ID        int64
	TenantID  int64
	Email     string
	EmailKey  string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RefChange is a change of a status, source or staff member: nil fields stay.
type RefChange struct {
	Name *string
	// Kind is a status's only.
	Kind *string
	// Position is a status's or source's only.
	Position *int
	// Email is a staff member's only.
	Email *string
}

// NameKey is the case-insensitive identity of a status or source name.
func NameKey(name string) string { return lower(name) }

// GuessStatusKind is the kind a status created on first use gets from its name: the
// usual words for a won or lost inquiry, else open. A client that means otherwise
// names the kind ({"name", "kind"}) or changes it later.
func GuessStatusKind(name string) string {
	switch NameKey(name) {
	case "gewonnen", "won", "auftrag", "auftrag erteilt", "beauftragt", "angenommen", "closed won":
		return StatusWon
	case "verloren", "lost", "abgesagt", "abgelehnt", "storniert", "closed lost":
		return StatusLost
	}
	return StatusOpen
}

// Validate checks and trims a status's name and kind. It returns EINVALID.
func (st *InquiryStatus) Validate() error {
	var v ValidationError
	st.Name = checkName(&v, "name", st.Name)
	st.NameKey = NameKey(st.Name)
	if !validKind(st.Kind) {
		v.Add("kind", "must be open, won or lost")
	}
	if st.Position < 0 || st.Position > maxPosition {
		v.Addf("position", "must be 0 to %d", maxPosition)
	}
	return v.Err()
}

// Validate checks and trims a source's name. It returns EINVALID.
func (so *InquirySource) Validate() error {
	var v ValidationError
	so.Name = checkName(&v, "name", so.Name)
	so.NameKey = NameKey(so.Name)
	if so.Position < 0 || so.Position > maxPosition {
		v.Addf("position", "must be 0 to %d", maxPosition)
	}
	return v.Err()
}

// Validate checks and trims a staff member's e-mail and name. It returns EINVALID.
func (s *Staff) Validate() error {
	var v ValidationError
	s.Email = strings.TrimSpace(s.Email)
	if s.Email == "" {
		v.Add("email", "is required")
	} else if !ValidMail(s.Email) {
		v.Add("email", "is not a valid e-mail address")
	}
	s.EmailKey = NormalizeMail(s.Email)
	var reason string
	if s.Name, reason = cleanText(s.Name, maxNameLength, false); reason != "" {
		v.Add("name", reason)
	}
	return v.Err()
}

// Limits of the names of statuses, sources and staff, and of positions.
const (
	maxRefName    = 100
	maxNameLength = 255
	maxPosition   = 1_000_000
)

func checkName(v *ValidationError, field, name string) string {
	name, reason := cleanText(name, maxRefName, false)
	switch {
	case reason != "":
		v.Add(field, reason)
	case name == "":
		v.Add(field, "is required")
	}
	return name
}

func validKind(k string) bool {
	return k == StatusOpen || k == StatusWon || k == StatusLost
}
