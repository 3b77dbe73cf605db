package importfile

import (
	"maps"
	"slices"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// extraTargets are the mapping targets beside the standard text fields: what the CSV
// door turns into more than one text field, or into something other than a field.
var extraTargets = []string{"id", "external_id", "mail_status", "terms", "comment", StreetNumber}

// Mapping maps a contact field (a standard field's API name, a custom field's name with
// or without "field_", "terms", "id", "external_id", "comment", StreetNumber or Ignore)
// to the file header that holds it: the body of POST /api/v1/import/map/{uuid}.
type Mapping map[string]string

// Plan is a Mapping checked against a file's header: which column fills which field.
type Plan struct {
	cols []planCol
	// how reads the cells: the conversions of the fields of a contact or an inquiry.
	how cellRules
}

// cellRules are the conversions a plan applies to the cells of one kind of row.
type cellRules struct {
	dates        []string // fields read with ParseDate
	salutation   string   // the field read with Salutation ("": none)
	street       string   // the field a house number is appended to
	streetNumber string   // the house number's mapping target
}

// contactCells are the conversions of a contact's cells.
var contactCells = cellRules{dates: []string{"date_of_birth"}, salutation: "title", street: "ba_street", streetNumber: StreetNumber}

type planCol struct {
	field string
	idx   int
}

// NewPlan checks m against header and the tenant's custom field names. It returns an
// EINVALID *models.Error naming each bad entry as headers.<field>: a header the file does
// not have (listing the file's headers), a field that is not a contact field, a header
// mapped to two fields; and "headers" itself when nothing is mapped.
func NewPlan(m Mapping, header []string, customFields []string) (*Plan, error) {
	var v models.ValidationError
	standard := models.TextFieldNames()
	p := &Plan{how: contactCells}
	usedBy := map[string]string{}
	for _, field := range slices.Sorted(maps.Keys(m)) {
		h := m[field]
		key := "headers." + field
		target := field
		switch {
		case field == Ignore:
			continue
		case slices.Contains(standard, field), slices.Contains(extraTargets, field):
		case slices.Contains(customFields, strings.TrimPrefix(field, "field_")):
			target = "field_" + strings.TrimPrefix(field, "field_")
		default:
			v.Addf(key, "%s is not a contact field, custom field, terms, id, external_id, comment, %s or %s", models.Quote(field), StreetNumber, Ignore)
			continue
		}
		p.mapColumn(&v, usedBy, header, field, h, target)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(p.cols) == 0 {
		v.Add("headers", "maps no column to a contact field")
		return nil, v.Err()
	}
	return p, nil
}

// mapColumn maps header h of the file to target (field as the mapping named it):
// a header the file lacks, or one mapped already, is a problem of headers.<field>.
func (p *Plan) mapColumn(v *models.ValidationError, usedBy map[string]string, header []string, field, h, target string) {
	key := "headers." + field
	idx := slices.Index(header, h)
	if idx < 0 {
		v.Addf(key, "the file has no header %s; its headers are %s", models.Quote(h), strings.Join(quoteAll(header), ", "))
		return
	}
	if other, dup := usedBy[h]; dup {
		v.Addf(key, "header %s is already mapped to %s", models.Quote(h), other)
		return
	}
	usedBy[h] = field
	p.cols = append(p.cols, planCol{field: target, idx: idx})
}

// Record turns a row into a contact's fields as text (for contacts.FromStrings), or
// an inquiry's (NewInquiryPlan): the mapped cells, trimmed; an empty cell gives no
// value (an update leaves the field as it is). Dates (a contact's date_of_birth, an
// inquiry's follow_up_on, expected_close_on, desired_start_on) are read with
// ParseDate and written YYYY-MM-DD; the house number is appended to the street; a
// contact's title is read with Salutation. It returns the row's problems, each naming the field (or "" for
// the row as a whole: a ragged row), and no record when there are any.
func (p *Plan) Record(row Row) (map[string]string, []models.FieldError) {
	if row.Err != nil {
		return nil, []models.FieldError{{Field: "", Error: row.Err.Error()}}
	}
	rec := make(map[string]string, len(p.cols))
	var problems []models.FieldError
	number := ""
	for _, c := range p.cols {
		if c.idx >= len(row.Fields) {
			continue
		}
		s := strings.TrimSpace(row.Fields[c.idx])
		if s == "" {
			continue
		}
		switch {
		case slices.Contains(p.how.dates, c.field):
			d, err := ParseDate(s)
			if err != nil {
				problems = append(problems, models.FieldError{Field: c.field, Error: err.Error()})
				continue
			}
			s = d
		case c.field == p.how.streetNumber:
			number = s
			continue
		case c.field == p.how.salutation:
			s = Salutation(s)
		}
		rec[c.field] = s
	}
	if number != "" {
		rec[p.how.street] = strings.TrimSpace(rec[p.how.street] + " " + number)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return rec, nil
}

// SplitTerms splits a terms cell into term names: by comma, semicolon or |, trimmed,
// empty names and repeats dropped.
func SplitTerms(s string) []string {
	var out []string
	for _, n := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// salutations are the salutations files spell, folded (lower case, no dot), and the
// title code a contact stores (Quentn's: m Mr., f Mrs.).
var salutations = map[string]string{
	"herr": "m", "hr": "m", "mr": "m", "mister": "m", "male": "m", "männlich": "m", "m": "m", "sir": "m",
	"frau": "f", "fr": "f", "mrs": "f", "ms": "f", "miss": "f", "female": "f", "weiblich": "f", "w": "f", "f": "f", "madam": "f",
}

// Salutation reads a salutation cell as the contact's title code: Herr, Hr., Mr. →
// m; Frau, Fr., Mrs., Ms. → f (any case). Anything else is returned as it is, for the
// contact's own check to name.
func Salutation(s string) string {
	if code, ok := salutations[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))]; ok {
		return code
	}
	return s
}
