package dedupe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// KeyVersion identifies the scheme of BlockingKeys. It changes whenever the
// keys a record yields change; a store that persists keys must re-index its
// contacts when the version it indexed with differs (KindsSince says which kinds
// of key a version added).
const KeyVersion = 2

// keyKindsAdded lists, for each KeyVersion after the first, the kinds of key
// (their prefixes) it added.
var keyKindsAdded = map[int][]string{
	2: {"m:"},
}

// KindsSince returns the kinds of key (prefixes such as "m:") that versions after
// version added up to KeyVersion: what a store indexed with version must add.
func KindsSince(version int) []string {
	var kinds []string
	for v := version + 1; v <= KeyVersion; v++ {
		kinds = append(kinds, keyKindsAdded[v]...)
	}
	return kinds
}

// NameKeyCap is how many contacts an "m:" key (both names alone) may select and
// still be looked up: a lookup ignores an m: key shared by more. A name alone is
// weak evidence; in a small tenant, or for a rare name, it brings together the
// records of a person that share nothing else (one with a birth date, the other
// with a mail), so the engine can compare them — and queue them for review when it
// is unsure. For a common name in a big tenant it would select hundreds of
// namesakes: there it selects none.
const NameKeyCap = 32

// Capped reports whether key is of a kind a lookup ignores when more than
// NameKeyCap contacts share it.
func Capped(key string) bool { return strings.HasPrefix(key, "m:") }

// BlockingKeys returns the keys under which r is indexed and by which its
// candidates are looked up: deduplicated, in a stable order, each a kind
// prefix and a value. "sound" is the Kölner Phonetik code of a name (the name
// itself, marked "=", when its code has fewer than two digits); "names" is
// the sounds of first and family name, sorted, so exchanged names meet;
// "dob" is the date of birth with day and month sorted, so exchanged ones
// meet; "city" is the Kölner Phonetik code of the city, so typos often meet.
//
//	e:<mail>                  each EmailKey
//	p:<e164>                  each valid phone number
//	l:<local part>            a distinctive mail local part (domain typos);
//	l:<local part>|<sound>    a short or role local part (anna@, info@) + family name
//	n:<sound>|<postal>        each name + postal code
//	a:<postal>|<street>       street name + postal code
//	s:<street>|<number>|<sound> the address without postal code + each name
//	b:<names>|<yyyy>          both names + birth year and + the year before,
//	                          so birth years one apart meet
//	c:<names>|<city>          both names + city
//	r:<names>|<postal[:2]>    both names + postal region (postal typos)
//	d:<dob>|<letter>          date of birth + the initial of each name and mail
//	k:<dob>|<city>            date of birth + city
//	y:<sound>|<yyyymm>        each name + year and month of birth
//	m:<names>                 both names alone (capped: see NameKeyCap)
//
// Every key but m: combines values so that, on a tenant with a million
// contacts, it selects a household or a handful of namesakes (tens of rows at
// most), never a whole surname, city or birthday; the combinations overlap so
// that one wrong or missing value still leaves a shared key. The m: key is the
// exception that a lookup bounds: a name alone is not evidence enough to merge
// (see DefaultThreshold), but it is enough to compare, and to ask a person.
func (e *Engine) BlockingKeys(r Record) []string {
	p := e.prepare(r)
	return blockingKeys(&p)
}

// FamilyKey is the blocking form of a family name (its Kölner Phonetik code, or the
// name itself when the code is too short): spellings the engine takes for one name
// (Schmidt, Schmitt) share it. "" when there is no name. The write path locks it, so
// that concurrent submissions of one person wait for each other while colleagues who
// share a phone number or an address do not.
func FamilyKey(family string) string { return nameKey(newName(family)) }

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

// roleLocalParts are mail local parts shared by everyone at an organisation;
// alone they would select thousands of contacts.
var roleLocalParts = map[string]bool{
	"info": true, "kontakt": true, "contact": true, "office": true, "mail": true,
	"email": true, "post": true, "hello": true, "hallo": true, "sales": true,
	"vertrieb": true, "support": true, "service": true, "admin": true, "team": true,
	"buero": true, "buro": true, "verwaltung": true, "empfang": true, "reception": true,
	"enquiries": true, "inquiries": true, "anfrage": true, "noreply": true,
	"webmaster": true, "billing": true, "rechnung": true, "accounts": true, "hr": true,
	"jobs": true, "bewerbung": true, "marketing": true, "presse": true, "press": true,
}

// distinctiveLocal reports whether a mail local part nearly identifies a
// person on its own: not a role account, and carrying digits or separators
// (jb88, t.mueller) or long (emmalloyd) rather than a bare given name
// (thomas), which thousands share across domains.
func distinctiveLocal(local string) bool {
	if roleLocalParts[local] || len(local) < 3 {
		return false
	}
	return len(local) >= 9 || strings.ContainsAny(local, "0123456789._-")
}

func blockingKeys(p *prepared) []string {
	keys := make([]string, 0, 24)
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
	ck := cityKey(p.city)
	sounds := make([]string, 0, 2)
	for _, k := range [...]string{fk, gk} {
		if k != "" {
			sounds = append(sounds, k)
		}
	}

	for _, m := range p.mails {
		add("e:", m)
	}
	for _, ph := range p.phones {
		add("p:", ph)
	}
	for _, m := range p.mails {
		local := m[:strings.LastIndexByte(m, '@')]
		switch {
		case distinctiveLocal(local):
			add("l:", local)
		case fk != "":
			// A bare given name or role account (anna@, info@) selects
			// thousands; with the family name it selects a few.
			add("l:", local, "|", fk)
		}
	}

	if p.postal != "" {
		for _, k := range sounds {
			add("n:", k, "|", p.postal)
		}
	}
	st := p.street
	if p.postal != "" && st.name != "" {
		add("a:", p.postal, "|", st.name)
	}
	if st.name != "" && st.number != "" {
		for _, k := range sounds {
			add("s:", st.name, "|", st.number, "|", k)
		}
	}

	if len(sounds) == 2 {
		lo, hi := sounds[0], sounds[1]
		if lo > hi {
			lo, hi = hi, lo
		}
		add("m:", lo, "|", hi)
		names := lo + "|" + hi + "|"
		if p.dob.ok {
			add("b:", names, strconv.Itoa(p.dob.y))
			add("b:", names, strconv.Itoa(p.dob.y-1))
		}
		if ck != "" {
			add("c:", names, ck)
		}
		if len(p.postal) >= 2 {
			add("r:", names, p.postal[:2])
		}
	}

	if p.dob.ok {
		day := strconv.Itoa(p.dob.y) + monthDay(p.dob) + "|"
		for _, n := range [...]string{p.first.compact, p.family.compact} {
			if n != "" {
				_, size := utf8.DecodeRuneInString(n)
				add("d:", day, n[:size])
			}
		}
		for _, m := range p.mails {
			if c := m[0]; c >= 'a' && c <= 'z' {
				add("d:", day, m[:1])
			}
		}
		if ck != "" {
			add("k:", day, ck)
		}
		ym := strconv.Itoa(p.dob.y) + twoDigits(p.dob.m)
		for _, k := range sounds {
			add("y:", k, "|", ym)
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
