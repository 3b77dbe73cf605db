package benchkit

import "fmt"

// Values a web form's fields take, cycled with different strides so that the bodies
// of a run differ in every field, as real sign-ups do.
var (
	formFirst  = []string{"Anna", "Jonas", "Lea", "Lukas", "Mia", "Finn", "Emma", "Paul", "Hannah", "Elias", "Sofia", "Noah", "Marie", "Ben", "Lina"}
	formFamily = []string{"Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Zimmermann"}
	formStreet = []string{"Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße", "Goethestraße", "Am Markt", "Bergstraße", "Kirchplatz"}
	formCity   = []string{"Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden", "Bremen", "Hannover", "Nürnberg", "Freiburg im Breisgau"}
	formDomain = []string{"example.com", "example.de", "mail.example.org", "example.net"}
)

// FormContact is the contact of a web form's POST contact body: names, mail, phone,
// company, billing address and the visitor's IP, all varying with n; run keeps the
// mail addresses of separate runs apart.
func FormContact(run string, n int64) map[string]any {
	i := int(n)
	return map[string]any{
		"first_name":     formFirst[i%len(formFirst)],
		"family_name":    formFamily[(i/3)%len(formFamily)],
		"mail":           fmt.Sprintf("%s.%d.%s@%s", formFirst[i%len(formFirst)], n, run, formDomain[i%len(formDomain)]),
		"phone":          fmt.Sprintf("+49 30 %07d", 1000000+n%9000000),
		"company":        fmt.Sprintf("Firma %d GmbH", n%997),
		"ba_street":      fmt.Sprintf("%s %d", formStreet[i%len(formStreet)], 1+n%180),
		"ba_city":        formCity[(i/7)%len(formCity)],
		"ba_postal_code": fmt.Sprintf("%05d", 10000+n%89999),
		"ba_country":     "DE",
		"request_ip":     fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, 1+n%254),
	}
}

// FormBody is a whole web form's POST contact body: FormContact with the duplicate
// check, the flood limit and the spam check a form sets.
func FormBody(run string, n int64, check string) map[string]any {
	return map[string]any{"contact": FormContact(run, n), "duplicate_check_method": check,
		"flood_limit": 5, "spam_protection": true}
}
