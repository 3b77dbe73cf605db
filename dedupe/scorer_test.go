package dedupe

import (
	"reflect"
	"testing"
)

// TestScorerIsBest: a Scorer's rankings and explanations are Best's, field by field,
// for every record of the hard set and fake_1000 against a window of its
// neighbours (which recur across probes, so most candidates come from the cache) —
// preparing a candidate for every comparison changes no comparison.
func TestScorerIsBest(t *testing.T) {
	e := New(Config{})
	for _, set := range []string{"hard", "fake1000"} {
		recs := loadData(t, set)
		sc := e.NewScorer()
		for i := range recs {
			var cands []Candidate
			for j := max(0, i-25); j < min(len(recs), i+25); j++ {
				if j != i {
					cands = append(cands, Candidate{ID: int64(j), Record: recs[j].rec})
				}
			}
			if i%7 == 0 && len(cands) > 0 { // with an earlier state, as merged contacts have
				cands[0].History = []Record{recs[(i+100)%len(recs)].rec}
			}
			wantBest, want := e.Best(recs[i].rec, cands)
			gotBest, got := sc.Best(recs[i].rec, cands)
			if !reflect.DeepEqual(got, want) || (gotBest == nil) != (wantBest == nil) {
				t.Fatalf("%s record %d: the Scorer ranks\n%+v\nBest ranks\n%+v", set, i, got, want)
			}
		}
	}
}

// TestScorerRecordChanges: a Scorer asked about an ID whose record changed since it
// prepared it (a contact updated meanwhile) compares the new
// record; BestOf, which prepares the submission once by its ID too, ranks as Best.
func TestScorerRecordChanges(t *testing.T) {
	e := New(Config{DefaultRegion: "DE"})
	recs := loadData(t, "hard")
	sc := e.NewScorer()
	for i := range recs {
		var cands []Candidate
		for j := max(0, i-12); j < min(len(recs), i+12); j++ {
			if j == i {
				continue
			}
			r := recs[j].rec
			if (i+j)%5 == 0 { // ID j with another record now
				r = recs[(j*31+i)%len(recs)].rec
			}
			cands = append(cands, Candidate{ID: int64(j), Record: r})
		}
		sub := recs[i].rec
		if i%3 == 0 {
			sub = recs[(i*17)%len(recs)].rec
		}
		wantBest, want := e.Best(sub, cands)
		gotBest, got := sc.BestOf(int64(i), sub, cands)
		if !reflect.DeepEqual(got, want) || (gotBest == nil) != (wantBest == nil) {
			t.Fatalf("record %d: the Scorer ranks\n%+v\nBest ranks\n%+v", i, got, want)
		}
	}
}
