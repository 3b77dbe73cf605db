package dedupe

import (
	"slices"
	"strings"
	"unicode"
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
	postal        string
	state         string
	country       string
	dob           date
}

// name is a normalised person name with the forms its comparators need.
type name struct {
	norm    string // NormalizeName
	compact string // norm without spaces
	// unfolded is compact without the umlaut digraphs folded (Michael
	// rather than michal), or "" when that is compact.
	unfolded string
	koelner  string
	nysiis   string
	// numbers are the digit runs of the name without leading zeros, in
	// order and space-separated ("" when it has none): Cr7 and Cr07 carry
	// the same number, Cr7 and Cr8 two (see nameNumbers).
	numbers string
}

func newName(s string) name {
	f := stripTitles(foldText(s))
	n := name{norm: foldDigraphs(f)} // NormalizeName(s)
	if n.norm == "" {
		return n
	}
	n.compact = strings.ReplaceAll(n.norm, " ", "")
	// The umlaut folding (ae -> a) also rewrites letters that a typo moved
	// next to each other (Cahlrae); keep the unfolded letters.
	if f != n.norm {
		n.unfolded = strings.ReplaceAll(f, " ", "")
	}
	n.koelner = KoelnerPhonetik(n.norm)
	n.nysiis = NYSIIS(n.norm)
	n.numbers = numbersOf(n.norm)
	return n
}

// numbersOf returns the digit runs of s without their leading zeros,
// space-separated, or "" when s has no digit.
func numbersOf(s string) string {
	var runs []string
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(r) {
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsDigit(r) {
				break
			}
			j += size
		}
		run := strings.TrimLeft(s[i:j], "0")
		if run == "" {
			run = "0"
		}
		runs = append(runs, run)
		i = j
	}
	return strings.Join(runs, " ")
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

// prepare normalises every field of r.
func (e *Engine) prepare(r Record) prepared { return e.prepareFor(r, needAll, nil, nil) }

// need says which fields of a candidate a comparison can use. A field the
// submission lacks compares as "missing" whatever the candidate holds, so it
// need not be normalised; phone numbers, whose parsing is the slowest step,
// are the main saving.
type need struct {
	names, mails, phones, company, lines, city, postal, state, country, dob bool
}

var needAll = need{true, true, true, true, true, true, true, true, true, true}

// needFor returns what comparisons with the submission a use.
func needFor(a *prepared) need {
	names := a.first.norm != "" || a.family.norm != ""
	return need{
		// Names are compared with names and looked for in mail
		// addresses, and the other way round (nameInMails).
		names:   names || len(a.mails) > 0,
		mails:   names || len(a.mails) > 0,
		phones:  len(a.phones) > 0,
		company: a.company != "",
		lines:   a.street.text != "" || a.street2.text != "",
		city:    a.city != "",
		postal:  a.postal != "",
		state:   a.state != "",
		country: a.country != "",
		dob:     a.dob.ok,
	}
}

// prepOrReuse prepares raw, or reuses the base state's prepared value when the
// field is unchanged from it.
func prepOrReuse[T any](reuse bool, raw, baseRaw string, base T, prep func(string) T) T {
	if reuse && raw == baseRaw {
		return base
	}
	return prep(clip(raw))
}

// prepareFor normalises the fields of r that n asks for. When base is the
// prepared form of baseRec (an earlier call for another state of the same
// contact), the fields r shares with baseRec are copied from it rather than
// normalised again: the states of a contact differ in a field or two.
func (e *Engine) prepareFor(r Record, n need, base *prepared, baseRec *Record) prepared {
	var p prepared
	reuse := base != nil
	if !reuse {
		base, baseRec = &prepared{}, &Record{}
	}
	if n.names {
		p.first = prepOrReuse(reuse, r.FirstName, baseRec.FirstName, base.first, newName)
		p.family = prepOrReuse(reuse, r.FamilyName, baseRec.FamilyName, base.family, newName)
	}
	if n.company {
		p.company = prepOrReuse(reuse, r.Company, baseRec.Company, base.company, normalizeCompany)
	}
	if n.lines {
		p.street = prepOrReuse(reuse, r.Street, baseRec.Street, base.street, newAddressLine)
		p.street2 = prepOrReuse(reuse, r.Street2, baseRec.Street2, base.street2, newAddressLine)
	}
	if n.city {
		p.city = prepOrReuse(reuse, r.City, baseRec.City, base.city, normalizeText)
	}
	if n.postal {
		p.postal = NormalizePostalCode(clip(r.PostalCode))
	}
	if n.state {
		p.state = normalizeText(clip(r.State))
	}
	if n.country {
		p.country = strings.ToUpper(strings.TrimSpace(clip(r.Country)))
	}
	if n.dob {
		p.dob = parseDate(clip(r.DateOfBirth))
	}
	if n.mails {
		if reuse && r.Mail == baseRec.Mail && r.Mail2 == baseRec.Mail2 {
			p.mails = base.mails
		} else {
			for _, m := range [...]string{r.Mail, r.Mail2} {
				if k := e.EmailKey(clip(m)); k != "" && !slices.Contains(p.mails, k) {
					p.mails = append(p.mails, k)
				}
			}
		}
	}
	if n.phones {
		if reuse && r.Phone == baseRec.Phone && r.Phone2 == baseRec.Phone2 {
			p.phones = base.phones
		} else {
			for _, ph := range [...]string{r.Phone, r.Phone2} {
				if k := e.normalizePhone(clip(ph)); k != "" && !slices.Contains(p.phones, k) {
					p.phones = append(p.phones, k)
				}
			}
		}
	}
	return p
}

// normalizePhone is NormalizePhone in the engine's region, through the memo.
func (e *Engine) normalizePhone(raw string) string {
	if e.phones == nil {
		return NormalizePhone(raw, e.cfg.DefaultRegion)
	}
	return e.phones.normalize(raw)
}

// cityKey is the blocking form of a normalised city: its Kölner Phonetik
// code, or the city itself (marked "=") when the code is too short to
// select anything.
func cityKey(city string) string {
	if city == "" {
		return ""
	}
	if k := KoelnerPhonetik(city); len(k) >= 2 {
		return k
	}
	return "=" + strings.ReplaceAll(city, " ", "")
}

// RecordOf reads a contact given by its API field names (first_name,
// family_name, company, mail, mail2, phone, phone2, ba_street, ba_street2,
// ba_city, ba_postal_code, ba_state, ba_country, date_of_birth) as a Record;
// other fields are ignored. The benchmarks and accuracy tests use it on
// their data sets.
func RecordOf(fields map[string]string) Record {
	return Record{
		FirstName: fields["first_name"], FamilyName: fields["family_name"], Company: fields["company"],
		Mail: fields["mail"], Mail2: fields["mail2"], Phone: fields["phone"], Phone2: fields["phone2"],
		Street: fields["ba_street"], Street2: fields["ba_street2"], City: fields["ba_city"],
		PostalCode: fields["ba_postal_code"], State: fields["ba_state"], Country: fields["ba_country"],
		DateOfBirth: fields["date_of_birth"],
	}
}
