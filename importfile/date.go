package importfile

import (
	"fmt"
	"strings"
	"time"
)

// ParseDate reads a date as spreadsheets write it: YYYY-MM-DD (ISO 8601, also with a
// time after it, which is dropped) or DD.MM.YYYY (German; D.M.YYYY too). It returns the
// date as YYYY-MM-DD, or an error saying which forms are accepted.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[4] == '-' && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("%q is not a date (YYYY-MM-DD or DD.MM.YYYY)", s)
}
