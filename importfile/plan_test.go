package importfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
)

// TestPlan maps a German file's columns and turns rows into contact fields: dates read,
// the house number joined to the street, empty cells left out, a bad date and a ragged
// row reported with their field.
func TestPlan(t *testing.T) {
	t.Parallel()
	header := []string{"Vorname", "E-Mail", "Straße", "Hausnummer", "Geburtsdatum", "Farbe", "Kategorien", "Notiz"}
	p, err := NewPlan(Mapping{"first_name": "Vorname", "mail": "E-Mail", "ba_street": "Straße", StreetNumber: "Hausnummer",
		"date_of_birth": "Geburtsdatum", "field_farbe": "Farbe", "terms": "Kategorien", Ignore: "Notiz"}, header, []string{"farbe"})
	if err != nil {
		t.Fatal(err)
	}
	rec, problems := p.Record(Row{Num: 1, Fields: []string{" Jörg ", "j@example.de", "Königstraße", "12a", "03.04.1975", "", "VIP; Newsletter", "x"}})
	want := map[string]string{"first_name": "Jörg", "mail": "j@example.de", "ba_street": "Königstraße 12a", "date_of_birth": "1975-04-03", "terms": "VIP; Newsletter"}
	if problems != nil || !reflect.DeepEqual(rec, want) {
		t.Fatalf("record %v %v, want %v", rec, problems, want)
	}
	if got := SplitTerms(rec["terms"] + ",VIP,, |x"); !reflect.DeepEqual(got, []string{"VIP", "Newsletter", "x"}) {
		t.Fatalf("terms %q", got)
	}
	if _, problems := p.Record(Row{Num: 2, Fields: []string{"A", "", "", "", "1975-13-40", "", "", ""}}); len(problems) != 1 || problems[0].Field != "date_of_birth" {
		t.Fatalf("bad date: %v", problems)
	}
	if _, problems := p.Record(Row{Num: 3, Err: errors.New("row 3 (line 4) has 2 fields; the header has 8")}); len(problems) != 1 || !strings.Contains(problems[0].Error, "row 3") {
		t.Fatalf("ragged: %v", problems)
	}
}

// TestPlanRefusals: every bad mapping entry is named as headers.<field>.
func TestPlanRefusals(t *testing.T) {
	t.Parallel()
	header := []string{"Vorname", "Mail"}
	for _, tc := range []struct {
		m      Mapping
		fields []string
		say    string
	}{
		{Mapping{"first_name": "Name"}, []string{"headers.first_name"}, `the file has no header "Name"; its headers are "Vorname", "Mail"`},
		{Mapping{"shoe_size": "Mail"}, []string{"headers.shoe_size"}, "is not a contact field"},
		{Mapping{"first_name": "Vorname", "family_name": "Vorname"}, []string{"headers.first_name"}, "already mapped"},
		{Mapping{Ignore: "Mail"}, []string{"headers"}, "maps no column"},
		{Mapping{}, []string{"headers"}, "maps no column"},
	} {
		_, err := NewPlan(tc.m, header, nil)
		var me *models.Error
		if !errors.As(err, &me) || me.Code != models.EINVALID {
			t.Fatalf("%v: %v, want EINVALID", tc.m, err)
		}
		var got []string
		for _, f := range me.Fields {
			got = append(got, f.Field)
		}
		if !reflect.DeepEqual(got, tc.fields) || !strings.Contains(me.Fields[0].Error, tc.say) {
			t.Errorf("%v: %+v, want fields %v saying %q", tc.m, me.Fields, tc.fields, tc.say)
		}
	}
}

// TestSalutation reads German and English salutations as the contact's title codes
// and leaves anything else for the contact's check to name.
func TestSalutation(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Herr": "m", "Hr.": "m", "MR.": "m", "Mr": "m", "Frau": "f", "Fr.": "f", "Mrs.": "f", "Ms": "f",
		" frau ": "f", "m": "m", "f": "f", "Divers": "Divers", "Dr.": "Dr."} {
		if got := Salutation(in); got != want {
			t.Errorf("Salutation(%q) = %q, want %q", in, got, want)
		}
	}
	p, err := NewPlan(Mapping{"title": "Anrede", "first_name": "Vorname"}, []string{"Anrede", "Vorname"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec, problems := p.Record(Row{Num: 1, Fields: []string{"Frau", "Anna"}}); problems != nil || rec["title"] != "f" {
		t.Fatalf("record %v %v", rec, problems)
	}
}
