package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestWordSearchPagesAsAFilterWould: a search for several words answers, page by
// page, exactly the tenant's contacts whose first name, family name or company start
// with every word, in id order — also where the matches are sparse and PostgreSQL's
// search leaves its bounded walk of ids for the word indexes (searchByWords), here
// after every 7 contacts, in the middle of pages (SQLite runs the plain query, which
// the test checks as well). Not parallel: it shortens the walk.
func TestWordSearchPagesAsAFilterWould(t *testing.T) {
	defer store.SetSearchWalk(7)()
	st := storetest.Open(t)
	tn, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	firsts := []string{"Anna", "Jürgen", "Karl", "Andrea", "Jürgen", "Anna", "Karl"}
	families := []string{"Smith", "Schmidt", "Taylor", "Schneider", "Smythe"}
	companies := []string{"", "", "Smith & Söhne", "Anker GmbH"}
	type person struct {
		id                     int64
		first, family, company string
	}
	var people []person
	for i := range 90 {
		p := person{first: firsts[i%len(firsts)], family: families[(i/3)%len(families)], company: companies[(i/5)%len(companies)]}
		p.id = newContact(t, st, tn.ID, map[string]any{"first_name": p.first, "family_name": p.family, "company": p.company})
		if i%10 == 0 { // another tenant's namesakes must never show up
			newContact(t, st, other.ID, map[string]any{"first_name": p.first, "family_name": p.family, "company": p.company})
		}
		people = append(people, p)
	}
	matches := func(p person, words []string) bool {
		for _, w := range words {
			if !strings.HasPrefix(strings.ToLower(p.first), w) && !strings.HasPrefix(strings.ToLower(p.family), w) &&
				!strings.HasPrefix(strings.ToLower(p.company), w) {
				return false
			}
		}
		return true
	}
	for _, q := range []string{"jü sm", "an sch", "k ta", "a s", "smith anna", "an an", "jü ank", "zz yy", "karl smythe"} {
		var want []int64
		for _, p := range people {
			if matches(p, strings.Fields(q)) {
				want = append(want, p.id)
			}
		}
		if got := pageAll(t, st, tn.ID, models.ContactFilter{Query: q, Limit: 3}); !slices.Equal(got, want) {
			t.Errorf("%q = %v\nwant %v", q, got, want)
		}
	}
}
