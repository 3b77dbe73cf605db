package dedupe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// BlockingKeys returns the keys under which r is indexed and by which its
// candidates are looked up, deduplicated, in a stable order. A key is a kind
// prefix and a value; "sound" is the Kölner Phonetik code of a name (the
// name itself, marked "=", when the code has fewer than two digits):
//
//	e:<mail>                        each EmailKey
//	p:<e164>                        each valid phone number
//	l:<mail local part>|<sound>     local part + each name's sound (domain typos)
//	n:<family sound>|<postal>       family name + postal code
//	a:<postal>|<street>|<number>    the household's address
//	s:<street>|<number>|<family sound> the address without its postal code
//	b:<sound>|<sound>|<yyyy>        both names, sorted, + birth year
//	c:<sound>|<sound>|<city>        both names, sorted, + city
//	d:<yyyy><mm/dd sorted>|<letter> date of birth + the initial of a name or of the mail
//	z:<yyyy><mm/dd sorted>|<postal> date of birth + postal code
//
// Every key combines values so that, on a tenant with a million contacts, it
// selects a household or a handful of namesakes, never a whole surname, city
// or birthday. Name sounds are sorted so exchanged first and family names
// meet, and day and month are sorted so dates with the two exchanged meet.
// A record with nothing but a name gets no key: a name alone is not evidence
// enough to merge (see DefaultThreshold), so it need not be looked up.
func (e *Engine) BlockingKeys(r Record) []string {
	p := e.prepare(r)
	return blockingKeys(&p)
}

// nameKey is the blocking form of a name: its Kölner Phonetik code, or the
// name itself when the code is too short to select anything (Ho, Li).
func nameKey(n name) string {
	if len(n.koelner) >= 2 {
		return n.koelner
	}
	if n.compact == "" {
		return ""
	}
	return "=" + n.compact
}

func blockingKeys(p *prepared) []string {
	keys := make([]string, 0, 16)
	add := func(parts ...string) {
		k := strings.Join(parts, "")
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	fk, gk := nameKey(p.family), nameKey(p.first)
	for _, m := range p.mails {
		add("e:", m)
	}
	for _, ph := range p.phones {
		add("p:", ph)
	}
	for _, m := range p.mails {
		local := m[:strings.LastIndexByte(m, '@')]
		for _, k := range [...]string{gk, fk} {
			if k != "" {
				add("l:", local, "|", k)
			}
		}
	}
	for _, k := range [...]string{fk, gk} {
		if k != "" && p.postal != "" {
			add("n:", k, "|", p.postal)
		}
	}
	if st := p.street; st.name != "" || st.number != "" {
		if p.postal != "" && st.name != "" {
			add("a:", p.postal, "|", st.name)
		}
		if p.postal != "" && st.number != "" {
			add("h:", p.postal, "|", st.number)
		}
		if st.name != "" && st.number != "" {
			for _, k := range [...]string{fk, gk} {
				if k != "" {
					add("s:", st.name, "|", st.number, "|", k)
				}
			}
		}
	}
	if fk != "" && gk != "" {
		lo, hi := gk, fk
		if lo > hi {
			lo, hi = hi, lo
		}
		if p.dob.ok {
			add("b:", lo, "|", hi, "|", strconv.Itoa(p.dob.y))
		}
		if p.city != "" {
			add("c:", lo, "|", hi, "|", p.city)
		}
		if len(p.postal) >= 2 {
			add("r:", lo, "|", hi, "|", p.postal[:2])
		}
		if p.dob.ok {
			add("m:", lo, "|", hi, "|", monthDay(p.dob))
		}
	}
	if p.dob.ok {
		lo, hi := p.dob.m, p.dob.d
		if lo > hi {
			lo, hi = hi, lo
		}
		day := strconv.Itoa(p.dob.y) + twoDigits(lo) + twoDigits(hi)
		for _, n := range [...]string{p.first.compact, p.family.compact} {
			if n != "" {
				_, size := utf8.DecodeRuneInString(n)
				add("d:", day, "|", n[:size])
			}
		}
		for _, m := range p.mails {
			if c := m[0]; c >= 'a' && c <= 'z' {
				add("d:", day, "|", m[:1])
			}
		}
		if p.postal != "" {
			add("z:", day, "|", p.postal)
		}
		if p.city != "" {
			add("k:", day, "|", p.city)
		}
		ym := strconv.Itoa(p.dob.y) + twoDigits(p.dob.m)
		for _, k := range [...]string{fk, gk} {
			if k != "" {
				add("y:", k, "|", ym)
			}
		}
	}
	return keys
}

// monthDay is month and day of a date, smaller first, so that dates with
// day and month exchanged share it.
func monthDay(d date) string {
	lo, hi := d.m, d.d
	if lo > hi {
		lo, hi = hi, lo
	}
	return twoDigits(lo) + twoDigits(hi)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
