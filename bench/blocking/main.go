// Command blocking measures the duplicate engine's blocking keys
// (dedupe.Engine.BlockingKeys, as the store indexes contacts) on the data sets with
// known duplicates: pairs completeness, the share of true duplicate pairs whose
// records share at least one key (a pair sharing none is never compared, so the
// engine cannot find it), and how many pairs the keys bring together. With -scale N it
// also measures the candidate sets at scale: N distinct people of the hard population
// indexed, each looked up by its own keys, the contacts sharing a key with it counted
// (the store compares at most 64 of them).
//
// "reachable" is the share of records with an earlier record of the same person that
// share a key with at least one of those: ingested in order, a contact is indexed
// under the keys of every record merged into it, so such a record can be found even
// when some of its pairs share no key.
//
//	go run ./bench/blocking                      # every data set
//	go run ./bench/blocking -scale 1000000       # and candidate sets at 1M contacts
//
// It prints a table; -misses N shows N missed pairs per data set on stderr.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contacthub/contacthub/bench/benchdata"
	"github.com/contacthub/contacthub/dedupe"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/blocking:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blocking", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", strings.Join(benchdata.Names, ","), "comma-separated data sets (febrl1, febrl2, fake1000, hard)")
	dir := fs.String("data-dir", "", "directory with febrl/ and splink/ (default ../shared/data relative to the repository root)")
	scale := fs.Int("scale", 0, "also measure candidate sets among this many distinct people (e.g. 1000000)")
	queries := fs.Int("queries", 20000, "lookups measured at -scale")
	misses := fs.Int("misses", 0, "missed pairs to show per data set on stderr")
	region := fs.String("region", "DE", "the engine's default phone region, as the server's --default-region")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := benchdata.DataDir()
		if err != nil {
			return err
		}
		*dir = d
	}
	e := dedupe.New(dedupe.Config{DefaultRegion: *region})
	fmt.Fprintf(stdout, "blocking keys: dedupe.KeyVersion %d\n\n", dedupe.KeyVersion)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "data\trecords\ttrue pairs\tmissed pairs\tpairs completeness\treachable\tcandidate pairs\tcandidates per record (mean)\tkeys per record (mean)\t")
	for _, name := range strings.Split(*data, ",") {
		recs, err := benchdata.Load(name, *dir)
		if err != nil {
			return err
		}
		m := measure(e, recs)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\t%d\t%.1f\t%.1f\t\n", name, len(recs), m.truePairs, len(m.missed),
			1-float64(len(m.missed))/float64(m.truePairs), float64(m.reachable)/float64(m.later), m.candidatePairs, 2*float64(m.candidatePairs)/float64(len(recs)), m.keys)
		for _, p := range m.missed[:min(*misses, len(m.missed))] {
			fmt.Fprintf(stderr, "%s MISSED %s %v\n  and %s %v\n", name, recs[p[0]].ID, recs[p[0]].Fields, recs[p[1]].ID, recs[p[1]].Fields)
		}
	}
	tw.Flush()
	if *scale > 0 {
		return atScale(e, *scale, *queries, stdout)
	}
	return nil
}

type measurement struct {
	truePairs, candidatePairs int
	// later counts the records with an earlier record of their person; reachable
	// those of them sharing a key with at least one such earlier record. Ingested in
	// order, a contact is indexed under the keys of every record merged into it, so
	// a record is found when it shares a key with any of them.
	later, reachable int
	missed           [][2]int
	keys             float64
}

// measure counts the true pairs and which of them share a key.
func measure(e *dedupe.Engine, recs []benchdata.Record) measurement {
	byKey := map[string][]int{}
	var m measurement
	nkeys := 0
	for i, r := range recs {
		keys := e.BlockingKeys(dedupe.RecordOf(r.Fields))
		nkeys += len(keys)
		for _, k := range keys {
			byKey[k] = append(byKey[k], i)
		}
	}
	m.keys = float64(nkeys) / float64(len(recs))
	paired := map[[2]int]bool{}
	for _, ids := range byKey {
		for a := range ids {
			for b := a + 1; b < len(ids); b++ {
				paired[[2]int{ids[a], ids[b]}] = true
			}
		}
	}
	m.candidatePairs = len(paired)
	byEntity := map[string][]int{}
	for i, r := range recs {
		byEntity[r.Entity] = append(byEntity[r.Entity], i)
	}
	for _, ids := range byEntity {
		for b := 1; b < len(ids); b++ {
			m.later++
			for a := range b {
				if paired[[2]int{ids[a], ids[b]}] {
					m.reachable++
					break
				}
			}
		}
		for a := range ids {
			for b := a + 1; b < len(ids); b++ {
				m.truePairs++
				if !paired[[2]int{ids[a], ids[b]}] {
					m.missed = append(m.missed, [2]int{ids[a], ids[b]})
				}
			}
		}
	}
	slices.SortFunc(m.missed, func(x, y [2]int) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	return m
}

// posting is one contact under one key, the key hashed: a million contacts' twenty
// keys fit in a few hundred megabytes as a sorted array.
type posting struct {
	key uint64
	id  int32
}

// atScale indexes n distinct people and looks queries of them up by their own keys.
func atScale(e *dedupe.Engine, n, queries int, w io.Writer) error {
	start := time.Now()
	recs := benchdata.HardSingles(benchdata.HardSeed+1, n)
	var ps []posting
	keysOf := make([][]uint64, 0, min(queries, n))
	capped := map[uint64]bool{} // hashes of keys a lookup ignores beyond dedupe.NameKeyCap
	for i, r := range recs {
		keys := e.BlockingKeys(dedupe.RecordOf(r.Fields))
		var hs []uint64
		for _, k := range keys {
			h := fnv.New64a()
			h.Write([]byte(k))
			ps = append(ps, posting{h.Sum64(), int32(i)})
			hs = append(hs, h.Sum64())
			if dedupe.Capped(k) {
				capped[h.Sum64()] = true
			}
		}
		if i < queries {
			keysOf = append(keysOf, hs)
		}
		recs[i].Fields = nil // keep memory down
	}
	slices.SortFunc(ps, func(a, b posting) int { return cmp.Compare(a.key, b.key) })
	built := time.Since(start)
	var union, sum, maxBlock []int
	over64, crowded, cappedLookups := 0, 0, 0
	seen := map[int32]bool{}
	for q, hs := range keysOf {
		clear(seen)
		s, mb := 0, 0
		for _, h := range hs {
			i, _ := slices.BinarySearchFunc(ps, h, func(p posting, h uint64) int { return cmp.Compare(p.key, h) })
			j := i
			for j < len(ps) && ps[j].key == h {
				j++
			}
			if capped[h] {
				// The store reads at most NameKeyCap+1 rows of such a key and
				// drops them all when there are more.
				cappedLookups++
				if j-i-1 > dedupe.NameKeyCap {
					crowded++
					s += dedupe.NameKeyCap + 1
					continue
				}
			}
			for j = i; j < len(ps) && ps[j].key == h; j++ {
				if ps[j].id != int32(q) {
					seen[ps[j].id] = true
				}
			}
			s += j - i - 1
			mb = max(mb, j-i-1)
		}
		union, sum, maxBlock = append(union, len(seen)), append(sum, s), append(maxBlock, mb)
		if len(seen) > 64 {
			over64++
		}
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	fmt.Fprintf(w, "\ncandidate sets at %d contacts (hard population, one record per person, seed %d; %d lookups of indexed people by their own keys; %d postings; built in %v, heap %d MB)\n\n",
		n, benchdata.HardSeed+1, len(keysOf), len(ps), built.Round(time.Second), mem.HeapAlloc>>20)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\tmean\tmedian\tp99\tmax\t")
	for _, x := range []struct {
		name string
		v    []int
	}{{"distinct candidates", union}, {"rows fetched (sum of blocks)", sum}, {"largest block", maxBlock}} {
		slices.Sort(x.v)
		total := 0
		for _, v := range x.v {
			total += v
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%d\t%d\t%d\t\n", x.name, float64(total)/float64(len(x.v)), x.v[len(x.v)/2], x.v[len(x.v)*99/100], x.v[len(x.v)-1])
	}
	tw.Flush()
	fmt.Fprintf(w, "lookups with more than 64 candidates (the store's cap): %.2f%%\n", 100*float64(over64)/float64(len(keysOf)))
	if cappedLookups > 0 {
		fmt.Fprintf(w, "name keys (m:) looked up: %d, of them ignored as shared by more than %d contacts: %d (%.1f%%)\n",
			cappedLookups, dedupe.NameKeyCap, crowded, 100*float64(crowded)/float64(cappedLookups))
	}
	return nil
}
