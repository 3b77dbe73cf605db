package contactwire

import (
	"encoding/json"
	"time"

	"github.com/contacthub/contacthub/models"
)

// The wire form of an inquiry (version 1): what GET /api/v1/inquiries/{id} answers and
// what inquiry.* events and their webhooks carry. It lives beside the contact's so
// the store can encode event data in the inquiry's transaction, as it does for
// contacts. Times are RFC 3339 in UTC; amounts are JSON numbers with two decimals;
// dates are YYYY-MM-DD or null.

// Inquiry is an inquiry as the native API shows it.
type Inquiry struct {
	V               int                  `json:"v"`
	ID              int64                `json:"id"`
	Title           string               `json:"title"`
	Contact         InquiryContact       `json:"contact"`
	Customer        *Customer            `json:"customer"`
	Address         Address              `json:"address"`
	Status          InquiryStatus        `json:"status"`
	Source          InquirySource        `json:"source"`
	ExpectedValue   *Money               `json:"expected_value"`
	Probability     *int                 `json:"probability"`
	Urgency         string               `json:"urgency"`
	Assignee        *Staff               `json:"assignee"`
	FollowUpOn      *string              `json:"follow_up_on"`
	ExpectedCloseOn *string              `json:"expected_close_on"`
	DesiredStartOn  *string              `json:"desired_start_on"`
	Category        string               `json:"category"`
	Budget          *Budget              `json:"budget"`
	Tags            []Tag                `json:"tags"`
	Notes           string               `json:"notes"`
	LeadScore       int                  `json:"lead_score"`
	LeadBand        string               `json:"lead_band"`
	LeadFactors     []models.ScoreFactor `json:"lead_factors"`
	Version         int64                `json:"version"`
	CreatedAt       time.Time            `json:"created_at"`
	UpdatedAt       time.Time            `json:"updated_at"`
	// LastActivityAt is the last change a client made (a re-score is none); the
	// staleness factor counts from it.
	LastActivityAt time.Time `json:"last_activity_at"`
}

// InquiryContact is an inquiry's contact data; name is first and family name joined.
type InquiryContact struct {
	Name       string `json:"name"`
	FirstName  string `json:"first_name"`
	FamilyName string `json:"family_name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
}

// Customer is the contact an inquiry belongs to: matched (an existing contact, found
// by the duplicate engine or named by id) or created for it, with the engine's
// explanation.
type Customer struct {
	ID          int64               `json:"id"`
	Matched     bool                `json:"matched"`
	Explanation *models.Explanation `json:"explanation"`
}

// Address is where the work is.
type Address struct {
	Street     string `json:"street"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
	Country    string `json:"country"`
}

// Money is an amount and its currency.
type Money struct {
	Amount   json.Number `json:"amount"`
	Currency string      `json:"currency"`
}

// Budget is a range; a missing bound is null.
type Budget struct {
	Min      *json.Number `json:"min"`
	Max      *json.Number `json:"max"`
	Currency string       `json:"currency"`
}

// Tag is a term on an inquiry.
type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// InquiryStatus is a status. Inside an inquiry it has no "v" and no position.
type InquiryStatus struct {
	V        int    `json:"v,omitempty"`
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Position *int   `json:"position,omitempty"`
}

// InquirySource is a source. Inside an inquiry it has no "v" and no position.
type InquirySource struct {
	V        int    `json:"v,omitempty"`
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Position *int   `json:"position,omitempty"`
}

// Staff is a staff member. Inside an inquiry it has no "v".
type Staff struct {
	V     int    `json:"v,omitempty"`
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// InquiryFromModel is q in the wire form.
func InquiryFromModel(q *models.Inquiry) Inquiry {
	out := Inquiry{
		V: Version, ID: q.ID, Title: q.Title,
		Contact: InquiryContact{Name: q.Contact.Name(), FirstName: q.Contact.FirstName, FamilyName: q.Contact.FamilyName,
			Email: q.Contact.Email, Phone: q.Contact.Phone},
		Address:     Address{Street: q.Address.Street, PostalCode: q.Address.PostalCode, City: q.Address.City, Country: q.Address.Country},
		Probability: q.Probability, Urgency: q.Urgency,
		FollowUpOn: date(q.FollowUpOn), ExpectedCloseOn: date(q.ExpectedCloseOn), DesiredStartOn: date(q.DesiredStartOn),
		Category: q.Category, Notes: q.Notes, Tags: make([]Tag, len(q.Tags)),
		LeadScore: q.Score.Score, LeadBand: q.Score.Band, LeadFactors: q.Score.Factors,
		Version: q.Version, CreatedAt: q.CreatedAt.UTC(), UpdatedAt: q.UpdatedAt.UTC(), LastActivityAt: q.TouchedAt.UTC(),
	}
	if out.LeadFactors == nil {
		out.LeadFactors = []models.ScoreFactor{}
	}
	if c := q.Customer; c != nil {
		out.Customer = &Customer{ID: c.ID, Matched: c.Matched, Explanation: c.Explanation}
	}
	if st := q.Status; st != nil {
		out.Status = InquiryStatus{ID: st.ID, Name: st.Name, Kind: st.Kind}
	}
	if so := q.Source; so != nil {
		out.Source = InquirySource{ID: so.ID, Name: so.Name}
	}
	if m := q.ExpectedValue; m != nil {
		out.ExpectedValue = &Money{Amount: json.Number(models.FormatCents(m.Cents)), Currency: m.Currency}
	}
	if a := q.Assignee; a != nil {
		out.Assignee = &Staff{ID: a.ID, Email: a.Email, Name: a.Name}
	}
	if b := q.Budget; b != nil {
		out.Budget = &Budget{Min: amount(b.MinCents), Max: amount(b.MaxCents), Currency: b.Currency}
	}
	for i, t := range q.Tags {
		out.Tags[i] = Tag{ID: t.ID, Name: t.Name}
	}
	return out
}

// InquiryStatusFromModel is st in the wire form of the statuses endpoints and events.
func InquiryStatusFromModel(st *models.InquiryStatus) InquiryStatus {
	pos := st.Position
	return InquiryStatus{V: Version, ID: st.ID, Name: st.Name, Kind: st.Kind, Position: &pos}
}

// InquirySourceFromModel is so in the wire form of the sources endpoints and events.
func InquirySourceFromModel(so *models.InquirySource) InquirySource {
	pos := so.Position
	return InquirySource{V: Version, ID: so.ID, Name: so.Name, Position: &pos}
}

// StaffFromModel is s in the wire form of the staff endpoints and events.
func StaffFromModel(s *models.Staff) Staff {
	return Staff{V: Version, ID: s.ID, Email: s.Email, Name: s.Name}
}

func date(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func amount(cents *int64) *json.Number {
	if cents == nil {
		return nil
	}
	n := json.Number(models.FormatCents(*cents))
	return &n
}
