package models

import (
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CustomFieldPrefix marks a custom field's key on a contact: a field named "budget" is
// read and written as "field_budget", as in Quentn.
const CustomFieldPrefix = "field_"

// Custom field types, as the Quentn custom fields API names them.
const (
	FieldTypeText      = "text"
	FieldTypeSelection = "selection"
	FieldTypeInteger   = "integer"
	FieldTypeFloat     = "float"
	FieldTypeDate      = "date"
	FieldTypeDatetime  = "datetime"
	FieldTypeCheckbox  = "checkbox_confirmation"
	FieldTypeURL       = "url"
)

var fieldTypes = []string{FieldTypeText, FieldTypeSelection, FieldTypeInteger, FieldTypeFloat,
	FieldTypeDate, FieldTypeDatetime, FieldTypeCheckbox, FieldTypeURL}

// Limits on custom field definitions and values.
const (
	MinTextMaxLength     = 8
	MaxTextMaxLength     = 255
	MaxSelectionOptions  = 500
	MaxCustomFieldsCount = 500
)

// CustomField defines a typed field that a tenant adds to its contacts.
type CustomField struct {
	ID          int64  `gorm:"primaryKey"`
	TenantID    int64  `gorm:"not null"`
	Name        string `gorm:"not null"` // machine name without prefix, unique per tenant
	Label       string `gorm:"not null"`
	Description string `gorm:"not null;default:''"`
	FieldType   string `gorm:"not null"`
	// MaxLength applies to text fields (8..255; default 255).
	MaxLength int `gorm:"not null;default:0"`
	// Multiple makes a selection field hold a list of options.
	Multiple bool `gorm:"not null;default:false"`
	// Options restricts a selection field's values; empty means any value.
	Options   []string `gorm:"serializer:json;not null"`
	Required  bool     `gorm:"not null;default:false"`
	CreatedAt time.Time
}

var (
	machineNameRe = regexp.MustCompile(`[^a-z0-9]+`)
	validNameRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
)

// MachineName derives a field name from a label: lower case, umlauts spelled out, runs
// of other characters turned into one underscore ("Budget (€)" → "budget").
func MachineName(label string) string {
	s := strings.ToLower(label)
	s = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(s)
	s = machineNameRe.ReplaceAllString(s, "_")
	s = strings.Trim(s, "_")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "_")
	}
	return s
}

// Validate checks a definition and fills defaults. It returns an EINVALID *Error.
func (f *CustomField) Validate() error {
	var v ValidationError
	var reason string
	if f.Label, reason = cleanText(f.Label, 255, false); reason != "" {
		v.Add("label", reason)
	} else if f.Label == "" {
		v.Add("label", "is required")
	}
	if f.Name == "" {
		f.Name = MachineName(f.Label)
	}
	if f.Label != "" && !validNameRe.MatchString(f.Name) {
		v.Add("label", "must contain letters or digits to derive a field name")
	}
	if f.Description, reason = cleanText(f.Description, 1000, true); reason != "" {
		v.Add("description", reason)
	}
	if !slices.Contains(fieldTypes, f.FieldType) {
		v.Addf("field_type", "must be one of %s", strings.Join(fieldTypes, ", "))
	}
	if f.FieldType == FieldTypeText {
		if f.MaxLength == 0 {
			f.MaxLength = MaxTextMaxLength
		}
		if f.MaxLength < MinTextMaxLength || f.MaxLength > MaxTextMaxLength {
			v.Addf("max_length", "must be between %d and %d", MinTextMaxLength, MaxTextMaxLength)
		}
	} else if f.MaxLength != 0 {
		v.Add("max_length", "applies to text fields only")
	}
	if f.FieldType != FieldTypeSelection && (len(f.Options) > 0 || f.Multiple) {
		v.Add("options", "apply to selection fields only")
	}
	if len(f.Options) > MaxSelectionOptions {
		v.Addf("options", "at most %d options", MaxSelectionOptions)
	}
	seen := map[string]bool{}
	for i, o := range f.Options {
		o, reason = cleanText(o, 255, false)
		if reason == "" && o == "" {
			reason = "must not be empty"
		}
		if reason == "" && seen[o] {
			reason = "is listed twice"
		}
		if reason != "" {
			v.Add("options["+strconv.Itoa(i)+"]", reason)
		}
		f.Options[i], seen[o] = o, true
	}
	if f.Options == nil {
		f.Options = []string{}
	}
	return v.Err()
}

// ValueType is the JSON type of the field's values: string, array, integer, float or object.
func (f *CustomField) ValueType() string {
	switch f.FieldType {
	case FieldTypeSelection:
		if f.Multiple {
			return "array"
		}
		return "string"
	case FieldTypeInteger:
		return "integer"
	case FieldTypeFloat:
		return "float"
	case FieldTypeCheckbox:
		return "object"
	}
	return "string"
}

// CheckboxConfirmation records a consent checkbox: where and when it was ticked.
type CheckboxConfirmation struct {
	IP      string `json:"ip"`
	Created int64  `json:"created"`
	Source  string `json:"source"`
}

// Coerce validates a submitted JSON value against the field's type and returns the
// value to store (nil for an explicit null or empty value) or the reason it is refused.
func (f *CustomField) Coerce(raw json.RawMessage) (any, string) {
	return f.coerce(jsonValue(raw))
}

// CoerceValue is Coerce for a Go value (a CSV cell, an import record's value): the
// same rules, read as DecodeValues reads values.
func (f *CustomField) CoerceValue(v any) (any, string) {
	return f.coerce(goValue(v))
}

func (f *CustomField) coerce(x value) (any, string) {
	// "" is empty for every type, not only text (README: on PUT "" or null clears a
	// field): form builders send "" for an input left empty, numbers and dates too.
	if x.empty() {
		return nil, ""
	}
	switch f.FieldType {
	case FieldTypeText, FieldTypeURL:
		s, ok := x.text()
		if !ok {
			return nil, "must be a string"
		}
		max := f.MaxLength
		if f.FieldType == FieldTypeURL {
			max = 2048
		}
		s, reason := cleanText(s, max, false)
		if reason != "" {
			return nil, reason
		}
		if s == "" {
			return nil, ""
		}
		if f.FieldType == FieldTypeURL {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, "must be an http or https URL"
			}
		}
		return s, ""
	case FieldTypeSelection:
		if f.Multiple {
			list, ok := x.options()
			if !ok {
				return nil, "must be an array of strings"
			}
			out := make([]string, 0, len(list))
			for _, s := range list {
				s, reason := cleanText(s, 255, false)
				if reason != "" {
					return nil, "option " + Quote(s) + " " + reason
				}
				if len(f.Options) > 0 && !slices.Contains(f.Options, s) {
					return nil, "option " + Quote(s) + " is not one of the field's options"
				}
				if s != "" && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
			if len(out) == 0 {
				return nil, ""
			}
			return out, ""
		}
		s, ok := x.text()
		if !ok {
			return nil, "must be a string"
		}
		s, reason := cleanText(s, 255, false)
		if reason != "" {
			return nil, reason
		}
		if s != "" && len(f.Options) > 0 && !slices.Contains(f.Options, s) {
			return nil, "must be one of the field's options: " + optionList(f.Options)
		}
		if s == "" {
			return nil, ""
		}
		return s, ""
	case FieldTypeInteger:
		n, ok := x.integer()
		if !ok {
			return nil, "must be an integer"
		}
		return n, ""
	case FieldTypeFloat:
		s, ok := x.number()
		if !ok {
			return nil, "must be a finite number with a dot as decimal separator"
		}
		if strings.Contains(s, ",") {
			return nil, "must be a number with a dot as decimal separator"
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, "must be a finite number with a dot as decimal separator"
		}
		return n, ""
	case FieldTypeDate, FieldTypeDatetime:
		s, ok := x.date()
		if !ok {
			return nil, "must be a unix timestamp or an ISO 8601 date"
		}
		if s == "" {
			return nil, ""
		}
		d, reason := ParseDateOrUnix(s)
		if reason != "" {
			return nil, reason
		}
		if f.FieldType == FieldTypeDate && len(d) > 10 {
			d = d[:10]
		}
		return d, ""
	case FieldTypeCheckbox:
		cb, ok := x.checkbox()
		if !ok {
			return nil, "must be an object {ip, created, source}"
		}
		if cb.IP != "" && !ValidIP(cb.IP) {
			return nil, "ip must be an IPv4 or IPv6 address"
		}
		var reason string
		if cb.Source, reason = cleanText(cb.Source, 255, false); reason != "" {
			return nil, "source " + reason
		}
		if cb.Created == 0 {
			cb.Created = time.Now().Unix()
		}
		return cb, ""
	}
	return nil, "has an unknown type"
}

// optionList names a selection field's options in a reason: the first ten, and how
// many there are in all (a field may have 500 of 255 characters).
func optionList(options []string) string {
	const listed = 10
	if len(options) <= listed {
		return strings.Join(options, ", ")
	}
	return strings.Join(options[:listed], ", ") + ", … (" + strconv.Itoa(len(options)) + " options)"
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	// Numbers are accepted for text: form builders send postal codes and ids as numbers.
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), true
	}
	return "", false
}
