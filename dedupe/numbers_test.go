package dedupe

import (
	"fmt"
	"testing"
)

// TestNamesWithNumbers: digits in names are compared as numbers, not as
// letters a typo changed. Cr1 and Cr2 are one edit and Jaro-Winkler 0.82
// apart, which the letter comparators read as a near match.
func TestNamesWithNumbers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		a, b  Record
		field string
		want  string
		// weight bounds the field's weight from above (a disagreement) or,
		// when positive, from below (an agreement).
		weight float64
	}{
		{Record{FirstName: "Cr1"}, Record{FirstName: "Cr2"}, "first_name", "numbers_differ", -19},
		{Record{FirstName: "Cr100"}, Record{FirstName: "Cr101"}, "first_name", "numbers_differ", -19},
		{Record{FirstName: "Cr1"}, Record{FirstName: "Cr10"}, "first_name", "numbers_differ", -19},
		{Record{FirstName: "Anna 2"}, Record{FirstName: "Berta 3"}, "first_name", "numbers_differ", -19},
		{Record{FamilyName: "Schneider1"}, Record{FamilyName: "Schneider2"}, "family_name", "numbers_differ", -19},
		// A number on one side only may be a stray key: an ordinary disagreement.
		{Record{FirstName: "Anna"}, Record{FirstName: "Anna1"}, "first_name", "number_one_side", -4.5},
		{Record{FamilyName: "Test"}, Record{FamilyName: "Test1"}, "family_name", "number_one_side", -4.2},
		// The same number, however written, leaves the letters to decide.
		{Record{FirstName: "Cr07"}, Record{FirstName: "Cr7"}, "first_name", "jaro_winkler>=0.92", 4},
		{Record{FirstName: "Gast 12"}, Record{FirstName: "gast-12"}, "first_name", "exact", 6},
		{Record{FirstName: "Kunde 12"}, Record{FirstName: "Kundo 12"}, "first_name", "jaro_winkler>=0.92", 4},
	}
	for _, tt := range tests {
		t.Run(tt.a.FirstName+tt.a.FamilyName+"/"+tt.b.FirstName+tt.b.FamilyName, func(t *testing.T) {
			t.Parallel()
			x := e.Compare(tt.a, tt.b)
			for _, f := range x.Fields {
				if f.Field != tt.field {
					continue
				}
				if f.Comparison != tt.want {
					t.Errorf("%s comparison = %q, want %q; %s", tt.field, f.Comparison, tt.want, explain(x))
				}
				if tt.weight < 0 && f.Weight > tt.weight || tt.weight > 0 && f.Weight < tt.weight {
					t.Errorf("%s weight = %v, want beyond %v; %s", tt.field, f.Weight, tt.weight, explain(x))
				}
				return
			}
			t.Errorf("no %s in %s", tt.field, explain(x))
		})
	}
}

// TestMailsWithNumbers: local parts that are both numbered and differ in their
// numbers are two mailboxes, a disagreement.
func TestMailsWithNumbers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		a, b string
		want string
	}{
		{"anna.schmidt1@example.com", "anna.schmidt2@example.com", "numbers_differ"},
		{"kunde07@example.com", "kunde8@example.com", "numbers_differ"},
		{"i1@example.com", "i2@example.com", "disagree"},
		{"i0@example.com", "i463@example.com", "disagree"},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			t.Parallel()
			x := e.Compare(Record{Mail: tt.a}, Record{Mail: tt.b})
			var f FieldScore
			for _, g := range x.Fields {
				if g.Field == "mail" {
					f = g
				}
			}
			if f.Comparison != tt.want || f.Weight != mailModel.score(mailModel.disagree(), 0, "").Weight {
				t.Errorf("mail = %+v, want %q at the disagreement weight; %s", f, tt.want, explain(x))
			}
		})
	}
}

// TestNumberedRecordsDoNotMatch: records that differ only in the numbers of
// their names and mail addresses are different records, whatever else a
// template gave them all (family name, phone, address, date of birth).
func TestNumberedRecordsDoNotMatch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	template := func(i int, with func(*Record)) Record {
		r := Record{FirstName: fmt.Sprintf("Cr%d", i), FamilyName: "Schneider", Mail: fmt.Sprintf("i%d@example.com", i),
			Phone: "+49 30 1234567", Street: "Hauptstraße 5", PostalCode: "10115", City: "Berlin"}
		if with != nil {
			with(&r)
		}
		return r
	}
	tests := []struct {
		name string
		with func(*Record)
	}{
		{"household template", nil},
		{"and one date of birth", func(r *Record) { r.DateOfBirth = "1990-01-01" }},
		{"and one company", func(r *Record) { r.Company = "Muster GmbH" }},
		{"numbered family names", func(r *Record) { r.FamilyName, r.FirstName = "Schneider"+r.FirstName[2:], "Anna" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range [][2]int{{0, 1}, {1, 2}, {10, 11}, {100, 101}, {1, 10}, {7, 463}} {
				x := e.Compare(template(p[0], tt.with), template(p[1], tt.with))
				if x.Match {
					t.Errorf("%d and %d match: %s", p[0], p[1], explain(x))
				}
				if !e.Contradict(template(p[0], tt.with), template(p[1], tt.with)) {
					t.Errorf("%d and %d do not contradict each other: %s", p[0], p[1], explain(x))
				}
			}
			if x := e.Compare(template(5, tt.with), template(5, tt.with)); !x.Match {
				t.Errorf("a record does not match itself: %s", explain(x))
			}
		})
	}
}

// TestJoin: a contact that a submission matched besides the one it merged into
// joins it only when it matches that contact directly and contradicts neither it
// nor the contacts joined into it before.
func TestJoin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	robert := Record{FirstName: "Robert", FamilyName: "Allen", Mail: "roberta25@smith.net", City: "London", DateOfBirth: "1971-06-24"}
	tests := []struct {
		name          string
		target, other Candidate
		members       []Record
		want          bool
	}{
		{"one person split early",
			Candidate{Record: Record{FirstName: "Henrike", FamilyName: "Oltmanns", DateOfBirth: "1979-03-14", Mail: "h.o@example.org"}},
			Candidate{Record: Record{FirstName: "Henrike", FamilyName: "Oltmanns", DateOfBirth: "1979-03-14", Street: "Am Hafen 3"}},
			nil, true},
		// A~B (the submission Robert Alen, Lonon, merged into robert) and B~C, but
		// C with its other mail address does not match A itself (18.6 bits).
		{"a chain: no direct match",
			Candidate{Record: mergeUpdateAdd(robert, Record{FirstName: "Robert", FamilyName: "Alen", City: "Lonon", DateOfBirth: "1971-06-24"}),
				History: []Record{robert}},
			Candidate{Record: Record{FirstName: "Robert", FamilyName: "Alan", Mail: "robert255@smith.net", DateOfBirth: "1971-06-24"}},
			nil, false},
		{"numbered records of one household",
			Candidate{Record: Record{FirstName: "Cr1", FamilyName: "Schneider", Phone: "+49 30 1234567", Street: "Hauptstraße 5", PostalCode: "10115"}},
			Candidate{Record: Record{FirstName: "Cr2", FamilyName: "Schneider", Phone: "+49 30 1234567", Street: "Hauptstraße 5", PostalCode: "10115"}},
			nil, false},
		{"a date of birth the submission brought",
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna@example.org", Phone: "+49 30 1234567", DateOfBirth: "1990-05-05"}},
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Phone: "+49 30 1234567", DateOfBirth: "1980-01-01"}},
			nil, false},
		{"contradicts a contact joined before",
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna@example.org", Phone: "+49 30 2222222"}},
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Phone: "+49 30 2222222", DateOfBirth: "1990-05-05"}},
			[]Record{{FirstName: "Anna", FamilyName: "Schmidt", Phone: "+49 30 1111111", DateOfBirth: "1980-01-01"}}, false},
		{"agrees with a contact joined before",
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna@example.org", Phone: "+49 30 2222222"}},
			Candidate{Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Phone: "+49 30 2222222", DateOfBirth: "1980-01-01"}},
			[]Record{{FirstName: "Anna", FamilyName: "Schmidt", Phone: "+49 30 1111111", DateOfBirth: "1980-01-01"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x, ok := e.Join(tt.target, tt.other, tt.members...)
			if ok != tt.want {
				t.Errorf("Join = %v, want %v; %s", ok, tt.want, explain(x))
			}
			if ok && !x.Match {
				t.Errorf("joined on an explanation that is no match: %s", explain(x))
			}
		})
	}
}
