package dedupe

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// prepared is a Record normalised once for any number of comparisons.
type prepared struct {
	first, family name
	company       string
	mails         []string // EmailKey of Mail and Mail2
	phones        []string // E.164 of Phone and Phone2
	street        addressLine
	street2       addressLine
	city          string
	cityKey       string // Kölner Phonetik of city, for blocking
	postal        string
	state         string
	country       string
	dob           date
}

// name is a normalised person name with the forms its comparators need.
type name struct {
	norm    string // NormalizeName
	compact string // norm without spaces
	koelner string
	nysiis  string
}

func newName(s string) name {
	n := name{norm: NormalizeName(s)}
	if n.norm == "" {
		return n
	}
	n.compact = strings.ReplaceAll(n.norm, " ", "")
	n.koelner = KoelnerPhonetik(n.norm)
	n.nysiis = NYSIIS(n.norm)
	return n
}

// addressLine is a street line split into the compact street name and the
// house number, plus the whole line compacted for free-text comparison.
type addressLine struct {
	name, number, text string
}

func newAddressLine(s string) addressLine {
	n, num := SplitStreet(s)
	return addressLine{
		name:   strings.ReplaceAll(n, " ", ""),
		number: num,
		text:   strings.ReplaceAll(normalizeText(s), " ", ""),
	}
}

// maxField bounds every input value before it is normalised. Submissions
// are untrusted and the string comparators are quadratic; no real name,
// address line or mail address is longer.
const maxField = 256

// clip cuts s to at most maxField bytes at a rune boundary.
func clip(s string) string {
	if len(s) <= maxField {
		return s
	}
	i := maxField
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func (e *Engine) prepare(r Record) prepared { return e.prepareFor(r, true) }

// prepareFor normalises r; phones are parsed only when withPhones is set,
// because parsing dominates the cost and is useless against a record
// without phones.
func (e *Engine) prepareFor(r Record, withPhones bool) prepared {
	p := prepared{
		first:   newName(clip(r.FirstName)),
		family:  newName(clip(r.FamilyName)),
		company: normalizeCompany(clip(r.Company)),
		street:  newAddressLine(clip(r.Street)),
		street2: newAddressLine(clip(r.Street2)),
		city:    normalizeText(clip(r.City)),
		postal:  NormalizePostalCode(clip(r.PostalCode)),
		state:   normalizeText(clip(r.State)),
		country: strings.ToUpper(strings.TrimSpace(clip(r.Country))),
		dob:     parseDate(clip(r.DateOfBirth)),
	}
	if p.city != "" {
		p.cityKey = KoelnerPhonetik(p.city)
		if len(p.cityKey) < 2 {
			p.cityKey = "=" + strings.ReplaceAll(p.city, " ", "")
		}
	}
	for _, m := range [...]string{r.Mail, r.Mail2} {
		if k := e.EmailKey(clip(m)); k != "" && !slices.Contains(p.mails, k) {
			p.mails = append(p.mails, k)
		}
	}
	if !withPhones {
		return p
	}
	for _, ph := range [...]string{r.Phone, r.Phone2} {
		if k := NormalizePhone(clip(ph), e.cfg.DefaultRegion); k != "" && !slices.Contains(p.phones, k) {
			p.phones = append(p.phones, k)
		}
	}
	return p
}
