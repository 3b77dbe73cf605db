package models

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	EUNSUPPORTED = "unsupported"  // 415: a body in a media type the API does not read
)

// FieldError names one invalid field and why it is invalid.
type FieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// Bounds of what one error holds, so that its answer stays small whatever the request:
// a body of a million bad ids must not answer a million problems, nor a key of a
// megabyte a message of a megabyte.
const (
	// MaxFieldErrors is the most problems one error lists; the others are counted
	// (Error.Omitted).
	MaxFieldErrors = 100
	// MaxExcerpt is the most characters of a client's value a message quotes (Excerpt).
	MaxExcerpt = 64
	// MaxFieldLen, MaxReasonLen and MaxMessageLen bound a field name, a reason and a
	// message in bytes; longer ones are cut (Clip). Every reason of the API is shorter.
	MaxFieldLen   = 200
	MaxReasonLen  = 512
	MaxMessageLen = 512
	// maxListedIDs is the most ids a message names (IDList).
	maxListedIDs = 20
)

// Error is the one error type the domain and the store return to callers. Lower layers
// wrap it with context; handlers unwrap it with errors.As and map Code to a status.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Omitted counts the problems found beyond Fields, which holds at most
	// MaxFieldErrors of them.
	Omitted int
	// RetryAfter is set on ELIMITED errors: how long until the caller may try again.
	RetryAfter time.Duration
}

// messageFields is how many field problems Error() spells out.
const messageFields = 10

// Error is the message followed by the first problems ("invalid fields: mail: is not a
// valid e-mail address; …") and how many more there are.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	n := min(len(e.Fields), messageFields)
	parts := make([]string, 0, n+1)
	for _, f := range e.Fields[:n] {
		parts = append(parts, f.Field+": "+f.Error)
	}
	if more := e.Total() - n; more > 0 {
		parts = append(parts, "and "+strconv.Itoa(more)+" more")
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Total is the number of problems found: those listed and those omitted.
func (e *Error) Total() int { return len(e.Fields) + e.Omitted }

// Bounded returns e with at most max problems listed (the rest counted in Omitted) and
// every message, field name and reason clipped to its bound (Clip). An error within
// its bounds is returned as is.
func (e *Error) Bounded(max int) *Error {
	within := len(e.Fields) <= max && len(e.Message) <= MaxMessageLen
	for _, f := range e.Fields {
		within = within && len(f.Field) <= MaxFieldLen && len(f.Error) <= MaxReasonLen
	}
	if within {
		return e
	}
	out := *e
	out.Message = Clip(e.Message, MaxMessageLen)
	n := min(len(e.Fields), max)
	out.Fields = make([]FieldError, n)
	for i, f := range e.Fields[:n] {
		out.Fields[i] = f.clipped()
	}
	out.Omitted += len(e.Fields) - n
	return &out
}

func (f FieldError) clipped() FieldError {
	return FieldError{Field: Clip(f.Field, MaxFieldLen), Error: Clip(f.Error, MaxReasonLen)}
}

// Clip returns s cut to at most max bytes at a character boundary, ending in "…" when
// it was cut.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// Excerpt is how a message shows a value the client sent: its first MaxExcerpt
// characters, followed by "…" when there are more. A message never echoes more.
func Excerpt(s string) string {
	i, n := 0, 0
	for i < len(s) && n < MaxExcerpt {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	if i == len(s) {
		return s
	}
	return s[:i] + "…"
}

// Quote is the Go-quoted Excerpt of a client's value: "nope", "xxxx…".
func Quote(s string) string { return strconv.Quote(Excerpt(s)) }

// IDList shows ids as a message names them: [3 7 9], only the first 20 of a long
// list and how many more there are.
func IDList(ids []int64) string {
	n := min(len(ids), maxListedIDs)
	var sb strings.Builder
	sb.WriteByte('[')
	for i, id := range ids[:n] {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.FormatInt(id, 10))
	}
	sb.WriteByte(']')
	if len(ids) > n {
		fmt.Fprintf(&sb, " and %d more", len(ids)-n)
	}
	return sb.String()
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
	return FieldError{Field: "terms", Error: "unknown term ids " + IDList(ids)}
}

// TooManyTerms is the problem of a merge that would leave a contact with n terms,
// more than MaxTermsPerContact (the union of two contacts' terms can be).
func TooManyTerms(n int) FieldError {
	return FieldError{Field: "terms", Error: fmt.Sprintf("a contact holds at most %d terms; this merge would give it %d", MaxTermsPerContact, n)}
}

// ValidationError collects per-field problems so a caller sees all of them at once,
// not only the first. It keeps the first MaxFieldErrors, clipped (Clip), and counts the
// others: a body of many bad elements costs neither memory nor answer per element.
type ValidationError struct {
	Fields []FieldError
	// Omitted counts the problems added beyond MaxFieldErrors.
	Omitted int
}

// Add records that field is invalid for reason.
func (v *ValidationError) Add(field, reason string) {
	if v.full() {
		return
	}
	v.Fields = append(v.Fields, FieldError{Field: field, Error: reason}.clipped())
}

// Addf records a formatted reason. A client's value belongs in it as Excerpt or Quote.
func (v *ValidationError) Addf(field, format string, args ...any) {
	if v.full() {
		return
	}
	v.Add(field, fmt.Sprintf(format, args...))
}

// full counts a problem that will not be kept.
func (v *ValidationError) full() bool {
	if len(v.Fields) < MaxFieldErrors {
		return false
	}
	v.Omitted++
	return true
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

// Len is the number of problems added, kept or not.
func (v *ValidationError) Len() int { return len(v.Fields) + v.Omitted }

// Err returns nil when nothing was added, else an EINVALID *Error listing the fields
// (and counting those beyond MaxFieldErrors).
func (v *ValidationError) Err() error {
	if v == nil || v.Len() == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid fields", Fields: v.Fields, Omitted: v.Omitted}
}

// JoinProblems is one answer for the checks of several parts of a request: an EINVALID
// *Error with the invalid fields of all of them, sorted by field name (at most
// MaxFieldErrors, the others and those the parts omitted counted), or the first error
// of another kind; nil when all are nil.
func JoinProblems(errs ...error) error {
	var fields []FieldError
	omitted := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Code != EINVALID {
			return err
		}
		fields = append(fields, de.Fields...)
		omitted += de.Omitted
	}
	if len(fields)+omitted == 0 {
		return nil
	}
	slices.SortStableFunc(fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return (&Error{Code: EINVALID, Message: "invalid fields", Fields: fields, Omitted: omitted}).Bounded(MaxFieldErrors)
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
