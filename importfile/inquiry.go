package importfile

import (
	"maps"
	"slices"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// An inquiry import (type inquiries) maps columns to the inquiry's fields by the
// names of its JSON form (POST /api/v1/inquiries), a nested field with a dot:
// "contact.email", "address.city", "expected_value.amount". Error messages name
// fields the same way, so a problem is traced back to its column.

// InquiryStreetNumber is the mapping target of a house number column of an inquiry
// import: appended to address.street.
const InquiryStreetNumber = "address.street_number"

// InquiryTargets are the mapping targets of an inquiry import, Ignore aside. id names
// the inquiry an update changes.
var InquiryTargets = []string{
	"id", "title",
	"contact.name", "contact.first_name", "contact.family_name", "contact.email", "contact.phone",
	"address.street", InquiryStreetNumber, "address.postal_code", "address.city", "address.country",
	"status", "source",
	"expected_value.amount", "expected_value.currency", "probability", "urgency",
	"assignee.email", "assignee.name",
	"follow_up_on", "expected_close_on", "desired_start_on",
	"category", "budget.min", "budget.max", "budget.currency", "tags", "notes",
}

// inquiryCells are the conversions of an inquiry's cells.
var inquiryCells = cellRules{dates: []string{"follow_up_on", "expected_close_on", "desired_start_on"},
	street: "address.street", streetNumber: InquiryStreetNumber}

// NewInquiryPlan checks m (inquiry field → header) against header as NewPlan does for
// contacts: EINVALID naming headers.<field> for a field that is not one of
// InquiryTargets, a header the file lacks, a header mapped twice; "headers" when
// nothing is mapped.
func NewInquiryPlan(m Mapping, header []string) (*Plan, error) {
	var v models.ValidationError
	p := &Plan{how: inquiryCells}
	usedBy := map[string]string{}
	for _, field := range slices.Sorted(maps.Keys(m)) {
		h := m[field]
		key := "headers." + field
		switch {
		case field == Ignore:
			continue
		case !slices.Contains(InquiryTargets, field):
			v.Addf(key, "%s is not an inquiry field; an inquiries import maps %s or %s", models.Quote(field), strings.Join(InquiryTargets, ", "), Ignore)
			continue
		}
		p.mapColumn(&v, usedBy, header, field, h, field)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(p.cols) == 0 {
		v.Add("headers", "maps no column to an inquiry field")
		return nil, v.Err()
	}
	return p, nil
}

// inquirySynonyms lists, for each inquiry field, the headers that mean it,
// normalized (normalizeHeader); a header under several fields takes the first the
// suggestion has not used yet.
var inquirySynonyms = []struct {
	fields []string
	names  []string
}{
	{[]string{"title"}, []string{"title", "titel", "betreff", "subject", "anfrage", "anliegen", "projekt", "bezeichnung", "vorhaben", "anfragetitel"}},
	{[]string{"contact.first_name"}, []string{"firstname", "fname", "vorname", "givenname", "rufname"}},
	{[]string{"contact.family_name"}, []string{"familyname", "lastname", "lname", "surname", "nachname", "familienname"}},
	{[]string{"contact.name"}, []string{"name", "kontakt", "kontaktname", "ansprechpartner", "kunde", "kundenname", "fullname", "contactname"}},
	{[]string{"contact.email"}, []string{"mail", "email", "emailaddress", "emailadresse", "mailadresse", "epost", "kundenemail"}},
	{[]string{"contact.phone"}, []string{"phone", "telefon", "tel", "telephone", "phonenumber", "telefonnummer", "telnr", "handy", "mobil", "mobile", "mobiltelefon"}},
	{[]string{"address.street"}, []string{"street", "strasse", "str", "address", "adresse", "anschrift", "strassehausnummer", "strasseundhausnummer"}},
	{[]string{InquiryStreetNumber}, []string{"hausnummer", "hausnr", "nr", "housenumber", "streetnumber"}},
	{[]string{"address.postal_code"}, []string{"plz", "postleitzahl", "zip", "zipcode", "postalcode", "postcode"}},
	{[]string{"address.city"}, []string{"ort", "stadt", "city", "wohnort", "town", "gemeinde"}},
	{[]string{"address.country"}, []string{"land", "country", "countrycode", "laendercode"}},
	{[]string{"status"}, []string{"status", "anfragestatus", "phase", "stage", "stufe"}},
	{[]string{"source"}, []string{"source", "quelle", "herkunft", "kanal", "channel", "leadquelle", "anfragequelle"}},
	{[]string{"expected_value.amount"}, []string{"expectedvalue", "auftragswert", "erwarteterwert", "wert", "value", "betrag", "amount", "volumen", "auftragsvolumen", "umsatz"}},
	{[]string{"expected_value.currency", "budget.currency"}, []string{"waehrung", "currency"}},
	{[]string{"probability"}, []string{"probability", "wahrscheinlichkeit", "abschlusswahrscheinlichkeit", "chance"}},
	{[]string{"urgency"}, []string{"urgency", "dringlichkeit", "prioritaet", "priority", "dringend"}},
	{[]string{"assignee.email"}, []string{"assignee", "assigneeemail", "zustaendig", "zustaendigkeit", "bearbeiter", "bearbeiteremail", "verantwortlich", "mitarbeiter", "mitarbeiteremail"}},
	{[]string{"assignee.name"}, []string{"assigneename", "bearbeitername", "mitarbeitername"}},
	{[]string{"follow_up_on"}, []string{"followup", "followupon", "wiedervorlage", "nachfassen", "nachfassenam", "rueckrufam"}},
	{[]string{"expected_close_on"}, []string{"expectedclose", "expectedcloseon", "closedate", "abschlussdatum", "erwarteterabschluss", "abschlussam"}},
	{[]string{"desired_start_on"}, []string{"desiredstart", "desiredstarton", "wunschtermin", "starttermin", "gewuenschterbeginn", "wunschbeginn", "beginn", "ausfuehrungstermin"}},
	{[]string{"category"}, []string{"category", "kategorie", "projektkategorie", "projektart", "gewerk", "leistung", "art"}},
	{[]string{"budget.min"}, []string{"budgetmin", "budgetvon", "budgetab", "mindestbudget", "minbudget"}},
	{[]string{"budget.max"}, []string{"budgetmax", "budgetbis", "hoechstbudget", "maxbudget", "budget"}},
	{[]string{"budget.currency"}, []string{"budgetcurrency", "budgetwaehrung"}},
	{[]string{"tags"}, []string{"tags", "tag", "schlagworte", "stichworte", "labels", "kategorien"}},
	{[]string{"notes"}, []string{"notes", "note", "notiz", "notizen", "bemerkung", "bemerkungen", "nachricht", "kommentar", "message", "beschreibung", "description"}},
	{[]string{"id"}, []string{"id", "inquiryid", "anfrageid", "anfragenummer", "anfragenr"}},
}

var inquirySynonymIndex = func() map[string][]string {
	m := map[string][]string{}
	for _, s := range inquirySynonyms {
		for _, n := range s.names {
			if _, ok := m[n]; !ok {
				m[n] = s.fields
			}
		}
	}
	return m
}()

// SuggestInquiryMapping proposes an inquiry field for each header it recognises: a
// German or English synonym, or a field's own name spelled exactly
// ("contact.email"). Each field is suggested once, to the first header that means it.
// The result maps header → field, as the import record shows it.
func SuggestInquiryMapping(headers []string) map[string]string {
	used := map[string]bool{}
	out := map[string]string{}
	for _, h := range headers {
		if _, dup := out[h]; dup || h == "" {
			continue
		}
		if slices.Contains(InquiryTargets, h) && !used[h] {
			out[h], used[h] = h, true
			continue
		}
		for _, f := range inquirySynonymIndex[normalizeHeader(h)] {
			if !used[f] {
				out[h], used[f] = f, true
				break
			}
		}
	}
	return out
}
