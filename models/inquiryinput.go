package models

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Field is one field of a write: not given (Set false), given as null or cleared
// (Set, Value nil), or given a value. A partial change (PATCH, an import's update)
// touches only the fields given.
type Field[T any] struct {
	Set   bool
	Value *T
}

// Given is a field given the value v.
func Given[T any](v T) Field[T] { return Field[T]{Set: true, Value: &v} }

// Cleared is a field given as null: it clears the value (or sets the default).
func Cleared[T any]() Field[T] { return Field[T]{Set: true} }

// Has reports whether the field was given a value (not null).
func (f Field[T]) Has() bool { return f.Set && f.Value != nil }

// InquiryMode says how a write treats the fields it is not given.
type InquiryMode int

const (
	// InquiryCreate: a new inquiry; fields not given are empty (status and source the
	// defaults).
	InquiryCreate InquiryMode = iota
	// InquiryReplace (PUT): every field is replaced; fields not given are cleared, but
	// the customer stays unless customer_id is given.
	InquiryReplace
	// InquiryPatch (PATCH): only the fields given change.
	InquiryPatch
)

// InquiryInput is an inquiry as a client writes it, whatever the door (JSON body, a
// CSV row, code): typed values, each a Field so a partial change can tell "not given"
// from "cleared". Validate checks and normalises it.
type InquiryInput struct {
	Title Field[string]
	// Contact is replaced as a whole.
	Contact Field[ContactInput]
	// CustomerID names an existing contact of the tenant as the customer; cleared, the
	// inquiry has none. Not given, the customer stays as it is, or is matched from the
	// contact data when the inquiry has none.
	CustomerID      Field[int64]
	Address         Field[InquiryAddress]
	Status          Field[StatusRef]
	Source          Field[SourceRef]
	ExpectedValue   Field[MoneyInput]
	Probability     Field[int]
	Urgency         Field[string]
	Assignee        Field[StaffRef]
	FollowUpOn      Field[string]
	ExpectedCloseOn Field[string]
	DesiredStartOn  Field[string]
	Category        Field[string]
	Budget          Field[BudgetInput]
	Tags            Field[[]TagRef]
	Notes           Field[string]
	// Version, when given, must be the inquiry's current version (ECONFLICT
	// otherwise): an update that saw version 3 does not overwrite version 4.
	Version Field[int64]
	// ImportRow, set by an import only (never from JSON), is the import row that
	// writes the inquiry: the store records it with the inquiry, in its transaction,
	// and a second write of the same row is ErrImportRowWritten.
	ImportRow *ImportRowRef
}

// ImportRowRef names one row of one import (the engine's import id and the row's
// number).
type ImportRowRef struct {
	ImportID int64
	Row      int
}

// ContactInput is the contact data as sent: a full name, or first and family name.
type ContactInput struct {
	// Name is split at its last space into first and family name when neither of
	// those is given.
	Name       string
	FirstName  string
	FamilyName string
	Email      string
	Phone      string
}

// StatusRef names a status by id, or by name (created on first use, with Kind or
// the kind its name suggests).
type StatusRef struct {
	ID   int64
	Name string
	Kind string
}

// SourceRef names a source by id, or by name (created on first use).
type SourceRef struct {
	ID   int64
	Name string
}

// StaffRef names a staff member by id, or by e-mail (created on first use with Name).
type StaffRef struct {
	ID    int64
	Email string
	Name  string
}

// TagRef names a term by id, or by name (created on first use, as POST terms does).
type TagRef struct {
	ID   int64
	Name string
}

// MoneyInput is an amount as decimal text ("12000", "12000.50") and a currency.
type MoneyInput struct {
	Amount   string
	Currency string
}

// BudgetInput is a budget range as decimal text; either bound may be "".
type BudgetInput struct {
	Min      string
	Max      string
	Currency string
}

// Limits of an inquiry's fields.
const (
	MaxInquiryTitle  = 255
	MaxInquiryNotes  = 10000
	MaxInquiryTags   = 100
	MaxCategory      = 100
	maxAmountCents   = 1_000_000_000_000_00 // one trillion
	DefaultCurrency  = "EUR"
	dateLayout       = "2006-01-02"
	maxPostalCodeLen = 20
)

// Validate checks every given field and normalises it in place: text trimmed, the
// contact's name split, e-mail and country as stored, amounts canonical ("12000.50"),
// currencies upper case (EUR when an amount has none), tags deduplicated. The title is
// required unless mode is InquiryPatch. It returns EINVALID naming every problem at
// once, with the field names of the JSON form ("contact.email", "budget.max").
func (in *InquiryInput) Validate(mode InquiryMode) error {
	var v ValidationError
	if mode != InquiryPatch && !in.Title.Has() {
		v.Add("title", "is required")
	}
	if in.Title.Set {
		if in.Title.Value == nil {
			v.Add("title", "is required; it cannot be cleared")
		} else {
			t, reason := cleanText(*in.Title.Value, MaxInquiryTitle, false)
			switch {
			case reason != "":
				v.Add("title", reason)
			case t == "":
				v.Add("title", "is required")
			}
			*in.Title.Value = t
		}
	}
	if in.Contact.Has() {
		in.Contact.Value.validate(&v)
	}
	if in.CustomerID.Has() && *in.CustomerID.Value <= 0 {
		v.Add("customer_id", "must be the id of a contact")
	}
	if in.Address.Has() {
		in.Address.Value.validate(&v)
	}
	if in.Status.Has() {
		validateRef(&v, "status", &in.Status.Value.ID, &in.Status.Value.Name)
		if k := in.Status.Value.Kind; k != "" && !validKind(k) {
			v.Add("status.kind", "must be open, won or lost")
		}
		if in.Status.Value.ID != 0 && in.Status.Value.Kind != "" {
			v.Add("status.kind", "is only taken with a status named by name (change an existing status's kind at /api/v1/inquiry-statuses)")
		}
	}
	if in.Source.Has() {
		validateRef(&v, "source", &in.Source.Value.ID, &in.Source.Value.Name)
	}
	if in.ExpectedValue.Has() {
		m := in.ExpectedValue.Value
		m.Amount = checkAmount(&v, "expected_value.amount", m.Amount, true)
		m.Currency = checkCurrency(&v, "expected_value.currency", m.Currency)
	}
	if in.Probability.Has() && (*in.Probability.Value < 0 || *in.Probability.Value > 100) {
		v.Add("probability", "must be 0 to 100 (percent)")
	}
	if in.Urgency.Has() {
		u := strings.ToLower(strings.TrimSpace(*in.Urgency.Value))
		if u == "" {
			u = UrgencyNormal
		}
		if !slices.Contains(Urgencies, u) {
			v.Add("urgency", "must be low, normal, high or urgent")
		}
		*in.Urgency.Value = u
	}
	if in.Assignee.Has() {
		in.Assignee.Value.validate(&v)
	}
	for _, d := range []struct {
		name string
		f    *Field[string]
	}{{"follow_up_on", &in.FollowUpOn}, {"expected_close_on", &in.ExpectedCloseOn}, {"desired_start_on", &in.DesiredStartOn}} {
		if d.f.Has() {
			*d.f.Value = checkDate(&v, d.name, *d.f.Value)
		}
	}
	if in.Category.Has() {
		c, reason := cleanText(*in.Category.Value, MaxCategory, false)
		if reason != "" {
			v.Add("category", reason)
		}
		*in.Category.Value = c
	}
	if in.Budget.Has() {
		in.Budget.Value.validate(&v)
	}
	if in.Tags.Has() {
		*in.Tags.Value = checkTags(&v, *in.Tags.Value)
	}
	if in.Notes.Has() {
		n, reason := cleanText(*in.Notes.Value, MaxInquiryNotes, true)
		if reason != "" {
			v.Add("notes", reason)
		}
		*in.Notes.Value = n
	}
	if in.Version.Has() && *in.Version.Value <= 0 {
		v.Add("version", "must be the version the inquiry was read with")
	}
	return v.Err()
}

func (c *ContactInput) validate(v *ValidationError) {
	var reason string
	for _, f := range []struct {
		name string
		p    *string
	}{{"contact.name", &c.Name}, {"contact.first_name", &c.FirstName}, {"contact.family_name", &c.FamilyName}} {
		if *f.p, reason = cleanText(*f.p, maxNameLength, false); reason != "" {
			v.Add(f.name, reason)
		}
	}
	if c.Name != "" && c.FirstName == "" && c.FamilyName == "" {
		if i := strings.LastIndexByte(c.Name, ' '); i >= 0 {
			c.FirstName, c.FamilyName = strings.TrimSpace(c.Name[:i]), strings.TrimSpace(c.Name[i+1:])
		} else {
			c.FamilyName = c.Name
		}
	}
	c.Email = strings.TrimSpace(c.Email)
	if c.Email != "" && !ValidMail(c.Email) {
		v.Add("contact.email", "is not a valid e-mail address")
	}
	c.Phone = strings.TrimSpace(c.Phone)
	if c.Phone != "" && !ValidPhone(c.Phone) {
		v.Add("contact.phone", "is not a phone number (digits with + - ( ) / . and spaces)")
	}
}

// Contact is the contact data to store.
func (c ContactInput) Contact() InquiryContact {
	return InquiryContact{FirstName: c.FirstName, FamilyName: c.FamilyName, Email: c.Email, Phone: c.Phone}
}

func (a *InquiryAddress) validate(v *ValidationError) {
	var reason string
	if a.Street, reason = cleanText(a.Street, maxNameLength, false); reason != "" {
		v.Add("address.street", reason)
	}
	if a.PostalCode, reason = cleanText(a.PostalCode, maxPostalCodeLen, false); reason != "" {
		v.Add("address.postal_code", reason)
	}
	if a.City, reason = cleanText(a.City, maxNameLength, false); reason != "" {
		v.Add("address.city", reason)
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if a.Country != "" && !ValidCountry(a.Country) {
		v.Add("address.country", "must be an ISO 3166-1 alpha-2 country code such as DE")
	}
}

func (s *StaffRef) validate(v *ValidationError) {
	s.Email = strings.TrimSpace(s.Email)
	var reason string
	if s.Name, reason = cleanText(s.Name, maxNameLength, false); reason != "" {
		v.Add("assignee.name", reason)
	}
	switch {
	case s.ID < 0:
		v.Add("assignee.id", "must be the id of a staff member")
	case s.ID > 0 && (s.Email != "" || s.Name != ""):
		v.Add("assignee", "name the staff member by id or by e-mail, not both")
	case s.ID == 0 && s.Email == "":
		v.Add("assignee.email", "is required: the staff member's e-mail (or their id)")
	case s.ID == 0 && !ValidMail(s.Email):
		v.Add("assignee.email", "is not a valid e-mail address")
	}
}

func (b *BudgetInput) validate(v *ValidationError) {
	b.Min = checkAmount(v, "budget.min", b.Min, false)
	b.Max = checkAmount(v, "budget.max", b.Max, false)
	b.Currency = checkCurrency(v, "budget.currency", b.Currency)
	if b.Min == "" && b.Max == "" {
		v.Add("budget", "needs min, max or both")
	}
	lo, okLo := ParseCents(b.Min)
	hi, okHi := ParseCents(b.Max)
	if okLo && okHi && lo > hi {
		v.Add("budget.max", "must not be below budget.min")
	}
}

// validateRef checks a reference by id or name (status, source).
func validateRef(v *ValidationError, field string, id *int64, name *string) {
	n, reason := cleanText(*name, maxRefName, false)
	*name = n
	switch {
	case reason != "":
		v.Add(field+".name", reason)
	case *id < 0:
		v.Addf(field+".id", "must be the id of a %s", field)
	case *id > 0 && n != "":
		v.Add(field, "name it by id or by name, not both")
	case *id == 0 && n == "":
		v.Addf(field, "must name a %s (null for the default)", field)
	}
}

// checkAmount validates a decimal amount and returns its canonical text ("" stays ""
// unless required).
func checkAmount(v *ValidationError, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return ""
	}
	cents, ok := ParseCents(s)
	if !ok {
		v.Add(field, "must be an amount of at most 1,000,000,000,000 with up to two decimals, such as 12000.50")
		return s
	}
	return FormatCents(cents)
}

func checkCurrency(v *ValidationError, field, s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return DefaultCurrency
	}
	if len(s) != 3 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		v.Add(field, "must be a three-letter ISO 4217 currency code such as EUR")
	}
	return s
}

func checkDate(v *ValidationError, field, s string) string {
	s = strings.TrimSpace(s)
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Year() < 1900 {
		v.Add(field, "must be a date YYYY-MM-DD (from 1900)")
		return s
	}
	return t.Format(dateLayout)
}

func checkTags(v *ValidationError, tags []TagRef) []TagRef {
	if len(tags) > MaxInquiryTags {
		v.Addf("tags", "at most %d tags", MaxInquiryTags)
		return tags
	}
	out := make([]TagRef, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		field := fmt.Sprintf("tags[%d]", i)
		name, reason := cleanText(t.Name, 255, false)
		var key string
		switch {
		case reason != "":
			v.Add(field, reason)
			continue
		case t.ID < 0 || (t.ID == 0 && name == ""):
			v.Add(field, "must be a term id or a term name")
			continue
		case t.ID > 0 && name != "":
			v.Add(field, "name the term by id or by name, not both")
			continue
		case t.ID > 0:
			key = "#" + strconv.FormatInt(t.ID, 10)
		default:
			key = TermKey(name)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, TagRef{ID: t.ID, Name: name})
		}
	}
	return out
}

// ParseCents reads a decimal amount ("12000", "12000.5", "12000.50") of at most a
// trillion into cents; ok is false for anything else (signs, exponents, more than two
// decimals, separators).
func ParseCents(s string) (int64, bool) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 13 || len(frac) > 2 || (hasDot && frac == "") {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	cents := w*100 + f
	if cents > maxAmountCents {
		return 0, false
	}
	return cents, true
}

// FormatCents is an amount in cents as decimal text with two decimals.
func FormatCents(c int64) string {
	return strconv.FormatInt(c/100, 10) + "." + fmt.Sprintf("%02d", c%100)
}

// Apply sets the plain fields of a validated input on q: what in gives (cleared
// fields become empty), and for InquiryCreate and InquiryReplace what it does not
// give too. References (customer, status, source, assignee, tags) are the store's to
// resolve.
func (q *Inquiry) Apply(in *InquiryInput, mode InquiryMode) {
	all := mode != InquiryPatch
	if in.Title.Has() {
		q.Title = *in.Title.Value
	}
	if in.Contact.Set || all {
		q.Contact = InquiryContact{}
		if in.Contact.Has() {
			q.Contact = in.Contact.Value.Contact()
		}
	}
	if in.Address.Set || all {
		q.Address = InquiryAddress{}
		if in.Address.Has() {
			q.Address = *in.Address.Value
		}
	}
	if in.ExpectedValue.Set || all {
		q.ExpectedValue = nil
		if in.ExpectedValue.Has() {
			cents, _ := ParseCents(in.ExpectedValue.Value.Amount)
			q.ExpectedValue = &Money{Cents: cents, Currency: in.ExpectedValue.Value.Currency}
		}
	}
	if in.Probability.Set || all {
		q.Probability = nil
		if in.Probability.Has() {
			p := *in.Probability.Value
			q.Probability = &p
		}
	}
	if in.Urgency.Set || all {
		q.Urgency = UrgencyNormal
		if in.Urgency.Has() {
			q.Urgency = *in.Urgency.Value
		}
	}
	for _, d := range []struct {
		f   Field[string]
		dst *string
	}{{in.FollowUpOn, &q.FollowUpOn}, {in.ExpectedCloseOn, &q.ExpectedCloseOn}, {in.DesiredStartOn, &q.DesiredStartOn}} {
		if d.f.Set || all {
			*d.dst = ""
			if d.f.Has() {
				*d.dst = *d.f.Value
			}
		}
	}
	if in.Category.Set || all {
		q.Category = ""
		if in.Category.Has() {
			q.Category = *in.Category.Value
		}
	}
	if in.Budget.Set || all {
		q.Budget = nil
		if b := in.Budget.Value; in.Budget.Has() {
			q.Budget = &Budget{Currency: b.Currency}
			if c, ok := ParseCents(b.Min); ok {
				q.Budget.MinCents = &c
			}
			if c, ok := ParseCents(b.Max); ok {
				q.Budget.MaxCents = &c
			}
		}
	}
	if in.Notes.Set || all {
		q.Notes = ""
		if in.Notes.Has() {
			q.Notes = *in.Notes.Value
		}
	}
}
