package dedupe

import "math"

// level is one agreement level of a field comparison with its Fellegi-Sunter
// probabilities: m = P(level | same person), u = P(level | different people).
type level struct {
	name string
	m, u float64
}

// fieldModel holds the agreement levels of one field, best first. The
// disagreement level is implied: m = 1-Σm, u = 1-Σu.
type fieldModel struct {
	field  string
	levels []level
	// weights[i] = log2(m_i/u_i); weights[len(levels)] is the disagreement weight.
	weights []float64
	// tf adjusts the exact level by the agreeing value's frequency in a
	// tenant (model.go); nil in the defaults.
	tf *termFrequencies
}

func newFieldModel(field string, levels ...level) *fieldModel {
	f := &fieldModel{field: field, levels: levels}
	var sm, su float64
	for _, l := range levels {
		f.weights = append(f.weights, math.Log2(l.m/l.u))
		sm += l.m
		su += l.u
	}
	f.weights = append(f.weights, math.Log2((1-sm)/(1-su)))
	return f
}

// disagree is the index of the disagreement level.
func (f *fieldModel) disagree() int { return len(f.levels) }

// level is the index of the level called name; it panics when f has none,
// which is a mistake in this package.
func (f *fieldModel) level(name string) int {
	for i, l := range f.levels {
		if l.name == name {
			return i
		}
	}
	panic("dedupe: " + f.field + " has no level " + name)
}

// score returns the FieldScore of level i (i == disagree() for
// disagreement), labelled with the level's name or, when given, with the
// comparator that decided.
func (f *fieldModel) score(i int, sim float64, label string) FieldScore {
	if label == "" {
		label = "disagree"
		if i < len(f.levels) {
			label = f.levels[i].name
		}
	}
	return FieldScore{Field: f.field, Comparison: label, Similarity: round3(sim), Weight: round3(f.weights[i]), model: f, level: i}
}

func (f *fieldModel) missing() FieldScore {
	return FieldScore{Field: f.field, Comparison: "missing"}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// The models below are documented, with the reasons for each number, in the
// table in doc.go. Keep both in step.
var (
	firstNameModel = newFieldModel("first_name",
		level{"exact", 0.80, 0.010},
		level{"nickname", 0.03, 0.002},
		level{"close", 0.08, 0.004},
		level{"similar", 0.04, 0.020},
		level{"initial", 0.01, 0.002},
		level{"numbers_differ", 1e-9, 0.001},
	)
	familyNameModel = newFieldModel("family_name",
		level{"exact", 0.85, 0.001},
		level{"close", 0.07, 0.001},
		level{"similar", 0.03, 0.010},
		level{"numbers_differ", 1e-9, 0.001},
	)
	dobModel = newFieldModel("date_of_birth",
		level{"exact", 0.72, 0.00004},
		level{"dob_day_month_swapped", 0.01, 0.00002},
		level{"dob_one_digit", 0.05, 0.0015},
		level{"dob_within_31_days", 0.02, 0.002},
		level{"dob_within_365_days", 0.025, 0.025},
		level{"dob_same_day_month", 0.02, 0.0027},
		level{"dob_year_digit_near", 0.035, 0.03},
	)
	mailModel = newFieldModel("mail",
		level{"exact", 0.78, 1e-8},
		level{"typo", 0.07, 1e-6},
		level{"same_local_part", 0.03, 1e-5},
		level{"digits_differ", 0.01, 0.002},
		level{"similar", 0.02, 0.02},
	)
	phoneModel = newFieldModel("phone",
		level{"exact", 0.75, 5e-7},
	)
	// A name one side lacks, looked for in that side's mail addresses
	// (nameInMail); reported as first_name or family_name.
	firstInMailModel  = newFieldModel("first_name_in_mail", level{"in_mail", 0.3, 0.01})
	familyInMailModel = newFieldModel("family_name_in_mail", level{"in_mail", 0.3, 0.002})
	companyModel      = newFieldModel("company",
		level{"exact", 0.60, 0.001},
		level{"jaro_winkler>=0.92", 0.10, 0.002},
	)
	streetModel = newFieldModel("street",
		level{"exact", 0.75, 1e-5},
		level{"street_and_number_similar", 0.12, 2e-5},
		level{"street_only", 0.06, 6e-4},
	)
	// The street within an agreeing postal code or city; reported as
	// street.
	streetLocalModel = newFieldModel("street_same_locality",
		level{"exact", 0.75, 1e-4},
		level{"street_and_number_similar", 0.12, 2e-4},
		level{"street_only", 0.06, 0.01},
	)
	street2Model = newFieldModel("street2",
		level{"exact", 0.65, 0.005},
		level{"jaro_winkler>=0.90", 0.10, 0.005},
	)
	postalModel = newFieldModel("postal_code",
		level{"exact", 0.85, 0.002},
		level{"one_digit", 0.08, 0.005},
	)
	cityModel = newFieldModel("city",
		level{"exact", 0.83, 0.02},
		level{"jaro_winkler>=0.90", 0.08, 0.003},
		level{"similar", 0.02, 0.005},
	)
	stateModel = newFieldModel("state",
		level{"exact", 0.93, 0.25},
	)
	countryModel = newFieldModel("country",
		level{"exact", 0.97, 0.60},
	)
)

// allModels lists every field model in the order of the weight table in doc.go.
var allModels = []*fieldModel{
	firstNameModel, firstInMailModel, familyNameModel, familyInMailModel, dobModel, mailModel, phoneModel, companyModel,
	streetModel, streetLocalModel, street2Model, postalModel, cityModel, stateModel, countryModel,
}

const (
	// swapPenalty is charged when first and family name are read exchanged,
	// beyond the uncertainty which side exchanged them (nameReadings): the
	// ≈ 5 bits by which an exchange is rarer than the usual order among true
	// matches, less the 3 to 9 bits by which a crosswise agreement between
	// different people is rarer than the ordinary agreement the name u
	// assume (see doc.go). That leaves nothing to charge.
	swapPenalty = 0.0
	// lineSwapPenalty is the same for street and street2 exchanged. Forms
	// invite that mistake (a building name in line 1, the street in line 2),
	// so the penalty only breaks ties in favour of the ordered reading.
	lineSwapPenalty = 1.0
	// sharedCap bounds the summed weight of the fields several people can
	// share: family name, mail, phone, company and address. Their agreements
	// are not independent: one household shares name, address, landline and
	// sometimes mail, so summing them as if independent would merge
	// relatives. Beyond the cap the shared fields only say "same household";
	// who in it is decided by the personal fields (first name, date of
	// birth). The cap is DefaultThreshold plus log2 of the prior odds that
	// two contacts of one household are one person rather than two (16:1):
	// a shared mail or address alone can match, a relative with another
	// first name (-4.6) cannot, whatever else the household shares.
	sharedCap = DefaultThreshold + 4
)
