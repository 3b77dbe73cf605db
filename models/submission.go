package models

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits on what one contact may carry.
const (
	MaxCommentLength   = 10000
	MaxTermsPerContact = 1000
)

// Submission is what a client sent for one contact: only the fields it named, already
// validated and normalised. A field present with an empty value is kept as "" (or nil
// for custom fields), because the merge methods treat "sent empty" and "not sent"
// differently.
type Submission struct {
	Text       map[string]string
	MailStatus *int
	UID        *int64
	// Terms are term ids; HasTerms tells an empty list apart from no list.
	Terms    []int64
	HasTerms bool
	// Custom holds custom field values by name; a nil value clears the field.
	Custom    map[string]any
	Comment   string
	RequestIP string
	// Profile is what was sent of flags, addresses and dossier; nil when none of them.
	Profile *ProfileChange
}

// SubmissionMode tells DecodeSubmission which fields are writable.
type SubmissionMode int

const (
	// ForCreate decodes the contact object of POST contact/contacts.
	ForCreate SubmissionMode = iota
	// ForUpdate decodes the flat body of PUT contact/{id}.
	ForUpdate
)

// DecodeSubmission validates a contact's fields as they arrived in JSON. Every key must
// be a known field, a defined custom field (field_<name>) or, on create, comment and
// request_ip: nothing submitted is silently dropped. All problems are returned at once
// as an EINVALID *Error.
func DecodeSubmission(raw map[string]json.RawMessage, defs map[string]*CustomField, mode SubmissionMode) (*Submission, error) {
	fields := make([]namedValue, 0, len(raw))
	for k, v := range raw {
		fields = append(fields, namedValue{k, jsonValue(v)})
	}
	return decodeFields(fields, defs, mode)
}

// DecodeValues is DecodeSubmission for fields that arrive as Go values rather than
// JSON: a CSV row (map[string]string) or an import record (map[string]any of strings,
// numbers, bools, lists and maps). The same rules apply, read from Go values: numbers
// may be any Go integer or float type (a float only when it is whole where an integer
// is needed), json.Number, or a string of digits as in JSON; a list (terms,
// multi-select options) is a slice or a comma-separated string ("" is the empty list);
// a date may also be a time.Time; owner may be map[string]any{"uid": n}; a checkbox
// confirmation is a CheckboxConfirmation or a map with ip, created and source. nil is
// JSON's null and "" is sent empty, as in JSON. It returns EINVALID naming every
// problem, in the words DecodeSubmission uses.
func DecodeValues[V any](values map[string]V, defs map[string]*CustomField, mode SubmissionMode) (*Submission, error) {
	fields := make([]namedValue, 0, len(values))
	for k, v := range values {
		fields = append(fields, namedValue{k, goValue(v)})
	}
	return decodeFields(fields, defs, mode)
}

// namedValue is one submitted field.
type namedValue struct {
	name string
	val  value
}

// decodeFields holds one contact's fields to the rules of every field; both decoders
// end here.
func decodeFields(fields []namedValue, defs map[string]*CustomField, mode SubmissionMode) (*Submission, error) {
	sub := &Submission{Text: map[string]string{}}
	var v ValidationError
	// deterministic error order
	slices.SortFunc(fields, func(a, b namedValue) int { return strings.Compare(a.name, b.name) })
	for _, fv := range fields {
		key, val := fv.name, fv.val
		isNull := val.null()
		if f, ok := textFieldByName[key]; ok {
			s := ""
			if !isNull {
				var ok bool
				if s, ok = val.text(); !ok {
					v.Add(key, "must be a string")
					continue
				}
			}
			s, reason := cleanText(s, f.max, false)
			if reason == "" && s != "" {
				s, reason = normalizeText(key, s)
			}
			if reason != "" {
				v.Add(key, reason)
				continue
			}
			sub.Text[key] = s
			continue
		}
		switch key {
		case "mail_status":
			n, ok := val.integer()
			if isNull {
				n, ok = 0, true
			}
			if _, known := MailStatusNames[int(n)]; !ok || !known {
				v.Add(key, "must be an integer 0-8 (see README: mail status codes)")
				continue
			}
			status := int(n)
			sub.MailStatus = &status
		case "uid", "owner":
			if key == "owner" { // owner as reads show it: {"uid": 5}
				val = val.ownerUID()
			}
			n, ok := val.integer()
			if isNull {
				n, ok = 0, true
			}
			if !ok || n < 0 {
				v.Add(key, "must be a user id (non-negative integer, or {\"uid\": n} for owner); owners by mail are not supported")
				continue
			}
			if sub.UID != nil && *sub.UID != n { // uid and owner are one field
				v.Add(key, "names another user than "+map[string]string{"uid": "owner", "owner": "uid"}[key])
				continue
			}
			sub.UID = &n
		case "terms":
			ids, ok := termIDs(val)
			if !ok {
				v.Add(key, "must be an array of term ids")
				continue
			}
			ids, reason := NormalizeIDs(ids, MaxTermsPerContact)
			if reason != "" {
				v.Add(key, reason)
				continue
			}
			sub.Terms, sub.HasTerms = ids, true
		case "comment":
			var s string
			if !isNull {
				var ok bool
				if s, ok = val.str(); !ok {
					v.Add(key, "must be a string")
					continue
				}
			}
			s, reason := cleanText(s, MaxCommentLength, true)
			if reason != "" {
				v.Add(key, reason)
				continue
			}
			sub.Comment = s
		case "request_ip":
			if mode != ForCreate {
				v.Add(key, "is only accepted when creating a contact")
				continue
			}
			var s string
			if !isNull {
				var ok bool
				if s, ok = val.str(); !ok {
					v.Add(key, "must be a string")
					continue
				}
			}
			s = strings.TrimSpace(s)
			if s != "" && !ValidIP(s) {
				v.Add(key, "must be an IPv4 or IPv6 address")
				continue
			}
			sub.RequestIP = s
		case "addresses":
			addrs, ok := decodeAddresses(val, &v)
			if !ok {
				continue
			}
			sub.profile().Addresses, sub.profile().HasAddresses = addrs, true
		case "dossier":
			d, reason := decodeDossier(val)
			if reason != "" {
				v.Add(key, reason)
				continue
			}
			sub.profile().Dossier = d
		case "id", "created", "changed":
			v.Add(key, "is read-only")
		case "email_bounce", "email_verified", "advertisement_consent", "advertisement_ban", "is_control_group",
			"is_duplicate", "is_deleted", "is_verified", "is_blocked": // FlagNames
			b, ok := decodeFlag(val)
			if !ok {
				v.Add(key, "must be true or false")
				continue
			}
			p := sub.profile()
			if p.Flags == nil {
				p.Flags = map[string]*bool{}
			}
			p.Flags[key] = b
		default:
			name, ok := strings.CutPrefix(key, CustomFieldPrefix)
			def := defs[name]
			if !ok || def == nil {
				v.Add(key, "is not a contact field (custom fields are written as field_<name> and must be defined first)")
				continue
			}
			value, reason := def.coerce(val)
			if reason != "" {
				v.Add(key, reason)
				continue
			}
			if sub.Custom == nil {
				sub.Custom = map[string]any{}
			}
			sub.Custom[name] = value
		}
	}
	if err := v.Err(); err != nil {
		return sub, err
	}
	sub.fillBillingAddress()
	return sub, nil
}

// profile is the submission's profile change, made on first use.
func (s *Submission) profile() *ProfileChange {
	if s.Profile == nil {
		s.Profile = &ProfileChange{}
	}
	return s.Profile
}

// fillBillingAddress makes the first address sent the billing address, unless the
// submission names billing address fields itself.
func (s *Submission) fillBillingAddress() {
	if s.Profile == nil || len(s.Profile.Addresses) == 0 {
		return
	}
	for _, name := range []string{"ba_street", "ba_street2", "ba_city", "ba_postal_code", "ba_state", "ba_country"} {
		if _, sent := s.Text[name]; sent {
			return
		}
	}
	a := s.Profile.Addresses[0]
	state, _ := cleanText(a.State, 20, false) // ba_state is shorter than an address's state
	if len([]rune(a.State)) > 20 {
		state = ""
	}
	for name, v := range map[string]string{"ba_street": a.Street, "ba_street2": a.Street2, "ba_city": a.City,
		"ba_postal_code": a.PostalCode, "ba_state": state, "ba_country": a.Country} {
		s.Text[name] = v
	}
}

// normalizeText applies per-field rules to a non-empty, cleaned value.
func normalizeText(field, s string) (string, string) {
	switch field {
	case "title":
		s = strings.ToLower(s)
		if s != "m" && s != "f" {
			return "", `must be "m" (Mr.) or "f" (Mrs.)`
		}
	case "title2":
		for _, r := range s {
			if !(r == '.' || r == ' ' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')) {
				return "", "must be an academic title abbreviation such as dr or prof"
			}
		}
		s = strings.ToLower(s)
	case "mail", "mail2":
		if !ValidMail(s) {
			return "", "is not a valid e-mail address"
		}
	case "phone_type", "phone2_type":
		s = strings.ToLower(s)
		if !slices.Contains([]string{"work", "home", "mobile", "other"}, s) {
			return "", "must be one of work, home, mobile, other"
		}
	case "phone", "phone2", "fax":
		if !ValidPhone(s) {
			return "", "is not a phone number (digits with + ( ) - / . and spaces)"
		}
	case "ba_country":
		code, ok := CountryCode(s)
		if !ok {
			return "", "must be a country: an ISO 3166-1 code such as DE or DEU, or a name such as Germany"
		}
		s = code
	case "advertisement_consent_date", "last_interaction_date", "external_created_at", "external_updated_at":
		d, ok := ParseDate(s)
		if !ok {
			return "", "must be an ISO 8601 date such as 2025-02-07 or 2025-02-07T12:00:00Z"
		}
		s = d
	case "preferred_language":
		for _, r := range s {
			if !(r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
				return "", "must be a language tag such as en or de-AT"
			}
		}
	case "date_of_birth":
		d, ok := ParseDate(s)
		if !ok {
			return "", "must be an ISO 8601 date such as 1980-04-23 or 2004-02-12T15:19:21+00:00"
		}
		if d[:4] < "1800" {
			return "", "is before 1800"
		}
		s = d
	}
	return s, ""
}

// NormalizeIDs sorts and deduplicates ids and checks they are positive and at most max.
func NormalizeIDs(ids []int64, max int) ([]int64, string) {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] <= 0 {
		return nil, "ids must be positive integers"
	}
	if len(out) > max {
		return nil, "at most " + strconv.Itoa(max) + " ids"
	}
	if out == nil {
		out = []int64{}
	}
	return out, ""
}

// NewContact builds the contact a submission creates.
func (s *Submission) NewContact(tenantID int64) *Contact {
	c := &Contact{TenantID: tenantID, Custom: CustomValues{}, Version: 1}
	for k, v := range s.Text {
		c.SetText(k, v)
	}
	if s.MailStatus != nil {
		c.MailStatus = *s.MailStatus
	}
	if s.UID != nil {
		c.UID = *s.UID
	}
	c.Terms = slices.Clone(s.Terms)
	if s.Profile != nil {
		c.Profile.apply(s.Profile, MergeUpdate)
	}
	for k, v := range s.Custom {
		if v != nil {
			c.Custom[k] = v
		}
	}
	return c
}

// ParseIDs reads a list of ids as the Quentn term and comment endpoints take it: a JSON
// array of numbers or numeric strings ("12", as PHP clients send them). The elements
// are counted before any is read: more than max is refused at once, so a long list of
// bad elements costs neither memory nor an answer per element. The ids come back
// sorted and without repeats. Problems are an EINVALID *Error naming field, or
// field[i] for an element (showing an excerpt of it).
func ParseIDs(data []byte, field string, max int) ([]int64, error) {
	notList := func() error {
		var v ValidationError
		v.Add(field, "send a JSON array of ids, e.g. [12, 13]")
		return v.Err()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, notList()
	}
	var raw []json.RawMessage
	for dec.More() {
		if len(raw) == max {
			var v ValidationError
			v.Addf(field, "at most %d ids", max)
			return nil, v.Err()
		}
		var r json.RawMessage
		if err := dec.Decode(&r); err != nil {
			return nil, notList()
		}
		raw = append(raw, r)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, notList()
	}
	if _, err := dec.Token(); err != io.EOF { // only white space may follow
		return nil, notList()
	}
	var v ValidationError
	ids := make([]int64, 0, len(raw))
	for i, r := range raw {
		s := string(bytes.Trim(bytes.TrimSpace(r), `"`))
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Addf(field+"["+strconv.Itoa(i)+"]", "must be a positive integer id, got %s", Excerpt(string(r)))
			continue
		}
		ids = append(ids, id)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ids, reason := NormalizeIDs(ids, max)
	if reason != "" {
		v.Add(field, reason)
		return nil, v.Err()
	}
	return ids, nil
}

// ParseTermIDs reads a contact's terms: an array of ids, each a number or a numeric
// string ("3"), as the contact terms endpoints take them; null is none.
func ParseTermIDs(val []byte) ([]int64, bool) {
	if string(bytes.TrimSpace(val)) == "null" {
		return nil, true
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(val, &raw); err != nil || raw == nil {
		return nil, false
	}
	ids := make([]int64, 0, len(raw))
	for _, r := range raw {
		var n json.Number
		if err := json.Unmarshal(r, &n); err != nil {
			return nil, false
		}
		id, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}
