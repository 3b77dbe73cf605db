package dedupe

import (
	"math"
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
// edit on names of five letters or more or two neighbouring letters
// exchanged, the same letters reordered from five letters on, or the words
// of one contained in the other: Alexa-Rose vs Alexa); similar
// (Jaro-Winkler >= 0.80, two edits on names of five letters or more, nearly
// the same letters, or the same Kölner Phonetik or NYSIIS code); or
// different. The umlaut folding (oe -> o) also rewrites letters that a typo
// moved next to each other (Rwoe, Cahlrae), so names that have digraphs are
// compared unfolded as well, and the better level counts.
func matchNames(a, b name) nameMatch {
	m := matchSpelling(a.compact, b.compact, a, b)
	if m.level != nameExact && (a.unfolded != "" || b.unfolded != "") {
		ua, ub := a.unfolded, b.unfolded
		if ua == "" {
			ua = a.compact
		}
		if ub == "" {
			ub = b.compact
		}
		if u := matchSpelling(ua, ub, a, b); u.level < m.level {
			m = u
		}
	}
	return m
}

// matchSpelling is matchNames for the spellings x of a and y of b.
func matchSpelling(x, y string, a, b name) nameMatch {
	if x == y {
		return nameMatch{nameExact, 1, "exact"}
	}
	sim := JaroWinkler(x, y)
	if sim >= 0.92 {
		return nameMatch{nameClose, sim, "jaro_winkler>=0.92"}
	}
	short := min(len(x), len(y))
	ld := letterDiff(x, y)
	ed := 99
	if short >= 4 {
		ed = EditDistance(x, y)
		// One edit turns many four-letter names into other names (Mark,
		// Mary); from five letters on it is mostly a typo, and so are two
		// neighbouring letters exchanged in any name (Rowe, Rwoe: one
		// edit with the same letters).
		if ed <= 1 && (short >= 5 || ld == 0) {
			return nameMatch{nameClose, sim, "edit_distance<=1"}
		}
	}
	switch {
	case wordsContained(a.norm, b.norm):
		return nameMatch{nameClose, sim, "words_contained"}
	case short >= 5 && ld == 0:
		// Two different names of five letters or more are rarely
		// anagrams (Arnold, Roland); reordered letters are a typing slip.
		return nameMatch{nameClose, sim, "same_letters"}
	case sim >= 0.80:
		return nameMatch{nameSimilar, sim, "jaro_winkler>=0.80"}
	case short >= 5 && ed <= 2:
		return nameMatch{nameSimilar, sim, "edit_distance<=2"}
	case short >= 3 && ld == 0, short >= 5 && ld <= 2:
		// Nearly the same letters: an anagram from three letters on (oeL,
		// Leo), one letter more or exchanged from five (Cahlrae, Charlie).
		return nameMatch{nameSimilar, sim, "same_letters"}
	case len(a.koelner) >= 2 && a.koelner == b.koelner, len(a.nysiis) >= 3 && a.nysiis == b.nysiis:
		return nameMatch{nameSimilar, sim, "phonetic"}
	}
	return nameMatch{nameDifferent, sim, "disagree"}
}

// letterDiff is the number of letters that a and b do not share, counted
// as multisets: 0 for the same letters typed in another order (Eloilt,
// Elliot), 1 for one letter more, 2 for one letter exchanged (Cahlrae,
// Charlie). It compares bytes; both are at most maxField long.
func letterDiff(a, b string) int {
	var count [256]int16
	for i := 0; i < len(a); i++ {
		count[a[i]]++
	}
	for i := 0; i < len(b); i++ {
		count[b[i]]--
	}
	d := 0
	for _, s := range [...]string{a, b} {
		for i := 0; i < len(s); i++ {
			if c := count[s[i]]; c != 0 {
				d += abs(int(c))
				count[s[i]] = 0
			}
		}
	}
	return d
}

// sameLetters reports whether a and b are anagrams: the same letters typed
// in another order (Eloilt, Elliot).
func sameLetters(a, b string) bool {
	return len(a) == len(b) && letterDiff(a, b) == 0
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
func (ms *modelSet) compareFirstNames(a, b name) FieldScore {
	m := ms.firstName
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	if fs, ok := nameNumbers(m, a, b); ok {
		return fs
	}
	nm := matchNames(a, b)
	switch {
	case nm.level == nameExact:
		return m.scoreValue(0, 1, nm.label, a.norm)
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

func (ms *modelSet) compareFamilyNames(a, b name) FieldScore {
	m := ms.familyName
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	if fs, ok := nameNumbers(m, a, b); ok {
		return fs
	}
	nm := matchNames(a, b)
	if nm.level == nameDifferent {
		return m.score(m.disagree(), nm.sim, nm.label)
	}
	return m.scoreValue(nm.level, nm.sim, nm.label, a.norm)
}

// nameNumbers compares the numbers in two names (name.numbers) and reports
// whether they decide the comparison. No one's name holds a number: a name
// field that does is a label (a test record, "Gast 12", an import that
// numbered its rows), and two labels with different numbers name two
// records on purpose, however alike the letters (Cr1, Cr2: Jaro-Winkler
// 0.82, one edit). Both numbered and the numbers different is "numbers_differ",
// which outweighs everything else a pair can share (see doc.go); a number on
// one side only (Anna, Anna1) may be a stray key and is an ordinary
// disagreement ("number_one_side"). Equal numbers leave the letters to decide.
func nameNumbers(m *fieldModel, a, b name) (FieldScore, bool) {
	if a.numbers == b.numbers {
		return FieldScore{}, false
	}
	sim := JaroWinkler(a.compact, b.compact)
	if a.numbers != "" && b.numbers != "" {
		return m.score(m.level("numbers_differ"), sim, ""), true
	}
	return m.score(m.disagree(), sim, "number_one_side"), true
}

// nameReadings are the two readings of a pair's names: in order, and
// exchanged (one side has its given name in the family field).
type nameReadings struct {
	first, family   FieldScore // in order
	xFirst, xFamily FieldScore // exchanged, when xOK
	// xAdjust is the weight of the name_order entry of the exchanged
	// reading beyond the swap penalty (see compareNames).
	xAdjust float64
	xOK     bool
}

// compareNames scores first and family name in order and exchanged. Only an
// exchanged reading in which neither crosswise comparison disagrees counts:
// one name that happens to equal the other field (Martin Schulz vs Frank
// Martin) is a coincidence, not an exchange. A name missing on one side is
// looked for in that side's mail addresses (nameInMails).
//
// Which side exchanged its names is unknown, and it decides which crosswise
// pair is compared as given names and which as family names: if a did,
// a.first and b.family are family names and a.family and b.first given
// names; if b did, the other way round. Both are equally likely, so the
// exchanged reading weighs log2 of the mean of the two likelihood ratios:
// the better reading's fields, plus in xAdjust the log2((1+2^-d)/2) by
// which the mean falls short of the better one, d bits ahead (0 when both
// weigh the same, -1 when only one reading is possible).
func (ms *modelSet) compareNames(a, b *prepared) nameReadings {
	var r nameReadings
	r.first = ms.compareFirstNames(a.first, b.first)
	r.family = ms.compareFamilyNames(a.family, b.family)
	r.first = nameInMail(ms.firstInMail, r.first, a.first, b.first, a.mails, b.mails)
	r.family = nameInMail(ms.familyInMail, r.family, a.family, b.family, a.mails, b.mails)
	if r.first.Comparison == "exact" && r.family.Comparison == "exact" {
		return r // no exchanged reading can beat it
	}
	xFamily, xFirst := ms.compareFamilyNames(a.first, b.family), ms.compareFirstNames(a.family, b.first) // a exchanged
	yFamily, yFirst := ms.compareFamilyNames(a.family, b.first), ms.compareFirstNames(a.first, b.family) // b exchanged
	wx, wy := xFamily.Weight+xFirst.Weight, yFamily.Weight+yFirst.Weight
	okx := xFamily.Weight >= 0 && xFirst.Weight >= 0 && wx > 0
	oky := yFamily.Weight >= 0 && yFirst.Weight >= 0 && wy > 0
	switch {
	case okx && (!oky || wx >= wy):
		r.xFirst, r.xFamily, r.xOK = xFirst, xFamily, true
	case oky:
		r.xFirst, r.xFamily, r.xOK = yFirst, yFamily, true
	}
	if r.xOK {
		if !okx || !oky {
			// The other reading has a crosswise disagreement: its
			// likelihood ratio is negligible.
			r.xAdjust = -1
		} else {
			r.xAdjust = math.Log2((1 + math.Exp2(-math.Abs(wx-wy))) / 2)
		}
	}
	return r
}

// exchangedWeight is the weight of the exchanged reading, name_order
// entry included.
func (r *nameReadings) exchangedWeight() float64 {
	return r.xFirst.Weight + r.xFamily.Weight + round3(r.xAdjust-swapPenalty)
}

// pick returns the reading that counts: the exchanged one when it beats the
// ordered one, with its name_order entry.
func (r *nameReadings) pick() []FieldScore {
	if r.xOK && r.exchangedWeight() > r.first.Weight+r.family.Weight {
		xFirst, xFamily := r.xFirst, r.xFamily
		xFirst.Comparison = "swapped_" + xFirst.Comparison
		xFamily.Comparison = "swapped_" + xFamily.Comparison
		return []FieldScore{xFirst, xFamily,
			{Field: "name_order", Comparison: "swapped", Weight: round3(r.xAdjust - swapPenalty), History: xFirst.History}}
	}
	return []FieldScore{r.first, r.family}
}

// nameInMail is the comparison of a name that one side lacks with that
// side's mail addresses (nameInMails), or fs when it has nothing to compare.
func nameInMail(m *fieldModel, fs FieldScore, a, b name, aMails, bMails []string) FieldScore {
	if fs.Comparison != "missing" {
		return fs
	}
	var n name
	var mails []string
	switch {
	case a.norm == "" && b.norm != "" && len(aMails) > 0:
		n, mails = b, aMails
	case b.norm == "" && a.norm != "" && len(bMails) > 0:
		n, mails = a, bMails
	default:
		return fs
	}
	if len(n.compact) < 3 {
		return fs
	}
	if nameInMails(n, mails) {
		return named(m.score(0, 0, ""), fs.Field)
	}
	return named(m.score(m.disagree(), 0, "not_in_mail"), fs.Field)
}

// nameInMails reports whether the name n is spelt out in the local part of
// one of mails: as a whole word (anna.k, k-lee) or, from four letters on,
// at the start or end of one (hollythomson3, charper).
func nameInMails(n name, mails []string) bool {
	for _, m := range mails {
		if nameInLocal(n, m[:strings.LastIndexByte(m, '@')]) {
			return true
		}
	}
	return false
}

// nameInLocal is nameInMails for one local part.
func nameInLocal(n name, local string) bool {
	c := n.compact
	if len(c) < 3 {
		return false
	}
	words := strings.FieldsFunc(local, func(r rune) bool { return r < 'a' || r > 'z' })
	for _, w := range words {
		w = foldDigraphs(w) // thomas.mueller spells Müller
		if w == c || len(c) >= 4 && len(w) > len(c) && (strings.HasPrefix(w, c) || strings.HasSuffix(w, c)) {
			return true
		}
	}
	return false
}

func (ms *modelSet) compareDOB(a, b date) FieldScore {
	m := ms.dob
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
	case dateYearNear:
		return m.score(6, sim, "")
	}
	return m.score(m.disagree(), sim, "")
}

// compareMails compares every address of one side with every address of the
// other and keeps the best level.
//
// The same local part at another domain is evidence of one person only when
// it does not just spell the names the two records already share: namesakes
// at two providers both use thomas.mueller, so then it counts as "similar"
// (0 bits, labelled "same_name_local_part"). names is the pair's name
// comparison.
func (ms *modelSet) compareMails(a, b *prepared, names *nameReadings) FieldScore {
	m := ms.mail
	if len(a.mails) == 0 || len(b.mails) == 0 {
		return m.missing()
	}
	best, bestSim, bestLabel, bestLocal := m.disagree(), 0.0, "", ""
	for _, x := range a.mails {
		for _, y := range b.mails {
			lvl, sim, label := mailLevel(x, y)
			if lvl < best || lvl == best && sim > bestSim {
				best, bestSim, bestLabel, bestLocal = lvl, sim, label, x[:strings.LastIndexByte(x, '@')]
			}
		}
	}
	if best == mailSameLocal && (agrees(names.first) && nameInLocal(a.first, bestLocal) ||
		agrees(names.family) && nameInLocal(a.family, bestLocal)) {
		return m.score(mailSimilar, bestSim, "same_name_local_part")
	}
	return m.score(best, bestSim, bestLabel)
}

// agrees reports whether a name comparison found the two values alike.
func agrees(f FieldScore) bool {
	return f.Weight > 0 && evidence(f) == 2
}

// Mail levels, as in mailModel.
const (
	mailExact = iota
	mailTypo
	mailSameLocal
	mailDigits
	mailSimilar
	mailDisagree
)

// mailLevel classifies two addresses, with the comparator that decided when
// the level has several. Role accounts (info@) only ever agree exactly.
//   - exact.
//   - typo: the whole address within two edits ("edit_distance<=2"), or the
//     same local part at a mistyped domain ("domain_typo": anna.k@gmial.com),
//     the local parts starting alike and carrying the same digits.
//   - same_local_part: the same local part of five characters or more at
//     another domain (john.doe@gmail.com, john.doe@web.de).
//   - digits_differ: local parts with the same letters, one with a number
//     and one without (franziska.bergmann3, franziska.bergmann), or, at one
//     domain, whose separators differ ("separators_differ"): usually two
//     mailboxes.
//   - similar: local parts two edits or nearly the same letters apart, or
//     the same words abbreviated (o.b, oliver.b), at similar domains.
//   - disagree; "numbers_differ" when both local parts are numbered, the
//     numbers differ and the letters (four or more) agree
//     (anna.schmidt1, anna.schmidt2; i1 and i2 are just "disagree").
func mailLevel(x, y string) (lvl int, sim float64, label string) {
	if x == y {
		return mailExact, 1, ""
	}
	sim = JaroWinkler(x, y)
	ax, ay := strings.LastIndexByte(x, '@'), strings.LastIndexByte(y, '@')
	lx, ly, dx, dy := x[:ax], y[:ay], x[ax+1:], y[ay+1:]
	if roleLocalParts[lx] || roleLocalParts[ly] {
		return mailDisagree, sim, ""
	}
	if nx, ny := digitsOf(lx), digitsOf(ly); nx != ny {
		letters := lettersOf(lx) == lettersOf(ly) && len(lettersOf(lx)) >= 4
		if nx != "" && ny != "" {
			// Both numbered, the numbers differ: two mailboxes of a numbered
			// series (i1@, i2@; kunde7@, kunde8@), which a mistyped digit
			// cannot be told from.
			if letters {
				return mailDisagree, sim, "numbers_differ"
			}
			return mailDisagree, sim, ""
		}
		// A number on one side only: usually the provider's numbering of a
		// namesake (franziska.bergmann3, franziska.bergmann), or a digit
		// lost in typing.
		if letters && similarDomain(dx, dy) {
			return mailDigits, sim, ""
		}
		return mailDisagree, sim, ""
	}
	if lx != ly && lettersOf(lx) == lettersOf(ly) && len(lettersOf(lx)) >= 4 && dx == dy {
		// Only the separators differ (michael_bauer, michael.bauer): at
		// one provider two mailboxes, as with a number on one side.
		return mailDigits, sim, "separators_differ"
	}
	// Local parts that start differently belong to different people
	// (j.smith, a.smith), unless one letter was typed before the other
	// (glolat86, lolat86).
	alike := lx[0] == ly[0] || lx[1:] == ly || lx == ly[1:]
	if alike && min(len(dx), len(dy)) >= 5 {
		if min(len(lx), len(ly)) >= 4 && EditDistance(x, y) <= 2 {
			return mailTypo, sim, "edit_distance<=2"
		}
		// The same mailbox at a mistyped domain: any local part at a long
		// domain one slip away (aw@thompson.com, aw@thpmoson.com); at
		// domains that merely look alike only a distinctive local part,
		// since short domains are often other providers (gmx.de, gmx.at).
		if lx == ly && (distinctiveLocal(lx) && similarDomain(dx, dy) ||
			min(len(dx), len(dy)) >= 8 && (EditDistance(dx, dy) <= 1 || sameLetters(dx, dy))) {
			return mailTypo, sim, "domain_typo"
		}
	}
	if lx == ly && len(lx) >= 5 {
		return mailSameLocal, sim, ""
	}
	if alike && similarDomain(dx, dy) && (min(len(lx), len(ly)) >= 5 &&
		(EditDistance(lx, ly) <= 2 || letterDiff(lx, ly) <= 2) || abbreviated(lx, ly)) {
		return mailSimilar, sim, ""
	}
	return mailDisagree, sim, ""
}

// abbreviated reports whether two local parts have the same words, some of
// them shortened to their initial in one (o.b, oliver.b).
func abbreviated(x, y string) bool {
	sep := func(r rune) bool { return r == '.' || r == '_' || r == '-' }
	wx, wy := strings.FieldsFunc(x, sep), strings.FieldsFunc(y, sep)
	if len(wx) < 2 || len(wx) != len(wy) {
		return false
	}
	for i := range wx {
		a, b := wx[i], wy[i]
		if a != b && !(len(a) == 1 && a[0] == b[0]) && !(len(b) == 1 && b[0] == a[0]) {
			return false
		}
	}
	return true
}

// similarDomain reports whether two mail domains are one domain with a
// typo: equal, within two edits, the same letters reordered, or
// Jaro-Winkler >= 0.90 on domains of eight letters or more.
func similarDomain(a, b string) bool {
	if a == b {
		return true
	}
	if min(len(a), len(b)) < 5 {
		return false
	}
	return EditDistance(a, b) <= 2 || sameLetters(a, b) ||
		min(len(a), len(b)) >= 8 && JaroWinkler(a, b) >= 0.90
}

// digitsOf and lettersOf split a mail local part into its digits and the
// rest, each in order.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func lettersOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, s)
}

func (ms *modelSet) comparePhones(a, b []string) FieldScore {
	m := ms.phone
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

func (ms *modelSet) comparePostal(a, b string) FieldScore {
	m := ms.postal
	c, sim := CompareNumbers(a, b)
	switch c {
	case "missing":
		return m.missing()
	case "exact":
		return m.scoreValue(0, 1, "", a)
	case "one_digit":
		return m.score(1, sim, "")
	}
	return m.score(m.disagree(), sim, "")
}

// compareAddressLines compares street with street and street2 with street2,
// and also the two lines exchanged (a street typed into the second line),
// keeping the exchanged reading when it is better by more than its penalty
// and its second line does not disagree.
func (ms *modelSet) compareAddressLines(a, b *prepared, local bool) (street, street2 FieldScore, swapped bool) {
	street = ms.compareStreet(a.street, b.street, local)
	street2 = compareText(ms.street2, a.street2.text, b.street2.text, 0.90)
	if a.street2.text == "" && b.street2.text == "" {
		return street, street2, false
	}
	// Either side may have exchanged its lines; the better reading counts.
	xStreet := ms.compareStreet(a.street, b.street2, local)
	xStreet2 := compareText(ms.street2, a.street2.name, b.street.name, 0.90)
	if yStreet := ms.compareStreet(a.street2, b.street, local); yStreet.Weight > xStreet.Weight {
		xStreet = yStreet
		xStreet2 = compareText(ms.street2, a.street.name, b.street2.name, 0.90)
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
// only means something on the same street, and only the same number makes
// the same address (42 and 47 High Street are neighbours). local says that
// postal code or city agree: the street is then weighed as one of the few
// streets of that place (streetLocalModel) rather than of the country.
func (ms *modelSet) compareStreet(a, b addressLine, local bool) FieldScore {
	m := ms.street
	if local {
		m = ms.streetLocal
	}
	if a.name == "" || b.name == "" {
		return named(m.missing(), "street")
	}
	nameSim := 1.0
	if a.name != b.name {
		nameSim = JaroWinkler(a.name, b.name)
	}
	if nameSim < 0.90 {
		return named(m.score(m.disagree(), nameSim, ""), "street")
	}
	num, _ := CompareNumbers(a.number, b.number)
	switch {
	case nameSim == 1 && num == "exact":
		return named(m.score(0, 1, ""), "street")
	case num == "exact":
		return named(m.score(1, nameSim, ""), "street")
	}
	return named(m.score(2, nameSim, ""), "street")
}

// named relabels a FieldScore of a conditional model (streetLocalModel,
// firstInMailModel ...) with the field it scores.
func named(fs FieldScore, field string) FieldScore {
	fs.Field = field
	return fs
}

// weightless marks an agreement that is no evidence of its own, under
// label: one a more specific field already counted ("implied_by_postal_code",
// "implied_by_city": the city of an agreeing postal code) or a street line
// in another town ("other_locality"). It keeps the comparison's similarity.
func weightless(fs FieldScore, label string) FieldScore {
	fs.Comparison = label
	fs.Weight = 0
	fs.TFAdjustment = 0
	fs.model = nil
	return fs
}

// compareCity is compareText with a third level for the heavier typos that
// place names suffer (Lioerpovl, Birmingma): Jaro-Winkler >= 0.80, two edits
// on names of five letters or more, or the same letters in another order.
func (ms *modelSet) compareCity(a, b string) FieldScore {
	m := ms.city
	if a == "" || b == "" {
		return m.missing()
	}
	if a == b {
		return m.scoreValue(0, 1, "", a)
	}
	ca, cb := strings.ReplaceAll(a, " ", ""), strings.ReplaceAll(b, " ", "")
	sim := JaroWinkler(ca, cb)
	switch {
	case ca == cb:
		return m.scoreValue(0, 1, "", a)
	case sim >= 0.90:
		return m.score(1, sim, "")
	case sim >= 0.80:
		return m.score(2, sim, "jaro_winkler>=0.80")
	case min(len(ca), len(cb)) >= 5 && EditDistance(ca, cb) <= 2:
		return m.score(2, sim, "edit_distance<=2")
	case min(len(ca), len(cb)) >= 4 && sameLetters(ca, cb):
		return m.score(2, sim, "same_letters")
	}
	return m.score(m.disagree(), sim, "")
}
