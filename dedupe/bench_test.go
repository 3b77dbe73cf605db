package dedupe

import (
	"fmt"
	"testing"
)

// benchCandidates returns n plausible candidates of one block: namesakes,
// relatives and one true duplicate, with every field the engine compares.
func benchCandidates(n int) []Candidate {
	first := []string{"Thomas", "Anna", "Michael", "Julia", "Stefan", "Laura", "Andreas", "Sarah"}
	cands := make([]Candidate, n)
	for i := range cands {
		cands[i] = Candidate{ID: int64(i + 1), Record: Record{
			FirstName:   first[i%len(first)],
			FamilyName:  "Müller",
			Company:     fmt.Sprintf("Firma %d GmbH", i%3),
			Mail:        fmt.Sprintf("%s.mueller%d@example.com", first[i%len(first)], i),
			Phone:       fmt.Sprintf("030 12345%02d", i),
			Street:      fmt.Sprintf("Hauptstraße %d", i%7+1),
			Street2:     "Hinterhaus",
			City:        "Berlin",
			PostalCode:  "10115",
			State:       "Berlin",
			Country:     "DE",
			DateOfBirth: fmt.Sprintf("19%02d-%02d-%02d", 50+i, i%12+1, i%28+1),
		}}
	}
	return cands
}

func BenchmarkBest(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	cands := benchCandidates(20)
	sub := cands[5].Record
	sub.FirstName, sub.Mail = "Mikael", "michael.muller5@example.com"
	b.ReportAllocs()
	for b.Loop() {
		e.Best(sub, cands)
	}
}

func BenchmarkCompare(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	cands := benchCandidates(2)
	b.ReportAllocs()
	for b.Loop() {
		e.Compare(cands[0].Record, cands[1].Record)
	}
}

func BenchmarkBlockingKeys(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	r := benchCandidates(1)[0].Record
	b.ReportAllocs()
	for b.Loop() {
		e.BlockingKeys(r)
	}
}

// BenchmarkBestHistory is Best as the store calls it: every candidate with
// the before-images of its last merges, which differ from it in a field or
// two.
func BenchmarkBestHistory(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	cands := benchCandidates(20)
	for i := range cands {
		r := cands[i].Record
		h1, h2 := r, r
		h1.Mail = fmt.Sprintf("old%d@example.org", i)
		h2.Street, h2.City = "Nebenstraße 3", "Potsdam"
		cands[i].History = []Record{h1, h2}
	}
	sub := cands[5].Record
	sub.FirstName, sub.Mail = "Mikael", "michael.muller5@example.com"
	b.ReportAllocs()
	for b.Loop() {
		e.Best(sub, cands)
	}
}

// BenchmarkBestFirstSight is BenchmarkBest with every phone number new to
// the engine, as for candidates the memo has not seen: it measures the
// libphonenumber parsing the memo saves.
func BenchmarkBestFirstSight(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	cands := benchCandidates(20)
	sub := cands[5].Record
	sub.FirstName, sub.Mail = "Mikael", "michael.muller5@example.com"
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range cands {
			n++
			cands[i].Record.Phone = fmt.Sprintf("030 %07d", n%10_000_000)
		}
		e.Best(sub, cands)
	}
}

// BenchmarkBestWebForm is Best for a typical web-form submission (name and
// mail only) against full candidates.
func BenchmarkBestWebForm(b *testing.B) {
	e := New(Config{DefaultRegion: "DE"})
	cands := benchCandidates(20)
	sub := Record{FirstName: "Mikael", FamilyName: "Müller", Mail: "michael.muller5@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		e.Best(sub, cands)
	}
}
