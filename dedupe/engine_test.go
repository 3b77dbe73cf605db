package dedupe

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// setup returns the engine as the product configures it for a German tenant.
func setup(t *testing.T) *Engine {
	t.Helper()
	return New(Config{DefaultRegion: "DE"})
}

func TestCompareDecisions(t *testing.T) {
	t.Parallel()
	thomas := Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1980-05-12",
		Mail: "thomas.mueller@web.de", Street: "Hauptstr. 5", PostalCode: "10115", City: "Berlin"}
	tests := []struct {
		name string
		a, b Record
		want bool
	}{
		// Matches.
		{"same mail, nothing else", Record{Mail: "a.b@example.com"}, Record{Mail: " A.B@Example.com"}, true},
		{"same phone in two formats", Record{Phone: "030 1234567"}, Record{Phone: "+49 (30) 123 45 67"}, true},
		{"full name and date of birth", Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1980-05-12"},
			Record{FirstName: "thomas", FamilyName: "MUELLER", DateOfBirth: "1980-05-12"}, true},
		{"nickname", Record{FirstName: "Bob", FamilyName: "Smith", DateOfBirth: "1975-01-30"},
			Record{FirstName: "Robert", FamilyName: "Smith", DateOfBirth: "1975-01-30"}, true},
		{"exchanged names", Record{FirstName: "Müller", FamilyName: "Thomas", DateOfBirth: "1980-05-12"},
			Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1980-05-12"}, true},
		{"day and month exchanged", Record{FirstName: "Anna", FamilyName: "Schmidt", DateOfBirth: "1990-03-04"},
			Record{FirstName: "Anna", FamilyName: "Schmidt", DateOfBirth: "1990-04-03"}, true},
		{"mail typo with name", Record{FirstName: "Thomas", FamilyName: "Müller", Mail: "thomas.meuller@web.de"}, thomas, true},
		{"first-name typo with mail", Record{FirstName: "Thoams", Mail: "thomas.mueller@web.de"}, thomas, true},
		{"address with first name", Record{FirstName: "Thomas", FamilyName: "Mueller", Street: "Hauptstraße 5", PostalCode: "D-10115"}, thomas, true},
		{"full name and city", Record{FirstName: "Thomas", FamilyName: "Müller", City: "Berlin"}, thomas, true},
		{"exact address alone", Record{Street: "Hauptstraße 5", PostalCode: "10115"}, thomas, true},
		{"mail at a mistyped domain with first name", Record{FirstName: "Thomas", Mail: "thomas.mueller@wbe.de"}, thomas, true},
		{"exchanged names with a typo", Record{FirstName: "Müller", FamilyName: "Tomas", DateOfBirth: "1980-05-12"}, thomas, true},
		{"first name spelt in the mail", Record{FamilyName: "Thomson", Mail: "hollythomson3@example.com", DateOfBirth: "1985-05-21"},
			Record{FirstName: "Holly", FamilyName: "Thomson", DateOfBirth: "1985-05-21"}, true},
		{"decade slip and a nearby day", Record{FirstName: "Thomas", FamilyName: "Müller", City: "Berlin", DateOfBirth: "1990-06-02"}, thomas, true},
		// Not matches.
		{"name alone", Record{FirstName: "Thomas", FamilyName: "Müller"}, thomas, false},
		{"family mail, other first name", Record{FirstName: "Anna", FamilyName: "Müller", Mail: "thomas.mueller@web.de"}, thomas, false},
		{"household, other first name", Record{FirstName: "Anna", FamilyName: "Müller", Street: "Hauptstr. 5", PostalCode: "10115", City: "Berlin"}, thomas, false},
		{"namesake with another birthday", Record{FirstName: "Thomas", FamilyName: "Müller", City: "Berlin", DateOfBirth: "1962-11-30"}, thomas, false},
		{"same birthday and city only", Record{FirstName: "Jan", FamilyName: "Schulz", City: "Berlin", DateOfBirth: "1980-05-12"}, thomas, false},
		{"one name crosswise by chance", Record{FirstName: "Martin", FamilyName: "Schulz", City: "Köln", DateOfBirth: "1970-01-02"},
			Record{FirstName: "Frank", FamilyName: "Martin", City: "Köln", DateOfBirth: "1970-01-02"}, false},
		{"role mail, different people", Record{FirstName: "Jan", FamilyName: "Schulz", Mail: "info@firma.de"},
			Record{FirstName: "Eva", FamilyName: "Berg", Mail: "info@firma.de"}, false},
		{"nothing in common", Record{FirstName: "Eva", Mail: "eva@x.de"}, thomas, false},
		{"namesake with a numbered mailbox", Record{FirstName: "Franziska", FamilyName: "Bergmann", Mail: "franziska.bergmann3@t-online.de"},
			Record{FirstName: "Franziska", FamilyName: "Bergmann", Mail: "franziska.bergmann@t-online.de"}, false},
		{"neighbour with the same first name", Record{FirstName: "Mark", FamilyName: "Wright", Street: "47 High Street", PostalCode: "M12 6KQ", City: "Manchester"},
			Record{FirstName: "Mark", FamilyName: "Moore", Street: "42 High Street", PostalCode: "M12 6KQ", City: "Manchester"}, false},
		{"household, both names differ", Record{FirstName: "Eva", FamilyName: "Schulz", Street: "Hauptstr. 5", PostalCode: "10115", City: "Berlin", Country: "DE"}, thomas, false},
		{"date of birth and city only", Record{City: "Berlin", DateOfBirth: "1980-05-12"}, thomas, false},
		{"namesakes at two providers", Record{FirstName: "William", FamilyName: "Roberts", Mail: "william.roberts@icloud.com"},
			Record{FirstName: "William", FamilyName: "Roberts", Mail: "william.roberts@gmail.com", Street: "54 Park Avenue", PostalCode: "L19 3OC"}, false},
		{"same street in another town", Record{FirstName: "Tim", FamilyName: "Jansen", Street: "Gartenstraße 42", PostalCode: "28375", City: "Bremen", DateOfBirth: "1968-04-07"},
			Record{FirstName: "Tim", FamilyName: "Jansen", Street: "Gartenstraße 42", PostalCode: "38037", City: "Hochburg", DateOfBirth: "1950-01-24"}, false},
		{"full name and city, other birthday a decade off", Record{FirstName: "Thomas", FamilyName: "Müller", City: "Berlin", DateOfBirth: "1970-09-30"}, thomas, false},
	}
	e := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := e.Compare(tt.a, tt.b)
			if x.Match != tt.want {
				t.Errorf("Match = %v, want %v; %s", x.Match, tt.want, explain(x))
			}
		})
	}
}

func TestCompareExplanation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := Record{FirstName: "Anna", FamilyName: "Müller", Mail: "anna@example.com", Street: "Hauptstr. 5", PostalCode: "10115"}
	b := Record{FirstName: "Anna", FamilyName: "Mueller", Mail: "anna@example.com", Street: "Hauptstraße 5", PostalCode: "10115", City: "Berlin"}
	x := e.Compare(a, b)
	if x.Threshold != DefaultThreshold {
		t.Errorf("Threshold = %v, want %v", x.Threshold, DefaultThreshold)
	}
	if x.Match != (x.Score >= x.Threshold) {
		t.Errorf("Match = %v with score %v and threshold %v", x.Match, x.Score, x.Threshold)
	}
	var sum float64
	seen := map[string]FieldScore{}
	for _, f := range x.Fields {
		sum += f.Weight
		seen[f.Field] = f
		if f.Comparison == "missing" && f.Weight != 0 {
			t.Errorf("missing field %s weighs %v, want 0", f.Field, f.Weight)
		}
	}
	if math.Abs(sum-x.Score) > 0.01 {
		t.Errorf("field weights sum to %v, score is %v", sum, x.Score)
	}
	for _, f := range []string{"first_name", "family_name", "date_of_birth", "mail", "phone", "company",
		"street", "street2", "postal_code", "city", "state", "country", "shared_fields_cap"} {
		if _, ok := seen[f]; !ok {
			t.Errorf("explanation lacks field %s: %+v", f, x.Fields)
		}
	}
	if got := seen["family_name"].Comparison; got != "exact" {
		t.Errorf("family_name comparison = %q, want exact (Müller = Mueller)", got)
	}
	if got := seen["city"].Comparison; got != "missing" {
		t.Errorf("city comparison = %q, want missing", got)
	}
	if w := seen["shared_fields_cap"].Weight; w >= 0 {
		t.Errorf("shared_fields_cap weight = %v, want negative (mail, address and family name agree)", w)
	}
}

func TestCompareLabels(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		a, b  Record
		field string
		want  string
	}{
		{Record{FirstName: "Jonas"}, Record{FirstName: "Jonsa"}, "first_name", "jaro_winkler>=0.92"},
		{Record{FirstName: "Marcus"}, Record{FirstName: "Narcus"}, "first_name", "edit_distance<=1"},
		{Record{FirstName: "Daniel"}, Record{FirstName: "Daniela"}, "first_name", "gender_variant"},
		{Record{FirstName: "Christian"}, Record{FirstName: "Christiane"}, "first_name", "gender_variant"},
		{Record{FirstName: "Ann"}, Record{FirstName: "Anna"}, "first_name", "nickname"},
		{Record{FirstName: "J."}, Record{FirstName: "John"}, "first_name", "initial"},
		{Record{FirstName: "Hans"}, Record{FirstName: "Johannes"}, "first_name", "nickname"},
		{Record{FirstName: "Hans-Peter"}, Record{FirstName: "Hans"}, "first_name", "nickname"},
		{Record{FirstName: "Anna-Lena"}, Record{FirstName: "Anna Lena"}, "first_name", "exact"},
		{Record{FamilyName: "Müller-Lüdenscheidt"}, Record{FamilyName: "Müller"}, "family_name", "words_contained"},
		{Record{FamilyName: "Meier"}, Record{FamilyName: "Mayr"}, "family_name", "phonetic"},
		{Record{FirstName: "Müller", FamilyName: "Thomas"}, Record{FirstName: "Thomas", FamilyName: "Müller"}, "first_name", "swapped_exact"},
		{Record{DateOfBirth: "1980-03-04"}, Record{DateOfBirth: "1980-04-03"}, "date_of_birth", "dob_day_month_swapped"},
		{Record{Mail: "john.doe@gmail.com"}, Record{Mail: "john.doe@gmial.com"}, "mail", "edit_distance<=2"},
		{Record{Mail: "john.doe@gmail.com"}, Record{Mail: "john.doe@web.de"}, "mail", "same_local_part"},
		{Record{Mail: "kontakt@a.de"}, Record{Mail: "kontakt@b.de"}, "mail", "disagree"},
		{Record{Mail: "j.smith@example.com"}, Record{Mail: "a.smith@example.com"}, "mail", "disagree"},
		{Record{Mail: "jb88@king.com"}, Record{Mail: "jb8@king.com"}, "mail", "disagree"},
		{Record{Mail: "franziska.bergmann3@t-online.de"}, Record{Mail: "franziska.bergmann@t-online.de"}, "mail", "digits_differ"},
		{Record{Mail: "aw@thompson.com"}, Record{Mail: "aw@thpmoson.com"}, "mail", "domain_typo"},
		{Record{Mail: "lolat86@bishop-giles.com"}, Record{Mail: "glolat86@bishop-giles.com"}, "mail", "edit_distance<=2"},
		{Record{Mail: "oliver.b@smith.net"}, Record{Mail: "o.b@smith.net"}, "mail", "similar"},
		{Record{Mail: "michael_bauer@freenet.de"}, Record{Mail: "michael.bauer@freenet.de"}, "mail", "separators_differ"},
		{Record{FirstName: "Thomas", FamilyName: "Mueller", Mail: "thomas.mueller@gmail.com"},
			Record{FirstName: "Thomas", FamilyName: "Müller", Mail: "thomas.mueller@web.de"}, "mail", "same_name_local_part"},
		{Record{FirstName: "Anna", FamilyName: "Weber", Mail: "thomas.mueller@gmail.com"},
			Record{FirstName: "Thomas", FamilyName: "Müller", Mail: "thomas.mueller@web.de"}, "mail", "same_local_part"},
		{Record{Street: "Gartenstraße 42", PostalCode: "28375", City: "Bremen"},
			Record{Street: "Gartenstr. 42", PostalCode: "38037", City: "Hochburg"}, "street", "other_locality"},
		{Record{PostalCode: "10945", City: "Berlin"}, Record{PostalCode: "10345", City: "Berlin"}, "postal_code", "implied_by_city"},
		{Record{FirstName: "Cahlrae"}, Record{FirstName: "Charlie"}, "first_name", "jaro_winkler>=0.80"}, // unfolded: ae is no umlaut here
		{Record{FamilyName: "Hsmel"}, Record{FamilyName: "Holmes"}, "family_name", "same_letters"},
		{Record{FirstName: "Osrac"}, Record{FirstName: "Oscar"}, "first_name", "same_letters"},
		{Record{FamilyName: "Rowe"}, Record{FamilyName: "Rwoe"}, "family_name", "jaro_winkler>=0.92"},
		{Record{FirstName: "Hugo"}, Record{FirstName: "Uhgo"}, "first_name", "edit_distance<=1"},
		{Record{FirstName: "Mark"}, Record{FirstName: "Mary"}, "first_name", "jaro_winkler>=0.80"},
		{Record{FamilyName: "Thomson", Mail: "hollythomson3@example.com"}, Record{FirstName: "Holly"}, "first_name", "in_mail"},
		{Record{FirstName: "Anna", Mail: "a.k@example.com"}, Record{FamilyName: "Schmidt"}, "family_name", "not_in_mail"},
		{Record{DateOfBirth: "1987-06-06"}, Record{DateOfBirth: "1977-05-30"}, "date_of_birth", "dob_year_digit_near"},
		{Record{DateOfBirth: "1987-12-30"}, Record{DateOfBirth: "1977-01-02"}, "date_of_birth", "dob_year_digit_near"},
		{Record{City: "Lioerpovl"}, Record{City: "Liverpool"}, "city", "jaro_winkler>=0.80"},
		{Record{City: "Berlin", PostalCode: "10115"}, Record{City: "Berlin", PostalCode: "10115"}, "city", "implied_by_postal_code"},
		{Record{City: "Berlin", State: "BE"}, Record{City: "Berlin", State: "BE"}, "state", "implied_by_city"},
		{Record{Street: "Hauptstr. 5", PostalCode: "10115"}, Record{Street: "Hauptstraße 5", PostalCode: "10115"}, "street", "exact"},
		{Record{Street: "47 High Street"}, Record{Street: "42 High Street"}, "street", "street_only"},
		{Record{Mail: "a@x.de", Mail2: "b@y.de"}, Record{Mail: "b@y.de"}, "mail", "exact"},
		{Record{Company: "Müller GmbH"}, Record{Company: "Mueller GmbH & Co. KG"}, "company", "exact"},
		{Record{Street: "Hauptstr. 5"}, Record{Street: "Hauptstrasse 7"}, "street", "street_only"},
		{Record{Street: "Hauptstr. 5"}, Record{Street: "Hauptstrase 5"}, "street", "street_and_number_similar"},
		{Record{Street: "Landhaus Eiche", Street2: "Hauptstr. 5"}, Record{Street: "Hauptstr. 5", Street2: "Landhaus Eiche"}, "street", "swapped_exact"},
		{Record{PostalCode: "4814"}, Record{PostalCode: "4184"}, "postal_code", "one_digit"},
		{Record{Country: "de"}, Record{Country: "AT"}, "country", "disagree"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.want, func(t *testing.T) {
			t.Parallel()
			x := e.Compare(tt.a, tt.b)
			for _, f := range x.Fields {
				if f.Field == tt.field {
					if f.Comparison != tt.want {
						t.Errorf("%s comparison = %q, want %q; %s", tt.field, f.Comparison, tt.want, explain(x))
					}
					return
				}
			}
			t.Errorf("no %s in %s", tt.field, explain(x))
		})
	}
}

func TestBest(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna.schmidt@example.com", DateOfBirth: "1990-03-04"}

	t.Run("no candidates", func(t *testing.T) {
		t.Parallel()
		best, ranked := e.Best(sub, nil)
		if best != nil || len(ranked) != 0 {
			t.Errorf("Best(nil) = %v, %v; want nil, empty", best, ranked)
		}
	})
	t.Run("ranked, best above threshold", func(t *testing.T) {
		t.Parallel()
		cands := []Candidate{
			{ID: 1, Record: Record{FirstName: "Eva", FamilyName: "Schmidt", DateOfBirth: "1962-01-01"}},
			{ID: 2, Record: Record{FirstName: "Anna", FamilyName: "Schmidt", DateOfBirth: "1990-03-04"}},
			{ID: 3, Record: Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna.schmidt@example.com", DateOfBirth: "1990-03-04"}},
		}
		best, ranked := e.Best(sub, cands)
		if best == nil || best.ID != 3 {
			t.Fatalf("best = %+v, want ID 3", best)
		}
		ids := []int64{ranked[0].ID, ranked[1].ID, ranked[2].ID}
		if !slices.Equal(ids, []int64{3, 2, 1}) {
			t.Errorf("ranked IDs = %v, want [3 2 1]", ids)
		}
		if ranked[2].Explanation.Match {
			t.Errorf("candidate 1 matches: %s", explain(ranked[2].Explanation))
		}
	})
	t.Run("ties by ascending ID", func(t *testing.T) {
		t.Parallel()
		c := Record{Mail: "anna.schmidt@example.com"}
		_, ranked := e.Best(sub, []Candidate{{ID: 9, Record: c}, {ID: 4, Record: c}})
		if ranked[0].ID != 4 || ranked[1].ID != 9 {
			t.Errorf("ranked IDs = %d, %d; want 4, 9", ranked[0].ID, ranked[1].ID)
		}
	})
	t.Run("below threshold", func(t *testing.T) {
		t.Parallel()
		best, ranked := e.Best(sub, []Candidate{{ID: 1, Record: Record{FirstName: "Anna", FamilyName: "Schmidt"}}})
		if best != nil || len(ranked) != 1 {
			t.Errorf("best = %+v (ranked %d), want nil and 1 ranked", best, len(ranked))
		}
	})
	t.Run("history", func(t *testing.T) {
		t.Parallel()
		// The contact's mail was overwritten by a later merge; the
		// submission carries the old one.
		c := Candidate{ID: 7,
			Record:  Record{FirstName: "Anna", Mail: "a.s@work.example"},
			History: []Record{{FirstName: "Anna", Mail: "a.s@work.example"}, {FirstName: "Anna", Mail: "anna.schmidt@example.com"}},
		}
		best, _ := e.Best(Record{FirstName: "Anna", Mail: "anna.schmidt@example.com"}, []Candidate{c})
		if best == nil || best.Explanation.History != 2 {
			t.Fatalf("best = %+v, want a match on history state 2", best)
		}
	})
	t.Run("history field by field", func(t *testing.T) {
		t.Parallel()
		// The first name was mistyped by the last merge, the mail by the
		// one before: each field counts its best state.
		c := Candidate{ID: 7,
			Record:  Record{FirstName: "Anan", FamilyName: "Schmidt", Mail: "anna@schmidt.example"},
			History: []Record{{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna@schmidt.example"}, {FirstName: "Anna", Mail: "anna.schmidt@example.com"}},
		}
		best, _ := e.Best(Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna.schmidt@example.com"}, []Candidate{c})
		if best == nil {
			t.Fatal("no match")
		}
		from := map[string]int{}
		for _, f := range best.Explanation.Fields {
			from[f.Field] = f.History
		}
		if from["first_name"] != 1 || from["family_name"] != 0 || from["mail"] != 2 || best.Explanation.History != 2 {
			t.Errorf("fields from states %v, explanation history %d; want first_name 1, family_name 0, mail 2; 2",
				from, best.Explanation.History)
		}
	})
	t.Run("a value an earlier state lacks erases no disagreement", func(t *testing.T) {
		t.Parallel()
		c := Candidate{ID: 8,
			Record:  Record{FirstName: "Anna", FamilyName: "Weber", Mail: "anna.schmidt@example.com"},
			History: []Record{{Mail: "anna.schmidt@example.com"}},
		}
		_, ranked := e.Best(Record{FirstName: "Anna", FamilyName: "Schmidt", Mail: "anna.schmidt@example.com"}, []Candidate{c})
		for _, f := range ranked[0].Explanation.Fields {
			if f.Field == "family_name" && f.Comparison != "disagree" {
				t.Errorf("family_name = %s from state %d, want disagree", f.Comparison, f.History)
			}
		}
	})
	t.Run("same result as Compare, whatever the submission lacks", func(t *testing.T) {
		t.Parallel()
		cands := benchCandidates(12)
		uncached := New(Config{DefaultRegion: "DE"})
		uncached.phones = nil
		for _, sub := range []Record{
			cands[3].Record,
			{FirstName: "Julia", Mail: "julia.mueller3@example.com"},
			{FamilyName: "Müller", Phone: "030 1234503"},
			{Street: "Hauptstraße 4", PostalCode: "10115"},
			{FirstName: "Müller", FamilyName: "Julia", DateOfBirth: "1953-04-04", City: "Berlin"},
		} {
			_, ranked := e.Best(sub, cands)
			_, again := uncached.Best(sub, cands)
			for i, r := range ranked {
				want := e.Compare(sub, cands[r.ID-1].Record)
				if r.Explanation.Score != want.Score || !slices.Equal(r.Explanation.Fields, want.Fields) {
					t.Errorf("%+v vs candidate %d: Best says %s, Compare %s", sub, r.ID, explain(r.Explanation), explain(want))
				}
				if again[i].ID != r.ID || again[i].Explanation.Score != r.Explanation.Score {
					t.Errorf("%+v: without the phone memo candidate %d scores %v, with %v", sub, again[i].ID, again[i].Explanation.Score, r.Explanation.Score)
				}
			}
		}
	})
	t.Run("configured threshold", func(t *testing.T) {
		t.Parallel()
		strict := New(Config{Threshold: 100})
		best, ranked := strict.Best(sub, []Candidate{{ID: 1, Record: sub}})
		if best != nil || ranked[0].Explanation.Threshold != 100 {
			t.Errorf("best = %+v, threshold %v; want nil, 100", best, ranked[0].Explanation.Threshold)
		}
	})
}

func TestBestConcurrent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cands := benchCandidates(20)
	want, _ := e.Best(cands[3].Record, cands)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if got, _ := e.Best(cands[3].Record, cands); got == nil || got.ID != want.ID {
					t.Errorf("concurrent Best = %+v, want ID %d", got, want.ID)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCompareBoundsHostileInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	long := strings.Repeat("ab", 500_000)
	start := time.Now()
	e.Compare(Record{FirstName: long, FamilyName: long, Mail: long + "@x.de", Street: long, City: long},
		Record{FirstName: long, FamilyName: long + "c", Mail: long + "@y.de", Street: long + "c", City: long + "c"})
	e.BlockingKeys(Record{FirstName: long, FamilyName: long, Mail: long + "@x.de", DateOfBirth: "1980-01-01"})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("comparing 1 MB values took %v; inputs must be bounded", d)
	}
}

func TestBlockingKeys(t *testing.T) {
	t.Parallel()
	e := setup(t)
	full := Record{FirstName: "Thomas", FamilyName: "Müller", Mail: "t.mueller@web.de", Phone: "030 1234567",
		Street: "Hauptstr. 5", PostalCode: "10115", City: "Berlin", DateOfBirth: "1980-05-12"}
	keys := e.BlockingKeys(full)

	t.Run("deduplicated, prefixed and stable", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Errorf("duplicate key %q", k)
			}
			seen[k] = true
			if len(k) < 3 || k[1] != ':' {
				t.Errorf("key %q lacks a kind prefix", k)
			}
		}
		if again := e.BlockingKeys(full); !slices.Equal(keys, again) {
			t.Errorf("keys differ between calls:\n%v\n%v", keys, again)
		}
		for _, want := range []string{"e:t.mueller@web.de", "p:+49301234567", "l:t.mueller"} {
			if !seen[want] {
				t.Errorf("keys lack %q: %v", want, keys)
			}
		}
	})
	shares := func(a, b Record) bool {
		ka := e.BlockingKeys(a)
		for _, k := range e.BlockingKeys(b) {
			if slices.Contains(ka, k) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name string
		a, b Record
		want bool
	}{
		{"exchanged names", Record{FirstName: "Müller", FamilyName: "Thomas", DateOfBirth: "1980-05-12"},
			Record{FirstName: "Thomas", FamilyName: "Mueller", DateOfBirth: "1980-05-12"}, true},
		{"exchanged day and month", Record{FirstName: "Thomas", DateOfBirth: "1980-12-05"},
			Record{FirstName: "Tom", DateOfBirth: "1980-05-12"}, true},
		{"birth year one off", Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1981-01-02"},
			Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1980-12-30"}, true},
		{"mail domain typo", Record{Mail: "t.mueller@wbe.de"}, Record{Mail: "t.mueller@web.de"}, true},
		{"family-name typo, same address", Record{FirstName: "Thomas", FamilyName: "Mülller", Street: "Hauptstr. 5", PostalCode: "10115"},
			Record{FirstName: "Thomas", FamilyName: "Müller", Street: "Hauptstraße 5", PostalCode: "10115"}, true},
		{"postal-code typo", Record{FirstName: "Thomas", FamilyName: "Müller", Street: "Hauptstr. 5", PostalCode: "10116"},
			Record{FirstName: "Thomas", FamilyName: "Müller", Street: "Hauptstraße 5", PostalCode: "10115"}, true},
		{"names alone share the capped name key", Record{FirstName: "Thomas", FamilyName: "Müller", DateOfBirth: "1970-01-02"},
			Record{FirstName: "Müller", FamilyName: "Thomas", Mail: "tm@example.org"}, true},
		{"role mail does not block alone", Record{FirstName: "Jan", Mail: "info@a.de"}, Record{FirstName: "Eva", Mail: "info@b.de"}, false},
	}
	// The only key two records with nothing but a name share is the one a lookup
	// ignores in a crowd (NameKeyCap): a name alone never selects a whole surname.
	if a, b := e.BlockingKeys(Record{FirstName: "Thomas", FamilyName: "Müller"}), e.BlockingKeys(Record{FirstName: "Thomas", FamilyName: "Müller"}); len(a) != 1 || !Capped(a[0]) || !slices.Equal(a, b) {
		t.Errorf("keys of a name alone: %v and %v, want one capped m: key", a, b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := shares(tt.a, tt.b); got != tt.want {
				t.Errorf("share a key = %v, want %v\n%v\n%v", got, tt.want, e.BlockingKeys(tt.a), e.BlockingKeys(tt.b))
			}
		})
	}
	t.Run("empty record", func(t *testing.T) {
		t.Parallel()
		if k := e.BlockingKeys(Record{}); len(k) != 0 {
			t.Errorf("BlockingKeys(empty) = %v, want none", k)
		}
	})
}

// TestWeightTableDocumented keeps the weight table in doc.go in step with
// the models in weights.go.
func TestWeightTableDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\t(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(-?\d+\.\d\d)$`)
	documented := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]+" "+m[2]] = m[3:]
	}
	rows := 0
	for _, f := range allModels {
		var sm, su float64
		check := func(level string, m, u, w float64) {
			rows++
			got, ok := documented[f.field+" "+level]
			if !ok {
				t.Errorf("doc.go lacks the row %s %s", f.field, level)
				return
			}
			want := []string{strconv.FormatFloat(m, 'g', 4, 64), strconv.FormatFloat(u, 'g', 6, 64), fmt.Sprintf("%.2f", w)}
			if want[2] == "-0.00" {
				want[2] = "0.00"
			}
			if !slices.Equal(got, want) {
				t.Errorf("doc.go row %s %s = %v, weights.go says %v", f.field, level, got, want)
			}
		}
		for i, l := range f.levels {
			check(l.name, l.m, l.u, f.weights[i])
			sm += l.m
			su += l.u
		}
		check("disagree", 1-sm, 1-su, f.weights[len(f.levels)])
	}
	if rows != len(documented) {
		t.Errorf("doc.go documents %d rows, weights.go has %d", len(documented), rows)
	}
}

// TestExplanationHistoryNamesOnlyStatesThatExist: with no earlier states, a
// disagreement (negative score) is explained by the current record, not by a
// state that supplied nothing.
func TestExplanationHistoryNamesOnlyStatesThatExist(t *testing.T) {
	e := New(Config{})
	x := e.Compare(Record{FirstName: "Anna", FamilyName: "Schmidt", DateOfBirth: "1980-01-01"},
		Record{FirstName: "Klaus", FamilyName: "Berger", DateOfBirth: "1950-06-06"})
	if x.Score >= 0 || x.History != 0 {
		t.Fatalf("score %.2f, history %d; want a negative score explained by the current record (0)", x.Score, x.History)
	}
}
