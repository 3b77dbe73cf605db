// Command bulk measures bulk create — POST /public/api/V1/contacts with -batch contacts
// per call — against a running contacthub on this machine, and in the same sitting the
// PostgreSQL COPY of the same rows (through psql's \copy) into a table made LIKE the
// server's contacts table (same columns, defaults and indexes). It prints contacts/s
// for both and their ratio, as a table or as JSON lines (-json).
//
// With -copy-written it also times COPY of exactly the rows the server wrote in the
// first measured run — its contacts rows and their blocking-key rows in contact_keys,
// exported from the server's tables — into fresh tables LIKE contacts and contact_keys:
// what the database alone needs to store the same data, the way bench/
// pgbench_insert_same_rows.sql is for single creates.
//
//	go run ./bench/bulk -url http://127.0.0.1:18083 -key KEY \
//	    -db 'postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' -contacts 100000 -c 1,2
//
// -db must be the server's database (the COPY table is created there and dropped
// afterwards); without -db only the API is measured. Targets must be loopback
// addresses: this is a benchmark, not a load generator for other people's servers.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// Bounds that keep a run small enough for a shared machine.
const (
	maxContacts = 2_000_000
	maxBatch    = 1000 // the server's MaxBulkContacts
	maxClients  = 64
)

type options struct {
	base     string
	key      string
	db       string
	contacts int
	batch    int
	clients  []int
	check    string
	copyRuns int
	// copyWritten adds the COPY of the rows the server wrote (contacts and key rows).
	copyWritten bool
	json        bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/bulk:", err)
		os.Exit(1)
	}
}

// result is one measured run.
type result struct {
	Method      string  `json:"method"`
	Contacts    int     `json:"contacts"`
	Batch       int     `json:"batch,omitempty"`
	Clients     int     `json:"clients,omitempty"`
	Check       string  `json:"check,omitempty"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"contacts_per_s"`
	P50BatchMS  float64 `json:"p50_batch_ms,omitempty"`
	P95BatchMS  float64 `json:"p95_batch_ms,omitempty"`
	Errors      int     `json:"errors"`
	RatioToCOPY float64 `json:"ratio_to_copy,omitempty"`
	// RatioToWritten compares with the COPY of the rows the server wrote (-copy-written).
	RatioToWritten float64 `json:"ratio_to_copy_written,omitempty"`
	// KeyRows is how many contact_keys rows that COPY wrote.
	KeyRows int `json:"key_rows,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: maxClients, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	if err := (&benchkit.Client{Base: o.base, Key: o.key, HTTP: hc}).Do(ctx, http.MethodGet, "/public/api/V1/check-credentials", nil, nil); err != nil {
		return fmt.Errorf("check credentials: %w", err)
	}
	var results []*result
	var copyRate float64
	if o.db != "" {
		for i := range o.copyRuns {
			res, err := measureCopy(ctx, o, rows(fmt.Sprintf("copy%d-%d", i, time.Now().UnixNano()), o.contacts))
			if err != nil {
				return fmt.Errorf("COPY: %w", err)
			}
			results = append(results, res)
			copyRate += res.PerSecond / float64(o.copyRuns)
		}
	}
	var bulk []*result
	firstRun := ""
	for _, clients := range o.clients {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		run := fmt.Sprintf("api%d-%d", clients, time.Now().UnixNano())
		res, err := measureBulk(ctx, hc, o, clients, rows(run, o.contacts))
		if err != nil {
			return err
		}
		if copyRate > 0 {
			res.RatioToCOPY = res.PerSecond / copyRate
		}
		if firstRun == "" {
			firstRun = run
		}
		bulk = append(bulk, res)
	}
	if o.copyWritten && o.db != "" {
		var writtenRate float64
		for range o.copyRuns {
			res, err := measureCopyWritten(ctx, o, firstRun)
			if err != nil {
				return fmt.Errorf("COPY of the rows written: %w", err)
			}
			results = append(results, res)
			writtenRate += res.PerSecond / float64(o.copyRuns)
		}
		for _, res := range bulk {
			res.RatioToWritten = res.PerSecond / writtenRate
		}
	}
	return report(stdout, append(results, bulk...), o.json)
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var clients string
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of a contacthub on this machine")
	fs.StringVar(&o.key, "key", os.Getenv("CONTACTHUB_BENCH_KEY"), "API key (default $CONTACTHUB_BENCH_KEY)")
	fs.StringVar(&o.db, "db", "", "the server's PostgreSQL URL, for the COPY comparison (empty: API only)")
	fs.IntVar(&o.contacts, "contacts", 100_000, "contacts per run")
	fs.IntVar(&o.batch, "batch", 1000, "contacts per POST contacts call (at most 1000)")
	fs.StringVar(&clients, "c", "1", "concurrent callers; a comma list runs each, e.g. 1,2")
	fs.StringVar(&o.check, "check", "email", "duplicate_check_method: email, auto or none")
	fs.IntVar(&o.copyRuns, "copy-runs", 2, "COPY runs averaged for the ratio")
	fs.BoolVar(&o.copyWritten, "copy-written", false, "also time COPY of the rows the server wrote in the first run (contacts and key rows)")
	fs.BoolVar(&o.json, "json", false, "print JSON lines instead of a table")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.key == "":
		return nil, errors.New("-key is required")
	case o.contacts < 1 || o.contacts > maxContacts:
		return nil, fmt.Errorf("-contacts %d: want 1..%d", o.contacts, maxContacts)
	case o.batch < 1 || o.batch > maxBatch:
		return nil, fmt.Errorf("-batch %d: want 1..%d", o.batch, maxBatch)
	case o.copyRuns < 1 || o.copyRuns > 10:
		return nil, fmt.Errorf("-copy-runs %d: want 1..10", o.copyRuns)
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return nil, err
	}
	if o.db != "" {
		if err := benchkit.CheckLoopback(o.db); err != nil {
			return nil, err
		}
	}
	o.base = strings.TrimRight(o.base, "/")
	for c := range strings.SplitSeq(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > maxClients {
			return nil, fmt.Errorf("-c %q: want 1..%d", c, maxClients)
		}
		o.clients = append(o.clients, n)
	}
	switch o.check {
	case "email", "auto", "none":
	default:
		return nil, fmt.Errorf("-check %q: want email, auto or none", o.check)
	}
	// The export finds a run's contacts by its mail label. Under auto a run's rows
	// merge into an earlier run's people (only the mail differs), so the contacts
	// would carry other rows than this run wrote.
	if o.copyWritten && (o.db == "" || o.check == "auto") {
		return nil, errors.New("-copy-written needs -db and -check email or none")
	}
	return &o, nil
}

// contact is one generated row: the fields a CRM sync or a web form typically sends.
type contact struct {
	FirstName    string `json:"first_name"`
	FamilyName   string `json:"family_name"`
	Company      string `json:"company,omitempty"`
	Mail         string `json:"mail"`
	Phone        string `json:"phone"`
	BaStreet     string `json:"ba_street"`
	BaCity       string `json:"ba_city"`
	BaPostalCode string `json:"ba_postal_code"`
	BaCountry    string `json:"ba_country"`
}

var (
	firstNames = strings.Fields("Anna Ben Clara David Emma Felix Greta Hannah Ida Jan Julia Karl Lena Lukas Marie Max Mia Noah " +
		"Paul Sophie Tim Ute Vera Jonas Leon Elias Finn Lina Ella Emil Anton Theo Frieda Mila Oskar Ida Levi Nele Jakob " +
		"Henri Luisa Moritz Johanna Erik Lotta Samuel Carla Till Pia Fabian Ronja Niklas Merle Jannik Svenja Ole Tom Lea")
	nameStems = strings.Fields("Müll Schmi Schnei Fisch Web Mey Wag Beck Schul Hoff Koch Richt Klein Wolf Schrö Neu " +
		"Schwarz Zimmer Braun Krü Hof Hart Lang Werner Krau Lehm Schmitt Walt Köhl Maie Herr König Wal Huber Kaiser Fuchs Peters Lang Scholz Möll")
	nameEnds = strings.Fields("er mann ert dt ner hold berg rich ke el ing haus")
	streets  = strings.Fields("Hauptstraße Bahnhofstraße Gartenweg Schulstraße Dorfstraße Bergstraße Lindenallee Kirchweg Ringstraße Mühlenweg Parkstraße Waldweg")
	cities   = strings.Fields("Berlin Hamburg München Köln Frankfurt Stuttgart Leipzig Dresden Bremen Hannover Nürnberg Essen Bonn Kiel Mainz Ulm")
)

// pick is a deterministic pseudo-random index below n for row i and purpose salt.
func pick(i, salt, n int) int {
	x := uint64(i)*0x9E3779B97F4A7C15 + uint64(salt)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	return int(x % uint64(n))
}

// rows generates n distinct contacts with a spread of names and addresses like a CRM
// export; run makes their mails unique to this run, so with check email (or none) no
// row merges with an earlier run's. Under auto they do: row i of every run is the
// same person with another mail.
func rows(run string, n int) []contact {
	out := make([]contact, n)
	for i := range out {
		city := pick(i, 4, len(cities))
		c := contact{
			FirstName:    firstNames[pick(i, 1, len(firstNames))],
			FamilyName:   nameStems[pick(i, 2, len(nameStems))] + nameEnds[pick(i, 3, len(nameEnds))],
			Mail:         fmt.Sprintf("%s.%d@bench%d.example", run, i, i%97),
			Phone:        fmt.Sprintf("+49 %d %07d", 30+pick(i, 5, 900), pick(i, 6, 10_000_000)),
			BaStreet:     fmt.Sprintf("%s %d", streets[pick(i, 7, len(streets))], 1+pick(i, 8, 200)),
			BaCity:       cities[city],
			BaPostalCode: fmt.Sprintf("%05d", 10000+city*5000+pick(i, 9, 5000)),
			BaCountry:    "DE",
		}
		if pick(i, 10, 3) == 0 {
			c.Company = fmt.Sprintf("%s %s GmbH", nameStems[pick(i, 11, len(nameStems))], streets[pick(i, 12, len(streets))][:4])
		}
		out[i] = c
	}
	return out
}

// measureBulk posts all rows in calls of o.batch contacts from clients callers.
func measureBulk(ctx context.Context, hc *http.Client, o *options, clients int, list []contact) (*result, error) {
	var bodies [][]byte
	for batch := range slices.Chunk(list, o.batch) {
		b, err := json.Marshal(map[string]any{"contacts": batch, "duplicate_check_method": o.check, "flood_limit": 0, "spam_protection": false})
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	next := make(chan []byte, len(bodies))
	for _, b := range bodies {
		next <- b
	}
	close(next)
	var mu sync.Mutex
	var latencies []time.Duration
	var itemErrors int
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for body := range next {
				t0 := time.Now()
				var answer []struct {
					ID      int64  `json:"id"`
					Error   bool   `json:"error"`
					Message string `json:"message"`
				}
				err := (&benchkit.Client{Base: o.base, Key: o.key, HTTP: hc}).Do(ctx, http.MethodPost, "/public/api/V1/contacts", body, &answer)
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for _, a := range answer {
					if a.Error || a.ID == 0 {
						itemErrors++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, fmt.Errorf("POST contacts: %w", firstErr)
	}
	slices.Sort(latencies)
	return &result{
		Method: "POST contacts", Contacts: len(list), Batch: o.batch, Clients: clients, Check: o.check,
		Seconds: elapsed.Seconds(), PerSecond: float64(len(list)) / elapsed.Seconds(),
		P50BatchMS: ms(pct(latencies, 50)), P95BatchMS: ms(pct(latencies, 95)), Errors: itemErrors,
	}, nil
}

// copyColumns are the columns COPY fills; the rest take their defaults, as they do
// when the server inserts.
var copyColumns = []string{"tenant_id", "first_name", "family_name", "company", "mail", "mail_key", "phone",
	"ba_street", "ba_city", "ba_postal_code", "ba_country", "custom_fields", "version", "created_at", "updated_at"}

// measureCopy writes the rows as CSV and times psql's \copy of them into a fresh table
// LIKE contacts INCLUDING ALL, which it drops afterwards.
func measureCopy(ctx context.Context, o *options, list []contact) (*result, error) {
	dir, err := os.MkdirTemp("", "contacthub-bulk-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "rows.csv")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, c := range list {
		w.Write([]string{"1", c.FirstName, c.FamilyName, c.Company, c.Mail, strings.ToLower(c.Mail), c.Phone,
			c.BaStreet, c.BaCity, c.BaPostalCode, c.BaCountry, "{}", "1", now, now})
	}
	w.Flush()
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	table := fmt.Sprintf("bench_copy_%d", time.Now().UnixNano())
	if err := benchkit.PSQL(ctx, o.db, "CREATE TABLE "+table+" (LIKE contacts INCLUDING ALL)"); err != nil {
		return nil, err
	}
	defer benchkit.PSQL(context.Background(), o.db, "DROP TABLE IF EXISTS "+table)
	start := time.Now()
	// Empty CSV fields are "" as the server stores them, not NULL.
	text := strings.Join(copyColumns[1:12], ", ")
	err = benchkit.PSQL(ctx, o.db, fmt.Sprintf(`\copy %s (%s) FROM '%s' WITH (FORMAT csv, FORCE_NOT_NULL (%s))`, table, strings.Join(copyColumns, ", "), file, text))
	elapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	return &result{Method: "COPY (psql \\copy)", Contacts: len(list), Seconds: elapsed.Seconds(), PerSecond: float64(len(list)) / elapsed.Seconds()}, nil
}

// measureCopyWritten times the COPY of the contacts rows of run (their mails start
// with the run's label) and their contact_keys rows (benchkit.CopyWritten).
func measureCopyWritten(ctx context.Context, o *options, run string) (*result, error) {
	keys, took, err := benchkit.CopyWritten(ctx, o.db, run+".", o.contacts)
	if err != nil {
		return nil, err
	}
	return &result{Method: "COPY of rows written", Contacts: o.contacts, KeyRows: keys,
		Seconds: took.Seconds(), PerSecond: float64(o.contacts) / took.Seconds()}, nil
}

func report(w io.Writer, results []*result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tcontacts\tkey rows\tbatch\tclients\tcheck\tseconds\tcontacts/s\tp50 call ms\tp95 call ms\terrors\tx COPY\tx COPY written\t")
	for _, r := range results {
		dash := func(v float64, f string) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf(f, v)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.2f\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", r.Method, r.Contacts,
			dash(float64(r.KeyRows), "%.0f"), dash(float64(r.Batch), "%.0f"), dash(float64(r.Clients), "%.0f"), orDash(r.Check),
			r.Seconds, r.PerSecond, dash(r.P50BatchMS, "%.0f"), dash(r.P95BatchMS, "%.0f"), r.Errors,
			dash(r.RatioToCOPY, "%.2f"), dash(r.RatioToWritten, "%.2f"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, (len(sorted)*p+99)/100-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
