package dedupe

import (
	"fmt"
	"math"
	"slices"
)

// modelSet is the set of field models one Engine scores with: the defaults
// of weights.go, or a tenant's model learned from its own data (Train) and
// applied with Engine.WithModel. The comparators read every probability
// through it, so a tenant's engine differs from the default one in its
// numbers only, never in its logic.
type modelSet struct {
	version                                    int
	firstName, firstInMail, familyName         *fieldModel
	familyInMail, dob, mail, phone, company    *fieldModel
	street, streetLocal, street2, postal, city *fieldModel
	state, country                             *fieldModel
}

// defaultModels are the hand-set models of weights.go (version 0).
var defaultModels = &modelSet{
	firstName: firstNameModel, firstInMail: firstInMailModel, familyName: familyNameModel,
	familyInMail: familyInMailModel, dob: dobModel, mail: mailModel, phone: phoneModel,
	company: companyModel, street: streetModel, streetLocal: streetLocalModel,
	street2: street2Model, postal: postalModel, city: cityModel, state: stateModel,
	country: countryModel,
}

// slots returns pointers to every model of ms in the order of allModels.
func (ms *modelSet) slots() []**fieldModel {
	return []**fieldModel{
		&ms.firstName, &ms.firstInMail, &ms.familyName, &ms.familyInMail, &ms.dob, &ms.mail, &ms.phone, &ms.company,
		&ms.street, &ms.streetLocal, &ms.street2, &ms.postal, &ms.city, &ms.state, &ms.country,
	}
}

func (ms *modelSet) all() []*fieldModel {
	var out []*fieldModel
	for _, p := range ms.slots() {
		out = append(out, *p)
	}
	return out
}

// termFrequencies adjusts the weight of an exact agreement by how common the
// agreeing value is in the tenant (as Splink's term-frequency adjustment):
// two contacts agreeing on "Müller" are less likely one person than two
// agreeing on "Oyelaran". The exact level's weight log2(m/u) becomes
// log2(m/tf(value)), where tf is the value's share of the tenant's contacts;
// a value the table lacks is rarer than every listed one and counts as floor.
type termFrequencies struct {
	shares map[string]float64
	floor  float64
	uExact float64 // the exact level's u the adjustment is relative to
}

// Bounds of a term-frequency adjustment, in bits. A very common value can
// lose most of an exact agreement's weight; a rare one gains a little
// (positive evidence from rarity alone is where a wrong merge would come
// from, so it is kept small).
const (
	tfMinAdjust = -8.0
	tfMaxAdjust = 2.0
)

func (t *termFrequencies) adjust(value string) float64 {
	share, ok := t.shares[value]
	if !ok {
		share = t.floor
	}
	if share <= 0 || t.uExact <= 0 {
		return 0
	}
	return min(tfMaxAdjust, max(tfMinAdjust, math.Log2(t.uExact/share)))
}

// scoreValue is score for a comparison whose agreeing value is known: at the
// exact level (0) the model's term frequencies adjust the weight.
func (f *fieldModel) scoreValue(i int, sim float64, label, value string) FieldScore {
	fs := f.score(i, sim, label)
	if i == 0 && f.tf != nil && value != "" {
		adj := round3(f.tf.adjust(value))
		fs.Weight = round3(fs.Weight + adj)
		fs.TFAdjustment = adj
	}
	return fs
}

// Model is a tenant's duplicate model in its stored and shown form: the
// probabilities of every agreement level of every field model, the weights
// they give, and the term frequencies of names, cities and postal codes.
// DefaultModel is the hand-set one; Train estimates one from a tenant's data.
type Model struct {
	// Version numbers a tenant's models from 1; 0 is the defaults.
	Version int          `json:"version"`
	Fields  []ModelField `json:"fields"`
	// TermFrequencies adjust exact agreements on first name, family name,
	// city and postal code by the value's frequency.
	TermFrequencies []TermFrequencies `json:"term_frequencies,omitempty"`
	// Training says what the model was estimated from; nil for the defaults.
	Training *TrainingReport `json:"training,omitempty"`
}

// ModelField is one field model: its agreement levels, best first, and the
// implied disagreement level last.
type ModelField struct {
	Field  string       `json:"field"`
	Levels []ModelLevel `json:"levels"`
}

// ModelLevel is one agreement level: m = P(level | same person), u =
// P(level | different people), Weight = log2(m/u) in bits.
type ModelLevel struct {
	Level  string  `json:"level"`
	M      float64 `json:"m"`
	U      float64 `json:"u"`
	Weight float64 `json:"weight"`
}

// TermFrequencies are the shares of the commonest values of one field among
// a tenant's contacts (normalised as the comparators see them).
type TermFrequencies struct {
	Field string `json:"field"`
	// UExact is the exact level's u the adjustment is relative to.
	UExact float64 `json:"u_exact"`
	// Floor is the share assumed for a value not listed.
	Floor  float64            `json:"floor"`
	Values map[string]float64 `json:"values"`
}

// DefaultModel returns the hand-set model every tenant starts with.
func DefaultModel() *Model { return defaultModels.export() }

// Model returns the model e scores with.
func (e *Engine) Model() *Model { return e.ms.export() }

func (ms *modelSet) export() *Model {
	m := &Model{Version: ms.version}
	for _, f := range ms.all() {
		mf := ModelField{Field: f.field}
		var sm, su float64
		for i, l := range f.levels {
			mf.Levels = append(mf.Levels, ModelLevel{Level: l.name, M: l.m, U: l.u, Weight: round3(f.weights[i])})
			sm += l.m
			su += l.u
		}
		mf.Levels = append(mf.Levels, ModelLevel{Level: "disagree", M: 1 - sm, U: 1 - su, Weight: round3(f.weights[f.disagree()])})
		m.Fields = append(m.Fields, mf)
		if f.tf != nil {
			m.TermFrequencies = append(m.TermFrequencies, TermFrequencies{
				Field: f.field, UExact: f.tf.uExact, Floor: f.tf.floor, Values: f.tf.shares,
			})
		}
	}
	return m
}

// WithModel returns an Engine like e that scores with m (a tenant's model,
// as Train made and a store kept it). Levels m does not name keep their
// defaults, so a model stored by an older version still applies; a field or
// level this version does not know, or probabilities that are no
// probabilities, are an error and e is not changed.
func (e *Engine) WithModel(m *Model) (*Engine, error) {
	ms, err := buildModelSet(m)
	if err != nil {
		return nil, err
	}
	c := *e
	c.ms = ms
	return &c, nil
}

func buildModelSet(m *Model) (*modelSet, error) {
	ms := *defaultModels
	ms.version = m.Version
	byField := map[string]**fieldModel{}
	for _, p := range ms.slots() {
		byField[(*p).field] = p
	}
	for _, mf := range m.Fields {
		p, ok := byField[mf.Field]
		if !ok {
			return nil, fmt.Errorf("dedupe: model field %q unknown", mf.Field)
		}
		def := *p
		levels := slices.Clone(def.levels)
		for _, ml := range mf.Levels {
			if ml.Level == "disagree" {
				continue // implied by the others
			}
			i := slices.IndexFunc(levels, func(l level) bool { return l.name == ml.Level })
			if i < 0 {
				return nil, fmt.Errorf("dedupe: model field %q has no level %q", mf.Field, ml.Level)
			}
			if !(ml.M > 0 && ml.M < 1 && ml.U > 0 && ml.U < 1) {
				return nil, fmt.Errorf("dedupe: model field %q level %q: m and u must lie between 0 and 1", mf.Field, ml.Level)
			}
			levels[i].m, levels[i].u = ml.M, ml.U
		}
		var sm, su float64
		for _, l := range levels {
			sm += l.m
			su += l.u
		}
		if sm >= 1 || su >= 1 {
			return nil, fmt.Errorf("dedupe: model field %q: the agreement levels' m or u sum to 1 or more", mf.Field)
		}
		*p = newFieldModel(def.field, levels...)
	}
	for _, tf := range m.TermFrequencies {
		p, ok := byField[tf.Field]
		if !ok || !tfFields[tf.Field] {
			return nil, fmt.Errorf("dedupe: term frequencies for %q, which has none", tf.Field)
		}
		c := *(*p)
		c.tf = &termFrequencies{shares: tf.Values, floor: tf.Floor, uExact: tf.UExact}
		*p = &c
	}
	return &ms, nil
}

// tfFields are the field models whose exact agreements term frequencies
// adjust: the values people share by chance in proportion to how common they
// are.
var tfFields = map[string]bool{"first_name": true, "family_name": true, "city": true, "postal_code": true}
