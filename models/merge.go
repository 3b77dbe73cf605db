package models

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// CheckMethod says how a submitted contact is matched against existing ones.
type CheckMethod string

// Check methods of the Quentn API.
const (
	CheckAuto  CheckMethod = "auto"  // probabilistic record linkage (dedupe)
	CheckEmail CheckMethod = "email" // equal normalised mail
	CheckNone  CheckMethod = "none"  // always create
	// CheckExternalID matches equal external_id (imports; not a Quentn method, so
	// ParseCheckMethod does not accept it).
	CheckExternalID CheckMethod = "external_id"
)

// ParseCheckMethod returns the method named by s ("" means auto).
func ParseCheckMethod(s string) (CheckMethod, bool) {
	switch CheckMethod(s) {
	case "", CheckAuto:
		return CheckAuto, true
	case CheckEmail, CheckNone:
		return CheckMethod(s), true
	}
	return "", false
}

// MergeMethod says how a submission is applied to the contact it matched.
type MergeMethod string

// Merge methods; their exact meaning is documented on Apply and in the README.
const (
	MergeUpdateAdd MergeMethod = "update_add"
	MergeUpdate    MergeMethod = "update"
	MergeAdd       MergeMethod = "add"
)

// ParseMergeMethod returns the method named by s ("" means update_add).
func ParseMergeMethod(s string) (MergeMethod, bool) {
	switch MergeMethod(s) {
	case "", MergeUpdateAdd:
		return MergeUpdateAdd, true
	case MergeUpdate, MergeAdd:
		return MergeMethod(s), true
	}
	return "", false
}

// Apply merges a submission into c and returns the names of the fields that changed.
//
//   - update_add: submitted non-empty values overwrite, submitted empty values are
//     ignored (so empty fields get filled and nothing is blanked); lists (terms,
//     multi-select custom fields) are unioned.
//   - update: every submitted value overwrites, an empty one clears the field; lists
//     are replaced.
//   - add: only fields that are empty on c are filled; nothing is overwritten; lists
//     gain the submitted items they lack.
//
// With protectConsent (every merge of a duplicate) a restrictive mail_status
// (unsubscribed, spam, blocked) is never replaced by a permissive one. An explicit
// PUT of the contact passes false: an integrator may record a new opt-in.
func (c *Contact) Apply(s *Submission, method MergeMethod, protectConsent bool) []string {
	var changed []string
	set := func(name string, cur *string, v string) {
		if *cur != v {
			*cur = v
			changed = append(changed, name)
		}
	}
	for _, name := range TextFieldNames() {
		v, sent := s.Text[name]
		if !sent {
			continue
		}
		cur, _ := c.Text(name)
		switch method {
		case MergeUpdate:
		case MergeAdd:
			if cur != "" {
				continue
			}
		default:
			if v == "" {
				continue
			}
		}
		p := textFieldByName[name].ptr(c)
		set(name, p, v)
		if name == "mail" {
			c.MailKey = NormalizeMail(v)
		}
	}
	if s.MailStatus != nil {
		v := *s.MailStatus
		keep := (method == MergeAdd && c.MailStatus != MailStatusUnknown) ||
			(method == MergeUpdateAdd && v == MailStatusUnknown) ||
			(protectConsent && IsRestrictiveMailStatus(c.MailStatus) && !IsRestrictiveMailStatus(v))
		if !keep && c.MailStatus != v {
			c.MailStatus = v
			changed = append(changed, "mail_status")
		}
	}
	if s.UID != nil && c.UID != *s.UID && !(method == MergeAdd && c.UID != 0) && !(method == MergeUpdateAdd && *s.UID == 0) {
		c.UID = *s.UID
		changed = append(changed, "uid")
	}
	changed = append(changed, c.Profile.apply(s.Profile, method)...)
	if s.HasTerms {
		next := slices.Clone(s.Terms)
		if method != MergeUpdate {
			next = union(c.Terms, s.Terms)
		}
		if !slices.Equal(next, c.Terms) {
			c.Terms = next
			changed = append(changed, "terms")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Custom)) {
		v := s.Custom[name]
		cur, has := c.Custom[name]
		var next any
		switch method {
		case MergeUpdate:
			next = v
		case MergeAdd:
			if has && cur != nil {
				if l, ok := v.([]string); ok {
					next = unionStrings(asStrings(cur), l)
				} else {
					continue
				}
			} else {
				next = v
			}
		default:
			if v == nil {
				continue
			}
			next = v
			if l, ok := v.([]string); ok && has {
				next = unionStrings(asStrings(cur), l)
			}
		}
		if customEqual(cur, next) {
			continue
		}
		if c.Custom == nil {
			c.Custom = CustomValues{}
		}
		if next == nil {
			delete(c.Custom, name)
		} else {
			c.Custom[name] = next
		}
		changed = append(changed, CustomFieldPrefix+name)
	}
	return changed
}

func union(a, b []int64) []int64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func unionStrings(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// asStrings reads a stored list value, which comes back from JSON as []any.
func asStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func customEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if la, ok := a.([]string); ok {
		return slices.Equal(la, asStrings(b))
	}
	if lb, ok := b.([]string); ok {
		return slices.Equal(asStrings(a), lb)
	}
	// A number may be an int64 or a float64 for the same value (a float field's 2.0 is
	// stored as 2 and read back as int64, see CustomValues.UnmarshalJSON); compare
	// through their text.
	return strings.TrimSuffix(toText(a), ".0") == strings.TrimSuffix(toText(b), ".0")
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
