package imports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// JSONKind is the kind of imports sent as JSON (POST /api/v1/imports, seed 000).
const JSONKind = "json"

// JSONDoor reads seed 000's persons: the payload is the request's data array as
// received. Each person's keys map to contact fields (PersonFields); category names
// terms, custom_fields holds custom field values by name, id names the contact to
// update (update_key id). Any other key is an error of its record.
type JSONDoor struct{}

// Kind is JSONKind.
func (JSONDoor) Kind() string { return JSONKind }

// PersonFields maps seed 000's person keys to contact fields (README: the field
// mapping). category, custom_fields and id are read apart.
var PersonFields = map[string]string{
	"contact_type": "contact_type", "entity_type": "entity_type",
	"firstname": "first_name", "lastname": "family_name", "company_name": "company",
	"email": "mail", "phone": "phone", "addresses": "addresses",
	"email_bounce": "email_bounce", "email_verified": "email_verified",
	"advertisement_consent": "advertisement_consent", "advertisement_consent_date": "advertisement_consent_date",
	"advertisement_ban": "advertisement_ban", "is_control_group": "is_control_group", "is_duplicate": "is_duplicate",
	"is_deleted": "is_deleted", "is_verified": "is_verified", "is_blocked": "is_blocked",
	"preferred_language": "preferred_language", "last_interaction_date": "last_interaction_date",
	"dossier": "dossier", "qualification_status": "qualification_status", "interaction_status": "interaction_status",
	"source": "source", "created_at": "external_created_at", "updated_at": "external_updated_at",
	"external_id": "external_id",
}

// personKeys is every key a person may have, for the message of an unknown one.
var personKeys = strings.Join(slices.Sorted(func(yield func(string) bool) {
	for k := range maps.Keys(PersonFields) {
		if !yield(k) {
			return
		}
	}
	for _, k := range []string{"category", "custom_fields", "id"} {
		if !yield(k) {
			return
		}
	}
}), ", ")

// fieldToPerson is PersonFields backwards.
var fieldToPerson = func() map[string]string {
	m := map[string]string{"terms": "category"}
	for k, v := range PersonFields {
		m[v] = k
	}
	return m
}()

// FieldName names a contact field as seed 000's person does ("mail" is "email",
// "field_x" is "custom_fields.x", "addresses[0].country" stays).
func (JSONDoor) FieldName(_ *models.Import, field string) string {
	if name, ok := strings.CutPrefix(field, models.CustomFieldPrefix); ok {
		return "custom_fields." + name
	}
	if p, ok := fieldToPerson[field]; ok {
		return p
	}
	return field
}

// Records decodes the data array one person at a time from index from on.
func (d JSONDoor) Records(ctx context.Context, imp *models.Import, payload []byte, from int) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			yield(Record{}, fmt.Errorf("data is not a JSON array"))
			return
		}
		for i := 0; dec.More(); i++ {
			if i < from {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					yield(Record{}, fmt.Errorf("record %d: %w", i+1, err))
					return
				}
				continue
			}
			if i%100 == 0 && ctx.Err() != nil {
				return
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				yield(Record{}, fmt.Errorf("record %d: %w", i+1, err))
				return
			}
			if !yield(d.record(imp, i+1, v), nil) {
				return
			}
		}
	}
}

// record maps one decoded person.
func (JSONDoor) record(imp *models.Import, row int, v any) Record {
	rec := Record{Row: row, Fields: map[string]any{}}
	person, ok := v.(map[string]any)
	if !ok {
		rec.Errors = []models.FieldError{{Field: "", Error: "a record must be a JSON object (a person)"}}
		return rec
	}
	byID := imp.Options.MatchKey() == models.UpdateKeyID
	for _, key := range slices.Sorted(maps.Keys(person)) {
		val := person[key]
		if field, ok := PersonFields[key]; ok {
			rec.Fields[field] = val
			continue
		}
		switch key {
		case "category":
			names, ok := stringList(val)
			if !ok {
				rec.Errors = append(rec.Errors, models.FieldError{Field: key, Error: "must be an array of category names"})
				continue
			}
			rec.TermNames = names
		case "custom_fields":
			if val == nil {
				continue
			}
			fields, ok := val.(map[string]any)
			if !ok {
				rec.Errors = append(rec.Errors, models.FieldError{Field: key, Error: "must be an object of custom field values by field name"})
				continue
			}
			for name, fv := range fields {
				rec.Fields[models.CustomFieldPrefix+strings.TrimPrefix(name, models.CustomFieldPrefix)] = fv
			}
		case "id":
			n, err := strconv.ParseInt(fmt.Sprint(val), 10, 64)
			switch {
			case !byID:
				rec.Errors = append(rec.Errors, models.FieldError{Field: key, Error: "is read only unless options.update_key is id (it names the contact to update)"})
			case err != nil || n <= 0:
				rec.Errors = append(rec.Errors, models.FieldError{Field: key, Error: "must be a contact id (a positive integer)"})
			default:
				rec.ContactID = n
			}
		default:
			rec.Errors = append(rec.Errors, models.FieldError{Field: key, Error: "is not a field of a person; the fields are " + personKeys})
		}
	}
	if byID && rec.ContactID == 0 && !slices.ContainsFunc(rec.Errors, func(e models.FieldError) bool { return e.Field == "id" }) {
		rec.Errors = append(rec.Errors, models.FieldError{Field: "id", Error: "is required: options.update_key is id"})
	}
	return rec
}

// stringList reads a JSON array of strings (nil: none).
func stringList(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, true
}
