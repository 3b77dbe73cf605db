package dedupe_test

import (
	"fmt"

	"github.com/contacthub/contacthub/dedupe"
)

func Example() {
	e := dedupe.New(dedupe.Config{DefaultRegion: "DE"})

	submitted := dedupe.Record{FirstName: "Jürgen", FamilyName: "Mueller", Mail: "j.mueller@example.com", Phone: "030 1234567"}

	// The store looks candidates up by the submission's keys...
	fmt.Println(e.BlockingKeys(submitted))

	// ...and asks for the best of them. Anna shares the landline and the
	// family name but has another first name: a relative, not a duplicate.
	candidates := []dedupe.Candidate{
		{ID: 41, Record: dedupe.Record{FirstName: "Anna", FamilyName: "Müller", Phone: "+49 30 1234567"}},
		{ID: 42, Record: dedupe.Record{FirstName: "Juergen", FamilyName: "Müller", Mail: "J.Mueller@example.com"}},
	}
	best, ranked := e.Best(submitted, candidates)
	fmt.Printf("best: contact %d, score %.1f >= %.0f\n", best.ID, best.Explanation.Score, best.Explanation.Threshold)
	for _, f := range best.Explanation.Fields {
		if f.Comparison != "missing" {
			fmt.Printf("  %-18s %-20s %+6.2f\n", f.Field, f.Comparison, f.Weight)
		}
	}
	fmt.Printf("runner-up: contact %d, score %.1f, match %v\n", ranked[1].ID, ranked[1].Explanation.Score, ranked[1].Explanation.Match)
	// Output:
	// [e:j.mueller@example.com p:+49301234567 l:j.mueller m:0746|657]
	// best: contact 42, score 30.3 >= 20
	//   first_name         exact                 +6.32
	//   family_name        exact                 +9.73
	//   mail               exact                +26.22
	//   shared_fields_cap  dependent_evidence   -11.95
	// runner-up: contact 41, score 19.4, match false
}

func ExampleEngine_Compare() {
	e := dedupe.New(dedupe.Config{})
	x := e.Compare(
		dedupe.Record{FirstName: "Bob", FamilyName: "Smith", DateOfBirth: "1975-03-04"},
		dedupe.Record{FirstName: "Robert", FamilyName: "Smith", DateOfBirth: "1975-04-03"},
	)
	fmt.Printf("score %.1f, match %v\n", x.Score, x.Match)
	for _, f := range x.Fields {
		if f.Comparison != "missing" {
			fmt.Printf("%s: %s (%+.2f)\n", f.Field, f.Comparison, f.Weight)
		}
	}
	// Output:
	// score 22.6, match true
	// first_name: nickname (+3.91)
	// family_name: exact (+9.73)
	// date_of_birth: dob_day_month_swapped (+8.97)
}

func ExampleEngine_EmailKey() {
	e := dedupe.New(dedupe.Config{FoldPlusTags: true})
	fmt.Println(e.EmailKey("  John+Newsletter@Example.COM "))
	// Output:
	// john@example.com
}

func ExampleKoelnerPhonetik() {
	for _, n := range []string{"Müller", "Mueller", "Möller", "Meier", "Mayr"} {
		fmt.Println(n, dedupe.KoelnerPhonetik(n))
	}
	// Output:
	// Müller 657
	// Mueller 657
	// Möller 657
	// Meier 67
	// Mayr 67
}

func ExampleSplitStreet() {
	fmt.Println(dedupe.SplitStreet("Hauptstr. 5a"))
	fmt.Println(dedupe.SplitStreet("12 Main St"))
	// Output:
	// hauptstrasse 5a
	// main street 12
}
