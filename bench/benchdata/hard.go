package benchdata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// HardSeed and HardPeople are the hard set's fixed parameters: the set every
// measurement and the CI floor use. Changing either changes the set; write the new
// numbers into BENCHMARKS.md.
const (
	HardSeed   = 17
	HardPeople = 1000
)

// Hard generates the hard set: records of a CRM population with what real CRM data
// has and FEBRL lacks, deterministically from seed. Each of people persons leaves a
// cluster of 1 to 20 records (a third leave one, one in twenty leaves 11 to 20), made
// at times spread over the years the CRM ran and written in time order. A record is
// the person as someone typed them then:
//
//   - given names as nicknames (Bill, Kathi, Sascha), initials (J.), typos;
//   - first and family name exchanged;
//   - the date of birth with day and month exchanged, the year off by one, a digit
//     wrong, or missing;
//   - any field missing (a record may carry only a name and a mail);
//   - the address, mail and phone the person had at that time: people move (up to
//     three addresses) and change mail providers;
//   - households: a sixth of the people live with an earlier person, sharing family
//     name, address, landline and sometimes a family mail, with another given name
//     and birth date;
//   - namesakes: one in twelve has the full name of an earlier person, and common
//     names recur anyway.
//
// Entities are "h<person>", record ids "h<person>-<k>".
func Hard(seed uint64, people int) []Record { return hard(seed, people, clusterSize, false) }

// HardSingles is the hard population with one record per person, as a tenant of that
// many distinct contacts looks at scale, for measuring candidate-set sizes: the places
// grow with the population (one postal code per 125 people, as 8,000 do for a million
// contacts in bench/scale), and two in five family names come from a long tail of
// rare ones, as real surnames do.
func HardSingles(seed uint64, people int) []Record {
	return hard(seed, people, func(*rand.Rand) int { return 1 }, true)
}

func hard(seed uint64, people int, clusterSize func(*rand.Rand) int, scaled bool) []Record {
	r := rand.New(rand.NewPCG(seed, 0x4a7d))
	places := hardPlaces(r)
	if scaled {
		places = morePlaces(r, places, people/125)
	}
	persons := make([]*hardPerson, 0, people)
	for i := range people {
		p := newHardPerson(r, i, persons, places)
		if scaled && r.Float64() < 0.4 {
			p.family = rareName(r)
		}
		persons = append(persons, p)
	}
	type timed struct {
		t float64
		r Record
	}
	var all []timed
	for _, p := range persons {
		n := clusterSize(r)
		for k := range n {
			t := r.Float64()
			all = append(all, timed{t, Record{ID: fmt.Sprintf("h%d-%d", p.id, k), Entity: fmt.Sprintf("h%d", p.id), Fields: p.record(r, t)}})
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	out := make([]Record, len(all))
	for i, x := range all {
		out[i] = x.r
	}
	return out
}

// clusterSize draws how many records a person leaves: 1 to 20, mean about 3.3.
func clusterSize(r *rand.Rand) int {
	switch x := r.Float64(); {
	case x < 0.35:
		return 1
	case x < 0.60:
		return 2
	case x < 0.75:
		return 3
	case x < 0.85:
		return 4 + r.IntN(2)
	case x < 0.95:
		return 6 + r.IntN(5)
	default:
		return 11 + r.IntN(10)
	}
}

type hardPlace struct{ postal, city string }

type hardAddress struct {
	street string
	place  hardPlace
	from   float64 // the time the person moved in
}

type hardMail struct {
	addr string
	from float64
}

type hardPerson struct {
	id               int
	first, family    string
	english          bool
	y, m, d          int // date of birth; y == 0: unknown to everyone
	addresses        []hardAddress
	mails            []hardMail
	mobile, landline string
	familyMail       string
}

func hardPlaces(r *rand.Rand) []hardPlace {
	var out []hardPlace
	used := map[string]bool{}
	for _, c := range hardCities {
		for range 2 + r.IntN(6) {
			p := fmt.Sprintf("%05d", 1000+r.IntN(98999))
			if !used[p] {
				used[p] = true
				out = append(out, hardPlace{p, c})
			}
		}
	}
	return out
}

// morePlaces adds small towns until there are n places.
func morePlaces(r *rand.Rand, places []hardPlace, n int) []hardPlace {
	used := map[string]bool{}
	for _, p := range places {
		used[p.postal] = true
	}
	for len(places) < n && len(used) < 98000 {
		p := fmt.Sprintf("%05d", 1000+r.IntN(98999))
		if !used[p] {
			used[p] = true
			places = append(places, hardPlace{p, rareName(r) + pick(r, townSuffixes)})
		}
	}
	return places
}

var (
	syllables    = words(`ber ko wal de mann ho ste lin gra fel ru dor tz ka wen sch mi la ne po hau gen ter bu ro ki sel va mo nd zi fa re`)
	townSuffixes = words(`dorf hausen heim feld stadt bach berg burg au rode`)
)

// rareName makes a name from three syllables: one of 35,000, each rare.
func rareName(r *rand.Rand) string {
	n := syllables[r.IntN(len(syllables))] + syllables[r.IntN(len(syllables))] + syllables[r.IntN(len(syllables))]
	return strings.ToUpper(n[:1]) + n[1:]
}

func pick(r *rand.Rand, list []string) string {
	// Earlier entries are more common, as with real names.
	return list[int(float64(len(list))*math.Pow(r.Float64(), 1.4))]
}

func newHardPerson(r *rand.Rand, id int, earlier []*hardPerson, places []hardPlace) *hardPerson {
	p := &hardPerson{id: id, english: r.Float64() < 0.25}
	firsts, families := hardGermanFirst, hardGermanFamily
	if p.english {
		firsts, families = hardEnglishFirst, hardEnglishFamily
	}
	p.first, p.family = pick(r, firsts), pick(r, families)
	if r.Float64() < 0.92 {
		p.y, p.m, p.d = 1935+r.IntN(70), 1+r.IntN(12), 1+r.IntN(28)
	}
	// Addresses over time: up to two moves.
	p.addresses = []hardAddress{newAddress(r, places, 0)}
	for moves := 0; moves < 2 && r.Float64() < 0.35; moves++ {
		p.addresses = append(p.addresses, newAddress(r, places, p.addresses[len(p.addresses)-1].from+r.Float64()*(1-p.addresses[len(p.addresses)-1].from)))
	}
	if len(earlier) > 0 {
		switch x := r.Float64(); {
		case x < 1.0/6:
			// A household: the earlier person's family name, addresses and
			// landline; another given name and birth date.
			h := earlier[r.IntN(len(earlier))]
			p.english = h.english
			p.family = h.family
			if p.english {
				p.first = pick(r, hardEnglishFirst)
			} else {
				p.first = pick(r, hardGermanFirst)
			}
			p.addresses = h.addresses
			if h.landline == "" {
				h.landline = landline(r)
			}
			p.landline = h.landline
			if r.Float64() < 0.3 {
				if h.familyMail == "" {
					h.familyMail = "familie." + asciiName(h.family) + "@" + pick(r, hardMailDomains)
				}
				p.familyMail = h.familyMail
			}
		case x < 1.0/6+1.0/12:
			// A namesake: the same full name, nothing else shared.
			h := earlier[r.IntN(len(earlier))]
			p.first, p.family, p.english = h.first, h.family, h.english
		}
	}
	// Mail addresses over time: a second provider later for some.
	if r.Float64() < 0.75 {
		p.mails = append(p.mails, hardMail{mailFor(r, p), 0})
		if r.Float64() < 0.3 {
			p.mails = append(p.mails, hardMail{mailFor(r, p), r.Float64()})
		}
	}
	if r.Float64() < 0.55 {
		p.mobile = fmt.Sprintf("01%d%d %07d", 5+r.IntN(3), r.IntN(10), r.IntN(10_000_000))
	}
	if p.landline == "" && r.Float64() < 0.2 {
		p.landline = landline(r)
	}
	return p
}

func landline(r *rand.Rand) string {
	return fmt.Sprintf("0%d %d", 30+r.IntN(9000), 100000+r.IntN(899999))
}

func newAddress(r *rand.Rand, places []hardPlace, from float64) hardAddress {
	st := pick(r, hardStreets) + " " + strconv.Itoa(1+int(60*math.Pow(r.Float64(), 2)))
	return hardAddress{street: st, place: places[r.IntN(len(places))], from: from}
}

func asciiName(s string) string {
	return strings.ToLower(strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue", " ", "", "'", "").Replace(s))
}

func mailFor(r *rand.Rand, p *hardPerson) string {
	f, l := asciiName(p.first), asciiName(p.family)
	var local string
	switch x := r.Float64(); {
	case x < 0.35:
		local = f + "." + l
	case x < 0.55:
		local = f + "." + l + strconv.Itoa(1+r.IntN(99))
	case x < 0.65:
		local = f[:1] + l
	case x < 0.75:
		y := r.IntN(100)
		if p.y != 0 {
			y = p.y % 100
		}
		local = fmt.Sprintf("%s%s%02d", f, l, y)
	case x < 0.85:
		local = l + "." + f
	default:
		local = f + strconv.Itoa(1+r.IntN(999))
	}
	return local + "@" + pick(r, hardMailDomains)
}

// record is the person as typed at time t.
func (p *hardPerson) record(r *rand.Rand, t float64) map[string]string {
	f := map[string]string{}
	first, family := p.first, p.family
	switch x := r.Float64(); {
	case x < 0.13:
		if nicks := hardNicknames[first]; len(nicks) > 0 {
			first = nicks[r.IntN(len(nicks))]
		}
	case x < 0.17:
		first = first[:1] + "."
	case x < 0.25:
		first = Typo(r, first)
	case x < 0.27:
		first = ""
	}
	switch x := r.Float64(); {
	case x < 0.08:
		family = Typo(r, family)
	case x < 0.12:
		family = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(family)
	case x < 0.14:
		family = strings.ToUpper(family)
	}
	if r.Float64() < 0.05 {
		first, family = family, first
	}
	set(f, "first_name", first)
	set(f, "family_name", family)

	if p.y != 0 && r.Float64() < 0.7 {
		y, m, d := p.y, p.m, p.d
		switch x := r.Float64(); {
		case x < 0.06:
			if d <= 12 {
				m, d = d, m
			}
		case x < 0.13:
			y += 1 - 2*r.IntN(2)
		case x < 0.17:
			d = 1 + (d+r.IntN(9))%28
		}
		f["date_of_birth"] = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}

	if r.Float64() < 0.65 {
		a := p.addresses[0]
		for _, x := range p.addresses {
			if x.from <= t {
				a = x
			}
		}
		// Sometimes the previous address is still given after a move.
		if r.Float64() < 0.1 {
			a = p.addresses[r.IntN(len(p.addresses))]
		}
		street := a.street
		if r.Float64() < 0.25 {
			street = strings.Replace(street, "straße", "str.", 1)
		}
		if r.Float64() < 0.85 {
			set(f, "ba_street", street)
		}
		if r.Float64() < 0.9 {
			set(f, "ba_postal_code", a.place.postal)
		}
		if r.Float64() < 0.85 {
			set(f, "ba_city", a.place.city)
		}
	}

	var mails []string
	for _, m := range p.mails {
		if m.from <= t {
			mails = append(mails, m.addr)
		}
	}
	if p.familyMail != "" {
		mails = append(mails, p.familyMail)
	}
	if len(mails) > 0 && r.Float64() < 0.6 {
		m := mails[r.IntN(len(mails))]
		if r.Float64() < 0.04 {
			at := strings.IndexByte(m, '@')
			m = Typo(r, m[:at]) + m[at:]
		}
		if FormMail(m) {
			f["mail"] = m
		}
	}
	phones := []string{}
	if p.mobile != "" {
		phones = append(phones, p.mobile)
	}
	if p.landline != "" {
		phones = append(phones, p.landline)
	}
	if len(phones) > 0 && r.Float64() < 0.45 {
		ph := phones[r.IntN(len(phones))]
		if r.Float64() < 0.3 {
			ph = "+49 " + strings.TrimPrefix(ph, "0")
		}
		f["phone"] = ph
	}
	// A record with nothing but a name is not kept: no form asks for a name alone,
	// and the engine, by design, neither looks such a record up nor merges it (a
	// name is not evidence enough). It gets the person's birth date, else the
	// address they had then.
	if f["mail"] == "" && f["phone"] == "" && f["date_of_birth"] == "" && f["ba_street"] == "" && f["ba_postal_code"] == "" && f["ba_city"] == "" {
		if p.y != 0 {
			f["date_of_birth"] = fmt.Sprintf("%04d-%02d-%02d", p.y, p.m, p.d)
		} else {
			a := p.addresses[0]
			f["ba_street"], f["ba_postal_code"], f["ba_city"] = a.street, a.place.postal, a.place.city
		}
	}
	return f
}

func set(m map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		m[k] = v
	}
}

// Typo makes one of the mistakes people make typing a word: two letters transposed,
// one dropped, one doubled, or one replaced by another key.
func Typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 4 {
		return s
	}
	i := 1 + r.IntN(len(rs)-2)
	switch r.IntN(4) {
	case 0: // transposed letters
		rs[i], rs[i+1] = rs[i+1], rs[i]
	case 1: // dropped letter
		rs = append(rs[:i], rs[i+1:]...)
	case 2: // doubled letter
		rs = slices.Insert(rs, i, rs[i])
	default: // a neighbouring key
		rs[i] = rune("qwertzuiopasdfghjklyxcvbnm"[r.IntN(26)])
	}
	return string(rs)
}

// words splits a list on white space; an underscore joins the words of one entry
// (Am_Bach is "Am Bach").
func words(s string) []string {
	out := strings.Fields(s)
	for i, w := range out {
		out[i] = strings.ReplaceAll(w, "_", " ")
	}
	return out
}

var hardGermanFirst = words(`Thomas Michael Andreas Stefan Peter Frank Christian Markus Klaus Wolfgang
Jürgen Martin Uwe Bernd Matthias Sabine Susanne Petra Andrea Claudia Monika Birgit Karin Nicole
Stefanie Ursula Anja Julia Katrin Sandra Heike Gabriele Renate Tanja Christina Daniela Jan Tobias
Alexander Florian Sebastian Daniel Johannes Katharina Elisabeth Franziska Margarete Josef Nikolaus
Dorothea Bernhard Ulrich Joachim Cornelia Manfred Alexandra Veronika Friedrich Barbara Lena Laura
Anna Sophie Emma Mia Lukas Jonas Leon Paul Felix Maximilian Hannah Lea Marie`)

var hardGermanFamily = words(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann
Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann
König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel
Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster
Simon Ludwig Böhm Winter Kraus Oyelaran Vogelsang Wiedemeyer Przybylski Ostermann Kowalczyk
Dahlhoff Terhorst Quade Brüggemann Nowak Yilmaz Kaya Demir Özdemir Nguyen Papadopoulos Rossi`)

var hardEnglishFirst = words(`James John Robert Michael William David Richard Joseph Thomas Charles
Christopher Daniel Matthew Anthony Andrew Edward Samuel Benjamin Stephen Nicholas Jonathan
Frederick Henry Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Margaret
Katherine Rebecca Victoria Deborah Emily Emma Olivia Hannah Lucy`)

var hardEnglishFamily = words(`Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson
Roberts Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel
Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan
Allen O'Brien Fitzgerald Okonkwo Achterberg Featherstonehaugh`)

// hardNicknames are the short forms people use, as they are used: some the engine's
// list knows, some not.
var hardNicknames = map[string][]string{
	"William": {"Bill", "Will", "Billy"}, "Robert": {"Bob", "Rob", "Bobby"}, "Elizabeth": {"Liz", "Beth", "Lizzy"},
	"Katherine": {"Kate", "Kathy", "Katie"}, "Michael": {"Mike", "Micha", "Michi"}, "Thomas": {"Tom", "Tommy"},
	"James": {"Jim", "Jamie"}, "Margaret": {"Maggie", "Peggy", "Meg"}, "Richard": {"Rick", "Dick", "Richie"},
	"Jennifer": {"Jenny", "Jen"}, "Christopher": {"Chris"}, "Alexander": {"Alex", "Sascha"},
	"Daniel": {"Dan", "Danny", "Dani"}, "Andrew": {"Andy", "Drew"}, "Joseph": {"Joe"}, "Susan": {"Sue", "Susie"},
	"Patricia": {"Pat", "Trish"}, "Nicholas": {"Nick"}, "Matthew": {"Matt"}, "Anthony": {"Tony"},
	"Samuel": {"Sam"}, "Benjamin": {"Ben"}, "Edward": {"Ed", "Ted", "Eddie"}, "Jonathan": {"Jon"},
	"Stephen": {"Steve"}, "Rebecca": {"Becky"}, "Victoria": {"Vicky"}, "Deborah": {"Debbie", "Deb"},
	"Frederick": {"Fred", "Freddie"}, "Henry": {"Harry", "Hank"}, "Johannes": {"Hans", "Jo"},
	"Katharina": {"Kathi", "Katja", "Kati"}, "Matthias": {"Matze", "Hias"}, "Andreas": {"Andi"},
	"Stefanie": {"Steffi"}, "Wolfgang": {"Wolf", "Wolle"}, "Friedrich": {"Fritz"}, "Elisabeth": {"Lisa", "Elli", "Liesel"},
	"Franziska": {"Franzi"}, "Christian": {"Chris"}, "Gabriele": {"Gabi"}, "Margarete": {"Grete", "Gretel"},
	"Susanne": {"Susi", "Sanne"}, "Barbara": {"Babsi", "Barbie"}, "Josef": {"Sepp", "Jupp"}, "Nikolaus": {"Klaus", "Niko"},
	"Dorothea": {"Doro", "Thea"}, "Bernhard": {"Bernd"}, "Ulrich": {"Uli"}, "Joachim": {"Achim"},
	"Cornelia": {"Conny"}, "Manfred": {"Manni"}, "Alexandra": {"Alex", "Sandra"}, "Veronika": {"Vroni"},
	"Maximilian": {"Max"}, "Christina": {"Tina", "Christa"}, "Daniela": {"Dani"}, "Sebastian": {"Basti"},
	"Tobias": {"Tobi"}, "Florian": {"Flo"}, "Markus": {"Max"}, "Peter": {"Pit"},
}

var hardStreets = words(`Hauptstraße Schulstraße Gartenstraße Bahnhofstraße Dorfstraße Bergstraße
Birkenweg Lindenstraße Kirchstraße Waldstraße Ringstraße Schillerstraße Goethestraße Mühlenweg
Wiesenweg Feldstraße Rosenstraße Jahnstraße Buchenweg Mozartstraße Eichenweg Lessingstraße
Blumenstraße Talstraße Poststraße Beethovenstraße Parkstraße Ahornweg Amselweg Schlossstraße
Drosselweg Am_Bach Burgstraße Sonnenstraße Marktplatz Friedrichstraße Kantstraße Mittelstraße`)

var hardCities = words(`Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Dortmund
Essen Bremen Dresden Hannover Nürnberg Duisburg Bochum Wuppertal Bielefeld Bonn Münster Mannheim
Karlsruhe Augsburg Wiesbaden Mönchengladbach Gelsenkirchen Aachen Braunschweig Kiel Chemnitz
Halle Magdeburg Freiburg Krefeld Mainz Lübeck Erfurt Oberhausen Rostock Kassel Hagen Potsdam
Saarbrücken Hamm Ludwigshafen Oldenburg Osnabrück Leverkusen Heidelberg Darmstadt Solingen
Regensburg Herne Paderborn Neuss Ingolstadt Offenbach Fürth Würzburg Ulm Heilbronn Pforzheim
Wolfsburg Göttingen Bottrop Reutlingen Koblenz Recklinghausen Bremerhaven Bergisch_Gladbach Jena
Erlangen Remscheid Trier Salzgitter Moers Siegen Hildesheim Cottbus Gütersloh Kaiserslautern`)

var hardMailDomains = words(`gmx.de web.de gmail.com t-online.de yahoo.de outlook.com posteo.de icloud.com freenet.de mailbox.org`)
