package inquiries

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// The JSON form of an inquiry write (POST, PUT and PATCH /api/v1/inquiries). It is
// the read form's shape, so a client can send back what it read: objects such as
// status or assignee may carry an id, which then names the thing and the object's
// other keys are ignored, and the read-only keys (v, id, lead_score …) are accepted
// and ignored. Every problem is reported at once: unknown keys, values of the wrong
// type, and what models.InquiryInput.Validate finds.

// readOnly are keys of the read form a write ignores. version is not among them: it
// is a precondition (models.InquiryInput.Version).
var readOnly = []string{"v", "id", "lead_score", "lead_band", "lead_factors", "created_at", "updated_at", "last_activity_at"}

// optionKeys are the guards of a create (Options).
var optionKeys = []string{"request_ip", "spam_protection", "flood_limit"}

// FromJSON decodes the fields of an inquiry write: a JSON object's keys and raw
// values. create says whether the create options (request_ip, spam_protection,
// flood_limit) may be given. It returns EINVALID naming every key that is unknown or
// of the wrong type, and every invalid value (Validate with mode).
func FromJSON(body map[string]json.RawMessage, mode models.InquiryMode) (*models.InquiryInput, Options, error) {
	d := &decoder{}
	in := &models.InquiryInput{}
	var o Options
	for _, key := range slices.Sorted(maps.Keys(body)) {
		raw := bytes.TrimSpace(body[key])
		switch key {
		case "title":
			in.Title = d.text(key, raw)
		case "contact":
			in.Contact = decodeObject(d, key, raw, func(m map[string]json.RawMessage) models.ContactInput {
				return models.ContactInput{Name: d.str(key+".name", m["name"]), FirstName: d.str(key+".first_name", m["first_name"]),
					FamilyName: d.str(key+".family_name", m["family_name"]), Email: d.str(key+".email", m["email"]), Phone: d.str(key+".phone", m["phone"])}
			}, "name", "first_name", "family_name", "email", "phone")
		case "customer_id":
			in.CustomerID = d.merge(in.CustomerID, key, d.id(key, raw))
		case "customer":
			c := decodeObject(d, key, raw, func(m map[string]json.RawMessage) int64 {
				if _, ok := m["id"]; !ok {
					d.v.Add(key+".id", "is required: the id of an existing contact (or send null for none)")
				}
				return d.int64(key+".id", m["id"])
			}, "id", "matched", "explanation")
			in.CustomerID = d.merge(in.CustomerID, key, c)
		case "address":
			in.Address = decodeObject(d, key, raw, func(m map[string]json.RawMessage) models.InquiryAddress {
				return models.InquiryAddress{Street: d.str(key+".street", m["street"]), PostalCode: d.str(key+".postal_code", m["postal_code"]),
					City: d.str(key+".city", m["city"]), Country: d.str(key+".country", m["country"])}
			}, "street", "postal_code", "city", "country")
		case "status":
			in.Status = decodeRef(d, key, raw, func(id int64, name string, m map[string]json.RawMessage) models.StatusRef {
				r := models.StatusRef{ID: id, Name: name}
				if id == 0 {
					r.Kind = d.str(key+".kind", m["kind"])
				}
				return r
			}, "kind", "position")
		case "source":
			in.Source = decodeRef(d, key, raw, func(id int64, name string, _ map[string]json.RawMessage) models.SourceRef {
				return models.SourceRef{ID: id, Name: name}
			}, "position")
		case "assignee":
			in.Assignee = d.assignee(key, raw)
		case "expected_value":
			in.ExpectedValue = decodeObject(d, key, raw, func(m map[string]json.RawMessage) models.MoneyInput {
				return models.MoneyInput{Amount: d.amount(key+".amount", m["amount"]), Currency: d.str(key+".currency", m["currency"])}
			}, "amount", "currency")
		case "probability":
			if n := d.int64(key, raw); string(raw) != "null" {
				in.Probability = models.Given(int(max(min(n, 1000), -1000)))
			} else {
				in.Probability = models.Cleared[int]()
			}
		case "urgency":
			in.Urgency = d.text(key, raw)
		case "follow_up_on", "expected_close_on", "desired_start_on":
			f := d.text(key, raw)
			switch key {
			case "follow_up_on":
				in.FollowUpOn = f
			case "expected_close_on":
				in.ExpectedCloseOn = f
			default:
				in.DesiredStartOn = f
			}
		case "category":
			in.Category = d.text(key, raw)
		case "budget":
			in.Budget = decodeObject(d, key, raw, func(m map[string]json.RawMessage) models.BudgetInput {
				return models.BudgetInput{Min: d.amount(key+".min", m["min"]), Max: d.amount(key+".max", m["max"]), Currency: d.str(key+".currency", m["currency"])}
			}, "min", "max", "currency")
		case "tags":
			in.Tags = d.tags(key, raw)
		case "notes":
			in.Notes = d.text(key, raw)
		case "version":
			if string(raw) != "null" {
				in.Version = models.Given(d.int64(key, raw))
			}
		case "request_ip", "spam_protection", "flood_limit":
			if mode != models.InquiryCreate {
				d.v.Add(key, "is only taken when an inquiry is created")
				continue
			}
			switch key {
			case "request_ip":
				o.RequestIP = strings.TrimSpace(d.str(key, raw))
			case "spam_protection":
				if string(raw) != "null" {
					var b bool
					if json.Unmarshal(raw, &b) != nil {
						d.v.Add(key, "must be true or false")
					}
					o.SpamProtection = &b
				}
			default:
				if string(raw) != "null" {
					n := int(max(min(d.int64(key, raw), 1<<30), -1))
					o.FloodLimit = &n
				}
			}
		default:
			if !slices.Contains(readOnly, key) {
				d.v.Add(key, "is not a known field")
			}
		}
	}
	if err := d.v.Err(); err != nil {
		// The values that decoded are validated too, so one answer names every
		// problem; a field whose type was wrong is named once, for its type.
		return nil, o, models.JoinProblems(err, without(in.Validate(mode), d.v.Fields), without(o.validate(), d.v.Fields))
	}
	if err := models.JoinProblems(in.Validate(mode), o.validate()); err != nil {
		return nil, o, err
	}
	return in, o, nil
}

// without is err (EINVALID) without the problems of fields named in named, or of
// fields inside them ("budget" covers "budget.max") or around them.
func without(err error, named []models.FieldError) error {
	var de *models.Error
	if err == nil || !errors.As(err, &de) || de.Code != models.EINVALID {
		return err
	}
	var keep []models.FieldError
	for _, f := range de.Fields {
		covered := slices.ContainsFunc(named, func(n models.FieldError) bool {
			return n.Field == f.Field || strings.HasPrefix(f.Field, n.Field+".") || strings.HasPrefix(n.Field, f.Field+".") ||
				strings.HasPrefix(f.Field, n.Field+"[") || strings.HasPrefix(n.Field, f.Field+"[")
		})
		if !covered {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return &models.Error{Code: models.EINVALID, Message: de.Message, Fields: keep}
}

// decoder collects the problems of one body.
type decoder struct {
	v models.ValidationError
}

// kind names a JSON value's type for messages.
func kind(raw json.RawMessage) string {
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == '"':
		return "a string"
	case raw[0] == '{':
		return "an object"
	case raw[0] == '[':
		return "an array"
	case raw[0] == 't' || raw[0] == 'f':
		return "a boolean"
	case raw[0] == 'n':
		return "null"
	}
	return "a number"
}

// str reads an optional string ("" for missing or null).
func (d *decoder) str(field string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		d.v.Addf(field, "must be a string, got %s", kind(raw))
	}
	return s
}

// text reads a top-level string field: null clears it.
func (d *decoder) text(field string, raw json.RawMessage) models.Field[string] {
	if string(raw) == "null" {
		return models.Cleared[string]()
	}
	return models.Given(d.str(field, raw))
}

// int64 reads an integer (a number, or a string of digits as some clients send).
func (d *decoder) int64(field string, raw json.RawMessage) int64 {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			s = ""
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		d.v.Addf(field, "must be an integer, got %s", kind(raw))
	}
	return n
}

// id reads an id field: null clears it.
func (d *decoder) id(field string, raw json.RawMessage) models.Field[int64] {
	if string(raw) == "null" {
		return models.Cleared[int64]()
	}
	return models.Given(d.int64(field, raw))
}

// merge refuses a second way of giving the same value (customer_id and customer).
func (d *decoder) merge(prev models.Field[int64], field string, f models.Field[int64]) models.Field[int64] {
	if prev.Set {
		d.v.Add(field, "give customer_id or customer, not both")
	}
	return f
}

// amount reads a decimal amount: a JSON number or a string, kept as its text.
func (d *decoder) amount(field string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		return d.str(field, raw)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		d.v.Addf(field, "must be a number, got %s", kind(raw))
		return ""
	}
	return string(n)
}

// object reads a JSON object with the known keys (others are named as unknown); null
// is false.
func (d *decoder) object(field string, raw json.RawMessage, known ...string) (map[string]json.RawMessage, bool) {
	if string(raw) == "null" {
		return nil, false
	}
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		d.v.Addf(field, "must be an object, got %s", kind(raw))
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			d.v.Add(field+"."+k, "is not a known field")
		}
	}
	return m, true
}

// decodeObject reads an object field with read (null clears it).
func decodeObject[T any](d *decoder, field string, raw json.RawMessage, read func(map[string]json.RawMessage) T, known ...string) models.Field[T] {
	m, ok := d.object(field, raw, known...)
	if !ok {
		if string(raw) == "null" {
			return models.Cleared[T]()
		}
		return models.Field[T]{}
	}
	return models.Given(read(m))
}

// decodeRef reads a reference given as a name, or as an object with an id or a name
// (and extra keys).
func decodeRef[T any](d *decoder, field string, raw json.RawMessage, make func(id int64, name string, m map[string]json.RawMessage) T, extra ...string) models.Field[T] {
	if string(raw) == "null" {
		return models.Cleared[T]()
	}
	if len(raw) > 0 && raw[0] == '"' {
		return models.Given(make(0, d.str(field, raw), nil))
	}
	if len(raw) > 0 && raw[0] != '{' {
		d.v.Addf(field, "must be a name or an object with id or name, got %s", kind(raw))
		return models.Field[T]{}
	}
	m, ok := d.object(field, raw, append([]string{"id", "name"}, extra...)...)
	if !ok {
		return models.Field[T]{}
	}
	if id := d.int64(field+".id", m["id"]); id != 0 {
		return models.Given(make(id, "", m))
	}
	return models.Given(make(0, d.str(field+".name", m["name"]), m))
}

// assignee reads a staff member: an e-mail, or an object with an id, or an e-mail
// and a name.
func (d *decoder) assignee(field string, raw json.RawMessage) models.Field[models.StaffRef] {
	if string(raw) == "null" {
		return models.Cleared[models.StaffRef]()
	}
	if len(raw) > 0 && raw[0] == '"' {
		return models.Given(models.StaffRef{Email: d.str(field, raw)})
	}
	if len(raw) > 0 && raw[0] != '{' {
		d.v.Addf(field, "must be an e-mail or an object with id or email, got %s", kind(raw))
		return models.Field[models.StaffRef]{}
	}
	m, ok := d.object(field, raw, "id", "email", "name")
	if !ok {
		return models.Field[models.StaffRef]{}
	}
	if id := d.int64(field+".id", m["id"]); id != 0 {
		return models.Given(models.StaffRef{ID: id})
	}
	return models.Given(models.StaffRef{Email: d.str(field+".email", m["email"]), Name: d.str(field+".name", m["name"])})
}

// tags reads a list of term ids (numbers), names (strings) or objects with id or name.
func (d *decoder) tags(field string, raw json.RawMessage) models.Field[[]models.TagRef] {
	if string(raw) == "null" {
		return models.Cleared[[]models.TagRef]()
	}
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		d.v.Addf(field, "must be an array of term ids or names, got %s", kind(raw))
		return models.Field[[]models.TagRef]{}
	}
	out := make([]models.TagRef, 0, len(items))
	for i, item := range items {
		name := fmt.Sprintf("%s[%d]", field, i)
		item = bytes.TrimSpace(item)
		switch {
		case len(item) > 0 && item[0] == '"':
			out = append(out, models.TagRef{Name: d.str(name, item)})
		case len(item) > 0 && item[0] == '{':
			r := decodeRef(d, name, item, func(id int64, n string, _ map[string]json.RawMessage) models.TagRef {
				return models.TagRef{ID: id, Name: n}
			})
			if r.Has() {
				out = append(out, *r.Value)
			}
		default:
			out = append(out, models.TagRef{ID: d.int64(name, item)})
		}
	}
	return models.Given(out)
}
