package dedupe

import (
	"slices"
	"strings"
)

// Field comparators: each maps a pair of normalised values to one level of
// its fieldModel and reports it as a FieldScore. Missing on either side is
// always "missing" with weight 0.

// nameMatch is the outcome of comparing two normalised names.
type nameMatch struct {
	level int     // nameExact, nameClose, nameSimilar or nameDifferent
	sim   float64 // Jaro-Winkler similarity of the compact forms
	label string  // the comparator that decided, for the explanation
}

const (
	nameExact = iota
	nameClose
	nameSimilar
	nameDifferent
)

// matchNames classifies two names: exact; close (Jaro-Winkler >= 0.92, one
// edit, or the words of one contained in the other: Alexa-Rose vs Alexa);
// similar (Jaro-Winkler >= 0.80, two edits on names of five letters or
// more, the same letters in another order, or the same Kölner Phonetik or
// NYSIIS code); or different.
func matchNames(a, b name) nameMatch {
	if a.compact == b.compact {
		return nameMatch{nameExact, 1, "exact"}
	}
	sim := JaroWinkler(a.compact, b.compact)
	if sim >= 0.92 {
		return nameMatch{nameClose, sim, "jaro_winkler>=0.92"}
	}
	short := min(len(a.compact), len(b.compact))
	ed := 99
	if short >= 4 {
		ed = EditDistance(a.compact, b.compact)
		// One edit turns many four-letter names into other names (Mark,
		// Mary); from five letters on it is mostly a typo.
		if ed <= 1 && short >= 5 {
			return nameMatch{nameClose, sim, "edit_distance<=1"}
		}
	}
	switch {
	case wordsContained(a.norm, b.norm):
		return nameMatch{nameClose, sim, "words_contained"}
	case sim >= 0.80:
		return nameMatch{nameSimilar, sim, "jaro_winkler>=0.80"}
	case short >= 5 && ed <= 2:
		return nameMatch{nameSimilar, sim, "edit_distance<=2"}
	case short >= 4 && sameLetters(a.compact, b.compact):
		return nameMatch{nameSimilar, sim, "same_letters"}
	case len(a.koelner) >= 2 && a.koelner == b.koelner, len(a.nysiis) >= 3 && a.nysiis == b.nysiis:
		return nameMatch{nameSimilar, sim, "phonetic"}
	}
	return nameMatch{nameDifferent, sim, "disagree"}
}

// sameLetters reports whether a and b are anagrams: the same letters typed
// in another order (Eloilt, Elliot).
func sameLetters(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var count [256]int
	for i := 0; i < len(a); i++ {
		count[a[i]]++
		count[b[i]]--
	}
	for _, c := range count {
		if c != 0 {
			return false
		}
	}
	return true
}

// wordsContained reports whether all words of the name with fewer words
// appear in the other (Alexa-Rose vs Alexa, Müller-Lüdenscheidt vs Müller).
func wordsContained(a, b string) bool {
	if !strings.Contains(a, " ") && !strings.Contains(b, " ") {
		return false
	}
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	for _, w := range wa {
		if len(w) < 2 || !slices.Contains(wb, w) {
			return false
		}
	}
	return true
}

// genderVariants reports whether a and b are the male and female forms of
// one given name (Daniel/Daniela, Christian/Christiane, Mario/Maria). Such
// pairs look like typos to every string comparator but are different people,
// often of one household. The pairs come from a table rather than a suffix
// rule, so that a truncated Matild(a) still counts as a typo.
func genderVariants(a, b string) bool {
	ga, gb := genderPairs[a], genderPairs[b]
	for _, x := range ga {
		for _, y := range gb {
			if x.group == y.group && x.female != y.female {
				return true
			}
		}
	}
	return false
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

// compareFirstNames adds nicknames (Bob = Robert, also for the first of
// several given names) and initials (J. = John) to matchNames.
func compareFirstNames(a, b name) FieldScore {
	m := firstNameModel
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	nm := matchNames(a, b)
	switch {
	case nm.level == nameExact:
		return m.score(0, 1, nm.label)
	case nicknameMatch(a.norm, b.norm) || nicknameMatch(firstWord(a.norm), firstWord(b.norm)):
		return m.score(1, nm.sim, "nickname")
	case genderVariants(a.compact, b.compact):
		return m.score(m.disagree(), nm.sim, "gender_variant")
	case nm.level == nameClose:
		return m.score(2, nm.sim, nm.label)
	case len(a.compact) == 1 || len(b.compact) == 1:
		if a.compact[0] == b.compact[0] {
			return m.score(4, nm.sim, "initial")
		}
	case nm.level == nameSimilar:
		return m.score(3, nm.sim, nm.label)
	}
	return m.score(m.disagree(), nm.sim, "disagree")
}

func compareFamilyNames(a, b name) FieldScore {
	m := familyNameModel
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	nm := matchNames(a, b)
	if nm.level == nameDifferent {
		return m.score(m.disagree(), nm.sim, nm.label)
	}
	return m.score(nm.level, nm.sim, nm.label)
}

// compareNames scores first and family name in order and exchanged, and keeps
// the exchanged reading when it beats the ordered one by more than the swap
// penalty. Only a reading in which neither exchanged comparison disagrees
// counts: one name that happens to equal the other field (Martin Schulz vs
// Frank Martin) is a coincidence, not an exchange.
func compareNames(a, b *prepared) (first, family FieldScore, swapped bool) {
	first = compareFirstNames(a.first, b.first)
	family = compareFamilyNames(a.family, b.family)
	// In the exchanged reading a.first is a family name and a.family a given name.
	xFamily := compareFamilyNames(a.first, b.family)
	xFirst := compareFirstNames(a.family, b.first)
	if xFamily.Weight+xFirst.Weight-swapPenalty > first.Weight+family.Weight &&
		xFamily.Weight >= 0 && xFirst.Weight >= 0 && xFamily.Weight+xFirst.Weight > 0 {
		xFirst.Comparison = "swapped_" + xFirst.Comparison
		xFamily.Comparison = "swapped_" + xFamily.Comparison
		return xFirst, xFamily, true
	}
	return first, family, false
}

func compareDOB(a, b date) FieldScore {
	m := dobModel
	lvl := compareDates(a, b)
	if lvl == dateNotFound {
		return m.missing()
	}
	sim := max(0, 1-float64(abs(a.days-b.days))/365)
	switch lvl {
	case dateExact:
		return m.score(0, 1, "")
	case dateSwapped:
		return m.score(1, sim, "")
	case dateOneEdit:
		return m.score(2, sim, "")
	case dateNear:
		return m.score(3, sim, "")
	case dateYear:
		return m.score(4, sim, "")
	case dateDayMonth:
		return m.score(5, sim, "")
	}
	return m.score(m.disagree(), sim, "")
}

// compareMails compares every address of one side with every address of the
// other and keeps the best level.
func compareMails(a, b []string) FieldScore {
	m := mailModel
	if len(a) == 0 || len(b) == 0 {
		return m.missing()
	}
	best, bestSim := m.disagree(), 0.0
	for _, x := range a {
		for _, y := range b {
			lvl, sim := mailLevel(x, y)
			if lvl < best || lvl == best && sim > bestSim {
				best, bestSim = lvl, sim
			}
		}
	}
	return m.score(best, bestSim, "")
}

// mailLevel classifies two addresses: exact; a typo (within two edits,
// the local parts starting alike, neither a role account, and both parts
// long enough for a typo to be told from another address); the same
// personal local part at another domain (john.doe@gmail.com,
// john.doe@web.de); or different.
func mailLevel(x, y string) (int, float64) {
	if x == y {
		return 0, 1
	}
	sim := JaroWinkler(x, y)
	ax, ay := strings.LastIndexByte(x, '@'), strings.LastIndexByte(y, '@')
	lx, ly, dx, dy := x[:ax], y[:ay], x[ax+1:], y[ay+1:]
	if roleLocalParts[lx] || roleLocalParts[ly] {
		return 3, sim
	}
	if lx[0] == ly[0] && min(len(lx), len(ly)) >= 4 && min(len(dx), len(dy)) >= 5 && EditDistance(x, y) <= 2 {
		return 1, sim
	}
	if lx == ly && len(lx) >= 5 {
		return 2, sim
	}
	return 3, sim
}

func comparePhones(a, b []string) FieldScore {
	m := phoneModel
	if len(a) == 0 || len(b) == 0 {
		return m.missing()
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return m.score(0, 1, "")
		}
	}
	return m.score(m.disagree(), 0, "")
}

// compareText is the exact / Jaro-Winkler comparator for free text.
func compareText(m *fieldModel, a, b string, jw float64) FieldScore {
	if a == "" || b == "" {
		return m.missing()
	}
	if a == b {
		return m.score(0, 1, "")
	}
	sim := JaroWinkler(a, b)
	if sim >= jw {
		return m.score(1, sim, "")
	}
	return m.score(m.disagree(), sim, "")
}

func compareExact(m *fieldModel, a, b string) FieldScore {
	if a == "" || b == "" {
		return m.missing()
	}
	if a == b {
		return m.score(0, 1, "")
	}
	return m.score(m.disagree(), 0, "")
}

func comparePostal(a, b string) FieldScore {
	m := postalModel
	c, sim := CompareNumbers(a, b)
	switch c {
	case "missing":
		return m.missing()
	case "exact":
		return m.score(0, 1, "")
	case "one_digit":
		return m.score(1, sim, "")
	}
	return m.score(m.disagree(), sim, "")
}

// compareAddressLines compares street with street and street2 with street2,
// and also the two lines exchanged (a street typed into the second line),
// keeping the exchanged reading when it is better by more than its penalty
// and its second line does not disagree.
func compareAddressLines(a, b *prepared) (street, street2 FieldScore, swapped bool) {
	street = compareStreet(a.street, b.street)
	street2 = compareText(street2Model, a.street2.text, b.street2.text, 0.90)
	if a.street2.text == "" && b.street2.text == "" {
		return street, street2, false
	}
	// Either side may have exchanged its lines; the better reading counts.
	xStreet := compareStreet(a.street, b.street2)
	xStreet2 := compareText(street2Model, a.street2.name, b.street.name, 0.90)
	if yStreet := compareStreet(a.street2, b.street); yStreet.Weight > xStreet.Weight {
		xStreet = yStreet
		xStreet2 = compareText(street2Model, a.street.name, b.street2.name, 0.90)
	}
	if xStreet.Weight > 0 && xStreet2.Weight >= 0 &&
		xStreet.Weight+xStreet2.Weight-lineSwapPenalty > street.Weight+street2.Weight {
		xStreet.Comparison = "swapped_" + xStreet.Comparison
		xStreet2.Comparison = "swapped_" + xStreet2.Comparison
		return xStreet, xStreet2, true
	}
	return street, street2, false
}

// compareStreet compares street name and house number together: the number
// only means something on the same street.
func compareStreet(a, b addressLine) FieldScore {
	m := streetModel
	if a.name == "" || b.name == "" {
		return m.missing()
	}
	nameSim := 1.0
	if a.name != b.name {
		nameSim = JaroWinkler(a.name, b.name)
	}
	if nameSim < 0.90 {
		return m.score(m.disagree(), nameSim, "")
	}
	num, _ := CompareNumbers(a.number, b.number)
	if num == "one_digit" && min(len(a.number), len(b.number)) < 2 {
		num = "disagree" // 5 and 7 are neighbours, not a typo
	}
	switch {
	case nameSim == 1 && num == "exact":
		return m.score(0, 1, "")
	case num == "exact" || nameSim == 1 && num == "one_digit":
		return m.score(1, nameSim, "")
	}
	return m.score(2, nameSim, "")
}
