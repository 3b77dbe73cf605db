package dedupe

import (
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// foldRune maps one lower-case rune to its ASCII transliteration. German
// umlauts fold to the bare vowel here; the two-letter spellings (ae, oe, ue)
// are folded to the same vowel afterwards, so Müller, Mueller and Muller all
// meet at "muller".
var foldRune = map[rune]string{
	'ä': "a", 'ö': "o", 'ü': "u", 'ß': "ss", 'ẞ': "ss",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ĉ': "c", 'ċ': "c",
	'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e", 'ĕ': "e",
	'ğ': "g", 'ģ': "g", 'ĝ': "g", 'ġ': "g",
	'ħ': "h", 'ĥ': "h",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'į': "i", 'ı': "i", 'ĩ': "i",
	'ĵ': "j", 'ķ': "k",
	'ł': "l", 'ľ': "l", 'ĺ': "l", 'ļ': "l",
	'ñ': "n", 'ń': "n", 'ň': "n", 'ņ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'œ': "oe",
	'ŕ': "r", 'ř': "r", 'ŗ': "r",
	'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ŝ': "s",
	'ť': "t", 'ţ': "t", 'ț': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ū': "u", 'ů': "u", 'ű': "u", 'ų': "u", 'ũ': "u",
	'ŵ': "w", 'ý': "y", 'ÿ': "y", 'ŷ': "y",
	'ź': "z", 'ż': "z", 'ž': "z",
}

// foldText lower-cases s, transliterates accented Latin letters to ASCII,
// deletes apostrophes and dots (O'Brien = OBrien, J. = J), turns every other
// non-alphanumeric run into one space and trims. It does not fold the German
// digraphs; see NormalizeName.
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '\'' || r == '’' || r == '`' || r == '´' || r == '.':
			// dropped without a separator
		default:
			if f, ok := foldRune[r]; ok {
				if space && b.Len() > 0 {
					b.WriteByte(' ')
				}
				space = false
				b.WriteString(f)
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				if space && b.Len() > 0 {
					b.WriteByte(' ')
				}
				space = false
				b.WriteRune(r)
			} else {
				space = true
			}
		}
	}
	return b.String()
}

// foldDigraphs rewrites the German umlaut transcriptions ae, oe and ue to the
// bare vowel, except "ue" after q or g (Romance "que", "gue": Jacques,
// Miguel). It is applied to both sides of every comparison, so the few
// non-German names it touches (Michael -> michal) still compare equal to
// themselves.
func foldDigraphs(s string) string {
	if !strings.Contains(s, "ae") && !strings.Contains(s, "oe") && !strings.Contains(s, "ue") {
		return s
	}
	b := []byte(s)
	out := b[:0]
	for i := 0; i < len(b); i++ {
		c := b[i]
		out = append(out, c)
		if i+1 < len(b) && b[i+1] == 'e' && (c == 'a' || c == 'o' || c == 'u') {
			if c == 'u' && i > 0 && (b[i-1] == 'q' || b[i-1] == 'g') {
				continue
			}
			i++ // skip the 'e'
		}
	}
	return string(out)
}

// titles are honorifics that web forms let people type into name fields.
var titles = map[string]bool{
	"dr": true, "prof": true, "mr": true, "mrs": true, "ms": true, "miss": true,
	"herr": true, "frau": true, "hr": true, "fr": true, "dipl": true, "ing": true, "mag": true,
}

// NormalizeName returns the canonical comparison form of a person name:
// lower-case, accents and umlauts folded (Müller = Mueller = Muller, ß = ss),
// apostrophes and dots deleted, other punctuation turned into single spaces,
// and leading honorifics (Dr., Herr, Mrs ...) removed. It never fails; input
// without letters or digits yields "".
func NormalizeName(s string) string {
	return stripTitles(foldDigraphs(foldText(s)))
}

// stripTitles removes leading honorifics from a folded name.
func stripTitles(t string) string {
	for {
		i := strings.IndexByte(t, ' ')
		if i < 0 || !titles[t[:i]] {
			return t
		}
		t = t[i+1:]
	}
}

// legalForms are company-name tokens that say what kind of company it is,
// not which: "Müller GmbH" and "Müller GmbH & Co. KG" are one company.
var legalForms = map[string]bool{
	"gmbh": true, "mbh": true, "ag": true, "kg": true, "ohg": true, "ug": true,
	"haftungsbeschrankt": true, "ev": true, "eg": true, "gbr": true, "kgaa": true,
	"se": true, "co": true, "und": true, "and": true, "ltd": true, "limited": true,
	"inc": true, "incorporated": true, "llc": true, "llp": true, "plc": true,
	"corp": true, "corporation": true, "company": true, "sa": true, "sarl": true,
	"sas": true, "srl": true, "spa": true, "bv": true, "nv": true, "oy": true, "ab": true,
}

// normalizeCompany is the comparison form of a company name: normalizeText
// without legal-form words (GmbH, & Co. KG, Ltd, Inc.).
func normalizeCompany(s string) string {
	words := strings.Fields(normalizeText(s))
	kept := words[:0]
	for _, w := range words {
		if !legalForms[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return strings.Join(words, " ")
	}
	return strings.Join(kept, " ")
}

// normalizeText is the comparison form of free text such as city names:
// the same folding as NormalizeName without removing honorifics.
func normalizeText(s string) string {
	return foldDigraphs(foldText(s))
}

// NormalizePhone returns raw as an E.164 number ("+4930123456"). Numbers
// without a leading + or 00 are read in region (ISO 3166-1 alpha-2, e.g.
// "DE"). It returns "" when raw cannot be parsed or is not a valid number
// for its country.
func NormalizePhone(raw, region string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// NormalizePostalCode returns the comparison form of a postal code:
// upper-case without spaces or hyphens, an old-style country prefix
// ("D-10115", "CH-8001") removed and a US ZIP+4 cut to the five-digit ZIP.
// It returns "" for input without letters or digits.
func NormalizePostalCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '-'); i > 0 && i <= 2 && isLetters(s[:i]) && isDigits(s[i+1:]) {
		s = s[i+1:]
	}
	if len(s) == 10 && s[5] == '-' && isDigits(s[:5]) && isDigits(s[6:]) {
		s = s[:5]
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

// streetSuffixes expands the abbreviated street types of English-speaking
// countries when they end the street name. Only the last word is expanded,
// so "St James Street" keeps its saint.
var streetSuffixes = map[string]string{
	"st": "street", "str": "strasse", "rd": "road", "ave": "avenue", "av": "avenue",
	"dr": "drive", "ln": "lane", "ct": "court", "crt": "court", "pl": "place",
	"blvd": "boulevard", "cres": "crescent", "cr": "crescent", "hwy": "highway",
	"sq": "square", "tce": "terrace", "terr": "terrace", "pde": "parade",
	"cct": "circuit", "cl": "close", "gr": "grove", "gro": "grove", "pkwy": "parkway",
	"cir": "circle", "wy": "way", "esp": "esplanade",
}

// streetSeparators splits "Hauptstr.5" and "5,Hinterhaus" into words.
var streetSeparators = strings.NewReplacer(",", " ", ";", " ", ".", ". ")

// SplitStreet splits a street line into its normalised street name and house
// number: "Hauptstr. 5a" -> ("hauptstrasse", "5a"), "Berliner Straße 12 b" ->
// ("berliner strasse", "12b"), "12 Main St" -> ("main street", "12"). German
// "str."/"straße" endings become "strasse", English abbreviated street types
// are spelled out. Either result may be "" when absent.
func SplitStreet(s string) (name, number string) {
	raw := strings.Fields(streetSeparators.Replace(strings.ToLower(s)))
	toks := make([]string, 0, len(raw))
	for _, t := range raw {
		if t[0] >= '0' && t[0] <= '9' {
			// House numbers keep their ranges and fractions: 5-7, 12/3.
			t = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '-' || r == '/' {
					return r
				}
				return -1
			}, t)
			toks = append(toks, t)
			continue
		}
		// "hauptstr." and "hauptstr" end in the abbreviation of Straße.
		t = strings.TrimSuffix(t, ".")
		if len(t) > 3 && strings.HasSuffix(t, "str") {
			t += "asse"
		}
		if f := normalizeText(t); f != "" {
			toks = append(toks, strings.Fields(f)...)
		}
	}
	if len(toks) == 0 {
		return "", ""
	}
	numeric := func(t string) bool { return t[0] >= '0' && t[0] <= '9' }
	numEnd := -1 // index after the number tokens
	numStart := -1
	if numeric(toks[0]) {
		numStart, numEnd = 0, 1
	} else {
		for i := len(toks) - 1; i > 0; i-- {
			if numeric(toks[i]) {
				numStart, numEnd = i, i+1
				break
			}
		}
	}
	var nameToks []string
	if numStart >= 0 {
		number = toks[numStart]
		// "12 b" is house number 12b.
		if numEnd < len(toks) && len(toks[numEnd]) == 1 && !numeric(toks[numEnd]) && numStart > 0 {
			number += toks[numEnd]
			numEnd++
		}
		if numStart == 0 {
			nameToks = toks[numEnd:]
		} else {
			nameToks = toks[:numStart]
		}
	} else {
		nameToks = toks
	}
	if n := len(nameToks); n > 0 {
		if full, ok := streetSuffixes[nameToks[n-1]]; ok && n > 1 {
			nameToks = append(nameToks[:n-1:n-1], full)
		}
	}
	return strings.Join(nameToks, " "), number
}

// EmailKey returns the normalised form of mail used for e-mail equality and
// blocking: trimmed and lower-cased, and with a "+tag" removed from the local
// part when Config.FoldPlusTags is set. It returns "" when mail does not have
// the shape local@domain.
func (e *Engine) EmailKey(mail string) string {
	return emailKey(mail, e.cfg.FoldPlusTags)
}

func emailKey(mail string, foldPlus bool) string {
	m := strings.ToLower(strings.TrimSpace(mail))
	at := strings.LastIndexByte(m, '@')
	if at <= 0 || at == len(m)-1 {
		return ""
	}
	if foldPlus {
		if p := strings.IndexByte(m[:at], '+'); p > 0 {
			m = m[:p] + m[at:]
		}
	}
	return m
}

// date is a parsed date of birth; ok is false when absent or invalid.
type date struct {
	y, m, d int
	digits  string // "YYYYMMDD"
	days    int    // days since 1970-01-01
	ok      bool
}

// parseDate reads "YYYY-MM-DD" (also "YYYYMMDD" and a trailing time part).
// Impossible dates such as 1999-02-30 are treated as missing.
func parseDate(s string) date {
	s = strings.TrimSpace(s)
	if len(s) > 10 {
		s = s[:10]
	}
	var digits string
	switch {
	case len(s) == 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4]:
		digits = s[:4] + s[5:7] + s[8:10]
	case len(s) == 8:
		digits = s
	default:
		return date{}
	}
	if !isDigits(digits) {
		return date{}
	}
	y := atoi(digits[:4])
	m := atoi(digits[4:6])
	d := atoi(digits[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1800 {
		return date{}
	}
	return date{y: y, m: m, d: d, digits: digits, days: int(t.Unix() / 86400), ok: true}
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
