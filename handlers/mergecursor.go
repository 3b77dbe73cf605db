package handlers

import "github.com/google/uuid"

// mergeCursor reads the before parameter of a merge listing: "" (the newest page) or a
// merge id in its hyphenated form, in either case; it returns the id as stored. The
// store compares ids as text, so anything else ("zzzz", braces, a urn: prefix) would
// silently page from somewhere else instead of being refused.
func mergeCursor(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", false
	}
	return id.String(), true
}
