package contactwire

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/contacthub/contacthub/models"
)

// AppendFields appends the JSON object of a Quentn read to dst: "id" and each of
// fields that the contact has (models.Contact.Field), keys in alphabetical order,
// each once — byte for byte what encoding/json writes for the map of the same keys
// and values with HTML escaping off (the API's serializer), without building the map
// or reflecting over it for the usual fields. GET contact is the most frequent read;
// its answer's map and reflective encoding were a fifth of its allocations
// (BENCHMARKS.md, issue 18).
func AppendFields(dst []byte, c *models.Contact, fields []string) ([]byte, error) {
	names := make([]string, 0, len(fields)+1)
	names = append(names, "id")
	for _, f := range fields {
		if has(c, f) {
			names = append(names, f)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	dst = append(dst, '{')
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, name)
		dst = append(dst, ':')
		var err error
		if dst, err = appendField(dst, c, name); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// has reports whether the contact shows field (models.Contact.Field), for text
// fields without boxing the value.
func has(c *models.Contact, field string) bool {
	if _, ok := c.Text(field); ok {
		return true
	}
	_, ok := c.Field(field)
	return ok
}

// appendField writes one field's value: text, numbers and terms directly, anything
// else (addresses, flags, dossier, custom values) through encoding/json with HTML
// escaping off, as the map was encoded.
func appendField(b []byte, c *models.Contact, name string) ([]byte, error) {
	if s, ok := c.Text(name); ok {
		return appendString(b, s), nil
	}
	switch name {
	case "id":
		return strconv.AppendInt(b, c.ID, 10), nil
	case "mail_status":
		return strconv.AppendInt(b, int64(c.MailStatus), 10), nil
	case "uid":
		return strconv.AppendInt(b, c.UID, 10), nil
	case "created":
		return strconv.AppendInt(b, c.CreatedAt.Unix(), 10), nil
	case "changed":
		return strconv.AppendInt(b, c.UpdatedAt.Unix(), 10), nil
	case "terms":
		b = append(b, '[')
		for i, t := range c.Terms {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, t, 10)
		}
		return append(b, ']'), nil
	}
	v, _ := c.Field(name)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}
