package models

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Mail status codes. Quentn's UI knows nine states but publishes no numbers, so
// contacthub fixes these (documented in the README) and accepts only them.
const (
	MailStatusUnknown          = 0
	MailStatusDoubleOptIn      = 1
	MailStatusSingleOptIn      = 2
	MailStatusConfirmedManual  = 3
	MailStatusConfirmedImport  = 4
	MailStatusUnsubscribed     = 5
	MailStatusSpam             = 6
	MailStatusBlocked          = 7
	MailStatusTemporaryBlocked = 8
)

// MailStatusNames names every valid mail_status code.
var MailStatusNames = map[int]string{
	MailStatusUnknown:          "unknown",
	MailStatusDoubleOptIn:      "confirmed by double opt-in",
	MailStatusSingleOptIn:      "single opt-in",
	MailStatusConfirmedManual:  "confirmed manually",
	MailStatusConfirmedImport:  "confirmed by import",
	MailStatusUnsubscribed:     "unsubscribed",
	MailStatusSpam:             "spam",
	MailStatusBlocked:          "blocked",
	MailStatusTemporaryBlocked: "temporarily blocked",
}

// IsRestrictiveMailStatus reports whether a status withdraws consent: unsubscribed, spam
// or blocked. A merge never replaces such a status with a permissive one, because
// losing an unsubscribe through a duplicate merge is a legal problem, not a data one.
func IsRestrictiveMailStatus(s int) bool {
	return s == MailStatusUnsubscribed || s == MailStatusSpam || s == MailStatusBlocked
}

// Contact is a person or company in one tenant's address book. Field names follow the
// Quentn contact API; every text field is stored trimmed, "" meaning empty.
type Contact struct {
	ID           int64  `gorm:"primaryKey"`
	TenantID     int64  `gorm:"not null"`
	Title        string `gorm:"not null;default:''"`
	Title2       string `gorm:"not null;default:''"`
	FirstName    string `gorm:"not null;default:''"`
	FamilyName   string `gorm:"not null;default:''"`
	Company      string `gorm:"not null;default:''"`
	JobTitle     string `gorm:"not null;default:''"`
	Mail         string `gorm:"not null;default:''"`
	MailStatus   int    `gorm:"not null;default:0"`
	Mail2        string `gorm:"not null;default:''"`
	PhoneType    string `gorm:"not null;default:''"`
	Phone        string `gorm:"not null;default:''"`
	Phone2Type   string `gorm:"column:phone2_type;not null;default:''"`
	Phone2       string `gorm:"column:phone2;not null;default:''"`
	Fax          string `gorm:"not null;default:''"`
	Skype        string `gorm:"not null;default:''"`
	FB           string `gorm:"column:fb;not null;default:''"`
	Twitter      string `gorm:"not null;default:''"`
	BaStreet     string `gorm:"not null;default:''"`
	BaStreet2    string `gorm:"column:ba_street2;not null;default:''"`
	BaCity       string `gorm:"not null;default:''"`
	BaPostalCode string `gorm:"not null;default:''"`
	BaState      string `gorm:"not null;default:''"`
	BaCountry    string `gorm:"not null;default:''"`
	DateOfBirth  string `gorm:"not null;default:''"`
	UID          int64  `gorm:"column:uid;not null;default:0"`
	// The seed 000 person's text fields (see textFields).
	ExternalID               string `gorm:"not null;default:''"`
	ContactType              string `gorm:"not null;default:''"`
	EntityType               string `gorm:"not null;default:''"`
	PreferredLanguage        string `gorm:"not null;default:''"`
	QualificationStatus      string `gorm:"not null;default:''"`
	InteractionStatus        string `gorm:"not null;default:''"`
	Source                   string `gorm:"not null;default:''"`
	AdvertisementConsentDate string `gorm:"not null;default:''"`
	LastInteractionDate      string `gorm:"not null;default:''"`
	ExternalCreatedAt        string `gorm:"not null;default:''"`
	ExternalUpdatedAt        string `gorm:"not null;default:''"`
	// Profile holds flags, addresses and the dossier (profile.go).
	Profile Profile `gorm:"column:profile;serializer:json;not null"`
	// Custom holds custom field values by field name (without the "field_" prefix).
	Custom CustomValues `gorm:"column:custom_fields;serializer:json;not null"`
	// MailKey is the normalised mail used for lookups by address (see NormalizeMail).
	MailKey string `gorm:"not null;default:''"`
	// Version increases with every change; merges record it so an undo can tell whether
	// the contact changed since.
	Version   int64     `gorm:"not null;default:1"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`

	// Terms are the ids of the contact's terms, ascending. Stored in contact_terms.
	Terms []int64 `gorm:"-"`
}

// CustomValues maps a custom field's name to its value: string, []string, int64, float64
// or a CheckboxConfirmation, as the field's type says.
type CustomValues map[string]any

// UnmarshalJSON decodes stored values keeping numbers exact. Plain encoding/json turns
// every number into a float64, which alters integers beyond 2^53; here an integer
// literal that fits becomes an int64 and any other number a float64. It returns the
// decoder's error for anything but a JSON object or null.
func (v *CustomValues) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	for k, x := range m {
		m[k] = exactNumbers(x)
	}
	*v = m
	return nil
}

// exactNumbers replaces the json.Numbers in a decoded value (also inside arrays and
// objects, such as a checkbox confirmation's created) by int64 or float64, so callers
// see the same types Coerce produces.
func exactNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64() // the decoder only makes json.Numbers of valid numbers
		return f
	case []any:
		for i := range x {
			x[i] = exactNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = exactNumbers(x[k])
		}
	}
	return v
}

// NormalizeMail is the lookup form of an address: trimmed and lower-cased. Quentn
// clients look contacts up by mail and expect case not to matter.
func NormalizeMail(mail string) string {
	return strings.ToLower(strings.TrimSpace(mail))
}

// Clone returns a deep copy, so a before-image cannot be changed through the original.
func (c *Contact) Clone() *Contact {
	out := *c
	out.Terms = slices.Clone(c.Terms)
	out.Profile = c.Profile.Clone()
	if c.Custom != nil {
		out.Custom = make(CustomValues, len(c.Custom))
		for k, v := range c.Custom {
			if l, ok := v.([]string); ok {
				v = slices.Clone(l)
			}
			out.Custom[k] = v
		}
	}
	return &out
}

// Text returns a standard text field's value by its API name and whether the name is one.
func (c *Contact) Text(name string) (string, bool) {
	f, ok := textFieldByName[name]
	if !ok {
		return "", false
	}
	return *f.ptr(c), true
}

// TextPtr points at a standard text field by its API name, for scanning it from a
// database row; nil for other names. Unlike SetText it leaves MailKey alone.
func (c *Contact) TextPtr(name string) *string {
	f, ok := textFieldByName[name]
	if !ok {
		return nil
	}
	return f.ptr(c)
}

// SetText sets a standard text field by its API name; it reports false for other names.
func (c *Contact) SetText(name, value string) bool {
	f, ok := textFieldByName[name]
	if !ok {
		return false
	}
	*f.ptr(c) = value
	if name == "mail" {
		c.MailKey = NormalizeMail(value)
	}
	return true
}

// Field returns the value of any readable field by API name, as it is shown to clients.
// ok is false for unknown names.
func (c *Contact) Field(name string) (v any, ok bool) {
	if s, ok := c.Text(name); ok {
		return s, true
	}
	switch name {
	case "id":
		return c.ID, true
	case "mail_status":
		return c.MailStatus, true
	case "uid":
		return c.UID, true
	case "owner":
		return map[string]any{"uid": c.UID}, true
	case "created":
		return c.CreatedAt.Unix(), true
	case "changed":
		return c.UpdatedAt.Unix(), true
	case "terms":
		if c.Terms == nil {
			return []int64{}, true
		}
		return c.Terms, true
	case "addresses":
		if c.Profile.Addresses == nil {
			return []Address{}, true
		}
		return c.Profile.Addresses, true
	case "dossier":
		if c.Profile.Dossier == nil {
			return map[string]any{}, true
		}
		return c.Profile.Dossier, true
	}
	if IsFlag(name) {
		return c.Profile.Flag(name), true
	}
	if n, ok := strings.CutPrefix(name, CustomFieldPrefix); ok {
		return c.Custom[n], true
	}
	return nil, false
}

// textField describes one standard text field: its API name, maximum length (the CHAR
// size in the Quentn field table) and where it lives in Contact.
type textField struct {
	name string
	max  int
	ptr  func(*Contact) *string
}

// TextFields lists the standard text fields in the order of the Quentn field table.
var textFields = []textField{
	{"title", 1, func(c *Contact) *string { return &c.Title }},
	{"title2", 4, func(c *Contact) *string { return &c.Title2 }},
	{"first_name", 255, func(c *Contact) *string { return &c.FirstName }},
	{"family_name", 255, func(c *Contact) *string { return &c.FamilyName }},
	{"company", 255, func(c *Contact) *string { return &c.Company }},
	{"job_title", 255, func(c *Contact) *string { return &c.JobTitle }},
	{"mail", 255, func(c *Contact) *string { return &c.Mail }},
	{"mail2", 255, func(c *Contact) *string { return &c.Mail2 }},
	{"phone_type", 6, func(c *Contact) *string { return &c.PhoneType }},
	{"phone", 255, func(c *Contact) *string { return &c.Phone }},
	{"phone2_type", 6, func(c *Contact) *string { return &c.Phone2Type }},
	{"phone2", 255, func(c *Contact) *string { return &c.Phone2 }},
	{"fax", 255, func(c *Contact) *string { return &c.Fax }},
	{"skype", 255, func(c *Contact) *string { return &c.Skype }},
	{"fb", 255, func(c *Contact) *string { return &c.FB }},
	{"twitter", 255, func(c *Contact) *string { return &c.Twitter }},
	{"ba_street", 255, func(c *Contact) *string { return &c.BaStreet }},
	{"ba_street2", 255, func(c *Contact) *string { return &c.BaStreet2 }},
	{"ba_city", 255, func(c *Contact) *string { return &c.BaCity }},
	{"ba_postal_code", 20, func(c *Contact) *string { return &c.BaPostalCode }},
	{"ba_state", 20, func(c *Contact) *string { return &c.BaState }},
	{"ba_country", 64, func(c *Contact) *string { return &c.BaCountry }}, // a name is read as its alpha-2 code
	{"date_of_birth", 32, func(c *Contact) *string { return &c.DateOfBirth }},
	// Seed 000's person (imports): the sender's id and its CRM's classifications and
	// dates, as text (dates normalised as date_of_birth's).
	{"external_id", 255, func(c *Contact) *string { return &c.ExternalID }},
	{"contact_type", 64, func(c *Contact) *string { return &c.ContactType }},
	{"entity_type", 64, func(c *Contact) *string { return &c.EntityType }},
	{"preferred_language", 35, func(c *Contact) *string { return &c.PreferredLanguage }},
	{"qualification_status", 64, func(c *Contact) *string { return &c.QualificationStatus }},
	{"interaction_status", 64, func(c *Contact) *string { return &c.InteractionStatus }},
	{"source", 255, func(c *Contact) *string { return &c.Source }},
	{"advertisement_consent_date", 32, func(c *Contact) *string { return &c.AdvertisementConsentDate }},
	{"last_interaction_date", 32, func(c *Contact) *string { return &c.LastInteractionDate }},
	{"external_created_at", 32, func(c *Contact) *string { return &c.ExternalCreatedAt }},
	{"external_updated_at", 32, func(c *Contact) *string { return &c.ExternalUpdatedAt }},
}

var textFieldByName = func() map[string]textField {
	m := make(map[string]textField, len(textFields))
	for _, f := range textFields {
		m[f.name] = f
	}
	return m
}()

// TextFieldNames returns the API names of the standard text fields in table order.
func TextFieldNames() []string {
	out := make([]string, len(textFields))
	for i, f := range textFields {
		out[i] = f.name
	}
	return out
}

// ReadableFields are the names a client may ask for in `fields` and `return_fields`
// besides the text fields and field_<name> custom fields.
var ReadableFields = append([]string{"id", "mail_status", "terms", "created", "changed", "uid", "owner", "addresses", "dossier"}, FlagNames...)

// DefaultReadFields are returned by GET contact/{id} when `fields` is not given.
var DefaultReadFields = []string{"id", "first_name", "family_name", "mail"}

// MaxMailMatches is the most contacts a lookup by mail answers; the store finds one
// more, so the answer can say that there are more (the listing's mail filter pages
// through all of them).
const MaxMailMatches = 500

// IsReadableField reports whether name may be requested in `fields`/`return_fields`.
func IsReadableField(name string) bool {
	if _, ok := textFieldByName[name]; ok {
		return true
	}
	if slices.Contains(ReadableFields, name) {
		return true
	}
	n, ok := strings.CutPrefix(name, CustomFieldPrefix)
	return ok && n != ""
}

// HasIdentity reports whether the contact can be stored under the Quentn rule: a mail,
// or a full postal address with both names.
func (c *Contact) HasIdentity() bool {
	if c.Mail != "" {
		return true
	}
	return c.FirstName != "" && c.FamilyName != "" && c.BaStreet != "" && c.BaCity != "" && c.BaPostalCode != ""
}
