package contacts

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// Input is one submitted contact, as the door that received it holds it: the JSON
// fields of an API body, a CSV row, or an import record's Go values. Its fields are
// decoded where they are read, under one set of rules (models.DecodeSubmission and
// models.DecodeValues); nothing is re-encoded.
type Input struct {
	src source
}

// FromJSON is a contact sent as a JSON object of fields (field name to value).
func FromJSON(fields map[string]json.RawMessage) Input { return Input{jsonSource(fields)} }

// FromValues is a contact held as Go values, such as an import record decoded from
// JSON or built by code: see models.DecodeValues for what each field accepts.
func FromValues(fields map[string]any) Input { return Input{goSource[any](fields)} }

// FromStrings is a contact held as text, such as a CSV row mapped to field names:
// numbers in decimal, lists (terms, multi-select options) comma-separated.
func FromStrings(row map[string]string) Input { return Input{goSource[string](row)} }

// source is what the service asks of an input, whatever its representation.
type source interface {
	decode(defs map[string]*models.CustomField, mode models.SubmissionMode) (*models.Submission, error)
	// customNames lists the custom field names the input uses (field_<name>).
	customNames() []string
	has(name string) bool
	// only is the input with just the named fields that keep returns true for.
	only(names []string, keep func(name string) bool) source
	// termIDs are the term ids of the terms field, or none when it is missing or
	// malformed (decode reports that).
	termIDs() []int64
	// mail is the mail as sent, when it was text.
	mail() string
}

type jsonSource map[string]json.RawMessage

func (s jsonSource) decode(defs map[string]*models.CustomField, mode models.SubmissionMode) (*models.Submission, error) {
	return models.DecodeSubmission(s, defs, mode)
}

func (s jsonSource) customNames() []string { return customNames(s) }

func (s jsonSource) has(name string) bool { _, ok := s[name]; return ok }

func (s jsonSource) only(names []string, keep func(string) bool) source {
	out := jsonSource{}
	for _, name := range names {
		if v, ok := s[name]; ok && keep(name) {
			out[name] = v
		}
	}
	return out
}

func (s jsonSource) termIDs() []int64 {
	raw, sent := s["terms"]
	if !sent {
		return nil
	}
	ids, ok := models.ParseTermIDs(raw)
	if !ok {
		return nil
	}
	return normalizedTerms(ids)
}

func (s jsonSource) mail() string {
	var m string
	if raw, ok := s["mail"]; ok && json.Unmarshal(bytes.TrimSpace(raw), &m) == nil {
		return m
	}
	return ""
}

// goSource holds Go values: V is string for CSV rows, any for import records.
type goSource[V any] map[string]V

func (s goSource[V]) decode(defs map[string]*models.CustomField, mode models.SubmissionMode) (*models.Submission, error) {
	return models.DecodeValues(map[string]V(s), defs, mode)
}

func (s goSource[V]) customNames() []string { return customNames(s) }

func (s goSource[V]) has(name string) bool { _, ok := s[name]; return ok }

func (s goSource[V]) only(names []string, keep func(string) bool) source {
	out := goSource[V]{}
	for _, name := range names {
		if v, ok := s[name]; ok && keep(name) {
			out[name] = v
		}
	}
	return out
}

func (s goSource[V]) termIDs() []int64 {
	v, sent := s["terms"]
	if !sent {
		return nil
	}
	ids, ok := models.TermIDsOf(v)
	if !ok {
		return nil
	}
	return normalizedTerms(ids)
}

func (s goSource[V]) mail() string {
	if v, ok := s["mail"]; ok {
		if m, ok := any(v).(string); ok {
			return m
		}
	}
	return ""
}

func normalizedTerms(ids []int64) []int64 {
	ids, reason := models.NormalizeIDs(ids, models.MaxTermsPerContact)
	if reason != "" {
		return nil
	}
	return ids
}

// customNames lists the custom field names among a contact's field names.
func customNames[V any](fields map[string]V) []string {
	var out []string
	for k := range fields {
		if name, ok := strings.CutPrefix(k, models.CustomFieldPrefix); ok {
			out = append(out, name)
		}
	}
	return out
}
