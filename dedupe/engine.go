package dedupe

import (
	"cmp"
	"hash/maphash"
	"slices"
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
	// ReviewThreshold is the score from which a pair below Threshold is a
	// possible duplicate for a person to review; 0 means DefaultReviewThreshold
	// (or Threshold, when that is lower).
	ReviewThreshold float64
}

// DefaultThreshold is the match threshold on the total score, in bits (log2
// of the likelihood ratio "same person" : "different people"). It is derived
// in the package documentation from the prior odds on a tenant of 100,000
// contacts and a 3:1 preference for a missed duplicate over a false merge,
// not tuned to a data set. An exact mail or phone number alone reaches it, a
// full name alone (16.1) does not, a full name with an exact date of birth
// (30.2) does.
const DefaultThreshold = 20.0

// DefaultReviewThreshold is the score from which a pair that does not match
// is queued for review. See the package documentation for how it was chosen.
const DefaultReviewThreshold = 12.0

// Engine scores contacts against each other. It holds its configuration
// and a bounded memo of normalised phone numbers (see phoneMemo); one Engine
// may be shared by any number of goroutines.
type Engine struct {
	cfg       Config
	ms        *modelSet
	threshold float64
	review    float64
	phones    *phoneMemo
}

// New returns an Engine for cfg. It does not fail: an unknown DefaultRegion
// only means that national phone numbers cannot be normalised.
func New(cfg Config) *Engine {
	t := cfg.Threshold
	if t == 0 {
		t = DefaultThreshold
	}
	r := cfg.ReviewThreshold
	if r == 0 {
		r = min(DefaultReviewThreshold, t)
	}
	cfg.DefaultRegion = strings.ToUpper(strings.TrimSpace(cfg.DefaultRegion))
	return &Engine{cfg: cfg, ms: defaultModels, threshold: t, review: r, phones: newPhoneMemo(cfg.DefaultRegion)}
}

// Threshold returns the match threshold in effect.
func (e *Engine) Threshold() float64 { return e.threshold }

// ReviewThreshold returns the score from which a pair below Threshold is a
// possible duplicate, to be reviewed by a person.
func (e *Engine) ReviewThreshold() float64 { return e.review }

// Candidate is a stored contact offered for comparison.
type Candidate struct {
	ID     int64
	Record Record
	// History optionally holds earlier states of the contact, newest first:
	// the before-images of the merges into it. A merge overwrites values
	// (update_add), so a later submission may agree with what the contact
	// was rather than what it is (the mail before a typo overwrote it); each
	// state is compared and every field counts its best agreement with any
	// of them (see Best). Each state costs one more comparison, so pass the
	// few most recent (five is plenty).
	History []Record
}

// Scored is a candidate (by its Candidate.ID) with the explanation of its
// comparison.
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
	// History is 0 when the candidate's current record contributed the
	// most weight, or i when its earlier state Candidate.History[i-1] did;
	// FieldScore.History says it field by field.
	History int `json:"history,omitempty"`
	// ModelVersion is the version of the tenant's model the weights come
	// from: 0 for the defaults (see Model).
	ModelVersion int `json:"model_version"`
}

// FieldScore is one field's part of a comparison.
type FieldScore struct {
	// Field is the compared field: first_name, family_name, date_of_birth,
	// mail (Mail and Mail2 of both sides, best pair), phone (likewise),
	// company, street, street2, postal_code, city, state, country; or an
	// adjustment: name_order (first and family name read exchanged; its
	// weight is the doubt which side exchanged them), address_line_order
	// (street and street2 read exchanged), shared_fields_cap (dependent
	// evidence bounded; see the package doc).
	Field string `json:"field"`
	// Comparison is the agreement level or the comparator that decided it:
	// "exact", "nickname", "jaro_winkler>=0.92", "edit_distance<=1",
	// "same_letters", "phonetic", "initial", "gender_variant",
	// "in_mail" and "not_in_mail" (a name one side lacks, looked for in its
	// mail addresses), "dob_day_month_swapped", "dob_one_digit",
	// "dob_year_digit_near", "edit_distance<=2" and "domain_typo" (mail
	// typos), "digits_differ", "separators_differ", "numbers_differ" (names
	// or mail local parts numbered differently: Cr1, Cr2), "number_one_side"
	// (a name with a number against one without), "same_local_part",
	// "same_name_local_part", "street_only", "implied_by_postal_code" and
	// "implied_by_city" (an agreement a more specific field already
	// counted, 0 bits), "other_locality" (a street line agreeing in another
	// town, 0 bits), ... ; "disagree"; "missing" when either side has no
	// value. Exchanged readings are prefixed "swapped_".
	Comparison string `json:"comparison"`
	// Similarity is the comparator's similarity in [0, 1] (1 for exact, 0
	// when missing).
	Similarity float64 `json:"similarity"`
	// Weight is the contribution to Score in bits: positive for agreement,
	// negative for disagreement, 0 when either side is missing.
	Weight float64 `json:"weight"`
	// History is 0 when the field was compared with the candidate's current
	// record, or i when with its earlier state Candidate.History[i-1] (see
	// Engine.Best).
	History int `json:"history,omitempty"`
	// TFAdjustment is the part of Weight, in bits, that the agreeing value's
	// frequency in the tenant added or took away (a tenant's learned model
	// only; see Model).
	TFAdjustment float64 `json:"tf_adjustment,omitempty"`

	// model and level are the field model and level index Weight came
	// from (nil when none did: missing, or an adjustment); Train counts
	// them.
	model *fieldModel
	level int
}

// Compare scores submitted against candidate: the Fellegi-Sunter log2
// weights of every field, summed, with each field's contribution. It cannot
// fail; values it cannot read (an invalid phone, an impossible date) count
// as missing.
func (e *Engine) Compare(submitted, candidate Record) Explanation {
	a, b := e.prepare(submitted), e.prepare(candidate)
	return e.compare(&a, &b)
}

// Contradict reports whether two records disagree on a field that tells people
// apart: first name or date of birth (a weight below -1 bit; a missing value or a
// name merely not found in a mail does not count), or names that carry different
// numbers (numbers_differ: Test1, Test2). A store that merges two records because a
// third matched both uses it: a submission carrying only what a household shares
// (its mail, landline, address, family name) matches every member, and the members
// must not become one contact through it.
func (e *Engine) Contradict(a, b Record) bool {
	x, y := e.prepare(a), e.prepare(b)
	return contradicts(e.ms.compareFields(&x, &y))
}

// contradicts is Contradict on a comparison.
func contradicts(c comparison) bool {
	for _, f := range c.names.pick() {
		if f.Field == "first_name" && f.Weight < -1 || f.Comparison == "numbers_differ" {
			return true
		}
	}
	return c.dob.Weight < -1
}

// Join decides whether other, a contact that a submission matched besides
// target, the contact the submission merged into, may be merged into target
// as well, and returns the explanation of other compared with target. A
// submission matching two contacts is evidence that they are one person, but
// not proof: matches do not chain (A like B and B like C does not make A
// like C), so the join must stand on its own. It is allowed when
//
//   - other's record matches target directly: compared with target's record
//     and its History as Best compares a submission with a candidate (pass
//     target as it is after the submission's merge), it reaches the
//     threshold; and
//   - no two contacts of the result contradict each other (Contradict):
//     other's record neither target's record nor any of members, the records
//     of contacts joined into target before (in the same pass, while target
//     does not show their values yet).
//
// Earlier states are not held against each other: a contact whose own
// states disagree (a mistyped date of birth a merge later corrected) would
// otherwise never join anything. It cannot fail; false leaves the two apart.
func (e *Engine) Join(target, other Candidate, members ...Record) (Explanation, bool) {
	best, ranked := e.Best(other.Record, []Candidate{target})
	if best == nil {
		// The other way round: target's record with other's earlier states.
		if best, _ = e.Best(target.Record, []Candidate{other}); best == nil {
			return ranked[0].Explanation, false
		}
	}
	o := e.prepare(other.Record)
	for _, r := range append([]Record{target.Record}, members...) {
		p := e.prepare(r)
		if contradicts(e.ms.compareFields(&o, &p)) {
			return best.Explanation, false
		}
	}
	return best.Explanation, true
}

// Best compares submitted with every candidate and returns them ranked,
// highest score first, ties by ascending ID (so a store that numbers
// candidates oldest first prefers the oldest contact). A candidate with a
// History is compared with each of its states, and each field counts its
// best agreement with any of them; the fields that depend on each other
// count together, from one state: the exchanged reading of the names, and
// the address (street, street2, postal code, city, state, country). best
// points into ranked at the first candidate when it reaches the threshold,
// and is nil otherwise, also when there are no candidates.
func (e *Engine) Best(submitted Record, candidates []Candidate) (best *Scored, ranked []Scored) {
	return e.best(submitted, candidates, nil)
}

// A Scorer is Engine.Best for many submissions whose candidates recur among them
// (a tenant-wide scan compares each contact with its neighbours, and a neighbour
// with many contacts): each candidate's current record is prepared (normalised,
// phones parsed, names encoded) once, by its Candidate.ID, instead of once per
// comparison. A candidate whose record differs from the one prepared under its ID
// is prepared again (the Scorer keeps a 64-bit hash of each record it prepared). The
// results are Best's. It is not safe for concurrent use.
type Scorer struct {
	e        *Engine
	seed     maphash.Seed
	prepared map[int64]*preparedRecord
}

// preparedRecord is a candidate's prepared record and the hash of the record.
type preparedRecord struct {
	sum uint64
	p   prepared
}

// NewScorer returns an empty Scorer of e's.
func (e *Engine) NewScorer() *Scorer {
	return &Scorer{e: e, seed: maphash.MakeSeed(), prepared: map[int64]*preparedRecord{}}
}

// Best is Engine.Best with the candidates' records prepared once per Scorer.
func (s *Scorer) Best(submitted Record, candidates []Candidate) (best *Scored, ranked []Scored) {
	return s.e.best(submitted, candidates, s)
}

// BestOf is Best where submitted is the current record of the contact id, which
// may itself be (or become) another submission's candidate: it is prepared once too.
func (s *Scorer) BestOf(id int64, submitted Record, candidates []Candidate) (best *Scored, ranked []Scored) {
	if len(candidates) == 0 {
		return nil, nil
	}
	return s.e.bestPrepared(s.prepare(id, &submitted), candidates, s)
}

// prepare returns r, the record of the contact id, prepared for every comparison.
func (s *Scorer) prepare(id int64, r *Record) *prepared {
	sum := recordSum(s.seed, r)
	if x := s.prepared[id]; x != nil && x.sum == sum {
		return &x.p
	}
	x := &preparedRecord{sum: sum, p: s.e.prepareFor(*r, needAll, nil, nil)}
	s.prepared[id] = x
	return &x.p
}

// recordSum hashes every field of r, each followed by a zero byte so that two
// records cannot hash alike by moving a value's end into the next field.
func recordSum(seed maphash.Seed, r *Record) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, f := range [...]string{r.FirstName, r.FamilyName, r.Company, r.Mail, r.Mail2, r.Phone, r.Phone2,
		r.Street, r.Street2, r.City, r.PostalCode, r.State, r.Country, r.DateOfBirth} {
		h.WriteString(f)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// best is Best; with a Scorer, a candidate's current record is prepared for every
// comparison (needAll) once and kept by its ID. Preparing more than the submission
// needs changes nothing: a comparison reads only what needFor names.
func (e *Engine) best(submitted Record, candidates []Candidate, sc *Scorer) (best *Scored, ranked []Scored) {
	if len(candidates) == 0 {
		return nil, nil
	}
	a := e.prepare(submitted)
	return e.bestPrepared(&a, candidates, sc)
}

// bestPrepared is best with the submission prepared (a, for every comparison).
func (e *Engine) bestPrepared(a *prepared, candidates []Candidate, sc *Scorer) (best *Scored, ranked []Scored) {
	n := needFor(a)
	ranked = make([]Scored, len(candidates))
	for i := range candidates {
		c := &candidates[i]
		var b *prepared
		if sc == nil {
			p := e.prepareFor(c.Record, n, nil, nil)
			b = &p
		} else {
			b = sc.prepare(c.ID, &c.Record)
		}
		u := e.ms.compareFields(a, b)
		for h := range c.History {
			y := e.prepareFor(c.History[h], n, b, &c.Record)
			yc := e.ms.compareFields(a, &y)
			u.union(&yc, h+1)
		}
		ranked[i] = Scored{ID: c.ID, Explanation: e.explain(&u)}
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

// comparison is one comparison before it is summed: the field scores in
// explanation order, grouped into the units that must come from one state
// of a candidate (see Best).
type comparison struct {
	// names: both readings of first and family name (see nameReadings).
	names nameReadings
	// single fields: date_of_birth, mail, phone, company.
	dob, mail, phone, company FieldScore
	// address: street, street2, address_line_order when exchanged,
	// postal_code, city, state, country. Their weights depend on each
	// other (locality nesting), so they are one unit.
	address []FieldScore
}

// union keeps, unit by unit, the better of c and y, a comparison with the
// candidate's earlier state h (Candidate.History[h-1]): the candidate is
// compared with every value it has held, as Mail and Mail2 are. A value a
// state lacks is no value held: a missing comparison never replaces a
// present one, so a field left empty in an early state does not erase a
// disagreement with the value the contact has now.
func (c *comparison) union(y *comparison, h int) {
	from := func(fs []FieldScore) []FieldScore {
		for i := range fs {
			fs[i].History = h
		}
		return fs
	}
	// First and family name in order are compared field by field; the
	// exchanged reading only as a pair.
	n, yn := &c.names, &y.names
	if yn.xOK && (!n.xOK || yn.exchangedWeight() > n.exchangedWeight()) {
		n.xFirst, n.xFamily, n.xAdjust, n.xOK = yn.xFirst, yn.xFamily, yn.xAdjust, true
		n.xFirst.History, n.xFamily.History = h, h
	}
	if present(y.address...) && (!present(c.address...) || unitWeight(y.address) > unitWeight(c.address)) {
		c.address = from(y.address)
	}
	for _, p := range [...]struct{ dst, src *FieldScore }{
		{&n.first, &yn.first}, {&n.family, &yn.family}, {&c.dob, &y.dob}, {&c.mail, &y.mail}, {&c.phone, &y.phone}, {&c.company, &y.company},
	} {
		if rs, rd := evidence(*p.src), evidence(*p.dst); rs > rd || rs == rd && rs > 0 && p.src.Weight > p.dst.Weight {
			*p.dst = *p.src
			p.dst.History = h
		}
	}
}

// evidence ranks what a field comparison rests on: 0 nothing (missing), 1 a
// name looked for in a mail address because one side lacked it, 2 the
// values themselves. A state's value beats a state's lack of it, whatever
// the weights: otherwise an early state without a family name would let
// the mail address stand in for the family name the contact has now.
func evidence(f FieldScore) int {
	switch f.Comparison {
	case "missing":
		return 0
	case "in_mail", "not_in_mail":
		return 1
	}
	return 2
}

// present reports whether any of fs compared two values.
func present(fs ...FieldScore) bool {
	for _, f := range fs {
		if f.Comparison != "missing" {
			return true
		}
	}
	return false
}

func unitWeight(fs []FieldScore) float64 {
	var w float64
	for _, f := range fs {
		w += f.Weight
	}
	return w
}

func (e *Engine) compare(a, b *prepared) Explanation {
	c := e.ms.compareFields(a, b)
	return e.explain(&c)
}

func (ms *modelSet) compareFields(a, b *prepared) comparison {
	var c comparison
	c.address = make([]FieldScore, 0, 7)
	c.names = ms.compareNames(a, b)
	c.dob = ms.compareDOB(a.dob, b.dob)
	c.mail = ms.compareMails(a, b, &c.names)
	c.phone = ms.comparePhones(a.phones, b.phones)
	c.company = compareText(ms.company, a.company, b.company, 0.92)
	// Locality nests: a postal code lies in one city, a city in one state
	// and country. An agreement implied by a more specific one adds
	// nothing, and a street is weighed within its agreeing locality.
	postal := ms.comparePostal(a.postal, b.postal)
	city := ms.compareCity(a.city, b.city)
	postalAgrees := postal.Comparison == "exact"
	cityAgrees := city.Weight > 0 && city.Similarity >= 0.90
	line1, line2, linesSwapped := ms.compareAddressLines(a, b, postalAgrees || cityAgrees)
	// In another town the same street line is another address: common
	// street names (Hauptstraße 5, 10 Church Lane) recur in thousands of
	// towns, so agreeing lines there are no evidence ("other_locality").
	otherTown := (postal.Comparison == "disagree" || city.Comparison == "disagree") && postal.Weight <= 0 && city.Weight <= 0
	if otherTown && line1.Weight > 0 {
		line1 = weightless(line1, "other_locality")
	}
	// Within one city, postal codes one digit apart are neighbouring
	// districts (10945, 10345 in Berlin), not a typo the city does not
	// already explain.
	if postal.Comparison == "one_digit" && cityAgrees {
		postal = weightless(postal, "implied_by_city")
	}
	c.address = append(c.address, line1, line2)
	if linesSwapped {
		c.address = append(c.address, FieldScore{Field: "address_line_order", Comparison: "swapped", Weight: -lineSwapPenalty})
	}
	if postalAgrees && city.Weight > 0 {
		city = weightless(city, "implied_by_postal_code")
	}
	state := compareExact(ms.state, a.state, b.state)
	country := compareExact(ms.country, a.country, b.country)
	switch {
	case postalAgrees:
		state, country = weightlessIfAgrees(state, "implied_by_postal_code"), weightlessIfAgrees(country, "implied_by_postal_code")
	case cityAgrees:
		state, country = weightlessIfAgrees(state, "implied_by_city"), weightlessIfAgrees(country, "implied_by_city")
	}
	c.address = append(c.address, postal, city, state, country)
	return c
}

// isShared reports whether field is one of those several people can share;
// their summed weight is capped (sharedCap).
func isShared(field string) bool {
	switch field {
	case "family_name", "mail", "phone", "company", "street", "street2", "postal_code", "city", "state", "country":
		return true
	}
	return false
}

// explain sums a comparison into its Explanation, capping the shared fields.
// Its History is the earlier state of the candidate that contributed the
// most weight, or 0 when the current record did.
func (e *Engine) explain(c *comparison) Explanation {
	fields := make([]FieldScore, 0, 16)
	fields = append(fields, c.names.pick()...)
	fields = append(fields, c.dob, c.mail, c.phone, c.company)
	fields = append(fields, c.address...)
	var score, shared float64
	var byState [maxStates]float64
	var supplied [maxStates]bool // an earlier state counts only where it supplied a field
	for _, f := range fields {
		score += f.Weight
		// Numbered family names (Test1, Test2) are two records, not one
		// household: that outweighs what they share, so it is not capped.
		if isShared(f.Field) && f.Comparison != "numbers_differ" {
			shared += f.Weight
		}
		h := min(f.History, maxStates-1)
		byState[h] += f.Weight
		supplied[h] = supplied[h] || f.History > 0
	}
	history := 0
	for h := 1; h < maxStates; h++ {
		if supplied[h] && byState[h] > byState[history] {
			history = h
		}
	}
	if shared > sharedCap {
		cut := round3(sharedCap - shared)
		fields = append(fields, FieldScore{Field: "shared_fields_cap", Comparison: "dependent_evidence", Weight: cut})
		score += cut
	}
	score = round3(score)
	return Explanation{Score: score, Threshold: e.threshold, Match: score >= e.threshold, Fields: fields, History: history, ModelVersion: e.ms.version}
}

// maxStates bounds the states per candidate that explain tells apart for
// Explanation.History; states beyond it (a caller passing a long History)
// count as the last.
const maxStates = 16

func weightlessIfAgrees(fs FieldScore, label string) FieldScore {
	if fs.Weight > 0 {
		return weightless(fs, label)
	}
	return fs
}
