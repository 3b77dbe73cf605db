package dedupe

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Training estimates a tenant's model from its own contacts, as Splink and
// fastLink do, starting from the hand-set model as the prior:
//
//   - u (the chance that two different people agree at a level) from random
//     pairs of the tenant's contacts, which are almost all different people;
//   - m (the chance that one person's two records agree at a level) by
//     expectation–maximisation over the pairs blocking proposes, with u
//     fixed, the hand-set m as starting point and as a prior worth
//     PriorPairs pairs (so a level the data hardly shows keeps its default);
//   - term frequencies of first and family names, cities and postal codes
//     from the sample, adjusting exact agreements by how common the value is.
//
// Levels the defaults mark impossible for one person (numbers_differ, m ≈ 0)
// keep their m: they are rules, not estimates.

// MinTrainingContacts is the tenant size below which training keeps the
// defaults: with fewer contacts the estimates are noise.
const MinTrainingContacts = 1000

// ErrTooFewContacts is returned by Train for a sample below MinTrainingContacts.
var ErrTooFewContacts = errors.New("dedupe: too few contacts to train a model")

// TrainingData is what Train learns from.
type TrainingData struct {
	// Contacts is a random sample of the tenant's contacts (u-probabilities
	// and term frequencies).
	Contacts []Record
	// Pairs are candidate pairs as blocking finds them: a contact and each
	// contact sharing a blocking key with it (m-probabilities).
	Pairs [][2]Record
	// TenantSize is the number of contacts the tenant had; reported only.
	TenantSize int
}

// TrainOptions tune Train; the zero value uses the defaults below.
type TrainOptions struct {
	// RandomPairs is the number of random pairs u is estimated from
	// (default 200,000).
	RandomPairs int
	// MaxIterations bounds EM (default 50).
	MaxIterations int
	// Seed makes the random pairs repeatable (default 1).
	Seed uint64
	// PriorPairs overrides the prior's weight (default PriorPairs).
	PriorPairs float64
}

// TrainingReport says what a model was estimated from and how EM went.
type TrainingReport struct {
	TenantSize     int     `json:"tenant_size"`
	Contacts       int     `json:"contacts_sampled"`
	RandomPairs    int     `json:"random_pairs"`
	CandidatePairs int     `json:"candidate_pairs"`
	Iterations     int     `json:"em_iterations"`
	Converged      bool    `json:"em_converged"`
	MatchShare     float64 `json:"match_share"` // λ: the estimated share of candidate pairs that are one person
}

// PriorPairs is the weight, in pairs, of the hand-set probabilities in every
// estimate: a level seen in fewer pairs than this stays near its default.
const PriorPairs = 50

// minUCount is how often a level must occur among the random pairs before
// its u is taken from them; rarer levels (an exact mail between two random
// people) keep the default, which is better than a count of zero.
const minUCount = 5

// tfMinCount is how often a value must occur in the sample to be listed in
// the term frequencies; rarer values count as the floor.
const tfMinCount = 5

// obs is one field model's level in one pair: model indexes allModels,
// level indexes its levels (len(levels) is disagreement).
type obs struct{ model, level int }

// gammas returns the agreement pattern of a pair: the level of every field
// model that scored it with the default models, and the pair's score under
// them.
func (e *Engine) gammas(a, b *prepared, index map[*fieldModel]int) ([]obs, float64) {
	c := defaultModels.compareFields(a, b)
	d := *e
	d.ms = defaultModels
	score := d.explain(&c).Score
	fields := c.names.pick()
	fields = append(fields, c.dob, c.mail, c.phone, c.company)
	fields = append(fields, c.address...)
	out := make([]obs, 0, len(fields))
	for _, f := range fields {
		if f.model == nil {
			continue
		}
		if i, ok := index[f.model]; ok {
			out = append(out, obs{i, f.level})
		}
	}
	return out, score
}

// Train estimates a model from d. It does not store it: Version is 0 and the
// caller numbers it.
func (e *Engine) Train(d TrainingData, o TrainOptions) (*Model, error) {
	if len(d.Contacts) < MinTrainingContacts {
		return nil, ErrTooFewContacts
	}
	if o.RandomPairs <= 0 {
		o.RandomPairs = 200_000
	}
	if o.MaxIterations <= 0 {
		o.MaxIterations = 50
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.PriorPairs <= 0 {
		o.PriorPairs = PriorPairs
	}
	models := defaultModels.all()
	index := make(map[*fieldModel]int, len(models))
	for i, f := range models {
		index[f] = i
	}
	prep := make([]prepared, len(d.Contacts))
	for i, r := range d.Contacts {
		prep[i] = e.prepare(r)
	}

	// u from random pairs.
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	uCount := make([][]float64, len(models))
	uSeen := make([]float64, len(models))
	for i, f := range models {
		uCount[i] = make([]float64, len(f.levels)+1)
	}
	// A random pair is two people only almost always: in a small tenant
	// with many duplicates (a few records per person) one random pair in a
	// few hundred is one person, which would make every agreement look
	// common. Pairs the defaults would review or merge are left out.
	for range o.RandomPairs {
		x, y := rng.IntN(len(prep)), rng.IntN(len(prep)-1)
		if y >= x {
			y++
		}
		g, score := e.gammas(&prep[x], &prep[y], index)
		if score >= DefaultReviewThreshold {
			continue
		}
		for _, g := range g {
			uCount[g.model][g.level]++
			uSeen[g.model]++
		}
	}
	u := make([][]float64, len(models))
	for i, f := range models {
		u[i] = make([]float64, len(f.levels))
		for l, lv := range f.levels {
			u[i][l] = lv.u
			if uCount[i][l] >= minUCount && !neutral(f, l) {
				u[i][l] = uCount[i][l] / uSeen[i]
			}
		}
		// Agreement levels must leave room for disagreement.
		if s := sum(u[i]); s > 0.99 {
			for l := range u[i] {
				u[i][l] *= 0.99 / s
			}
		}
	}

	// m by EM over the candidate pairs.
	patterns := make([][]obs, 0, len(d.Pairs))
	for _, p := range d.Pairs {
		a, b := e.prepare(p[0]), e.prepare(p[1])
		if g, _ := e.gammas(&a, &b, index); len(g) > 0 {
			patterns = append(patterns, g)
		}
	}
	prior := make([][]float64, len(models))
	for i, f := range models {
		prior[i] = make([]float64, len(f.levels)+1)
		for l, lv := range f.levels {
			prior[i][l] = lv.m
		}
		prior[i][len(f.levels)] = 1 - sum(prior[i][:len(f.levels)])
	}
	// Only the personal fields' m are estimated. Blocking proposes pairs
	// because they share a name or address key, and households share family
	// name, address, landline and mail: among candidate pairs the shared
	// fields agree for reasons EM's independence assumption cannot tell from
	// identity, and their estimated m rise until households merge (measured
	// on the generated hard set: precision 0.997 → 0.954). They keep the
	// prior's m; their u and term frequencies are still the tenant's. For
	// the same reason the personal fields' disagreement keeps its m: the
	// relatives among candidate pairs disagree on first name and birth date
	// while sharing everything else, EM counts them as one person, and the
	// disagreement would stop telling relatives apart. EM redistributes the
	// agreement levels' share among themselves.
	fixed := make([][]bool, len(models))
	for i, f := range models {
		personal := !isShared(f.field) && f.field != "family_name_in_mail"
		fixed[i] = make([]bool, len(f.levels)+1)
		for l := range fixed[i] {
			fixed[i][l] = !personal || prior[i][l] < 1e-6 || l == len(f.levels) || neutral(f, l)
		}
	}
	m, lambda, iters, converged := expectationMaximisation(patterns, prior, withDisagreement(u), fixed, o.MaxIterations, o.PriorPairs)

	// The model: estimated m and u per level.
	model := &Model{Training: &TrainingReport{
		TenantSize: d.TenantSize, Contacts: len(d.Contacts), RandomPairs: o.RandomPairs,
		CandidatePairs: len(patterns), Iterations: iters, Converged: converged, MatchShare: round6(lambda),
	}}
	for i, f := range models {
		mf := ModelField{Field: f.field}
		for l, lv := range f.levels {
			mf.Levels = append(mf.Levels, ModelLevel{Level: lv.name, M: roundSig(m[i][l]), U: roundSig(u[i][l]), Weight: round3(math.Log2(m[i][l] / u[i][l]))})
		}
		model.Fields = append(model.Fields, mf)
	}

	// Term frequencies from the sample, relative to the estimated exact u.
	for i, f := range models {
		if !tfFields[f.field] {
			continue
		}
		counts := map[string]int{}
		n := 0
		for j := range prep {
			v := tfValue(f.field, &prep[j])
			if v == "" {
				continue
			}
			counts[v]++
			n++
		}
		if n < MinTrainingContacts {
			continue
		}
		tf := TermFrequencies{Field: f.field, UExact: roundSig(u[i][0]), Floor: roundSig(float64(tfMinCount) / float64(n)), Values: map[string]float64{}}
		for v, c := range counts {
			if c >= tfMinCount {
				tf.Values[v] = roundSig(float64(c) / float64(n))
			}
		}
		model.TermFrequencies = append(model.TermFrequencies, tf)
	}
	return model, nil
}

// tfValue is the value of field in p as the comparator that scores its exact
// level sees it (the value scoreValue is given).
func tfValue(field string, p *prepared) string {
	switch field {
	case "first_name":
		return p.first.norm
	case "family_name":
		return p.family.norm
	case "city":
		return p.city
	case "postal_code":
		return p.postal
	}
	return ""
}

// withDisagreement appends each model's implied disagreement u.
func withDisagreement(u [][]float64) [][]float64 {
	out := make([][]float64, len(u))
	for i := range u {
		out[i] = append(append([]float64(nil), u[i]...), 1-sum(u[i]))
	}
	return out
}

// expectationMaximisation estimates m (per model and level, disagreement
// last) and the match share λ from agreement patterns, with u fixed. prior is
// the starting m and the prior every estimate is pulled to with PriorPairs
// pairs' weight; the levels fixed marks keep their prior.
func expectationMaximisation(patterns [][]obs, prior, u [][]float64, fixed [][]bool, maxIter int, priorPairs float64) (m [][]float64, lambda float64, iters int, converged bool) {
	m = make([][]float64, len(prior))
	for i := range prior {
		m[i] = append([]float64(nil), prior[i]...)
	}
	lambda = 0.1
	if len(patterns) == 0 {
		return m, lambda, 0, true
	}
	num := make([][]float64, len(prior))
	den := make([]float64, len(prior))
	for i := range prior {
		num[i] = make([]float64, len(prior[i]))
	}
	for iters = 1; iters <= maxIter; iters++ {
		for i := range num {
			clear(num[i])
		}
		clear(den)
		var total float64
		logPrior := math.Log2(lambda / (1 - lambda))
		for _, pat := range patterns {
			w := logPrior
			for _, g := range pat {
				w += math.Log2(m[g.model][g.level] / u[g.model][g.level])
			}
			p := 1 / (1 + math.Exp2(-w))
			total += p
			for _, g := range pat {
				num[g.model][g.level] += p
				den[g.model] += p
			}
		}
		newLambda := min(0.999, max(1e-6, total/float64(len(patterns))))
		delta := math.Abs(newLambda - lambda)
		lambda = newLambda
		for i := range m {
			if !slices.Contains(fixed[i], false) {
				continue
			}
			var kept, free float64
			next := make([]float64, len(m[i]))
			for l := range m[i] {
				if fixed[i][l] {
					next[l] = prior[i][l]
					kept += next[l]
					continue
				}
				next[l] = (num[i][l] + priorPairs*prior[i][l]) / (den[i] + priorPairs)
				free += next[l]
			}
			for l := range next {
				if !fixed[i][l] {
					next[l] = max(1e-6, next[l]*(1-kept)/free)
				}
				delta = max(delta, math.Abs(next[l]-m[i][l]))
			}
			m[i] = next
		}
		if delta < 1e-5 {
			return m, lambda, iters, true
		}
	}
	return m, lambda, maxIter, false
}

// neutral reports whether level l of f is one the defaults weigh at nothing on
// purpose (m = u: a mail "similar" only because it spells the shared name, a
// date within a year): such a level records that a comparison was made, not
// evidence, and keeps its defaults — estimated, it would turn a namesake's
// name-spelling mail address into evidence of identity.
func neutral(f *fieldModel, l int) bool { return math.Abs(f.weights[l]) < 0.5 }

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// roundSig rounds to four significant digits (u-probabilities span 1e-8 to 1).
func roundSig(x float64) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}
