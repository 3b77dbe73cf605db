package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// readBody reads the whole request body; BodyLimit middleware has capped its size.
func readBody(c echo.Context) ([]byte, error) {
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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err, v)
	}
	if dec.More() {
		return models.Errorf(models.EBADREQUEST, "malformed JSON: unexpected data after the JSON value at %s", position(body, dec.InputOffset()))
	}
	return nil
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
		if field == "" {
			return models.Errorf(models.EBADREQUEST, "malformed request: expected a JSON %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return invalid(field, fmt.Sprintf("must be %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid(strings.Trim(name, `"`), "is not a known field")
	}
	return models.Errorf(models.EBADREQUEST, "malformed JSON: %v", err)
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
