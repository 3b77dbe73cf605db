// Command inquirylist measures the inquiry listing of a big tenant: it loads a
// PostgreSQL tenant with inquiries, then walks GET /api/v1/inquiries page by page
// (sorted by score, with and without a status filter, and by creation) and reports
// the time per page.
//
//	go run ./bench/inquirylist -db postgres://postgres@127.0.0.1:5432/DB -url http://127.0.0.1:18163 \
//	    -key KEY -tenant 1 -load 1000000
//	go run ./bench/inquirylist -db … -url … -key … -tenant 1 -walks 200 -pages 20
//
// Loading (-load N): the first -http inquiries go through the server (POST
// /api/v1/inquiries, web-form bodies with varied statuses, sources, values, urgencies,
// dates and contact data, no customer matching); the rest are copies of those rows
// made in the database by one INSERT … SELECT per chunk, each with its own title, score
// (its band from it), status, source and creation time — the shape the server wrote,
// the statistics of a tenant that grew over a year. (The copies' lead_factors are
// their original's: the listing does not read them to order or filter.) Then ANALYZE.
//
// Measuring: -walks walks of up to -pages pages each (-limit inquiries a page, the
// next page by next_cursor) for every scenario, from -c clients, after a warm-up walk
// of each; the table shows the latency of a page as the client saw it (loopback).
//
// Targets must be on this machine (loopback URL, database host 127.0.0.1/localhost).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contacthub/contacthub/bench/benchkit"
)

type options struct {
	db, base, key          string
	tenant                 int64
	load, http, chunk      int
	walks, pages, limit, c int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/inquirylist:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("inquirylist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.db, "db", "", "postgres:// URL of the server's database (on this machine); needed with -load")
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of the contacthub serving that database")
	fs.StringVar(&o.key, "key", os.Getenv("CONTACTHUB_BENCH_KEY"), "API key of -tenant (default $CONTACTHUB_BENCH_KEY)")
	fs.Int64Var(&o.tenant, "tenant", 1, "tenant id that -key belongs to")
	fs.IntVar(&o.load, "load", 0, "inquiries to load (0: load nothing)")
	fs.IntVar(&o.http, "http", 2000, "of those, how many go through the server")
	fs.IntVar(&o.chunk, "chunk", 100_000, "rows per INSERT … SELECT when loading")
	fs.IntVar(&o.walks, "walks", 100, "walks per scenario")
	fs.IntVar(&o.pages, "pages", 20, "pages per walk at most")
	fs.IntVar(&o.limit, "limit", 50, "inquiries per page")
	fs.IntVar(&o.c, "c", 4, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.key == "":
		return nil, errors.New("-key is required")
	case o.load < 0 || o.load > 20_000_000:
		return nil, fmt.Errorf("-load %d: want 0..20000000", o.load)
	case o.load > 0 && o.db == "":
		return nil, errors.New("-load needs -db")
	case o.http < 1 || o.http > 100_000 || o.chunk < 1000:
		return nil, fmt.Errorf("-http %d, -chunk %d: want 1..100000 and at least 1000", o.http, o.chunk)
	case o.walks < 1 || o.walks > 100_000 || o.pages < 1 || o.pages > 1000 || o.limit < 1 || o.limit > 500 || o.c < 1 || o.c > 64:
		return nil, fmt.Errorf("-walks 1..100000, -pages 1..1000, -limit 1..500, -c 1..64")
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return nil, err
	}
	if o.db != "" {
		if err := benchkit.CheckLoopback(o.db); err != nil {
			return nil, fmt.Errorf("-db: %w", err)
		}
	}
	o.base = strings.TrimRight(o.base, "/")
	return &o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	c := &benchkit.Client{Base: o.base, Key: o.key, HTTP: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.c * 2, DisableCompression: true}}}
	if o.load > 0 {
		start := time.Now()
		if err := load(ctx, c, o, stderr); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		fmt.Fprintf(stderr, "loaded %d inquiries in %s\n", o.load, time.Since(start).Round(time.Second))
	}
	fmt.Fprintf(stdout, "%-22s %7s %7s %9s %9s %9s %9s\n", "scenario", "pages", "errors", "p50", "p90", "p99", "max")
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		walk(ctx, c, o, sc, 1, o.c) // warm-up
		lat, errs, sample := walk(ctx, c, o, sc, o.walks, o.c)
		slices.Sort(lat)
		fmt.Fprintf(stdout, "%-22s %7d %7d %9s %9s %9s %9s\n", sc.name, len(lat), errs,
			ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99)), ms(pct(lat, 100)))
		if sample != "" {
			fmt.Fprintf(stderr, "%s: %s\n", sc.name, sample)
		}
	}
	return nil
}

// statuses of the loaded tenant with their share of the inquiries and their kind.
var statuses = []struct {
	name, kind string
	share      int // percent
}{{"Neu", "open", 35}, {"Kontaktiert", "open", 25}, {"Angebot erstellt", "open", 20}, {"Gewonnen", "won", 12}, {"Verloren", "lost", 8}}

// scenario is one listing walked page by page; walk i filters by filter(i).
type scenario struct {
	name   string
	sort   string
	filter func(i int) string
}

var scenarios = []scenario{
	{"-score, status", "-score", func(i int) string { return "&status=" + url.QueryEscape(statuses[i%3].name) }},
	{"-score", "-score", func(int) string { return "" }},
	{"-score, status, band", "-score", func(i int) string {
		return "&status=" + url.QueryEscape(statuses[i%3].name) + "&band=" + []string{"hot", "warm", "cold"}[i%3]
	}},
	{"-created, status", "-created", func(i int) string { return "&status=" + url.QueryEscape(statuses[i%3].name) }},
}

// walk runs walks walks of sc from clients workers and returns each page's latency.
func walk(ctx context.Context, c *benchkit.Client, o *options, sc scenario, walks, clients int) ([]time.Duration, int, string) {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	errs, sample := 0, ""
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= walks {
					return
				}
				cursor := ""
				for p := 0; p < o.pages && ctx.Err() == nil; p++ {
					path := "/api/v1/inquiries?sort=" + sc.sort + "&limit=" + strconv.Itoa(o.limit) + sc.filter(i)
					if cursor != "" {
						path += "&cursor=" + url.QueryEscape(cursor)
					}
					var page struct {
						Inquiries  []struct{ ID int64 } `json:"inquiries"`
						NextCursor *string              `json:"next_cursor"`
					}
					t0 := time.Now()
					err := c.Do(ctx, http.MethodGet, path, nil, &page)
					d := time.Since(t0)
					mu.Lock()
					if err != nil {
						errs++
						sample = err.Error()
					} else {
						lat = append(lat, d)
					}
					mu.Unlock()
					if err != nil || page.NextCursor == nil {
						break
					}
					cursor = *page.NextCursor
				}
			}
		}()
	}
	wg.Wait()
	return lat, errs, sample
}

// load creates the tenant's statuses and o.http inquiries through the server, then
// copies them in the database up to o.load.
func load(ctx context.Context, c *benchkit.Client, o *options, stderr io.Writer) error {
	for _, st := range statuses {
		err := c.Do(ctx, http.MethodPost, "/api/v1/inquiry-statuses", map[string]any{"name": st.name, "kind": st.kind}, nil)
		var se *benchkit.StatusError
		if err != nil && !(errors.As(err, &se) && se.Status == http.StatusConflict) {
			return fmt.Errorf("status %s: %w", st.name, err)
		}
	}
	n := min(o.http, o.load)
	var failed atomic.Value
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && failed.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := c.Do(ctx, http.MethodPost, "/api/v1/inquiries", inquiryBody(i), nil); err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	if o.load <= n {
		return nil
	}
	db, err := pgx.Connect(ctx, o.db)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	// The statuses' ids with the cumulative shares, for the copies' status.
	var ids []int64
	var cum []int
	acc := 0
	for _, st := range statuses {
		var id int64
		if err := db.QueryRow(ctx, "SELECT id FROM inquiry_statuses WHERE tenant_id = $1 AND name_key = lower($2)", o.tenant, st.name).Scan(&id); err != nil {
			return fmt.Errorf("status %s: %w", st.name, err)
		}
		acc += st.share
		ids, cum = append(ids, id), append(cum, acc)
	}
	var kinds []string
	for _, st := range statuses {
		kinds = append(kinds, st.kind)
	}
	for done := n; done < o.load; done += o.chunk {
		rows := min(o.chunk, o.load-done)
		t0 := time.Now()
		_, err := db.Exec(ctx, copySQL, o.tenant, rows, done, ids, cum, kinds)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		fmt.Fprintf(stderr, "copied %d of %d (%s)\n", done+rows, o.load, time.Since(t0).Round(time.Millisecond))
	}
	_, err = db.Exec(ctx, "ANALYZE inquiries")
	return err
}

// copySQL inserts $2 copies of the tenant's first inquiries (those the server wrote),
// numbered from $3: each with a score (0–100 for open statuses; 100 won, 0 lost) and
// its band, a status drawn by the shares ($4 ids, $5 cumulative percents, $6 kinds),
// its original's source, and a creation time within the last year.
const copySQL = `
WITH src AS (
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM inquiries WHERE tenant_id = $1 ORDER BY id LIMIT 10000
), n AS (SELECT count(*) AS c FROM src),
g AS (
    SELECT i, (random() * 100)::int AS pick, (random() * 100)::int AS score FROM generate_series($3::bigint, $3::bigint + $2 - 1) AS i
), s AS (
    SELECT g.i, g.score, st.id AS status_id, st.kind
    FROM g CROSS JOIN LATERAL (
        SELECT id, kind FROM unnest($4::bigint[], $5::int[], $6::text[]) AS u(id, upto, kind) WHERE g.pick < u.upto ORDER BY u.upto LIMIT 1
    ) st
)
INSERT INTO inquiries (tenant_id, title, contact_first_name, contact_family_name, contact_email, contact_phone,
    street, postal_code, city, country, status_id, source_id, expected_value, expected_currency, probability, urgency,
    follow_up_on, expected_close_on, desired_start_on, category, budget_min, budget_max, budget_currency, notes,
    lead_score, lead_band, lead_factors, rescore_at, version, touched_at, created_at, updated_at)
SELECT $1, src.title || ' #' || s.i, src.contact_first_name, src.contact_family_name, src.contact_email, src.contact_phone,
    src.street, src.postal_code, src.city, src.country, s.status_id, src.source_id, src.expected_value, src.expected_currency,
    src.probability, src.urgency, src.follow_up_on, src.expected_close_on, src.desired_start_on, src.category,
    src.budget_min, src.budget_max, src.budget_currency, src.notes,
    sc.score, CASE WHEN sc.score >= 80 THEN 'hot' WHEN sc.score >= 50 THEN 'warm' WHEN sc.score >= 20 THEN 'cold' ELSE 'unqualified' END,
    src.lead_factors, NULL, 1, t.at, t.at, t.at
FROM s
CROSS JOIN n
JOIN src ON src.k = s.i % n.c
CROSS JOIN LATERAL (SELECT CASE s.kind WHEN 'won' THEN 100 WHEN 'lost' THEN 0 ELSE s.score END AS score) sc
CROSS JOIN LATERAL (SELECT now() - random() * interval '365 days' AS at) t`

var (
	titles     = []string{"Badsanierung", "Heizungstausch", "Dachreparatur", "Fenster erneuern", "Küchenmontage", "Wärmepumpe", "Malerarbeiten", "Fliesen legen"}
	sources    = []string{"Website", "Google Ads", "MyHammer", "Empfehlung", "Facebook Ads", "Telefon"}
	firstNames = []string{"Anna", "Jürgen", "Sabine", "Thomas", "Leonie", "Mehmet", "Katrin", "Lukas"}
	family     = []string{"Schmidt", "Bauer", "Müller", "Wagner", "Öztürk", "Hoffmann", "Weiß", "Krüger", "Schäfer"}
	cities     = []string{"Berlin", "München", "Köln", "Hamburg", "Leipzig", "Stuttgart"}
	urgencies  = []string{"low", "normal", "high", "urgent"}
)

// inquiryBody is the i-th inquiry sent through the server: a web form's, with contact
// data but no customer matching (customer_id null), so loading measures nothing else.
func inquiryBody(i int) map[string]any {
	st := statuses[i%len(statuses)]
	body := map[string]any{
		"title":   titles[i%len(titles)],
		"contact": map[string]any{"first_name": firstNames[i%len(firstNames)], "family_name": family[(i/8)%len(family)], "email": fmt.Sprintf("lead%d@example.de", i), "phone": fmt.Sprintf("+49 30 %07d", i)},
		"address": map[string]any{"street": fmt.Sprintf("Hauptstraße %d", 1+i%200), "postal_code": fmt.Sprintf("%05d", 10000+i%80000), "city": cities[i%len(cities)], "country": "DE"},
		"status":  st.name, "source": sources[i%len(sources)], "urgency": urgencies[i%len(urgencies)],
		"expected_value": map[string]any{"amount": 500 + (i*977)%60000, "currency": "EUR"},
		"probability":    (i * 37) % 101,
		"category":       titles[(i/3)%len(titles)],
		"notes":          "Rückruf erbeten, Objekt Baujahr " + strconv.Itoa(1950+i%70),
		"customer_id":    nil,
	}
	if i%3 == 0 {
		body["follow_up_on"] = time.Now().AddDate(0, 0, i%60-20).Format("2006-01-02")
	}
	return body
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}
