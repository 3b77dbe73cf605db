// Command imports measures JSON imports (POST /api/v1/imports, seed 000) against a
// running contacthub on this machine, and in the same sitting the PostgreSQL COPY of
// exactly the rows the import wrote (its contacts rows and their blocking-key rows,
// exported from the server's tables, copied into fresh tables LIKE them), as
// bench/bulk -copy-written does for bulk create), and that COPY with the import's
// contact.created outbox events added, which the import writes as well.
//
// It reports, for one import of -records persons (web-form values: names, mail,
// phone, company, an address) with deduplication email into the key's tenant: the time
// from the POST to status completed, records/s and their ratio to COPY; the server's
// resident memory before and its peak during the import (-pid, read from /proc); and
// the latency of -probes further POSTs of the same size (each import cancelled at once,
// so that only accepting is measured): p50, p99, max.
//
//	go run ./bench/imports -url http://127.0.0.1:18099 -key KEY \
//	    -db 'postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' -pid $(pgrep -n contacthub)
//
// Targets must be loopback addresses: this is a benchmark, not a load generator.
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
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

type options struct {
	base, key, db string
	pid           int
	records       int
	probes        int
	copyRuns      int
	// fill and tenant: make the tenant hold fill contacts before measuring.
	fill, tenant int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/imports:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &options{}
	fs := flag.NewFlagSet("imports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "the server (loopback only)")
	fs.StringVar(&o.key, "key", "", "API key of the tenant to import into")
	fs.StringVar(&o.db, "db", "", "the server's PostgreSQL URL, for the COPY comparison (empty: API only)")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, for its memory (0: not measured)")
	fs.IntVar(&o.records, "records", 10000, "persons in the measured import (at most 10000)")
	fs.IntVar(&o.probes, "probes", 20, "further POSTs of the same size to time acceptance (cancelled at once)")
	fs.IntVar(&o.copyRuns, "copy-runs", 2, "COPY runs averaged for the ratio")
	fs.IntVar(&o.fill, "fill", 0, "first fill the tenant (-tenant, the key's) with this many contacts and their mail keys, in SQL (needs -db)")
	fs.IntVar(&o.tenant, "tenant", 0, "the key's tenant id, for -fill")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.key == "":
		return errors.New("-key is required")
	case o.records < 1 || o.records > 10000:
		return fmt.Errorf("-records %d: want 1..10000", o.records)
	case o.probes < 0 || o.probes > 200:
		return fmt.Errorf("-probes %d: want 0..200", o.probes)
	case o.copyRuns < 1 || o.copyRuns > 10:
		return fmt.Errorf("-copy-runs %d: want 1..10", o.copyRuns)
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return err
	}
	if o.db != "" {
		if err := benchkit.CheckLoopback(o.db); err != nil {
			return err
		}
	}
	if o.fill > 0 {
		if o.db == "" || o.tenant == 0 || o.fill > 2_000_000 {
			return errors.New("-fill needs -db and -tenant, and at most 2000000")
		}
		if err := fill(ctx, o.db, o.tenant, o.fill, stderr); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
	}
	c := &benchkit.Client{Base: o.base, Key: o.key, HTTP: &http.Client{Timeout: 5 * time.Minute}}
	runID := "imp" + strconv.FormatInt(time.Now().Unix(), 36)

	// The measured import.
	rssBefore := rss(o.pid)
	body := importBody(runID, o.records)
	peak := make(chan int64, 1)
	stopWatch := watchRSS(o.pid, peak)
	start := time.Now()
	id, err := post(ctx, c, body)
	if err != nil {
		stopWatch()
		return err
	}
	accepted := time.Since(start)
	st, err := waitDone(ctx, c, id)
	elapsed := time.Since(start)
	stopWatch()
	rssPeak := <-peak
	if err != nil {
		return err
	}
	if st.Status != "completed" || st.Created != o.records {
		return fmt.Errorf("import %d ended %+v, want %d created", id, st, o.records)
	}
	rate := float64(o.records) / elapsed.Seconds()

	// COPY of the rows it wrote.
	// copyRate: contacts and key rows, as the bulk and file benchmarks; allRate adds
	// the contact.created events the import writes too (the issue's "COPY of the rows
	// the import writes"). Both are printed.
	var copyRate, allRate float64
	var keyRows int
	if o.db != "" {
		for range o.copyRuns {
			k, took, err := benchkit.CopyWritten(ctx, o.db, runID+".", o.records)
			if err != nil {
				return fmt.Errorf("COPY of the rows written: %w", err)
			}
			etook, err := benchkit.CopyWrittenEvents(ctx, o.db, runID+".", o.records)
			if err != nil {
				return fmt.Errorf("COPY of the events written: %w", err)
			}
			copyRate += float64(o.records) / took.Seconds() / float64(o.copyRuns)
			allRate += float64(o.records) / (took + etook).Seconds() / float64(o.copyRuns)
			keyRows = k
		}
	}

	// Acceptance latency of further imports of the same size.
	var lat []time.Duration
	for i := range o.probes {
		b := importBody(fmt.Sprintf("%s-p%d", runID, i), o.records)
		t0 := time.Now()
		pid, err := post(ctx, c, b)
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		// Cancel at once; one that finished already answers 409, which is fine.
		_ = c.Do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/imports/%d/cancel", pid), nil, nil)
	}
	slices.Sort(lat)

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "records\tPOST ms\tPOST→completed s\trecords/s\tCOPY rows/s\tkey rows\tx COPY written\tCOPY+events rows/s\tx COPY+events\tRSS before MB\tRSS peak MB\tgrowth MB\t")
	ratio, copyCol, allRatio, allCol := "-", "-", "-", "-"
	if copyRate > 0 {
		ratio, copyCol = fmt.Sprintf("%.2f", rate/copyRate), fmt.Sprintf("%.0f", copyRate)
		allRatio, allCol = fmt.Sprintf("%.2f", rate/allRate), fmt.Sprintf("%.0f", allRate)
	}
	fmt.Fprintf(tw, "%d\t%.0f\t%.2f\t%.0f\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", o.records, ms(accepted), elapsed.Seconds(), rate, copyCol, keyRows, ratio, allCol, allRatio,
		mb(rssBefore), mb(rssPeak), mb(rssPeak-rssBefore))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(lat) > 0 {
		fmt.Fprintf(stdout, "\nPOST /api/v1/imports with %d records, %d calls: p50 %.0f ms, p99 %.0f ms, max %.0f ms (body %.1f MB)\n",
			o.records, len(lat), ms(pct(lat, 50)), ms(pct(lat, 99)), ms(lat[len(lat)-1]), float64(len(body))/1e6)
	}
	return nil
}

// importBody is seed 000's body of n persons with web-form values; run keeps the
// mails of runs apart ("<run>.<n>@…", so the rows of a run can be found).
func importBody(run string, n int) []byte {
	persons := make([]map[string]any, n)
	for i := range persons {
		f := benchkit.FormContact(run, int64(i))
		persons[i] = map[string]any{
			"contact_type": "Customer", "entity_type": "Person",
			"firstname": f["first_name"], "lastname": f["family_name"], "company_name": f["company"],
			"email": fmt.Sprintf("%s.%d@example.com", run, i), "phone": f["phone"],
			"addresses": []map[string]any{{"external_id": fmt.Sprintf("A-%d", i), "street": f["ba_street"], "city": f["ba_city"],
				"postal_code": f["ba_postal_code"], "country": "DEU"}},
			"advertisement_consent": i%2 == 0, "preferred_language": "de", "source": "CRM",
			"external_id": fmt.Sprintf("%s-%d", run, i),
		}
	}
	b, _ := json.Marshal(map[string]any{"entity": "persons", "data": persons, "options": map[string]any{"deduplication": "email"}})
	return b
}

func post(ctx context.Context, c *benchkit.Client, body []byte) (int64, error) {
	var out struct {
		ImportID int64 `json:"import_id"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/imports", body, &out); err != nil {
		return 0, err
	}
	return out.ImportID, nil
}

type status struct {
	Status  string `json:"status"`
	Created int    `json:"created"`
	Errors  int    `json:"error_count"`
	Skipped int    `json:"skipped"`
}

func waitDone(ctx context.Context, c *benchkit.Client, id int64) (status, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var s status
		if err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/status", id), nil, &s); err != nil {
			return s, err
		}
		if s.Status != "processing" {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("import %d still processing after 10 minutes", id)
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fill gives the tenant n contacts (web-form-like values, unique mails
// fill.<i>@example.org) with their mail keys ("e:<mail>", as the email check looks them
// up), written in SQL in chunks, then analyzed; contacts already there count.
func fill(ctx context.Context, db string, tenant, n int, log io.Writer) error {
	const chunk = 200_000
	for from := 0; from < n; from += chunk {
		to := min(from+chunk, n) - 1
		fmt.Fprintf(log, "fill: contacts %d..%d\n", from, to)
		err := benchkit.PSQL(ctx, db, fmt.Sprintf(`WITH c AS (INSERT INTO contacts (tenant_id, first_name, family_name, company, mail, mail_key, phone, ba_street, ba_city, ba_postal_code, ba_country, custom_fields, created_at, updated_at)
SELECT %d, (ARRAY['Anna','Jonas','Lea','Lukas','Mia','Finn','Emma','Paul'])[1 + i %% 8], (ARRAY['Schmidt','Müller','Weber','Fischer','Wagner','Becker'])[1 + i %% 6],
 'Firma ' || (i %% 997) || ' GmbH', 'fill.' || i || '@example.org', 'fill.' || i || '@example.org', '+49 30 ' || lpad((1000000 + i)::text, 7, '0'),
 'Hauptstraße ' || (1 + i %% 180), 'Berlin', lpad((10000 + i %% 89999)::text, 5, '0'), 'DE', '{}', now(), now()
FROM generate_series(%d, %d) AS i
WHERE NOT EXISTS (SELECT FROM contacts WHERE tenant_id = %d AND mail_key = 'fill.' || i || '@example.org')
RETURNING id, mail_key)
INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT %d, 'e:' || mail_key, id FROM c`, tenant, from, to, tenant, tenant))
		if err != nil {
			return err
		}
	}
	return benchkit.PSQL(ctx, db, "ANALYZE contacts", "ANALYZE contact_keys")
}

// rss is a process's resident memory in bytes (0 when not measured).
func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// watchRSS samples the process's memory every 20 ms until stop; the peak is sent on
// peak.
func watchRSS(pid int, peak chan<- int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		var max int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rss(pid); r > max {
				max = r
			}
			select {
			case <-done:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}
