package benchkit

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// What a web form sends, for every load tool that posts one: a visitor (Person) with
// varied values — names, mail, phone, company, address — and the visitor's address
// (each request its own, so flood_limit never refuses), as the Quentn SDK posts a
// contact (ContactBody) or a lead tool an inquiry (InquiryBody). The contact and the
// inquiry of one visitor carry the same person, so an inquiry can match the contact
// a form created before.

// Person is one visitor of a web form.
type Person struct {
	First, Family, Mail, Phone, Company, Street, Postal, City string
}

var (
	formFirst  = []string{"Anna", "Jürgen", "Sabine", "Thomas", "Leonie", "Mehmet", "Katrin", "Lukas", "Greta", "Stefan", "Zoë", "Björn", "Mia", "Elias", "Hannah"}
	formFamily = []string{"Schmidt", "Bauer", "Müller", "Wagner", "Öztürk", "Hoffmann", "Weiß", "Krüger", "Schäfer", "Lindner", "Vogelsang", "Nguyen", "Zimmermann", "Koch"}
	formStreet = []string{"Hauptstraße", "Lindenweg", "Am Markt", "Bahnhofstr.", "Gartenstraße", "Schillerplatz", "Rosenweg", "Mühlenstraße", "Kirchplatz"}
	formCity   = []struct{ postal, city string }{
		{"10115", "Berlin"}, {"80331", "München"}, {"50667", "Köln"}, {"20095", "Hamburg"}, {"04109", "Leipzig"},
		{"70173", "Stuttgart"}, {"01067", "Dresden"}, {"28195", "Bremen"}, {"79098", "Freiburg im Breisgau"},
	}
	formDomain = []string{"example.com", "example.de", "mail.example.org", "example.net"}
	// syllables make family names that differ from their neighbours' at the start,
	// so that no two visitors look like one person to the duplicate engine.
	syllables = []string{"ber", "hof", "kamp", "lin", "mor", "dan", "sel", "wit", "gra", "ul", "pe", "zo", "rich", "tal", "vo", "nes"}
)

// PersonN is the n-th visitor of run: the mail is unique to run and n; the name, phone
// and address vary with n and with run, so that the visitors of another run are other
// people. (They once depended on n alone: every sitting on a database then added the
// same people again under new mail addresses, and an inquiry's auto check compared
// each visitor with all of their look-alikes — BENCHMARKS.md, "Inquiries".)
func PersonN(run string, n int64) Person {
	h := fnv.New64a()
	h.Write([]byte(run))
	// Each run starts at one of 2²⁰ offsets, 16 apart: runs of thousands of visitors
	// rarely overlap.
	n += int64(h.Sum64()%(1<<20)) << 4
	i := int(n)
	c := formCity[(i/7)%len(formCity)]
	family := ""
	for k := n % (1 << 24); k > 0 || family == ""; k /= int64(len(syllables)) {
		family += syllables[k%int64(len(syllables))]
	}
	first := formFirst[i%len(formFirst)]
	return Person{
		First:   first,
		Family:  strings.ToUpper(family[:1]) + family[1:] + string([]rune(formFamily[(i/16)%len(formFamily)])[:3]), // runes: "Krüger"[:3] would cut the ü
		Mail:    fmt.Sprintf("%s.%d.%s@%s", strings.ToLower(strings.NewReplacer("ü", "ue", "ö", "oe", "ë", "e").Replace(first)), n, run, formDomain[i%len(formDomain)]),
		Phone:   fmt.Sprintf("+49 %d %08d", 30+i%60, n%100_000_000),
		Company: fmt.Sprintf("Firma %d GmbH", n%997),
		Street:  fmt.Sprintf("%s %d", formStreet[(i/5)%len(formStreet)], 1+(i*31)%997),
		Postal:  c.postal[:3] + fmt.Sprintf("%02d", i%100), City: c.city,
	}
}

// VisitorIP is the address request n comes from: one per request, in 10.0.0.0/8.
func VisitorIP(n int64) string {
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// Contact is p as a Quentn contact's fields, sent from ip (none when "").
func (p Person) Contact(ip string) map[string]any {
	c := map[string]any{
		"first_name": p.First, "family_name": p.Family, "mail": p.Mail, "phone": p.Phone, "company": p.Company,
		"ba_street": p.Street, "ba_postal_code": p.Postal, "ba_city": p.City, "ba_country": "DE",
	}
	if ip != "" {
		c["request_ip"] = ip
	}
	return c
}

// FormContact is the contact of request n of run's web form: PersonN's, from
// VisitorIP(n).
func FormContact(run string, n int64) map[string]any {
	return PersonN(run, n).Contact(VisitorIP(n))
}

// ContactBody is POST /public/api/V1/contact's body for p sent from ip, as the
// Quentn SDK sends a web form's contact: the duplicate check, merge method, flood
// limit and spam check a form sets.
func ContactBody(p Person, ip, check string) map[string]any {
	return map[string]any{"contact": p.Contact(ip), "duplicate_check_method": check, "duplicate_merge_method": "update_add",
		"flood_limit": 5, "spam_protection": true}
}

// FormBody is ContactBody of request n of run.
func FormBody(run string, n int64, check string) map[string]any {
	return ContactBody(PersonN(run, n), VisitorIP(n), check)
}

// What an inquiry of a trades business is about (seed 002).
var (
	inquiryTitles     = []string{"Badsanierung", "Heizungstausch", "Dachreparatur", "Fenster erneuern", "Küchenmontage", "Wärmepumpe", "Malerarbeiten", "Fliesen legen"}
	inquiryCategories = []string{"Sanitär", "Heizung", "Dach", "Fenster", "Innenausbau", "Elektro"}
	inquirySources    = []string{"Website", "Google Ads", "MyHammer", "Empfehlung"}
	inquiryUrgencies  = []string{"low", "normal", "high", "urgent"}
)

// InquiryBody is POST /api/v1/inquiries's body of an inquiry of p as request n: a
// lead tool's inquiry with the contact data, address, source, category, urgency,
// expected value, desired start and notes varying with n, and the guards of a form.
func InquiryBody(p Person, n int64) map[string]any {
	i := int(n)
	return map[string]any{
		"title":   inquiryTitles[i%len(inquiryTitles)] + ", Anfrage " + strconv.FormatInt(n, 10),
		"contact": map[string]any{"first_name": p.First, "family_name": p.Family, "email": p.Mail, "phone": p.Phone},
		"address": map[string]any{"street": p.Street, "postal_code": p.Postal, "city": p.City, "country": "DE"},
		"source":  inquirySources[i%len(inquirySources)], "category": inquiryCategories[i%len(inquiryCategories)],
		"urgency":          inquiryUrgencies[i%len(inquiryUrgencies)],
		"expected_value":   map[string]any{"amount": 2500 + (i*137)%40000, "currency": "EUR"},
		"desired_start_on": fmt.Sprintf("2027-%02d-%02d", 1+i%12, 1+i%28),
		"notes":            "Bitte um Rückruf vormittags. Objekt: Einfamilienhaus, Baujahr " + strconv.Itoa(1950+i%70),
		"request_ip":       VisitorIP(n), "flood_limit": 5, "spam_protection": true,
	}
}
