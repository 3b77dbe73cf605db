// Command dedupe measures the duplicate engine's accuracy end to end, as a client sees it:
// it ingests a data set with known duplicates one record at a time, in file order,
// through the native create POST /api/v1/contacts (duplicate_check_method auto, merge
// update_add, the server's default threshold), sequentially over one connection, and
// scores the outcome pairwise. Every record ends up in one contact (the id the server
// answers); records in the same contact are predicted duplicates.
//
//	go run ./bench/dedupe -url http://127.0.0.1:18095 -key KEY -data febrl1 -label sqlite
//
// Data (see ../shared/data/README.md): febrl1, febrl2, fake1000, hard (the generated
// hard set, bench/benchdata.Hard with its fixed seed), or a path to a CSV in one of the
// first two formats. Fields are sent only when valid, as a web form would send
// them: FEBRL's soc_sec_id is left out, an impossible FEBRL date of birth is left out
// (valid ones go as ISO dates), and fake_1000's malformed e-mail addresses and dates are
// left out.
//
// Each run needs a fresh tenant (its contacts would otherwise be candidates): the tool
// refuses a tenant that already holds contacts. Create one per run with
// `contacthub tenants create NAME` and `contacthub keys create --tenant ID --rate 1000000/m`.
//
// It prints one table row (or a JSON line with -json) to stdout and the worst false
// merges and a few missed duplicates to stderr. The target must be a loopback address.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contacthub/contacthub/bench/benchdata"
	"github.com/contacthub/contacthub/bench/benchkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/dedupe:", err)
		os.Exit(1)
	}
}

type options struct {
	base, key, data, dataDir, check, merge, label string
	worst                                         int
	json, allowNonEmpty                           bool
	summarize                                     string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("dedupe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of a contacthub on this machine")
	fs.StringVar(&o.key, "key", os.Getenv("CONTACTHUB_BENCH_KEY"), "API key of a fresh tenant (default $CONTACTHUB_BENCH_KEY)")
	fs.StringVar(&o.data, "data", "febrl1", "febrl1, febrl2, fake1000, hard (generated: benchdata.Hard), or a path to a CSV in FEBRL or fake_1000 format")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory with febrl/ and splink/ (default ../shared/data relative to the repository root, found from the working directory)")
	fs.StringVar(&o.check, "check", "auto", "duplicate_check_method: auto, email or none")
	fs.StringVar(&o.merge, "merge", "update_add", "duplicate_merge_method: update_add, update or add")
	fs.StringVar(&o.label, "label", "", "a label for the row, e.g. the database (sqlite, postgres)")
	fs.IntVar(&o.worst, "worst", 5, "false merges and missed duplicates to show on stderr")
	fs.BoolVar(&o.json, "json", false, "print a JSON line instead of a table")
	fs.BoolVar(&o.allowNonEmpty, "allow-nonempty", false, "run even if the tenant already holds contacts (the scores are then meaningless)")
	fs.StringVar(&o.summarize, "summarize", "", "print the JSON lines of earlier -json runs in FILE as a Markdown table, and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.summarize != "" {
		return &o, nil
	}
	if o.key == "" {
		return nil, errors.New("-key is required")
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return nil, err
	}
	o.base = strings.TrimRight(o.base, "/")
	switch o.check {
	case "auto", "email", "none":
	default:
		return nil, fmt.Errorf("-check %q: want auto, email or none", o.check)
	}
	switch o.merge {
	case "update_add", "update", "add":
	default:
		return nil, fmt.Errorf("-merge %q: want update_add, update or add", o.merge)
	}
	if o.worst < 0 || o.worst > 1000 {
		return nil, fmt.Errorf("-worst %d: want 0..1000", o.worst)
	}
	return &o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.summarize != "" {
		return summarize(o.summarize, stdout)
	}
	dir := o.dataDir
	if dir == "" {
		if dir, err = benchdata.DataDir(); err != nil {
			return fmt.Errorf("%w; pass -data-dir", err)
		}
	}
	recs, err := benchdata.Load(o.data, dir)
	if err != nil {
		return err
	}
	name := o.data
	if _, known := benchdata.Files[name]; !known && name != "hard" {
		name = filepath.Base(name)
	}
	cl := &client{benchkit.Client{Base: o.base, Key: o.key, HTTP: &http.Client{
		Timeout: 30 * time.Second,
		// One connection, kept alive: the records go one after another as a client's would.
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true},
	}}}
	n, err := cl.countContacts(ctx)
	if err != nil {
		return err
	}
	if n > 0 && !o.allowNonEmpty {
		return fmt.Errorf("the tenant of -key already holds contacts: use a fresh tenant (contacthub tenants create NAME; contacthub keys create --tenant ID --rate 1000000/m)")
	}
	res, err := ingestAll(ctx, cl, recs, o.check, o.merge)
	if err != nil {
		return err
	}
	rep := score(name, o.label, recs, res)
	if o.json {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printTable(stdout, rep)
	}
	printMistakes(stderr, recs, res, o.worst)
	return nil
}

type record = benchdata.Record

type client struct{ benchkit.Client }

type apiError struct {
	Status  int
	Message string `json:"message"`
	Errors  []struct {
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"errors"`
}

func (e *apiError) Error() string {
	b, _ := json.Marshal(e.Errors)
	return fmt.Sprintf("HTTP %d: %s %s", e.Status, e.Message, b)
}

// do is benchkit's Do with the server's error body decoded, so a 422's field errors
// can be read.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	err := c.Do(ctx, method, path, body, out)
	var se *benchkit.StatusError
	if !errors.As(err, &se) {
		return err
	}
	e := &apiError{Status: se.Status}
	if json.Unmarshal(se.Body, e) != nil || e.Message == "" {
		e.Message = strings.TrimSpace(string(se.Body))
	}
	return e
}

func (c *client) countContacts(ctx context.Context) (int, error) {
	var page struct {
		Contacts []json.RawMessage `json:"contacts"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/contacts?limit=1", nil, &page); err != nil {
		return 0, fmt.Errorf("list contacts: %w", err)
	}
	return len(page.Contacts), nil
}

type explanation struct {
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Match     bool    `json:"match"`
	Fields    []struct {
		Field      string  `json:"field"`
		Comparison string  `json:"comparison"`
		Similarity float64 `json:"similarity"`
		Weight     float64 `json:"weight"`
	} `json:"fields"`
}

type createResponse struct {
	ID          int64        `json:"id"`
	Created     bool         `json:"created"`
	MergeID     string       `json:"merge_id"`
	Explanation *explanation `json:"explanation"`
	// Joined are contacts the submission also matched, merged into ID.
	Joined []struct {
		ID int64 `json:"id"`
	} `json:"joined"`
}

// outcome is what happened to one record.
type outcome struct {
	contact int64   // 0: refused (the record stays alone)
	joined  []int64 // contacts merged into contact because the record matched them too
	created bool
	expl    *explanation
	took    time.Duration
	dropped []string // fields the server refused, sent again without them
	refusal string
}

// maxDropRetries bounds the resubmissions of one record without refused fields.
const maxDropRetries = 3

// ingestAll posts every record in order and returns what became of each.
func ingestAll(ctx context.Context, c *client, recs []record, check, merge string) ([]outcome, error) {
	out := make([]outcome, len(recs))
	failures := 0
	for i, r := range recs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fields := r.Fields
		o := &out[i]
		for attempt := 0; ; attempt++ {
			body := map[string]any{"contact": fields, "duplicate_check_method": check, "duplicate_merge_method": merge}
			var resp createResponse
			start := time.Now()
			err := c.do(ctx, http.MethodPost, "/api/v1/contacts", body, &resp)
			o.took = time.Since(start)
			if err == nil {
				o.contact, o.created, o.expl = resp.ID, resp.Created, resp.Explanation
				for _, j := range resp.Joined {
					o.joined = append(o.joined, j.ID)
				}
				break
			}
			var ae *apiError
			if !errors.As(err, &ae) {
				return nil, fmt.Errorf("record %s: %w", r.ID, err)
			}
			if ae.Status != http.StatusUnprocessableEntity {
				if failures++; failures > 10 {
					return nil, fmt.Errorf("record %s: %w (and earlier failures: giving up)", r.ID, err)
				}
				o.refusal = err.Error()
				break
			}
			// A field a form would have sent but the server refuses: send the rest.
			var drop []string
			for _, fe := range ae.Errors {
				name := strings.TrimPrefix(fe.Field, "contact.")
				if _, ok := fields[name]; ok {
					drop = append(drop, name)
				}
			}
			if len(drop) == 0 || attempt >= maxDropRetries {
				o.refusal = err.Error() // e.g. no name, mail or phone left
				break
			}
			fields = without(fields, drop)
			o.dropped = append(o.dropped, drop...)
		}
	}
	return out, nil
}

// without returns m without the keys drop.
func without(m map[string]string, drop []string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

// report is one row of results.
type report struct {
	Data           string  `json:"data"`
	Label          string  `json:"label,omitempty"`
	Records        int     `json:"records"`
	Contacts       int     `json:"contacts"`
	Refused        int     `json:"refused"`
	DroppedFields  int     `json:"dropped_fields"`
	TruePairs      int     `json:"true_pairs"`
	PredictedPairs int     `json:"predicted_pairs"`
	CorrectPairs   int     `json:"correct_pairs"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
	Threshold      float64 `json:"threshold"`
	Merges         int     `json:"merges"`
	FalseMerges    int     `json:"false_merges"`
	Missed         int     `json:"missed"`
	MedianMS       float64 `json:"median_ms"`
	P99MS          float64 `json:"p99_ms"`
	MaxMS          float64 `json:"max_ms"`
	TotalS         float64 `json:"total_s"`
}

func score(name, label string, recs []record, res []outcome) report {
	rep := report{Data: name, Label: label, Records: len(recs), Threshold: -1}
	members := map[int64][]int{}
	var times []time.Duration
	var total time.Duration
	final := finalContacts(res)
	for i, o := range res {
		total += o.took
		times = append(times, o.took)
		rep.DroppedFields += len(o.dropped)
		if o.contact == 0 {
			rep.Refused++
			continue
		}
		members[final[i]] = append(members[final[i]], i)
		if o.expl != nil && rep.Threshold < 0 {
			rep.Threshold = o.expl.Threshold
		}
	}
	rep.Contacts = len(members) + rep.Refused
	perEntity := map[string]int{}
	for _, r := range recs {
		perEntity[r.Entity]++
	}
	for _, n := range perEntity {
		rep.TruePairs += n * (n - 1) / 2
	}
	for _, ms := range members {
		n := len(ms)
		rep.PredictedPairs += n * (n - 1) / 2
		in := map[string]int{}
		for _, m := range ms {
			in[recs[m].Entity]++
		}
		for _, k := range in {
			rep.CorrectPairs += k * (k - 1) / 2
		}
	}
	if rep.PredictedPairs > 0 {
		rep.Precision = float64(rep.CorrectPairs) / float64(rep.PredictedPairs)
	}
	if rep.TruePairs > 0 {
		rep.Recall = float64(rep.CorrectPairs) / float64(rep.TruePairs)
	}
	if rep.Precision+rep.Recall > 0 {
		rep.F1 = 2 * rep.Precision * rep.Recall / (rep.Precision + rep.Recall)
	}
	for _, m := range mistakes(recs, res) {
		if m.falseMerge {
			rep.FalseMerges++
		} else {
			rep.Missed++
		}
	}
	for _, o := range res {
		if o.contact != 0 && !o.created {
			rep.Merges++
		}
	}
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep.MedianMS = ms(times[len(times)/2])
	rep.P99MS = ms(times[min(len(times)-1, len(times)*99/100)])
	rep.MaxMS = ms(times[len(times)-1])
	rep.TotalS = total.Seconds()
	return rep
}

func printTable(w io.Writer, r report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "data\tdb\trecords\tcontacts\ttrue pairs\tpredicted\tcorrect\tprecision\trecall\tF1\tthreshold\tmedian ms\tp99 ms\tmax ms\tfalse merges\tmissed\trefused\t")
	label := r.Label
	if label == "" {
		label = "-"
	}
	fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t\n",
		r.Data, label, r.Records, r.Contacts, r.TruePairs, r.PredictedPairs, r.CorrectPairs,
		r.Precision, r.Recall, r.F1, r.Threshold, r.MedianMS, r.P99MS, r.MaxMS, r.FalseMerges, r.Missed, r.Refused)
	tw.Flush()
}

// mistake is a wrong decision on one record, judged against the records that were
// in the contacts before it: a false merge joined a contact holding none of its entity;
// a miss created a contact although its entity already had one.
type mistake struct {
	i          int
	falseMerge bool
	into       []int // falseMerge: the contact's earlier records
	earlier    int   // miss: an earlier record of the same entity
}

func mistakes(recs []record, res []outcome) []mistake {
	var out []mistake
	members := map[int64][]int{}
	seen := map[string]int{} // entity -> first record index
	for i, o := range res {
		e := recs[i].Entity
		first, had := seen[e]
		if !had {
			seen[e] = i
		}
		if o.contact == 0 {
			continue
		}
		before := members[o.contact]
		for _, j := range o.joined { // what the joined contacts held is this contact's now
			before = append(before, members[j]...)
			delete(members, j)
		}
		members[o.contact] = append(before, i)
		if !o.created {
			ok := false
			for _, m := range before {
				if recs[m].Entity == e {
					ok = true
				}
			}
			if !ok {
				out = append(out, mistake{i: i, falseMerge: true, into: slices.Clone(before)})
			}
		} else if had {
			out = append(out, mistake{i: i, earlier: first})
		}
	}
	return out
}

// finalContacts is the contact each record ends up in: the one its answer named,
// followed through later joins (a contact merged into another because a later record
// matched both).
func finalContacts(res []outcome) []int64 {
	into := map[int64]int64{}
	for _, o := range res {
		for _, j := range o.joined {
			into[j] = o.contact
		}
	}
	out := make([]int64, len(res))
	for i, o := range res {
		id := o.contact
		for steps := 0; into[id] != 0 && steps < len(res); steps++ {
			id = into[id]
		}
		out[i] = id
	}
	return out
}

// printMistakes shows the highest-scoring false merges (the most confident wrong
// decisions) and the closest misses, for a person to inspect.
func printMistakes(w io.Writer, recs []record, res []outcome, n int) {
	if n == 0 {
		return
	}
	ms := mistakes(recs, res)
	scoreOf := func(m mistake) float64 {
		if e := res[m.i].expl; e != nil {
			return e.Score
		}
		return -1e9
	}
	slices.SortStableFunc(ms, func(a, b mistake) int {
		switch sa, sb := scoreOf(a), scoreOf(b); {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	shown := 0
	for _, m := range ms {
		if !m.falseMerge || shown == n {
			continue
		}
		shown++
		fmt.Fprintf(w, "FALSE MERGE %s (entity %s) %s\n  into contact %d holding:\n", recs[m.i].ID, recs[m.i].Entity, show(recs[m.i].Fields), res[m.i].contact)
		for _, j := range m.into {
			fmt.Fprintf(w, "    %s (entity %s) %s\n", recs[j].ID, recs[j].Entity, show(recs[j].Fields))
		}
		fmt.Fprintf(w, "  %s\n", explain(res[m.i].expl))
	}
	shown = 0
	for _, m := range ms {
		if m.falseMerge || shown == n {
			continue
		}
		shown++
		fmt.Fprintf(w, "MISSED %s %s\n  earlier %s %s\n  best candidate: %s\n", recs[m.i].ID, show(recs[m.i].Fields),
			recs[m.earlier].ID, show(recs[m.earlier].Fields), explain(res[m.i].expl))
	}
	for i, o := range res {
		if o.refusal != "" || len(o.dropped) > 0 {
			fmt.Fprintf(w, "RECORD %s: dropped %v refused %q\n", recs[i].ID, o.dropped, o.refusal)
		}
	}
}

func show(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q ", k, f[k])
	}
	return strings.TrimSpace(b.String())
}

func explain(e *explanation) string {
	if e == nil {
		return "no candidates"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "score %.2f (threshold %.1f):", e.Score, e.Threshold)
	for _, f := range e.Fields {
		if f.Comparison != "missing" && f.Weight != 0 {
			fmt.Fprintf(&b, " %s=%s(%+.1f)", f.Field, f.Comparison, f.Weight)
		}
	}
	return b.String()
}

// summarize prints JSON report lines as a Markdown table.
func summarize(path string, w io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "| data | db | records | contacts | true pairs | predicted pairs | precision | recall | F1 | threshold | median ms | p99 ms | false merges | missed |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %.4f | %.4f | %.4f | %.1f | %.2f | %.2f | %d | %d |\n",
			r.Data, r.Label, r.Records, r.Contacts, r.TruePairs, r.PredictedPairs, r.Precision, r.Recall, r.F1,
			r.Threshold, r.MedianMS, r.P99MS, r.FalseMerges, r.Missed)
	}
	return nil
}
