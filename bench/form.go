package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// What a web form sends. The inquiry scenarios compare an inquiry with the contact a
// form would create for the same visitor, so both bodies are built from one person
// with varied values: names, mail, phone, address, the visitor's address (each
// request its own, so flood_limit never refuses) and the guards the Quentn SDK sends
// (flood_limit 5, spam_protection).

// person is one visitor of a web form.
type person struct {
	first, family, mail, phone, street, postal, city string
}

var (
	firstNames  = []string{"Anna", "Jürgen", "Sabine", "Thomas", "Leonie", "Mehmet", "Katrin", "Lukas", "Greta", "Stefan", "Zoë", "Björn"}
	familyNames = []string{"Schmidt", "Bauer", "Müller", "Wagner", "Öztürk", "Hoffmann", "Weiß", "Krüger", "Schäfer", "Lindner", "Vogelsang", "Nguyen"}
	streets     = []string{"Hauptstraße", "Lindenweg", "Am Markt", "Bahnhofstr.", "Gartenstraße", "Schillerplatz", "Rosenweg", "Mühlenstraße"}
	cities      = []struct{ postal, city string }{
		{"10115", "Berlin"}, {"80331", "München"}, {"50667", "Köln"}, {"20095", "Hamburg"},
		{"04109", "Leipzig"}, {"70173", "Stuttgart"}, {"01067", "Dresden"}, {"28195", "Bremen"},
	}
	titles     = []string{"Badsanierung", "Heizungstausch", "Dachreparatur", "Fenster erneuern", "Küchenmontage", "Wärmepumpe", "Malerarbeiten", "Fliesen legen"}
	categories = []string{"Sanitär", "Heizung", "Dach", "Fenster", "Innenausbau", "Elektro"}
	sources    = []string{"Website", "Google Ads", "MyHammer", "Empfehlung"}
	urgencies  = []string{"low", "normal", "high", "urgent"}
)

// syllables make family names that differ from their neighbours' at the start, so
// that no two visitors look like one person to the duplicate engine.
var syllables = []string{"ber", "hof", "kamp", "lin", "mor", "dan", "sel", "wit", "gra", "ul", "pe", "zo", "rich", "tal", "vo", "nes"}

// personN is the n-th visitor of run: the mail is unique to run and n, the phone to
// n (modulo 10⁸) and the family name to n (modulo 2²⁴).
func personN(run string, n int64) person {
	i := int(n)
	c := cities[(i/7)%len(cities)]
	family := ""
	for k := n % (1 << 24); k > 0 || family == ""; k /= int64(len(syllables)) {
		family += syllables[k%int64(len(syllables))]
	}
	return person{
		first:  firstNames[i%len(firstNames)],
		family: strings.ToUpper(family[:1]) + family[1:] + familyNames[(i/16)%len(familyNames)][:3],
		mail:   fmt.Sprintf("form-%s-%d@example.de", run, n),
		phone:  fmt.Sprintf("+49 %d %08d", 30+i%60, n%100_000_000),
		street: fmt.Sprintf("%s %d", streets[(i/5)%len(streets)], 1+(i*31)%997),
		postal: c.postal[:3] + fmt.Sprintf("%02d", i%100), city: c.city,
	}
}

// visitorIP is the address request n comes from: one per request, in 10.0.0.0/8.
func visitorIP(n int64) string {
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// contactForm is POST /public/api/V1/contact's body for p, as the Quentn SDK sends
// a web form's contact.
func contactForm(p person, ip, check string) []byte {
	body, _ := json.Marshal(map[string]any{
		"contact": map[string]any{
			"first_name": p.first, "family_name": p.family, "mail": p.mail, "phone": p.phone,
			"ba_street": p.street, "ba_postal_code": p.postal, "ba_city": p.city, "ba_country": "DE",
			"request_ip": ip,
		},
		"duplicate_check_method": check,
		"duplicate_merge_method": "update_add",
		"flood_limit":            5,
		"spam_protection":        true,
	})
	return body
}

// inquiryForm is POST /api/v1/inquiries's body for an inquiry of p (request n).
func inquiryForm(p person, n int64) []byte {
	i := int(n)
	body, _ := json.Marshal(map[string]any{
		"title":   titles[i%len(titles)] + ", Anfrage " + strconv.FormatInt(n, 10),
		"contact": map[string]any{"first_name": p.first, "family_name": p.family, "email": p.mail, "phone": p.phone},
		"address": map[string]any{"street": p.street, "postal_code": p.postal, "city": p.city, "country": "DE"},
		"source":  sources[i%len(sources)], "category": categories[i%len(categories)],
		"urgency":          urgencies[i%len(urgencies)],
		"expected_value":   map[string]any{"amount": 2500 + (i*137)%40000, "currency": "EUR"},
		"desired_start_on": fmt.Sprintf("2027-%02d-%02d", 1+i%12, 1+i%28),
		"notes":            "Bitte um Rückruf vormittags. Objekt: Einfamilienhaus, Baujahr " + strconv.Itoa(1950+i%70),
		"request_ip":       visitorIP(n), "flood_limit": 5, "spam_protection": true,
	})
	return body
}

// postFormContact posts a new visitor's contact through the Quentn API with the
// duplicate check -check (the Quentn SDK sends auto).
func (c *client) postFormContact(ctx context.Context, check string) (int64, error) {
	n := c.seq.Add(1)
	var out struct{ ID int64 }
	if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", contactForm(personN(c.run, n), visitorIP(n), check), &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// postInquiry posts an inquiry of p as request n and checks how its customer was
// found: matched, or new.
func (c *client) postInquiry(ctx context.Context, p person, n int64, wantMatched bool) error {
	var out struct {
		Customer *struct {
			ID      int64 `json:"id"`
			Matched bool  `json:"matched"`
		} `json:"customer"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/inquiries", inquiryForm(p, n), &out); err != nil {
		return err
	}
	if out.Customer == nil || out.Customer.Matched != wantMatched {
		return fmt.Errorf("inquiry %d: customer %+v, want matched %v", n, out.Customer, wantMatched)
	}
	return nil
}

// prepareCustomers creates n known customers (unmeasured) with the form's data, for
// inquiries that match them by e-mail.
func prepareCustomers(ctx context.Context, c *client, n, clients int) ([]person, error) {
	people := make([]person, n)
	errs := make(chan error, 1)
	load(ctx, time.Time{}, clients, n, func(ctx context.Context, _, i int) error {
		seq := c.seq.Add(1)
		p := personN(c.run, seq)
		people[i] = p
		err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", contactForm(p, visitorIP(seq), "email"), nil)
		if err != nil {
			select {
			case errs <- err:
			default:
			}
		}
		return err
	})
	select {
	case err := <-errs:
		return nil, err
	default:
		return people, nil
	}
}
