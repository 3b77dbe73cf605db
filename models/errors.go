package models

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in handlers/errors.go.
const (
	ECONFLICT    = "conflict"     // 409: the change contradicts the current state
	EFORBIDDEN   = "forbidden"    // 403: authenticated but not allowed (wrong tenant, spam-listed IP)
	EINTERNAL    = "internal"     // 500: a bug or an unavailable dependency
	EINVALID     = "invalid"      // 422: one or more fields are invalid
	ELIMITED     = "limited"      // 429: a quota or flood limit was reached
	ENOTFOUND    = "not_found"    // 404: no such thing in this tenant
	ETOOLARGE    = "too_large"    // 413: more items or bytes than allowed
	EUNAUTH      = "unauthorized" // 401: no or unknown API key
	EBADREQUEST  = "bad_request"  // 400: the request cannot be parsed
	EUNAVAILABLE = "unavailable"  // 503: a dependency is down and the policy is to refuse
)

// FieldError names one invalid field and why it is invalid.
type FieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// Error is the one error type the domain and the store return to callers. Lower layers
// wrap it with context; handlers unwrap it with errors.As and map Code to a status.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter is set on ELIMITED errors: how long until the caller may try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Error)
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrNotFound) true for every not-found error, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && len(t.Fields) == 0
}

// Sentinels for errors.Is. They carry no message so any error of the same code matches.
var (
	ErrNotFound = &Error{Code: ENOTFOUND}
	ErrConflict = &Error{Code: ECONFLICT}
	ErrInvalid  = &Error{Code: EINVALID}
)

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// UnknownTerms is the problem of a contact that names term ids its tenant does not
// have; every path that checks term ids reports it in these words.
func UnknownTerms(ids []int64) FieldError {
	return FieldError{Field: "terms", Error: fmt.Sprintf("unknown term ids %v", ids)}
}

// TooManyTerms is the problem of a merge that would leave a contact with n terms,
// more than MaxTermsPerContact (the union of two contacts' terms can be).
func TooManyTerms(n int) FieldError {
	return FieldError{Field: "terms", Error: fmt.Sprintf("a contact holds at most %d terms; this merge would give it %d", MaxTermsPerContact, n)}
}

// ValidationError collects per-field problems so a caller sees all of them at once,
// not only the first.
type ValidationError struct {
	Fields []FieldError
}

// Add records that field is invalid for reason.
func (v *ValidationError) Add(field, reason string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Error: reason})
}

// Addf records a formatted reason.
func (v *ValidationError) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Prefix returns the collected problems with prefix prepended to each field name,
// e.g. "contacts[3].mail".
func (v *ValidationError) Prefix(prefix string) []FieldError {
	out := make([]FieldError, len(v.Fields))
	for i, f := range v.Fields {
		out[i] = FieldError{Field: prefix + f.Field, Error: f.Error}
	}
	return out
}

// Err returns nil when nothing was added, else an EINVALID *Error listing every field.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid fields", Fields: v.Fields}
}

// JoinProblems is one answer for the checks of several parts of a request: an EINVALID
// *Error with the invalid fields of all of them, sorted by field name, or the first
// error of another kind; nil when all are nil.
func JoinProblems(errs ...error) error {
	var fields []FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Code != EINVALID {
			return err
		}
		fields = append(fields, de.Fields...)
	}
	if len(fields) == 0 {
		return nil
	}
	slices.SortStableFunc(fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &Error{Code: EINVALID, Message: "invalid fields", Fields: fields}
}

// PrefixFields qualifies the field names of a validation error with where the fields
// sit in a request, e.g. "contact." + "mail". Other errors, and nil, are returned as
// they are.
func PrefixFields(err error, prefix string) error {
	de, ok := err.(*Error)
	if !ok || prefix == "" {
		return err
	}
	out := *de
	out.Fields = make([]FieldError, len(de.Fields))
	for i, f := range de.Fields {
		out.Fields[i] = FieldError{Field: prefix + f.Field, Error: f.Error}
	}
	return &out
}
