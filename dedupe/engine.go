package dedupe

import (
	"cmp"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Record is a contact as the engine sees it: raw values as submitted or
// stored. The engine normalises them itself; empty strings are missing values.
type Record struct {
	FirstName, FamilyName, Company string
	Mail, Mail2                    string
	// Phone and Phone2 may be in any format; numbers without a country prefix
	// are read in Config.DefaultRegion.
	Phone, Phone2                            string
	Street, Street2, City, PostalCode, State string
	// Country is an ISO 3166-1 alpha-2 code or "".
	Country string
	// DateOfBirth is "YYYY-MM-DD" or ""; an impossible date counts as missing.
	DateOfBirth string
}

// Config configures an Engine. The zero value is usable: no default phone
// region (only international numbers are understood), no plus-tag folding,
// DefaultThreshold.
type Config struct {
	// DefaultRegion (ISO 3166-1 alpha-2, e.g. "DE") is used for phone numbers
	// without a +country prefix.
	DefaultRegion string
	// FoldPlusTags makes john+news@example.com equal john@example.com.
	FoldPlusTags bool
	// Threshold is the total score at which a pair is a match; 0 means
	// DefaultThreshold.
	Threshold float64
}

// DefaultThreshold is the match threshold on the total score in bits
// (log2 of the likelihood ratio). 20 bits is roughly a likelihood ratio of
// one million: an exact e-mail address alone (21.4) or an exact phone number
// alone (20.5) reaches it, a full name alone (16.0) does not, a full name plus
// an exact date of birth (30.3) does. It was chosen from the weight table,
// not per data set; see doc.go.
const DefaultThreshold = 20.0

// Engine scores contacts against each other. It holds only its
// configuration, so one Engine may be shared by any number of goroutines.
type Engine struct {
	cfg       Config
	threshold float64
}

// New returns an Engine for cfg. It does not fail: an unknown DefaultRegion
// only means that national phone numbers cannot be normalised.
func New(cfg Config) *Engine {
	t := cfg.Threshold
	if t == 0 && os.Getenv("DEDUPE_THRESHOLD") != "" {
		t, _ = strconv.ParseFloat(os.Getenv("DEDUPE_THRESHOLD"), 64)
	}
	if t == 0 {
		t = DefaultThreshold
	}
	cfg.DefaultRegion = strings.ToUpper(strings.TrimSpace(cfg.DefaultRegion))
	return &Engine{cfg: cfg, threshold: t}
}

// Threshold returns the match threshold in effect.
func (e *Engine) Threshold() float64 { return e.threshold }

// Candidate is a stored contact offered for comparison.
type Candidate struct {
	ID     int64
	Record Record
	// History optionally holds earlier states of the contact, newest first:
	// the before-images of the merges into it. A merge overwrites values
	// (update_add), so a later submission may agree with what the contact
	// was rather than what it is; each state is compared and the best one
	// counts. Only a few recent states are worth passing (see Best).
	History []Record
}

// Scored is a candidate with the explanation of its comparison.
type Scored struct {
	ID          int64
	Explanation Explanation
}

// Explanation is the outcome of one comparison: the total score, the
// threshold it was held against, and every field's contribution. The
// weights of Fields sum to Score.
type Explanation struct {
	Score     float64      `json:"score"`
	Threshold float64      `json:"threshold"`
	Match     bool         `json:"match"`
	Fields    []FieldScore `json:"fields"`
	// History is 0 when the candidate's current record was compared, or
	// i when its earlier state Candidate.History[i-1] scored best.
	History int `json:"history,omitempty"`
}

// FieldScore is one field's part of a comparison.
type FieldScore struct {
	// Field is the compared field: first_name, family_name, date_of_birth,
	// mail, phone, company, street, street2, postal_code, city, state,
	// country; or an adjustment: name_order (first and family name were
	// exchanged), shared_fields_cap (dependent evidence bounded).
	Field string `json:"field"`
	// Comparison is the agreement level reached, e.g. "exact",
	// "jaro_winkler>=0.92", "dob_day_month_swapped", "disagree", "missing".
	Comparison string `json:"comparison"`
	// Similarity is the comparator's similarity in [0, 1] (1 for exact, 0
	// when missing).
	Similarity float64 `json:"similarity"`
	// Weight is the contribution to Score in bits: positive for agreement,
	// negative for disagreement, 0 when either side is missing.
	Weight float64 `json:"weight"`
}

// Compare scores submitted against candidate: the Fellegi-Sunter log2
// weights of every field, summed, with each field's contribution.
func (e *Engine) Compare(submitted, candidate Record) Explanation {
	a, b := e.prepare(submitted), e.prepare(candidate)
	return e.compare(&a, &b)
}

// Best compares submitted with every candidate and returns them ranked,
// highest score first (ties by ascending ID). best is the first of them when
// it reaches the threshold, nil otherwise (also for no candidates).
func (e *Engine) Best(submitted Record, candidates []Candidate) (best *Scored, ranked []Scored) {
	if len(candidates) == 0 {
		return nil, nil
	}
	a := e.prepare(submitted)
	ranked = make([]Scored, len(candidates))
	for i, c := range candidates {
		b := e.prepare(c.Record)
		x := e.compare(&a, &b)
		for h, r := range c.History {
			b := e.prepare(r)
			if y := e.compare(&a, &b); y.Score > x.Score {
				x = y
				x.History = h + 1
			}
		}
		ranked[i] = Scored{ID: c.ID, Explanation: x}
	}
	slices.SortStableFunc(ranked, func(x, y Scored) int {
		if c := cmp.Compare(y.Explanation.Score, x.Explanation.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if ranked[0].Explanation.Match {
		best = &ranked[0]
	}
	return best, ranked
}

// name is a normalised person name with the forms its comparators need.
type name struct {
	norm    string // NormalizeName
	compact string // norm without spaces
	koelner string
	nysiis  string
}

func newName(s string) name {
	n := name{norm: NormalizeName(s)}
	if n.norm == "" {
		return n
	}
	n.compact = strings.ReplaceAll(n.norm, " ", "")
	n.koelner = KoelnerPhonetik(n.norm)
	n.nysiis = NYSIIS(n.norm)
	return n
}

// prepared is a Record normalised once for any number of comparisons.
type prepared struct {
	first, family name
	company       string
	mails         []string
	phones        []string
	street        addressLine
	street2       addressLine
	city          string
	cityKey       string // Kölner Phonetik of city, for blocking
	postal        string
	state         string
	country       string
	dob           date
}

func (e *Engine) prepare(r Record) prepared {
	p := prepared{
		first:   newName(r.FirstName),
		family:  newName(r.FamilyName),
		company: normalizeText(r.Company),
		street:  newAddressLine(r.Street),
		street2: newAddressLine(r.Street2),
		city:    normalizeText(r.City),
		postal:  NormalizePostalCode(r.PostalCode),
		state:   normalizeText(r.State),
		country: strings.ToUpper(strings.TrimSpace(r.Country)),
		dob:     parseDate(r.DateOfBirth),
	}
	if p.city != "" {
		p.cityKey = KoelnerPhonetik(p.city)
		if len(p.cityKey) < 2 {
			p.cityKey = "=" + strings.ReplaceAll(p.city, " ", "")
		}
	}
	for _, m := range [...]string{r.Mail, r.Mail2} {
		if k := e.EmailKey(m); k != "" && !slices.Contains(p.mails, k) {
			p.mails = append(p.mails, k)
		}
	}
	for _, ph := range [...]string{r.Phone, r.Phone2} {
		if k := NormalizePhone(ph, e.cfg.DefaultRegion); k != "" && !slices.Contains(p.phones, k) {
			p.phones = append(p.phones, k)
		}
	}
	return p
}

func (e *Engine) compare(a, b *prepared) Explanation {
	fields := make([]FieldScore, 0, 16)
	var score, shared float64
	add := func(fs FieldScore, isShared bool) {
		fields = append(fields, fs)
		score += fs.Weight
		if isShared {
			shared += fs.Weight
		}
	}

	first, family, swapped := compareNames(a, b)
	add(first, false)
	add(family, true)
	if swapped {
		add(FieldScore{Field: "name_order", Comparison: "swapped", Weight: -swapPenalty}, false)
	}
	add(compareDOB(a.dob, b.dob), false)
	add(compareMails(a.mails, b.mails), true)
	add(comparePhones(a.phones, b.phones), true)
	add(compareText(companyModel, a.company, b.company, 0.92), true)
	line1, line2, linesSwapped := compareAddressLines(a, b)
	add(line1, true)
	add(line2, true)
	if linesSwapped {
		add(FieldScore{Field: "address_line_order", Comparison: "swapped", Weight: -lineSwapPenalty}, false)
	}
	add(comparePostal(a.postal, b.postal), true)
	add(compareText(cityModel, a.city, b.city, 0.90), true)
	add(compareExact(stateModel, a.state, b.state), true)
	add(compareExact(countryModel, a.country, b.country), true)
	if shared > sharedCap {
		add(FieldScore{Field: "shared_fields_cap", Comparison: "dependent_evidence", Weight: round3(sharedCap - shared)}, false)
	}
	score = round3(score)
	return Explanation{Score: score, Threshold: e.threshold, Match: score >= e.threshold, Fields: fields}
}

// nameLevel classifies two normalised names: 0 exact, 1 close (Jaro-Winkler
// >= 0.92, one edit, or one name's words contained in the other's), 2 fuzzy
// (Jaro-Winkler >= 0.80, two edits on longer names, or equal Kölner
// Phonetik or NYSIIS code), 3 disagreement.
func nameLevel(a, b name) (lvl int, sim float64) {
	if a.compact == b.compact {
		return 0, 1
	}
	sim = JaroWinkler(a.compact, b.compact)
	short := min(len(a.compact), len(b.compact))
	ed := -1
	if sim >= 0.92 {
		return 1, sim
	}
	if short >= 4 {
		ed = EditDistance(a.compact, b.compact)
		if ed <= 1 {
			return 1, sim
		}
	}
	if wordsContained(a.norm, b.norm) {
		return 1, sim
	}
	if sim >= 0.80 || short >= 5 && ed <= 2 || short >= 4 && sameLetters(a.compact, b.compact) ||
		len(a.koelner) >= 2 && a.koelner == b.koelner || len(a.nysiis) >= 3 && a.nysiis == b.nysiis {
		return 2, sim
	}
	return 3, sim
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

// wordsContained reports whether all words of the shorter multi-word name
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

func firstNameScore(a, b name) FieldScore {
	m := firstNameModel
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	lvl, sim := nameLevel(a, b)
	switch {
	case lvl == 0:
		return m.score(0, 1)
	case nicknameMatch(a.norm, b.norm) || nicknameMatch(firstWord(a.norm), firstWord(b.norm)):
		return m.score(1, sim)
	case lvl == 1:
		return m.score(2, sim)
	case len(a.compact) == 1 || len(b.compact) == 1:
		if a.compact[0] == b.compact[0] {
			return m.score(4, sim)
		}
		return m.score(m.disagree(), sim)
	case lvl == 2:
		return m.score(3, sim)
	}
	return m.score(m.disagree(), sim)
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

func familyNameScore(a, b name) FieldScore {
	m := familyNameModel
	if a.norm == "" || b.norm == "" {
		return m.missing()
	}
	lvl, sim := nameLevel(a, b)
	if lvl == 3 {
		return m.score(m.disagree(), sim)
	}
	return m.score(lvl, sim)
}

// compareNames scores first and family name in order and exchanged, and keeps
// the exchanged reading when it beats the ordered one by more than the swap
// penalty.
func compareNames(a, b *prepared) (first, family FieldScore, swapped bool) {
	first = firstNameScore(a.first, b.first)
	family = familyNameScore(a.family, b.family)
	// In the exchanged reading a.first is a family name and a.family a given name.
	xFamily := familyNameScore(a.first, b.family)
	xFirst := firstNameScore(a.family, b.first)
	// Only a reading in which neither exchanged comparison disagrees counts:
	// one name that happens to equal the other field (Martin Schulz, Frank
	// Martin) is a coincidence, not an exchange.
	if xFamily.Weight+xFirst.Weight-swapPenalty > first.Weight+family.Weight &&
		xFamily.Weight >= 0 && xFirst.Weight >= 0 {
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
	sim := 1 - float64(abs(a.days-b.days))/365
	if sim < 0 {
		sim = 0
	}
	switch lvl {
	case dateExact:
		return m.score(0, 1)
	case dateSwapped:
		return m.score(1, sim)
	case dateOneEdit:
		return m.score(2, sim)
	case dateNear:
		return m.score(3, sim)
	case dateYear:
		return m.score(4, sim)
	case dateDayMonth:
		return m.score(5, sim)
	}
	return m.score(m.disagree(), sim)
}

// compareMails compares every address of one side with every address of the
// other and keeps the best level: exact, within two edits (a typo), or the
// same local part at another domain.
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
	return m.score(best, bestSim)
}

func mailLevel(x, y string) (int, float64) {
	if x == y {
		return 0, 1
	}
	sim := JaroWinkler(x, y)
	if min(len(x), len(y)) >= 8 && EditDistance(x, y) <= 2 {
		return 1, sim
	}
	lx, ly := x[:strings.LastIndexByte(x, '@')], y[:strings.LastIndexByte(y, '@')]
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
			return m.score(0, 1)
		}
	}
	return m.score(m.disagree(), 0)
}

// compareText is the exact / Jaro-Winkler comparator for free text.
func compareText(m *fieldModel, a, b string, jw float64) FieldScore {
	if a == "" || b == "" {
		return m.missing()
	}
	if a == b {
		return m.score(0, 1)
	}
	sim := JaroWinkler(a, b)
	if sim >= jw {
		return m.score(1, sim)
	}
	return m.score(m.disagree(), sim)
}

func compareExact(m *fieldModel, a, b string) FieldScore {
	if a == "" || b == "" {
		return m.missing()
	}
	if a == b {
		return m.score(0, 1)
	}
	return m.score(m.disagree(), 0)
}

func comparePostal(a, b string) FieldScore {
	m := postalModel
	c, sim := CompareNumbers(a, b)
	switch c {
	case "missing":
		return m.missing()
	case "exact":
		return m.score(0, 1)
	case "one_digit":
		return m.score(1, sim)
	}
	return m.score(m.disagree(), sim)
}

// addressLine is a street line split into the compact street name and the
// house number, plus the whole line compacted for free-text comparison.
type addressLine struct {
	name, number, text string
}

func newAddressLine(s string) addressLine {
	n, num := SplitStreet(s)
	return addressLine{
		name:   strings.ReplaceAll(n, " ", ""),
		number: num,
		text:   strings.ReplaceAll(normalizeText(s), " ", ""),
	}
}

// compareAddressLines compares street with street and street2 with street2,
// and also the two lines exchanged (a street typed into the second line),
// keeping the exchanged reading when it is better by more than its penalty.
func compareAddressLines(a, b *prepared) (street, street2 FieldScore, swapped bool) {
	street = compareStreet(a.street, b.street)
	street2 = compareText(street2Model, a.street2.text, b.street2.text, 0.90)
	if a.street2.text == "" && b.street2.text == "" {
		return street, street2, false
	}
	xStreet := compareStreet(a.street, b.street2)
	if xStreet.Weight <= 0 {
		xStreet = compareStreet(a.street2, b.street)
		if xStreet.Weight <= 0 {
			return street, street2, false
		}
		xStreet2 := compareText(street2Model, a.street.name, b.street2.name, 0.90)
		return pickLines(street, street2, xStreet, xStreet2)
	}
	xStreet2 := compareText(street2Model, a.street2.name, b.street.name, 0.90)
	return pickLines(street, street2, xStreet, xStreet2)
}

func pickLines(street, street2, xStreet, xStreet2 FieldScore) (FieldScore, FieldScore, bool) {
	if xStreet.Weight+xStreet2.Weight-lineSwapPenalty > street.Weight+street2.Weight && xStreet2.Weight >= 0 {
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
		return m.score(m.disagree(), nameSim)
	}
	num, _ := CompareNumbers(a.number, b.number)
	switch {
	case nameSim == 1 && num == "exact":
		return m.score(0, 1)
	case num == "exact" || nameSim == 1 && num == "one_digit":
		return m.score(1, nameSim)
	}
	return m.score(2, nameSim)
}
