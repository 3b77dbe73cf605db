package dedupe

import (
	"cmp"
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
}

// DefaultThreshold is the match threshold on the total score, in bits (log2
// of the likelihood ratio "same person" : "different people"). It is derived
// in the package documentation from the prior odds on a tenant of 100,000
// contacts and a 3:1 preference for a missed duplicate over a false merge,
// not tuned to a data set. An exact mail or phone number alone reaches it, a
// full name alone (16.1) does not, a full name with an exact date of birth
// (30.2) does.
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
	// was rather than what it is (the mail before a typo overwrote it); each
	// state is compared and the best one counts. Each state costs one more
	// comparison, so pass the few most recent (five is plenty).
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
	// History is 0 when the candidate's current record was compared, or
	// i when its earlier state Candidate.History[i-1] scored best.
	History int `json:"history,omitempty"`
}

// FieldScore is one field's part of a comparison.
type FieldScore struct {
	// Field is the compared field: first_name, family_name, date_of_birth,
	// mail (Mail and Mail2 of both sides, best pair), phone (likewise),
	// company, street, street2, postal_code, city, state, country; or an
	// adjustment: name_order (first and family name read exchanged),
	// address_line_order (street and street2 read exchanged),
	// shared_fields_cap (dependent evidence bounded; see the package doc).
	Field string `json:"field"`
	// Comparison is the agreement level or the comparator that decided it:
	// "exact", "nickname", "jaro_winkler>=0.92", "edit_distance<=1",
	// "phonetic", "initial", "gender_variant", "dob_day_month_swapped",
	// "dob_one_digit", "same_local_part", "street_only", ... ; "disagree";
	// "missing" when either side has no value. Exchanged readings are
	// prefixed "swapped_".
	Comparison string `json:"comparison"`
	// Similarity is the comparator's similarity in [0, 1] (1 for exact, 0
	// when missing).
	Similarity float64 `json:"similarity"`
	// Weight is the contribution to Score in bits: positive for agreement,
	// negative for disagreement, 0 when either side is missing.
	Weight float64 `json:"weight"`
}

// Compare scores submitted against candidate: the Fellegi-Sunter log2
// weights of every field, summed, with each field's contribution. It cannot
// fail; values it cannot read (an invalid phone, an impossible date) count
// as missing.
func (e *Engine) Compare(submitted, candidate Record) Explanation {
	a, b := e.prepare(submitted), e.prepare(candidate)
	return e.compare(&a, &b)
}

// Best compares submitted with every candidate (and its History) and
// returns them ranked, highest score first, ties by ascending ID (so a
// store that numbers candidates oldest first prefers the oldest contact).
// best points into ranked at the first of them when it reaches the
// threshold, and is nil otherwise, also when there are no candidates.
func (e *Engine) Best(submitted Record, candidates []Candidate) (best *Scored, ranked []Scored) {
	if len(candidates) == 0 {
		return nil, nil
	}
	a := e.prepare(submitted)
	phones := len(a.phones) > 0
	ranked = make([]Scored, len(candidates))
	for i, c := range candidates {
		b := e.prepareFor(c.Record, phones)
		x := e.compare(&a, &b)
		for h, r := range c.History {
			b := e.prepareFor(r, phones)
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
