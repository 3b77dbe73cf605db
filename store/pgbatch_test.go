package store

import (
	"slices"
	"testing"
)

func TestPgTextArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want string
	}{
		{nil, `{}`},
		{[]string{"e:a@b.de"}, `{"e:a@b.de"}`},
		{[]string{"a,b", "{x}", "NULL", ""}, `{"a,b","{x}","NULL",""}`},
		{[]string{`say "hi"`, `back\slash`}, `{"say \"hi\"","back\\slash"}`},
	}
	for _, tt := range tests {
		if got := pgTextArray(tt.in); got != tt.want {
			t.Errorf("pgTextArray(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestCandidateIDsKeepsThoseSharingMostKeys: beyond maxCandidates per submission, the
// contacts sharing the fewest lookup keys are left out; each submission gets its own.
func TestCandidateIDsKeepsThoseSharingMostKeys(t *testing.T) {
	var rows []keyRow
	for id := int64(1); id <= maxCandidates+20; id++ {
		rows = append(rows, keyRow{"y:crowded", id}) // a crowded block: everyone shares it
	}
	rows = append(rows, keyRow{"b:names", maxCandidates + 20}, keyRow{"e:mail", maxCandidates + 20}, keyRow{"e:other", 500})
	got := candidateIDs(rows, [][]string{{"y:crowded", "b:names", "e:mail"}, {"e:other"}}, nil)
	if len(got) != maxCandidates+1 {
		t.Fatalf("loaded %d contacts, want %d", len(got), maxCandidates+1)
	}
	for _, want := range []int64{1, maxCandidates + 20, 500} {
		if !slices.Contains(got, want) {
			t.Fatalf("contact %d left out: %v", want, got)
		}
	}
	if slices.Contains(got, maxCandidates+1) {
		t.Fatalf("kept contact %d, which shares one key, over older ones", maxCandidates+1)
	}
	if got := candidateIDs(rows[:3], [][]string{{"y:crowded"}}, nil); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("small block = %v, want all of it", got)
	}
	// A scan's: only ids above the submission's own, and the cap counts those.
	if got := candidateIDs(rows, [][]string{{"y:crowded"}}, []int64{maxCandidates}); !slices.Equal(got, []int64{maxCandidates + 1, maxCandidates + 2, maxCandidates + 3, maxCandidates + 4, maxCandidates + 5, maxCandidates + 6, maxCandidates + 7, maxCandidates + 8, maxCandidates + 9, maxCandidates + 10, maxCandidates + 11, maxCandidates + 12, maxCandidates + 13, maxCandidates + 14, maxCandidates + 15, maxCandidates + 16, maxCandidates + 17, maxCandidates + 18, maxCandidates + 19, maxCandidates + 20}) {
		t.Fatalf("candidates above %d = %v, want the 20 above it", maxCandidates, got)
	}
}
