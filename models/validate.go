package models

import (
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ValidMail reports whether s is a plain address (no display name) with a domain that
// has a dot, which is what a deliverable contact address looks like.
func ValidMail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// ValidPhone reports whether s looks like a phone number: digits with the usual
// separators, at least three digits. Normalisation to E.164 happens in dedupe.
func ValidPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-()/.", r):
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20
}

// ParseDate parses the ISO 8601 forms clients send for dates of birth and date custom
// fields and returns the canonical form: "2006-01-02" for a date, RFC 3339 for a time.
func ParseDate(s string) (string, bool) {
	t, dateOnly, ok := parseISODate(s)
	if !ok {
		return "", false
	}
	return formatDate(t, dateOnly), true
}

// parseISODate parses the forms ParseDate accepts; times are turned to UTC and dateOnly
// says the value had no time of day.
func parseISODate(s string) (t time.Time, dateOnly, ok bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, true
		}
	}
	return time.Time{}, false, false
}

func formatDate(t time.Time, dateOnly bool) string {
	if dateOnly {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}

// ParseDateOrUnix accepts what Quentn datetime custom fields accept: a unix timestamp
// (number or digit string) or an ISO 8601 date. It returns the canonical form (see
// ParseDate) or the reason s is refused. Only years 0001-9999 are accepted: a later
// timestamp (or a time zone moving 9999-12-31 into year 10000) would be formatted
// with more than four year digits and a time before year 0 with a sign, which is not
// the ISO 8601 clients parse; year 0 is no calendar year a contact's date can mean.
func ParseDateOrUnix(s string) (string, string) {
	const outOfRange = "must be a date in the years 0001 to 9999"
	var t time.Time
	dateOnly := false
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		t = time.Unix(n, 0).UTC()
	} else {
		var ok bool
		if t, dateOnly, ok = parseISODate(s); !ok {
			return "", "must be a unix timestamp or an ISO 8601 date"
		}
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return "", outOfRange
	}
	return formatDate(t, dateOnly), ""
}

// ValidIP reports whether s is an IPv4 or IPv6 address without zone.
func ValidIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// cleanText checks a submitted string: valid UTF-8, no control characters other than
// tab and newline (NUL would be refused by PostgreSQL and is never meant), at most max
// characters. It returns the trimmed text or the reason it is refused.
func cleanText(s string, max int, multiline bool) (string, string) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return "", "contains control characters"
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", "is longer than " + strconv.Itoa(max) + " characters"
	}
	return s, ""
}

// CleanText is cleanText for single-line values of other packages' models.
func CleanText(s string, max int) (string, string) { return cleanText(s, max, false) }

// CleanMultiline is cleanText for free text such as comments.
func CleanMultiline(s string, max int) (string, string) { return cleanText(s, max, true) }

// countries are the officially assigned ISO 3166-1 alpha-2 codes.
var countries = func() map[string]bool {
	const list = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
		"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
		"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
		"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
		"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
		"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
		"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
	m := map[string]bool{}
	for _, c := range strings.Fields(list) {
		m[c] = true
	}
	return m
}()

// ValidCountry reports whether code is an assigned ISO 3166-1 alpha-2 code (upper case).
func ValidCountry(code string) bool { return countries[code] }
