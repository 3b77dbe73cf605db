package models

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// value is one submitted field value: JSON text as a request body carried it, or a Go
// value as a CSV row (string) or an import record (string, number, bool, list, map)
// carries it. The decoders read every value through the accessors below, which differ
// only in how they read each representation; the rules a value must then pass are
// written once, so a contact is held to the same rules whichever door it came through.
// A Go value is never re-encoded as JSON.
type value struct {
	raw   []byte // JSON, trimmed; when !typed
	v     any    // when typed
	typed bool
}

func jsonValue(raw []byte) value { return value{raw: bytes.TrimSpace(raw)} }

func goValue(v any) value { return value{v: v, typed: true} }

// null reports an explicit null: JSON null, or a nil Go value.
func (x value) null() bool {
	if x.typed {
		return x.v == nil
	}
	return string(x.raw) == "null"
}

// empty reports a value every custom field type reads as "no value": null, nothing,
// or the empty string (form builders send "" for an input left empty).
func (x value) empty() bool {
	if x.typed {
		s, ok := x.v.(string)
		return x.v == nil || ok && s == ""
	}
	return len(x.raw) == 0 || string(x.raw) == "null" || string(x.raw) == `""`
}

// text reads a value meant as text: a string, or a number as its digits (form
// builders send postal codes and ids as numbers).
func (x value) text() (string, bool) {
	if !x.typed {
		return jsonString(x.raw)
	}
	switch t := x.v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(t), 'f', -1, 32), true
	}
	if n, ok := goInt(x.v); ok {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// str reads a value that must be a string (comment, request_ip): numbers are refused.
func (x value) str() (string, bool) {
	if !x.typed {
		var s string
		return s, json.Unmarshal(x.raw, &s) == nil
	}
	s, ok := x.v.(string)
	return s, ok
}

// number is the value's text when it is read as a number: JSON as written with any
// quotes around it dropped (Quentn clients send "5" as well as 5), a Go string as it
// is, a Go number in decimal. ok is false for any other Go value.
func (x value) number() (string, bool) {
	if !x.typed {
		return strings.Trim(string(x.raw), `"`), true
	}
	switch t := x.v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(t), 'g', -1, 32), true
	}
	if n, ok := goInt(x.v); ok {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// integer reads a whole number: see number. A Go float is one when it has no
// fraction (decoders without UseNumber turn 5 into 5.0).
func (x value) integer() (int64, bool) {
	if x.typed {
		if f, ok := x.v.(float64); ok {
			if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return 0, false
			}
			return int64(f), true
		}
	}
	s, ok := x.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// goInt reads Go's integer types.
func goInt(v any) (int64, bool) {
	switch t := v.(type) {
	case int:
		return int64(t), true
	case int8:
		return int64(t), true
	case int16:
		return int64(t), true
	case int32:
		return int64(t), true
	case int64:
		return t, true
	case uint:
		return uintToInt(uint64(t))
	case uint8:
		return int64(t), true
	case uint16:
		return int64(t), true
	case uint32:
		return int64(t), true
	case uint64:
		return uintToInt(t)
	}
	return 0, false
}

func uintToInt(n uint64) (int64, bool) {
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// list reads a list value (terms, multi-select options). A Go string is a
// comma-separated list, as a CSV cell holds one; "" is the empty list.
func (x value) list() ([]value, bool) {
	if !x.typed {
		var raw []json.RawMessage
		if err := json.Unmarshal(x.raw, &raw); err != nil || raw == nil {
			return nil, false
		}
		out := make([]value, len(raw))
		for i, r := range raw {
			out[i] = jsonValue(r)
		}
		return out, true
	}
	switch t := x.v.(type) {
	case []any:
		out := make([]value, len(t))
		for i, e := range t {
			out[i] = goValue(e)
		}
		return out, true
	case []string:
		out := make([]value, len(t))
		for i, e := range t {
			out[i] = goValue(e)
		}
		return out, true
	case []int64:
		out := make([]value, len(t))
		for i, e := range t {
			out[i] = goValue(e)
		}
		return out, true
	case []int:
		out := make([]value, len(t))
		for i, e := range t {
			out[i] = goValue(e)
		}
		return out, true
	case string:
		var out []value
		for part := range strings.SplitSeq(t, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, goValue(part))
			}
		}
		if out == nil {
			out = []value{}
		}
		return out, true
	}
	return nil, false
}

// ownerUID is the uid inside owner as reads show it ({"uid": 5}), or the value
// itself when it is not such an object.
func (x value) ownerUID() value {
	if x.typed {
		if m, ok := x.v.(map[string]any); ok {
			if uid, ok := m["uid"]; ok {
				return goValue(uid)
			}
		}
		return x
	}
	var shown struct {
		UID json.RawMessage `json:"uid"`
	}
	if len(x.raw) > 0 && x.raw[0] == '{' && json.Unmarshal(x.raw, &shown) == nil && shown.UID != nil {
		return jsonValue(shown.UID)
	}
	return x
}

// date reads a date or time: see number; a Go time.Time is taken as RFC 3339.
func (x value) date() (string, bool) {
	if t, ok := x.v.(time.Time); ok && x.typed {
		return t.Format(time.RFC3339Nano), true
	}
	return x.number()
}

// TermIDsOf reads a contact's terms from a Go value as the typed decoder does: a list
// of ids ([]int64, []int, or []any/[]string of numbers or numeric strings) or a
// comma-separated string of ids; nil is none. ok is false for anything else. See
// ParseTermIDs for JSON.
func TermIDsOf(v any) ([]int64, bool) {
	return termIDs(goValue(v))
}

func termIDs(x value) ([]int64, bool) {
	if !x.typed {
		return ParseTermIDs(x.raw)
	}
	if x.null() {
		return nil, true
	}
	items, ok := x.list()
	if !ok {
		return nil, false
	}
	ids := make([]int64, 0, len(items))
	for _, item := range items {
		n, ok := item.integer()
		if !ok {
			return nil, false
		}
		ids = append(ids, n)
	}
	return ids, true
}

// options reads a multi-select value: a list of strings (null items read as "", as
// JSON decoding does).
func (x value) options() ([]string, bool) {
	if !x.typed {
		var list []string
		if err := json.Unmarshal(x.raw, &list); err != nil {
			return nil, false
		}
		return list, true
	}
	if l, ok := x.v.([]string); ok {
		return l, true
	}
	items, ok := x.list()
	if !ok {
		return nil, false
	}
	out := make([]string, len(items))
	for i, item := range items {
		if item.null() {
			continue
		}
		s, ok := item.v.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// checkbox reads a checkbox confirmation: an object of exactly ip, created and source
// (each may be left out).
func (x value) checkbox() (CheckboxConfirmation, bool) {
	var cb CheckboxConfirmation
	if !x.typed {
		dec := json.NewDecoder(bytes.NewReader(x.raw))
		dec.DisallowUnknownFields()
		return cb, dec.Decode(&cb) == nil
	}
	switch t := x.v.(type) {
	case CheckboxConfirmation:
		return t, true
	case *CheckboxConfirmation:
		if t == nil {
			return cb, false
		}
		return *t, true
	case map[string]any:
		for k, v := range t {
			var ok bool
			switch k {
			case "ip":
				cb.IP, ok = v.(string)
			case "source":
				cb.Source, ok = v.(string)
			case "created":
				cb.Created, ok = goValue(v).integer()
			default:
				return cb, false
			}
			if !ok && v != nil {
				return cb, false
			}
		}
		return cb, true
	}
	return cb, false
}
