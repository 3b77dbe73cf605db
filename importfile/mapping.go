package importfile

import (
	"strings"

	"github.com/contacthub/contacthub/models"
	"unicode"
)

// StreetNumber is the mapping target of a house number column: the importer appends it
// to ba_street ("Hauptstr." + "12" → "Hauptstr. 12"), as the contact has no field of its
// own for it.
const StreetNumber = "ba_street_number"

// Ignore is the mapping target of a column the import skips.
const Ignore = "ignore"

// synonyms lists, for each contact field, the headers that mean it, normalized (see
// normalizeHeader). A header listed under several fields (phone, phone2) takes the first
// the suggestion has not used yet.
var synonyms = []struct {
	fields []string
	names  []string
}{
	{[]string{"first_name"}, []string{"firstname", "fname", "vorname", "givenname", "forename", "rufname"}},
	{[]string{"family_name"}, []string{"familyname", "lastname", "lname", "surname", "nachname", "familienname", "name"}},
	{[]string{"mail", "mail2"}, []string{"mail", "email", "emailaddress", "emailadresse", "mailadresse", "epost", "emails"}},
	{[]string{"mail2"}, []string{"mail2", "email2", "emailprivat", "weitereemail"}},
	{[]string{"phone", "phone2"}, []string{"phone", "telefon", "tel", "telephone", "phonenumber", "telefonnummer", "festnetz", "telnr"}},
	{[]string{"phone2", "phone"}, []string{"phone2", "mobile", "mobil", "handy", "mobiltelefon", "handynummer", "cell", "cellphone", "mobilephone", "mobilnummer"}},
	{[]string{"fax"}, []string{"fax", "telefax", "faxnummer"}},
	{[]string{"company"}, []string{"company", "firma", "unternehmen", "organisation", "organization", "firmenname", "companyname"}},
	{[]string{"job_title"}, []string{"jobtitle", "position", "beruf", "funktion", "berufsbezeichnung"}},
	{[]string{"title"}, []string{"anrede", "salutation", "gender", "geschlecht"}},
	{[]string{"title2"}, []string{"title", "titel", "akademischertitel", "title2"}},
	{[]string{"ba_street"}, []string{"street", "strasse", "str", "address", "adresse", "anschrift", "streetaddress", "strassehausnummer", "strasseundhausnummer", "street1", "address1"}},
	{[]string{StreetNumber}, []string{"hausnummer", "hausnr", "nr", "housenumber", "streetnumber"}},
	{[]string{"ba_street2"}, []string{"street2", "address2", "adresszusatz", "zusatz"}},
	{[]string{"ba_postal_code"}, []string{"plz", "postleitzahl", "zip", "zipcode", "postalcode", "postcode"}},
	{[]string{"ba_city"}, []string{"ort", "stadt", "city", "wohnort", "town", "gemeinde"}},
	{[]string{"ba_state"}, []string{"bundesland", "state", "region", "province", "kanton"}},
	{[]string{"ba_country"}, []string{"land", "country", "staat", "countrycode", "laendercode"}},
	{[]string{"date_of_birth"}, []string{"geburtsdatum", "dateofbirth", "birthday", "birthdate", "geburtstag", "dob"}},
	{[]string{"terms"}, []string{"tags", "tag", "kategorien", "kategorie", "terms", "categories", "category", "gruppen", "schlagworte", "labels"}},
	{[]string{"external_id"}, []string{"externalid", "kundennummer", "kundennr", "customerid", "customernumber", "externeid"}},
	{[]string{"id"}, []string{"id", "contactid", "kontaktid"}},
	{[]string{"comment"}, []string{"comment", "note", "notiz", "bemerkung", "kommentar", "notes", "notizen", "bemerkungen"}},
	{[]string{"skype"}, []string{"skype"}},
	{[]string{"twitter"}, []string{"twitter", "x"}},
	{[]string{"fb"}, []string{"facebook", "fb"}},
}

// apiNames are the targets a header spelled exactly as the API names them maps to.
var apiNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range append(models.TextFieldNames(), extraTargets...) {
		m[n] = true
	}
	return m
}()

var synonymIndex = func() map[string][]string {
	m := map[string][]string{}
	for _, s := range synonyms {
		for _, n := range s.names {
			if _, ok := m[n]; !ok {
				m[n] = s.fields
			}
		}
	}
	return m
}()

// SuggestMapping proposes a field for each header it recognises: a German or English
// synonym of a contact field, a field's own API name spelled exactly ("ba_city", as the
// export writes it), or the name of one of
// customFields (as given, compared without case, spaces and punctuation; a "field_" prefix
// on the header is allowed). Each field is suggested once, to the first header that means
// it; headers it does not recognise are left out (an unmapped column is ignored). The
// result maps header → field, as the import record shows it.
func SuggestMapping(headers []string, customFields []string) map[string]string {
	custom := map[string]string{}
	for _, f := range customFields {
		custom[normalizeHeader(f)] = f
	}
	used := map[string]bool{}
	out := map[string]string{}
	for _, h := range headers {
		if _, dup := out[h]; dup || h == "" {
			continue
		}
		if apiNames[h] && !used[h] {
			// A file written by the export (or by hand with the API's names) maps as is.
			out[h], used[h] = h, true
			continue
		}
		n := normalizeHeader(h)
		if f, ok := custom[n]; ok && !used[f] {
			out[h], used[f] = f, true
			continue
		}
		if f, ok := custom[strings.TrimPrefix(n, "field")]; ok && strings.HasPrefix(n, "field") && !used[f] {
			out[h], used[f] = f, true
			continue
		}
		for _, f := range synonymIndex[n] {
			if !used[f] {
				out[h], used[f] = f, true
				break
			}
		}
	}
	return out
}

// normalizeHeader folds a header for comparison: lower case, German umlauts and ß spelled
// out (Straße = Strasse), everything but letters and digits dropped ("E-Mail" = "email",
// "Tel." = "tel").
func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch r {
		case 'ä':
			b.WriteString("ae")
		case 'ö':
			b.WriteString("oe")
		case 'ü':
			b.WriteString("ue")
		case 'ß':
			b.WriteString("ss")
		default:
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
