// Package contactwire is the one wire form of a contact: what the native API's reads
// show, and what change events and webhook payloads carry. It is versioned ("v") so a
// consumer that stored an event can tell which form it holds.
//
// It imports only models, so the store can encode event payloads with it in the
// transaction that writes the change. Encoding is hand-written (no reflection, no map
// building): a bulk write encodes one payload per contact.
//
// The Quentn API does not use the wire form: Quentn reads show the requested fields
// only, as Quentn does. AppendFields (fields.go) writes that answer with the same
// encoder.
package contactwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contacthub/contacthub/models"
)

// Version is the version of the wire form this package writes, sent as "v". A change
// that removes or re-types a field needs a new version; adding a field does not.
const Version = 1

// Contact is a contact as the native API shows it: every standard field (Quentn's
// names), mail_status, uid, terms (ids, ascending; [] when none), custom fields as
// field_<name>, created and changed (unix seconds) and version (increases with every
// change). The JSON tags name the keys; MarshalJSON writes them, in alphabetical order.
type Contact struct {
	V            int     `json:"v"`
	ID           int64   `json:"id"`
	Title        string  `json:"title"`
	Title2       string  `json:"title2"`
	FirstName    string  `json:"first_name"`
	FamilyName   string  `json:"family_name"`
	Company      string  `json:"company"`
	JobTitle     string  `json:"job_title"`
	Mail         string  `json:"mail"`
	MailStatus   int     `json:"mail_status"`
	Mail2        string  `json:"mail2"`
	PhoneType    string  `json:"phone_type"`
	Phone        string  `json:"phone"`
	Phone2Type   string  `json:"phone2_type"`
	Phone2       string  `json:"phone2"`
	Fax          string  `json:"fax"`
	Skype        string  `json:"skype"`
	FB           string  `json:"fb"`
	Twitter      string  `json:"twitter"`
	BaStreet     string  `json:"ba_street"`
	BaStreet2    string  `json:"ba_street2"`
	BaCity       string  `json:"ba_city"`
	BaPostalCode string  `json:"ba_postal_code"`
	BaState      string  `json:"ba_state"`
	BaCountry    string  `json:"ba_country"`
	DateOfBirth  string  `json:"date_of_birth"`
	UID          int64   `json:"uid"`
	Terms        []int64 `json:"terms"`
	// Seed 000's person (imports): its text fields, its flags (null: never set),
	// every address and the dossier.
	ExternalID               string                     `json:"external_id"`
	ContactType              string                     `json:"contact_type"`
	EntityType               string                     `json:"entity_type"`
	PreferredLanguage        string                     `json:"preferred_language"`
	QualificationStatus      string                     `json:"qualification_status"`
	InteractionStatus        string                     `json:"interaction_status"`
	Source                   string                     `json:"source"`
	AdvertisementConsentDate string                     `json:"advertisement_consent_date"`
	LastInteractionDate      string                     `json:"last_interaction_date"`
	ExternalCreatedAt        string                     `json:"external_created_at"`
	ExternalUpdatedAt        string                     `json:"external_updated_at"`
	EmailBounce              *bool                      `json:"email_bounce"`
	EmailVerified            *bool                      `json:"email_verified"`
	AdvertisementConsent     *bool                      `json:"advertisement_consent"`
	AdvertisementBan         *bool                      `json:"advertisement_ban"`
	IsControlGroup           *bool                      `json:"is_control_group"`
	IsDuplicate              *bool                      `json:"is_duplicate"`
	IsDeleted                *bool                      `json:"is_deleted"`
	IsVerified               *bool                      `json:"is_verified"`
	IsBlocked                *bool                      `json:"is_blocked"`
	Addresses                []models.Address           `json:"addresses"`
	Dossier                  map[string]json.RawMessage `json:"dossier"`
	// Custom holds custom field values by name (without "field_"): string, []string,
	// int64, float64 or a checkbox confirmation, as the field's type says.
	Custom  map[string]any `json:"-"`
	Created int64          `json:"created"`
	Changed int64          `json:"changed"`
	Version int64          `json:"version"`
}

// FromModel is c in the wire form. It shares c's terms and custom values rather than
// copying them: encode the result before c changes.
func FromModel(c *models.Contact) Contact {
	p := c.Profile
	return Contact{
		V: Version, ID: c.ID,
		Title: c.Title, Title2: c.Title2, FirstName: c.FirstName, FamilyName: c.FamilyName,
		Company: c.Company, JobTitle: c.JobTitle, Mail: c.Mail, MailStatus: c.MailStatus, Mail2: c.Mail2,
		PhoneType: c.PhoneType, Phone: c.Phone, Phone2Type: c.Phone2Type, Phone2: c.Phone2, Fax: c.Fax,
		Skype: c.Skype, FB: c.FB, Twitter: c.Twitter, BaStreet: c.BaStreet, BaStreet2: c.BaStreet2,
		BaCity: c.BaCity, BaPostalCode: c.BaPostalCode, BaState: c.BaState, BaCountry: c.BaCountry,
		DateOfBirth: c.DateOfBirth, UID: c.UID, Terms: c.Terms, Custom: c.Custom,
		Created: c.CreatedAt.Unix(), Changed: c.UpdatedAt.Unix(), Version: c.Version,
		ExternalID: c.ExternalID, ContactType: c.ContactType, EntityType: c.EntityType, PreferredLanguage: c.PreferredLanguage,
		QualificationStatus: c.QualificationStatus, InteractionStatus: c.InteractionStatus, Source: c.Source,
		AdvertisementConsentDate: c.AdvertisementConsentDate, LastInteractionDate: c.LastInteractionDate,
		ExternalCreatedAt: c.ExternalCreatedAt, ExternalUpdatedAt: c.ExternalUpdatedAt,
		EmailBounce: p.Flag("email_bounce"), EmailVerified: p.Flag("email_verified"),
		AdvertisementConsent: p.Flag("advertisement_consent"), AdvertisementBan: p.Flag("advertisement_ban"),
		IsControlGroup: p.Flag("is_control_group"), IsDuplicate: p.Flag("is_duplicate"), IsDeleted: p.Flag("is_deleted"),
		IsVerified: p.Flag("is_verified"), IsBlocked: p.Flag("is_blocked"),
		Addresses: p.Addresses, Dossier: p.Dossier,
	}
}

// MarshalJSON encodes the contact; see AppendJSON.
func (c Contact) MarshalJSON() ([]byte, error) {
	return c.AppendJSON(make([]byte, 0, 640+48*len(c.Custom)))
}

// AppendJSON appends the contact's JSON object to dst: the keys in alphabetical order,
// strings escaped as encoding/json escapes them (without HTML escaping, which an
// encoder applies itself), numbers as it writes them. It fails only for a custom value
// encoding/json cannot encode either (a NaN float).
func (c Contact) AppendJSON(dst []byte) ([]byte, error) {
	b := append(dst, `{"addresses":`...)
	var err error
	if b, err = appendAddresses(b, c.Addresses); err != nil {
		return dst, err
	}
	b = appendKeyFlag(b, "advertisement_ban", c.AdvertisementBan)
	b = appendKeyFlag(b, "advertisement_consent", c.AdvertisementConsent)
	b = appendKeyString(b, "advertisement_consent_date", c.AdvertisementConsentDate)
	b = appendKeyString(b, "ba_city", c.BaCity)
	b = appendKeyString(b, "ba_country", c.BaCountry)
	b = appendKeyString(b, "ba_postal_code", c.BaPostalCode)
	b = appendKeyString(b, "ba_state", c.BaState)
	b = appendKeyString(b, "ba_street", c.BaStreet)
	b = appendKeyString(b, "ba_street2", c.BaStreet2)
	b = appendKeyInt(b, "changed", c.Changed)
	b = appendKeyString(b, "company", c.Company)
	b = appendKeyString(b, "contact_type", c.ContactType)
	b = appendKeyInt(b, "created", c.Created)
	b = appendKeyString(b, "date_of_birth", c.DateOfBirth)
	b = append(b, `,"dossier":`...)
	if b, err = appendDossier(b, c.Dossier); err != nil {
		return dst, err
	}
	b = appendKeyFlag(b, "email_bounce", c.EmailBounce)
	b = appendKeyFlag(b, "email_verified", c.EmailVerified)
	b = appendKeyString(b, "entity_type", c.EntityType)
	b = appendKeyString(b, "external_created_at", c.ExternalCreatedAt)
	b = appendKeyString(b, "external_id", c.ExternalID)
	b = appendKeyString(b, "external_updated_at", c.ExternalUpdatedAt)
	b = appendKeyString(b, "family_name", c.FamilyName)
	b = appendKeyString(b, "fax", c.Fax)
	b = appendKeyString(b, "fb", c.FB)
	// Every "field_…" key sorts between "fb" and "first_name".
	if len(c.Custom) > 0 {
		if b, err = appendCustom(b, c.Custom); err != nil {
			return dst, err
		}
	}
	b = appendKeyString(b, "first_name", c.FirstName)
	b = appendKeyInt(b, "id", c.ID)
	b = appendKeyString(b, "interaction_status", c.InteractionStatus)
	b = appendKeyFlag(b, "is_blocked", c.IsBlocked)
	b = appendKeyFlag(b, "is_control_group", c.IsControlGroup)
	b = appendKeyFlag(b, "is_deleted", c.IsDeleted)
	b = appendKeyFlag(b, "is_duplicate", c.IsDuplicate)
	b = appendKeyFlag(b, "is_verified", c.IsVerified)
	b = appendKeyString(b, "job_title", c.JobTitle)
	b = appendKeyString(b, "last_interaction_date", c.LastInteractionDate)
	b = appendKeyString(b, "mail", c.Mail)
	b = appendKeyString(b, "mail2", c.Mail2)
	b = appendKeyInt(b, "mail_status", int64(c.MailStatus))
	b = appendKeyString(b, "phone", c.Phone)
	b = appendKeyString(b, "phone2", c.Phone2)
	b = appendKeyString(b, "phone2_type", c.Phone2Type)
	b = appendKeyString(b, "phone_type", c.PhoneType)
	b = appendKeyString(b, "preferred_language", c.PreferredLanguage)
	b = appendKeyString(b, "qualification_status", c.QualificationStatus)
	b = appendKeyString(b, "skype", c.Skype)
	b = appendKeyString(b, "source", c.Source)
	b = append(b, `,"terms":[`...)
	for i, id := range c.Terms {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, ']')
	b = appendKeyString(b, "title", c.Title)
	b = appendKeyString(b, "title2", c.Title2)
	b = appendKeyString(b, "twitter", c.Twitter)
	b = appendKeyInt(b, "uid", c.UID)
	b = appendKeyInt(b, "v", int64(c.V))
	b = appendKeyInt(b, "version", c.Version)
	return append(b, '}'), nil
}

// appendKeyFlag appends a yes/no field: null when it was never set.
func appendKeyFlag(b []byte, key string, v *bool) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, *v)
}

// appendAddresses appends the addresses ([] when none), each with its keys in order.
func appendAddresses(b []byte, addrs []models.Address) ([]byte, error) {
	b = append(b, '[')
	for i, a := range addrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"city":`...)
		b = appendString(b, a.City)
		b = appendKeyString(b, "country", a.Country)
		b = appendKeyString(b, "external_id", a.ExternalID)
		b = appendKeyString(b, "postal_code", a.PostalCode)
		b = appendKeyString(b, "state", a.State)
		b = appendKeyString(b, "street", a.Street)
		b = appendKeyString(b, "street2", a.Street2)
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendDossier appends the dossier ({} when none) with its keys in order.
func appendDossier(b []byte, d map[string]json.RawMessage) ([]byte, error) {
	if len(d) == 0 {
		return append(b, "{}"...), nil
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var buf bytes.Buffer
		if err := json.Compact(&buf, d[k]); err != nil {
			return b, fmt.Errorf("contactwire: dossier %s: %w", k, err)
		}
		b = append(b, buf.Bytes()...)
	}
	return append(b, '}'), nil
}

func appendCustom(b []byte, custom map[string]any) ([]byte, error) {
	var small [16]string
	names := small[:0]
	for name := range custom {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b = append(b, `,"`...)
		b = appendStringBody(b, models.CustomFieldPrefix)
		b = appendStringBody(b, name)
		b = append(b, `":`...)
		var err error
		if b, err = appendValue(b, custom[name]); err != nil {
			return b, fmt.Errorf("contactwire: custom field %s: %w", name, err)
		}
	}
	return b, nil
}

// appendValue encodes a custom value: the types Coerce produces and those a stored
// value decodes to, directly; anything else through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, t), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case float64:
		return appendFloat(b, t)
	case bool:
		return strconv.AppendBool(b, t), nil
	case []string:
		b = append(b, '[')
		for i, s := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case models.CheckboxConfirmation:
		b = append(b, `{"ip":`...)
		b = appendString(b, t.IP)
		b = appendKeyInt(b, "created", t.Created)
		b = appendKeyString(b, "source", t.Source)
		return append(b, '}'), nil
	case map[string]any: // a stored checkbox confirmation
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, t[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, data...), nil
}

func appendKeyString(b []byte, key, s string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, s)
}

func appendKeyInt(b []byte, key string, n int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, n, 10)
}

// appendFloat writes f as encoding/json does (ES6 number formatting).
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("unsupported value %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 is written e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendStringBody escapes s as encoding/json does with HTML escaping off: quotes,
// backslashes and control characters, U+2028 and U+2029 (for JSONP), and invalid
// UTF-8 as U+FFFD.
func appendStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// UnmarshalJSON reads the wire form back (an event consumer, a test). Custom values
// keep integers exact, as models.CustomValues does. It returns the decoder's error for
// malformed JSON or a value of the wrong type.
func (c *Contact) UnmarshalJSON(data []byte) error {
	type plain Contact // without the methods, so the standard decoder fills the fields
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	var custom bytes.Buffer
	for key, raw := range all {
		name, ok := strings.CutPrefix(key, models.CustomFieldPrefix)
		if !ok {
			continue
		}
		if custom.Len() == 0 {
			custom.WriteByte('{')
		} else {
			custom.WriteByte(',')
		}
		custom.Write(appendString(nil, name))
		custom.WriteByte(':')
		custom.Write(raw)
	}
	if custom.Len() > 0 {
		custom.WriteByte('}')
		var values models.CustomValues
		if err := values.UnmarshalJSON(custom.Bytes()); err != nil {
			return err
		}
		p.Custom = values
	}
	*c = Contact(p)
	return nil
}
