package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/bench/benchdata"
)

// person is one synthetic contact. Every field is what a client would submit; empty
// fields are left out.
type person struct {
	first, family, mail, phone, street, postal, city, country, dob string
}

// fields is the contact as a submission.
func (p person) fields() map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("first_name", p.first)
	set("family_name", p.family)
	set("mail", p.mail)
	set("phone", p.phone)
	set("ba_street", p.street)
	set("ba_postal_code", p.postal)
	set("ba_city", p.city)
	set("ba_country", p.country)
	set("date_of_birth", p.dob)
	return m
}

// place is a postal code with its town and how many people live there (relative).
type place struct {
	postal, city string
	weight       float64
}

// world holds the places people are drawn from, built deterministically from a seed.
type world struct {
	de, uk       []place
	deCum, ukCum []float64
	seed         uint64
}

func newWorld(seed uint64) *world {
	w := &world{seed: seed}
	r := rand.New(rand.NewPCG(seed, 0x5ca1e))
	used := map[int]bool{}
	for _, c := range germanCities {
		for i := range c.postalCodes {
			code := c.firstPostal + i*(7+i%5)
			used[code] = true
			w.de = append(w.de, place{postal: fmt.Sprintf("%05d", code), city: c.name, weight: float64(c.weight) / float64(c.postalCodes)})
		}
	}
	// About 6,500 small-town postal codes hold the other two thirds of the people.
	for len(w.de) < 8000 {
		code := 1001 + r.IntN(98998)
		if used[code] {
			continue
		}
		used[code] = true
		town := townStems[r.IntN(len(townStems))] + townSuffixes[r.IntN(len(townSuffixes))]
		w.de = append(w.de, place{postal: fmt.Sprintf("%05d", code), city: town, weight: 0.3 + 1.2*r.Float64()})
	}
	for _, c := range ukCities {
		for range 3 + c.weight/10 {
			area := ukAreas[r.IntN(len(ukAreas))]
			postal := fmt.Sprintf("%s%d %d%c%c", area, 1+r.IntN(20), r.IntN(10), 'A'+rune(r.IntN(26)), 'A'+rune(r.IntN(26)))
			w.uk = append(w.uk, place{postal: postal, city: c.name, weight: float64(c.weight)})
		}
	}
	w.deCum, w.ukCum = cumulative(w.de), cumulative(w.uk)
	return w
}

func cumulative(ps []place) []float64 {
	out := make([]float64, len(ps))
	sum := 0.0
	for i, p := range ps {
		sum += p.weight
		out[i] = sum
	}
	return out
}

func pickPlace(r *rand.Rand, ps []place, cum []float64) place {
	x := r.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return ps[min(i, len(ps)-1)]
}

// zipf picks from a list whose earlier entries are more common: p(rank) falls off
// like a power law, the most common of 200 names about 1.5%.
func zipf(r *rand.Rand, list []string) string {
	return list[int(float64(len(list))*math.Pow(r.Float64(), 1.3))]
}

// rng returns the random source of person i: people are generated independently, so
// any one can be regenerated (the near-duplicates of the ingest phase).
func (w *world) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(w.seed, uint64(i)))
}

// person generates person i: 80% live in Germany (a fifth of those with English names
// is not modelled: names follow the country), 20% in the UK or with English names.
func (w *world) person(i int) person {
	r := w.rng(i)
	var p person
	english := r.Float64() < 0.2
	uk := english && r.Float64() < 0.5
	if english {
		p.first, p.family = zipf(r, englishFirst), zipf(r, englishFamily)
	} else {
		p.first, p.family = zipf(r, germanFirst), zipf(r, germanFamily)
	}
	number := strconv.Itoa(1 + int(80*math.Pow(r.Float64(), 2)))
	if r.Float64() < 0.05 {
		number += string('a' + rune(r.IntN(3)))
	}
	if uk {
		pl := pickPlace(r, w.uk, w.ukCum)
		p.street = number + " " + zipf(r, englishStreets)
		p.postal, p.city = pl.postal, pl.city
		if r.Float64() < 0.8 {
			p.country = "GB"
		}
	} else {
		pl := pickPlace(r, w.de, w.deCum)
		st := zipf(r, germanStreets)
		p.street = st + " " + number
		p.postal, p.city = pl.postal, pl.city
		if r.Float64() < 0.8 {
			p.country = "DE"
		}
	}
	if r.Float64() < 0.88 {
		y := 1940 + r.IntN(67)
		m := 1 + r.IntN(12)
		d := 1 + r.IntN(28)
		if r.Float64() < 0.1 {
			d = 29 + r.IntN(2) // 29th and 30th exist in every month but February
			if m == 2 {
				m = 3
			}
		}
		p.dob = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}
	if r.Float64() < 0.65 {
		domains := germanMailDomains
		if english {
			domains = englishMailDomains
		}
		p.mail = mailLocal(r, p) + "@" + zipf(r, domains)
	}
	if r.Float64() < 0.45 {
		p.phone = phone(r, uk)
	}
	return p
}

// mailLocal is one of the usual ways people build the local part of an address.
func mailLocal(r *rand.Rand, p person) string {
	f, l := ascii(p.first), ascii(p.family)
	y := "00"
	if p.dob != "" {
		y = p.dob[2:4]
	}
	switch x := r.Float64(); {
	case x < 0.30:
		return f + "." + l
	case x < 0.50:
		return fmt.Sprintf("%s.%s%d", f, l, 1+r.IntN(99))
	case x < 0.60:
		return f[:1] + l
	case x < 0.75:
		return f + l + y
	case x < 0.80:
		return f + "_" + l
	case x < 0.85:
		return l + "." + f
	case x < 0.95:
		return fmt.Sprintf("%s%d", f, 1+r.IntN(999))
	default:
		return fmt.Sprintf("%s.%s.%d", f[:min(3, len(f))], l[:min(3, len(l))], 100+r.IntN(9900))
	}
}

var asciiFold = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue", " ", "", "'", "", "é", "e")

func ascii(s string) string { return strings.ToLower(asciiFold.Replace(s)) }

func phone(r *rand.Rand, uk bool) string {
	if uk {
		return fmt.Sprintf("+44 7%03d %06d", 100+r.IntN(900), r.IntN(1_000_000))
	}
	prefixes := []int{151, 152, 157, 159, 160, 162, 163, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179}
	pre := prefixes[r.IntN(len(prefixes))]
	num := 1_000_000 + r.IntN(99_000_000)
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("+49 %d %d", pre, num)
	case 1:
		return fmt.Sprintf("0%d/%d", pre, num)
	default:
		return fmt.Sprintf("0%d %d", pre, num)
	}
}

// population generates people [from, to) and makes their mails and phones unique
// against taken (as a mail provider would: a taken address gets digits appended).
func (w *world) population(from, to int, taken map[string]bool) []person {
	out := make([]person, 0, to-from)
	for i := from; i < to; i++ {
		p := w.person(i)
		if p.mail != "" {
			at := strings.LastIndexByte(p.mail, '@')
			local, domain := p.mail[:at], p.mail[at:]
			for n := 2; taken[p.mail]; n++ {
				if n > 1000 {
					p.mail = ""
					break
				}
				p.mail = local + strconv.Itoa(n) + domain
			}
			if p.mail != "" {
				taken[p.mail] = true
			}
		}
		if p.phone != "" {
			k := "p" + digits(p.phone)
			if taken[k] {
				p.phone = ""
			} else {
				taken[k] = true
			}
		}
		out = append(out, p)
	}
	return out
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	d := b.String()
	// +49 151 … and 0151 … are the same number.
	if strings.HasPrefix(d, "49") {
		d = "0" + d[2:]
	}
	return d
}

// typo makes the kinds of mistakes people make when typing a name.
func typo(r *rand.Rand, s string) string { return benchdata.Typo(r, s) }

// nearDuplicate is person p as someone types them again: one or two typos, umlauts
// spelt out, the street abbreviated, the birth date's day and month exchanged, the
// phone in another format, fields left out. It keeps enough to be recognisable.
func nearDuplicate(r *rand.Rand, p person) person {
	q := p
	for range 1 + r.IntN(2) {
		switch r.IntN(8) {
		case 0, 1:
			q.family = typo(r, q.family)
		case 2, 3:
			q.first = typo(r, q.first)
		case 4:
			q.family = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(q.family)
			q.first = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue").Replace(q.first)
		case 5:
			q.street = strings.Replace(q.street, "straße", "str.", 1)
		case 6:
			if q.dob != "" && q.dob[8:] <= "12" {
				q.dob = q.dob[:5] + q.dob[8:] + "-" + q.dob[5:7]
			}
		case 7:
			if q.mail != "" && r.IntN(2) == 0 {
				q.mail = strings.Replace(q.mail, ".de", ".com", 1)
			} else {
				q.city = strings.ToLower(q.city)
			}
		}
	}
	if q.phone != "" {
		switch r.IntN(3) {
		case 0:
			q.phone = ""
		case 1:
			if d := digits(q.phone); strings.HasPrefix(d, "0") {
				q.phone = "+49 " + d[1:]
			}
		}
	}
	if r.Float64() < 0.3 {
		q.mail = ""
	}
	if r.Float64() < 0.2 {
		q.dob = ""
	}
	if r.Float64() < 0.2 {
		q.country = ""
	}
	return q
}
