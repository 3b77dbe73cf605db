package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contacthub/contacthub/dedupe"
)

// probe is one ingested record.
type probe struct {
	p        person
	dupOf    int64 // the original's contact id for a near-duplicate, 0 for a new person
	res      createResponse
	err      error
	took     time.Duration
	cands    int // contacts indexed under the probe's keys (itself excluded)
	keys     int
	maxBlock int // the most contacts under one of its keys
}

func ingest(ctx context.Context, o *options, eng *dedupe.Engine, w *world, db *pgx.Conn, api *client, out, errw io.Writer) error {
	ids, err := readIDs(o.ids)
	if err != nil {
		return err
	}
	n := len(ids)
	start := time.Now()
	taken := map[string]bool{}
	people := w.population(0, n, taken)
	fmt.Fprintf(out, "regenerated %d loaded people in %s\n", n, since(start))

	// The keys stored at load time must still be the engine's keys, or lookups miss.
	r := rand.New(rand.NewPCG(o.seed, 1<<40+uint64(o.round)))
	var sample []int
	for range 200 {
		sample = append(sample, r.IntN(n))
	}
	sampleIDs := make([]int64, len(sample))
	for i, j := range sample {
		sampleIDs[i] = ids[j]
	}
	stored, err := keysOf(ctx, db, o.tenant, sampleIDs)
	if err != nil {
		return err
	}
	// A contact keeps the keys of everything merged into it, so its stored keys
	// contain, rather than equal, the keys of the loaded record.
	stale := 0
	for i, j := range sample {
		have := stored[sampleIDs[i]]
		for _, k := range storeKeys(eng, people[j]) {
			if _, found := slices.BinarySearch(have, k); !found {
				stale++
				break
			}
		}
	}
	if stale > 0 {
		fmt.Fprintf(out, "WARNING: %d of %d sampled contacts have stored keys that differ from this engine's (dedupe/ changed since -load?): lookups use the new keys, so results are not representative\n", stale, len(sample))
	} else {
		fmt.Fprintf(out, "stored keys of %d sampled contacts include this engine's keys for them\n", len(sample))
	}

	warmup := o.warmup
	// The new people of earlier rounds are in the tenant too (assumed run with this
	// round's sizes): their mails are taken as well, or a "new" person of this round
	// could get an address an earlier round's person already has, and merging the two
	// would be counted as a false merge of the engine.
	for earlier := 1; earlier < o.round; earlier++ {
		base := n + 10_000_000*earlier
		w.population(base, base+o.ingest+warmup, taken)
	}
	base := n + 10_000_000*o.round
	fresh := w.population(base, base+o.ingest+warmup, taken)
	probes := make([]*probe, o.ingest)
	next := warmup
	for k := range probes {
		if r.Float64() < o.dupShare {
			j := r.IntN(n)
			probes[k] = &probe{p: nearDuplicate(r, people[j]), dupOf: ids[j]}
		} else {
			probes[k] = &probe{p: fresh[next]}
			next++
		}
	}
	for _, p := range fresh[:warmup] {
		if _, err := api.create(ctx, p); err != nil {
			return fmt.Errorf("warm-up ingest: %w", err)
		}
	}

	t := time.Now()
	work := make(chan *probe)
	var wg sync.WaitGroup
	for range o.clients {
		wg.Go(func() {
			for pr := range work {
				s := time.Now()
				pr.res, pr.err = api.create(ctx, pr.p)
				pr.took = time.Since(s)
			}
		})
	}
	for _, pr := range probes {
		if ctx.Err() != nil {
			break
		}
		work <- pr
	}
	close(work)
	wg.Wait()
	wall := time.Since(t)
	if err := ctx.Err(); err != nil {
		return err
	}

	if err := candidateSizes(ctx, eng, db, o.tenant, probes); err != nil {
		return err
	}
	report(out, errw, o, probes, wall)
	if err := showFalseMerges(ctx, db, o.tenant, probes, errw, 8); err != nil {
		return err
	}
	if o.explain {
		return explain(ctx, eng, db, o.tenant, probes, out)
	}
	return nil
}

// candidateSizes counts, for every probe, the contacts indexed under its lookup keys
// (auto looks up all of a record's store keys), without itself if it was created.
func candidateSizes(ctx context.Context, eng *dedupe.Engine, db *pgx.Conn, tenant int64, probes []*probe) error {
	for _, pr := range probes {
		if pr.err != nil {
			continue
		}
		keys := storeKeys(eng, pr.p)
		pr.keys = len(keys)
		self := int64(0)
		if pr.res.Created {
			self = pr.res.ID
		}
		// One index probe per key whatever the statistics say (see store.keyLookup):
		// "key = ANY($2)" scans the whole tenant when the planner believes it is small.
		err := db.QueryRow(ctx, `SELECT count(DISTINCT contact_id), coalesce(max(n), 0) FROM (
			SELECT ck.key, ck.contact_id, count(*) OVER (PARTITION BY ck.key) AS n
			FROM unnest($2::text[]) AS u(k) CROSS JOIN LATERAL
				(SELECT key, contact_id FROM contact_keys WHERE tenant_id = $1 AND key = u.k OFFSET 0) AS ck
			WHERE ck.contact_id <> $3) s`, tenant, keys, self).Scan(&pr.cands, &pr.maxBlock)
		if err != nil {
			return fmt.Errorf("count candidates: %w", err)
		}
	}
	return nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ipct(xs []int, p float64) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func report(out, errw io.Writer, o *options, probes []*probe, wall time.Duration) {
	type group struct {
		name  string
		times []time.Duration
		cands []int
	}
	groups := []*group{{name: "all"}, {name: "near-duplicates"}, {name: "new people"}, {name: "created"}, {name: "merged"}}
	var dupMerged, dupWrong, dupCreated, newMerged, failed int
	for _, pr := range probes {
		if pr.err != nil {
			if failed++; failed <= 5 {
				fmt.Fprintf(errw, "ingest failed: %v (%+v)\n", pr.err, pr.p)
			}
			continue
		}
		in := []*group{groups[0]}
		if pr.dupOf != 0 {
			in = append(in, groups[1])
			switch {
			case pr.res.Created:
				dupCreated++
			case pr.res.ID == pr.dupOf:
				dupMerged++
			default:
				dupWrong++
			}
		} else {
			in = append(in, groups[2])
			if !pr.res.Created {
				newMerged++
			}
		}
		if pr.res.Created {
			in = append(in, groups[3])
		} else {
			in = append(in, groups[4])
		}
		for _, g := range in {
			g.times = append(g.times, pr.took)
			g.cands = append(g.cands, pr.cands)
		}
	}
	fmt.Fprintf(out, "\ningested %d records with auto at concurrency %d in %s (%.0f/s); %d failed\n",
		len(probes), o.clients, wall.Round(time.Millisecond), float64(len(probes))/wall.Seconds(), failed)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "records\tn\tp50 ms\tp90 ms\tp99 ms\tmax ms\tcandidates p50\tp99\tmax\t")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", g.name, len(g.times), ms(pct(g.times, .5)), ms(pct(g.times, .9)),
			ms(pct(g.times, .99)), ms(pct(g.times, 1)), ipct(g.cands, .5), ipct(g.cands, .99), ipct(g.cands, 1))
	}
	tw.Flush()
	fmt.Fprintln(out, "\nby candidate-set size (contacts the lookup returns):")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "candidates\tn\tp50 ms\tp90 ms\tp99 ms\t")
	for _, b := range []struct{ lo, hi int }{{0, 0}, {1, 10}, {11, 30}, {31, 60}, {61, 100}, {101, 200}, {201, 1 << 30}} {
		var ts []time.Duration
		for _, pr := range probes {
			if pr.err == nil && pr.cands >= b.lo && pr.cands <= b.hi {
				ts = append(ts, pr.took)
			}
		}
		if len(ts) == 0 {
			continue
		}
		hi := strconv.Itoa(b.hi)
		if b.hi == 1<<30 {
			hi = "…"
		}
		fmt.Fprintf(tw, "%d–%s\t%d\t%s\t%s\t%s\t\n", b.lo, hi, len(ts), ms(pct(ts, .5)), ms(pct(ts, .9)), ms(pct(ts, .99)))
	}
	tw.Flush()
	dups := dupMerged + dupWrong + dupCreated
	fmt.Fprintf(out, "near-duplicates: %d, merged into their original %d (%.1f%%), into another contact %d, created %d\n",
		dups, dupMerged, 100*float64(dupMerged)/float64(max(dups, 1)), dupWrong, dupCreated)
	news := len(probes) - dups - failed
	fmt.Fprintf(out, "new people: %d, merged into an existing contact (false merges) %d\n", news, newMerged)
	var keys, blocks []int
	for _, pr := range probes {
		keys = append(keys, pr.keys)
		blocks = append(blocks, pr.maxBlock)
	}
	fmt.Fprintf(out, "keys per probe p50 %d max %d; largest single key block per probe p50 %d p99 %d max %d\n",
		ipct(keys, .5), ipct(keys, 1), ipct(blocks, .5), ipct(blocks, .99), ipct(blocks, 1))
	slowest := slices.Clone(probes)
	slices.SortFunc(slowest, func(a, b *probe) int { return int(b.took - a.took) })
	for _, pr := range slowest[:min(5, len(slowest))] {
		fmt.Fprintf(errw, "slow: %s ms, %d candidates, created %v, %+v\n", ms(pr.took), pr.cands, pr.res.Created, pr.p)
	}
}

// explain shows the plans of the candidate lookup for the median probe and the one with
// the most candidates, in both forms the store has used: the IN list GORM sends (and
// still sends on SQLite), and the per-key LATERAL probe store.keyLookup sends on
// Postgres; then the candidate contacts fetch (store.loadCandidates).
func explain(ctx context.Context, eng *dedupe.Engine, db *pgx.Conn, tenant int64, probes []*probe, out io.Writer) error {
	var ok []*probe
	for _, pr := range probes {
		if pr.err == nil {
			ok = append(ok, pr)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	slices.SortFunc(ok, func(a, b *probe) int { return a.cands - b.cands })
	for _, pr := range []*probe{ok[len(ok)/2], ok[len(ok)-1]} {
		keys := storeKeys(eng, pr.p)
		args := []any{tenant}
		ph := make([]string, len(keys))
		for i, k := range keys {
			args = append(args, k)
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		var ids []int64
		rows, err := db.Query(ctx, "SELECT DISTINCT ck.contact_id FROM unnest($2::text[]) AS u(k) CROSS JOIN LATERAL "+
			"(SELECT contact_id FROM contact_keys WHERE tenant_id = $1 AND key = u.k OFFSET 0) AS ck", tenant, keys)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		idArgs := []any{tenant}
		idPh := make([]string, len(ids))
		for i, id := range ids {
			idArgs = append(idArgs, id)
			idPh[i] = fmt.Sprintf("$%d", i+2)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"SELECT key, contact_id FROM contact_keys WHERE tenant_id = $1 AND key IN (" + strings.Join(ph, ",") + ")", args},
			{"SELECT ck.key, ck.contact_id FROM unnest($1::text[]) AS u(k) CROSS JOIN LATERAL " +
				"(SELECT key, contact_id FROM contact_keys WHERE tenant_id = $2 AND key = u.k OFFSET 0) AS ck", []any{keys, tenant}},
			{"SELECT * FROM contacts WHERE tenant_id = $1 AND id IN (" + strings.Join(idPh, ",") + ")", idArgs},
		} {
			if len(q.args) == 1 {
				continue // no candidates to fetch
			}
			fmt.Fprintf(out, "\nEXPLAIN (ANALYZE, BUFFERS) %s  -- %d keys, %d candidates\n", shorten(q.sql), len(keys), pr.cands)
			rows, err := db.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				fmt.Fprintln(out, "  "+line)
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// shorten cuts long parameter lists out of a statement for printing.
func shorten(q string) string {
	if i := strings.Index(q, "IN ($2,"); i >= 0 {
		if j := strings.IndexByte(q[i:], ')'); j >= 0 {
			n := strings.Count(q[i:i+j], "$")
			return q[:i] + fmt.Sprintf("IN ($2, … $%d)", n+1) + q[i+j+1:]
		}
	}
	return q
}

// showFalseMerges prints new people that were merged into an existing contact, with
// that contact and the explanation, the highest scores first.
func showFalseMerges(ctx context.Context, db *pgx.Conn, tenant int64, probes []*probe, w io.Writer, n int) error {
	var bad []*probe
	for _, pr := range probes {
		if pr.err == nil && pr.dupOf == 0 && !pr.res.Created && pr.res.Explanation != nil {
			bad = append(bad, pr)
		}
	}
	slices.SortFunc(bad, func(a, b *probe) int {
		switch {
		case a.res.Explanation.Score > b.res.Explanation.Score:
			return -1
		case a.res.Explanation.Score < b.res.Explanation.Score:
			return 1
		}
		return 0
	})
	kinds := map[string]int{}
	for _, pr := range bad {
		var sig []string
		for _, f := range pr.res.Explanation.Fields {
			if f.Weight > 0 {
				sig = append(sig, f.Field)
			}
		}
		kinds[strings.Join(sig, "+")]++
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "false merges by agreeing fields: %v\n", kinds)
	}
	for i, pr := range bad {
		if i == n {
			break
		}
		var before string
		err := db.QueryRow(ctx, "SELECT before_contact FROM merges WHERE tenant_id = $1 AND id = $2", tenant, pr.res.MergeID).Scan(&before)
		if err != nil {
			return fmt.Errorf("merge %s: %w", pr.res.MergeID, err)
		}
		before = compactJSON(before)
		var b strings.Builder
		fmt.Fprintf(&b, "score %.2f:", pr.res.Explanation.Score)
		for _, f := range pr.res.Explanation.Fields {
			if f.Weight != 0 {
				fmt.Fprintf(&b, " %s=%s(%+.1f)", f.Field, f.Comparison, f.Weight)
			}
		}
		fmt.Fprintf(w, "FALSE MERGE new %+v\n  into %d, before the merge %s\n  %s\n", pr.p, pr.res.ID, before, b.String())
	}
	return nil
}

// compactJSON keeps a stored contact's non-empty text fields.
func compactJSON(s string) string {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return s
	}
	var parts []string
	for _, k := range []string{"FirstName", "FamilyName", "Mail", "Phone", "BaStreet", "BaPostalCode", "BaCity", "BaCountry", "DateOfBirth",
		"first_name", "family_name", "mail", "phone", "ba_street", "ba_postal_code", "ba_city", "ba_country", "date_of_birth"} {
		if v, ok := m[k].(string); ok && v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return s
	}
	return "{" + strings.Join(parts, " ") + "}"
}
