package dedupe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// BlockingKeys returns the keys under which r is indexed and by which its
// candidates are looked up, deduplicated, in a stable order. A key is a kind
// prefix and a value:
//
//	e:<mail>                              each EmailKey
//	p:<e164>                              each valid phone number
//	n:<koelner family>|<postal>           family name sound + postal code
//	a:<postal>|<street>|<number>          the household's address
//	b:<koelner name>|<koelner name>|<yyyy> both name sounds, sorted, + birth year
//	c:<koelner name>|<koelner name>|<city> both name sounds, sorted, + city
//	d:<yyyy><mm/dd sorted>|<initial>      date of birth + one name's initial
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

func blockingKeys(p *prepared) []string {
	keys := make([]string, 0, 10)
	add := func(k string) {
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	for _, m := range p.mails {
		add("e:" + m)
	}
	for _, ph := range p.phones {
		add("p:" + ph)
	}
	fk, gk := p.family.koelner, p.first.koelner
	if fk != "" && p.postal != "" {
		add("n:" + fk + "|" + p.postal)
	}
	if p.postal != "" && p.streetName != "" && p.streetNumber != "" {
		add("a:" + p.postal + "|" + p.streetName + "|" + p.streetNumber)
	}
	if fk != "" && gk != "" {
		lo, hi := gk, fk
		if lo > hi {
			lo, hi = hi, lo
		}
		pair := lo + "|" + hi
		if p.dob.ok {
			add("b:" + pair + "|" + strconv.Itoa(p.dob.y))
		}
		if p.city != "" {
			add("c:" + pair + "|" + p.city)
		}
	}
	if p.dob.ok {
		lo, hi := p.dob.m, p.dob.d
		if lo > hi {
			lo, hi = hi, lo
		}
		var b strings.Builder
		b.WriteString("d:")
		b.WriteString(strconv.Itoa(p.dob.y))
		b.WriteString(twoDigits(lo))
		b.WriteString(twoDigits(hi))
		b.WriteByte('|')
		day := b.String()
		for _, n := range [...]string{p.first.compact, p.family.compact} {
			if n != "" {
				_, size := utf8.DecodeRuneInString(n)
				add(day + n[:size])
			}
		}
	}
	return keys
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
