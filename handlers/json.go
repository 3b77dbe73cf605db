package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// readBody reads the whole request body; BodyLimit middleware has capped its size.
// A body not declared as JSON is refused unread (requireJSON).
func readBody(c echo.Context) ([]byte, error) {
	if err := requireJSON(c.Request()); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, models.Errorf(models.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
		}
		return nil, models.Errorf(models.EBADREQUEST, "cannot read request body: %v", err)
	}
	return body, nil
}

// decodeJSON decodes the body into v, rejecting unknown fields, trailing data and an
// empty body. Syntax errors answer 400 with line and column; a value of the wrong type
// or an unknown field answers 422 naming the field.
func decodeJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return models.Errorf(models.EBADREQUEST, "request body is empty; send JSON")
	}
	if err := checkText(body); err != nil {
		return err
	}
	path, err := scanShape(body, bodyLimits)
	if err != nil {
		return err
	}
	if path != "" {
		return invalid(path, "is given more than once; send each field once")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err, v)
	}
	// Only white space may follow the value. (dec.More reports false before a closing
	// bracket, so {"a":1}} passed as {"a":1}.)
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(body[end:], " \t\r\n"); len(rest) > 0 {
		return models.Errorf(models.EBADREQUEST, "malformed JSON: unexpected data after the JSON value at %s", position(body, int64(len(body)-len(rest))))
	}
	return nil
}

// checkText refuses a body that is not valid UTF-8, raw or escaped. encoding/json
// would replace each bad byte, and each \u escape of half a surrogate pair, with
// U+FFFD, so the contact would be stored altered instead of refused.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		i := 0
		for i < len(body) {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return models.Errorf(models.EBADREQUEST, "request body is not valid UTF-8: bad byte at %s", position(body, int64(i)))
	}
	// Backslashes occur only inside strings in JSON; whatever else is wrong the decoder
	// reports.
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		if body[i+1] != 'u' {
			i++ // \" \\ \/ \b …: skip the escaped character
			continue
		}
		r, ok := hex4(body[i+2:])
		switch {
		case !ok:
			continue // the decoder reports it
		case utf16.IsSurrogate(r) && r < 0xDC00: // first half: the second must follow
			if len(body) >= i+12 && body[i+6] == '\\' && body[i+7] == 'u' {
				if r2, ok := hex4(body[i+8:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
					i += 11
					continue
				}
			}
			fallthrough
		case utf16.IsSurrogate(r):
			return models.Errorf(models.EBADREQUEST, "request body is not valid UTF-8: unpaired surrogate %s at %s", body[i:i+6], position(body, int64(i)))
		}
		i += 5
	}
	return nil
}

// shapeLimits bound the shape of a request body, checked before it is decoded:
// decoding allocates per element, and validating answers per element, so counts are
// refused before either.
type shapeLimits struct {
	depth, elements, keys int
}

// bodyLimits are the shape limits of every request body. No request of the API comes
// near them; each endpoint has its own, smaller limits.
var bodyLimits = shapeLimits{
	// The deepest body nests four levels ({"contacts": [{"owner": {"uid": 1}}]}).
	depth: 32,
	// The longest list is a spam-list call's 10,000 entries.
	elements: 10000,
	// A contact has about 40 standard fields and at most 500 custom fields.
	keys: 1000,
}

// duplicateKey returns the path of the first key that occurs twice in one object of
// body, or "", whatever the shape of body (see scanShape).
func duplicateKey(body []byte) string {
	dup, _ := scanShape(body, shapeLimits{math.MaxInt, math.MaxInt, math.MaxInt})
	return dup
}

// scanShape checks the shape of body in one pass. It returns the path ("contact.mail",
// "contacts[2].mail") of the first key that occurs twice in one object, or an error
// for a body nested deeper than limit.depth (EBADREQUEST), an array of more than
// limit.elements or an object of more than limit.keys (ETOOLARGE).
//
// encoding/json keeps the last of duplicate keys and matches struct fields ignoring
// case, so {"mail": a, "mail": b} or {"flood_limit": 5, "Flood_Limit": 0} would drop a
// value without a word; keys are therefore compared ignoring case. Malformed JSON is
// left to the decoder: the scan stops where it cannot follow the structure.
func scanShape(body []byte, limit shapeLimits) (string, error) {
	type frame struct {
		object    bool
		expectKey bool
		keys      [][]byte            // this object's keys so far: slices of body unless escaped
		folded    map[string]struct{} // the same keys lower-cased, once there are many
		index     int                 // this array's element
	}
	var stack []frame // frames are reused with their keys' capacity: few allocations
	depth := 0
	// path names the innermost container (""), or key in it, by the keys and indexes
	// that lead to it.
	path := func(key []byte) string {
		var sb strings.Builder
		for _, f := range stack[:depth-1] {
			switch {
			case !f.object:
				fmt.Fprintf(&sb, "[%d]", f.index)
			case len(f.keys) == 0: // unreachable: a container in an object follows a key
				sb.WriteString(".?")
			case sb.Len() > 0:
				sb.WriteString("." + string(f.keys[len(f.keys)-1]))
			default:
				sb.Write(f.keys[len(f.keys)-1])
			}
		}
		if key == nil {
			return sb.String()
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		if len(key) == 0 {
			sb.WriteString(`""`) // the empty key: a path of its own, never "" (none)
		}
		sb.Write(key)
		return sb.String()
	}
	tooMany := func(what string, limit int) error {
		name := "the body"
		if p := path(nil); p != "" {
			name = models.Quote(p)
		}
		return models.Errorf(models.ETOOLARGE, "request body: %s has more than %d %s; no request of this API needs as many", name, limit, what)
	}
	push := func(object bool) {
		if depth == len(stack) {
			stack = append(stack, frame{})
		}
		stack[depth] = frame{object: object, expectKey: object, keys: stack[depth].keys[:0], folded: stack[depth].folded}
		clear(stack[depth].folded)
		depth++
	}
	for i := 0; i < len(body); i++ {
		var top *frame
		if depth > 0 {
			top = &stack[depth-1]
		}
		switch body[i] {
		case '{', '[':
			if top != nil && top.object && top.expectKey {
				return "", nil // a value where a key belongs ({{…): malformed
			}
			if depth == limit.depth {
				return "", models.Errorf(models.EBADREQUEST, "malformed request: JSON nested deeper than %d levels at %s", limit.depth, position(body, int64(i)))
			}
			push(body[i] == '{')
		case '}', ']':
			if top == nil {
				return "", nil
			}
			depth--
		case ',':
			if top == nil {
				return "", nil
			}
			if top.object {
				top.expectKey = true
			} else if top.index++; top.index >= limit.elements {
				return "", tooMany("elements", limit.elements)
			}
		case '"':
			end, escaped := i+1, false // end: the closing quote
			for end < len(body) && body[end] != '"' {
				if body[end] == '\\' {
					end, escaped = end+1, true
				}
				end++
			}
			if end >= len(body) {
				return "", nil
			}
			if top != nil && top.object && top.expectKey {
				if len(top.keys) == limit.keys {
					return "", tooMany("keys", limit.keys)
				}
				key := body[i+1 : end]
				if escaped {
					var k string
					if json.Unmarshal(body[i:end+1], &k) != nil {
						return "", nil
					}
					key = []byte(k)
				}
				// A scan of the keys so far serves objects of a contact's size without
				// allocating; an object of many keys gets a set, or a body of one huge
				// object would cost quadratic time. (Keys that fold alike only in
				// Unicode's special cases are no field names: the decoder refuses them.)
				if len(top.keys) < manyKeys {
					if slices.ContainsFunc(top.keys, func(k []byte) bool { return bytes.EqualFold(k, key) }) {
						return path(key), nil
					}
				} else {
					if top.folded == nil {
						top.folded = make(map[string]struct{})
					}
					if len(top.folded) == 0 {
						for _, k := range top.keys {
							top.folded[strings.ToLower(string(k))] = struct{}{}
						}
					}
					f := strings.ToLower(string(key))
					if _, dup := top.folded[f]; dup {
						return path(key), nil
					}
					top.folded[f] = struct{}{}
				}
				top.keys = append(top.keys, key)
				top.expectKey = false
			}
			i = end
		}
	}
	return "", nil
}

// manyKeys is the size from which duplicateKey keeps an object's keys in a set.
const manyKeys = 32

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func jsonError(body []byte, err error, v any) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte; the position names that byte.
		return models.Errorf(models.EBADREQUEST, "malformed JSON at %s: %s", position(body, max(syn.Offset-1, 0)), syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EBADREQUEST, "malformed JSON: unexpected end of input at %s", position(body, int64(len(body))))
	case errors.As(err, &typ):
		field := clientPath(typ.Field, v)
		// Value is the kind of what was sent, and for a number the number itself.
		if field == "" {
			return models.Errorf(models.EBADREQUEST, "malformed request: expected a JSON %s, got %s", jsonKind(typ.Type.Kind().String()), models.Excerpt(typ.Value))
		}
		return invalid(field, fmt.Sprintf("must be %s, got %s", jsonKind(typ.Type.Kind().String()), models.Excerpt(typ.Value)))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if path := unknownFieldPath(body, reflect.TypeOf(v), name); path != "" {
			name = path
		}
		return invalid(models.Excerpt(name), "is not a known field")
	}
	return models.Errorf(models.EBADREQUEST, "malformed JSON: %v", err)
}

// unknownFieldPath finds where in body the unknown key name stands, as the client
// sent it ("qntn.redirect"): encoding/json names only the key. It walks the body's
// tokens beside t, the type decoded into, and returns the path of the first key that
// is name and no field of the struct it is in; "" when it finds none.
func unknownFieldPath(body []byte, t reflect.Type, name string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func(t reflect.Type, path string) (string, bool)
	// skip reads one value whatever it is.
	skip := func() bool {
		var raw json.RawMessage
		return dec.Decode(&raw) == nil
	}
	walk = func(t reflect.Type, path string) (string, bool) {
		for t != nil && (t.Kind() == reflect.Pointer) {
			t = t.Elem()
		}
		if t == nil || (t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice) || t == reflect.TypeOf(json.RawMessage(nil)) {
			return "", skip()
		}
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch tok {
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				var elem reflect.Type
				if t.Kind() == reflect.Slice {
					elem = t.Elem()
				}
				if found, ok := walk(elem, fmt.Sprintf("%s[%d]", path, i)); found != "" || !ok {
					return found, ok
				}
			}
			_, err := dec.Token()
			return "", err == nil
		case json.Delim('{'):
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return "", false
				}
				key, _ := kt.(string)
				child := path + key
				if path != "" {
					child = path + "." + key
				}
				var next reflect.Type
				switch t.Kind() {
				case reflect.Map:
					next = t.Elem()
				case reflect.Struct:
					f, ok := jsonField(t, key)
					if !ok {
						if key == name {
							return child, true
						}
						if !skip() {
							return "", false
						}
						continue
					}
					next = f
				}
				if found, ok := walk(next, child); found != "" || !ok {
					return found, ok
				}
			}
			_, err := dec.Token()
			return "", err == nil
		}
		return "", true // a scalar where an object was expected: not this error
	}
	found, _ := walk(t, "")
	return found
}

// jsonField is the type of the field of struct t that encoding/json decodes key into
// (exact name first, then ignoring case, through embedded structs).
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if inner, ok := jsonField(ft, key); ok {
					return inner, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		n := cmp.Or(tag, f.Name)
		if n == key {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(n, key) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}

// clientPath turns encoding/json's field path into the one the client sent: Go puts
// the names of embedded structs in it ("createOptions.flood_limit").
func clientPath(field string, v any) string {
	embedded := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				embedded[f.Name] = true
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(v))
	parts := strings.Split(field, ".")
	out := parts[:0]
	for _, p := range parts {
		if !embedded[p] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	}
	return "a " + goKind
}

// position turns a byte offset into "line L, column C (byte N)".
func position(body []byte, offset int64) string {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	line, col := 1, 1
	for _, b := range body[:offset] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, offset)
}
