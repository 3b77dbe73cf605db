// Command fileimport measures CSV file imports (seed 003: POST /api/v1/import, map,
// start) against a running contacthub on this machine, and in the same sitting the
// PostgreSQL COPY of exactly the rows the import wrote (its contacts rows and their
// blocking-key rows, as bench/imports does for the JSON imports).
//
// It writes a CSV of -rows persons as a German Excel export has them (semicolons,
// DD.MM.YYYY, Straße and Hausnummer apart, tags; names, mail, phone, company and
// address varied), uploads it, maps it and runs it twice into the key's tenant, which
// should be empty: first in mode validate (the dry run writes no contact), then in
// mode store with the email check. It reports for each run the time from start to
// completed and rows/s, for store the ratio to COPY of the rows written, validate's
// speed-up over store, the upload's time, and the server's resident memory (-pid,
// from /proc): idle before the upload and its peak while uploading and importing,
// sampled every second.
//
//	go run ./bench/fileimport -url http://127.0.0.1:18099 -key KEY \
//	    -db 'postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' -pid $(pgrep -n contacthub) -rows 1000000
//
// Targets must be loopback addresses: this is a benchmark, not a load generator.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/fileimport:", err)
		os.Exit(1)
	}
}

type options struct {
	base, key, db string
	pid, rows     int
	skipValidate  bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &options{}
	fs := flag.NewFlagSet("fileimport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "the server (loopback only)")
	fs.StringVar(&o.key, "key", "", "API key of the (empty) tenant to import into")
	fs.StringVar(&o.db, "db", "", "the server's PostgreSQL URL, for the COPY comparison (empty: API only)")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, for its memory (0: not measured)")
	fs.IntVar(&o.rows, "rows", 1_000_000, "rows in the file")
	fs.BoolVar(&o.skipValidate, "skip-validate", false, "measure store only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.key == "":
		return errors.New("-key is required")
	case o.rows < 1 || o.rows > 5_000_000:
		return fmt.Errorf("-rows %d: want 1..5000000", o.rows)
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return err
	}
	if o.db != "" {
		if err := benchkit.CheckLoopback(o.db); err != nil {
			return err
		}
	}
	c := &benchkit.Client{Base: o.base, Key: o.key, HTTP: &http.Client{Timeout: 30 * time.Minute}}
	runID := "fi" + strconv.FormatInt(time.Now().Unix(), 36)
	path, size, err := writeFile(runID, o.rows)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	fmt.Fprintf(stderr, "file: %d rows, %.0f MB\n", o.rows, float64(size)/1e6)

	w := newWatch(o.pid)
	defer w.stop()
	idle := rss(o.pid)
	type result struct {
		upload, took time.Duration
		record       record
	}
	var validate, store result
	for _, mode := range []string{"validate", "store"} {
		if mode == "validate" && o.skipValidate {
			continue
		}
		t0 := time.Now()
		uuid, err := upload(ctx, c, path, mode)
		if err != nil {
			return err
		}
		up := time.Since(t0)
		fmt.Fprintf(stderr, "%s: uploaded in %.1f s\n", mode, up.Seconds())
		if err := c.Do(ctx, http.MethodPost, "/api/v1/import/map/"+uuid, map[string]any{"headers": mapping}, nil); err != nil {
			return fmt.Errorf("map: %w", err)
		}
		t1 := time.Now()
		if err := c.Do(ctx, http.MethodPost, "/api/v1/import/start/"+uuid, nil, nil); err != nil {
			return fmt.Errorf("start: %w", err)
		}
		rec, err := waitDone(ctx, c, uuid, stderr)
		if err != nil {
			return err
		}
		res := result{upload: up, took: time.Since(t1), record: rec}
		if rec.Status != "completed" || rec.FailedJobs != 0 {
			return fmt.Errorf("%s import %s ended %+v", mode, uuid, rec)
		}
		if mode == "validate" {
			if rec.WouldCreate == nil || *rec.WouldCreate != o.rows {
				return fmt.Errorf("validate: %+v, want %d would_create (is the tenant empty?)", rec, o.rows)
			}
			validate = res
		} else {
			if rec.Created == nil || *rec.Created != o.rows {
				return fmt.Errorf("store: %+v, want %d created (is the tenant empty?)", rec, o.rows)
			}
			store = res
		}
		fmt.Fprintf(stderr, "%s: %.1f s\n", mode, res.took.Seconds())
	}
	peak := w.stop()

	var copyRate float64
	var keyRows int
	if o.db != "" {
		k, took, err := benchkit.CopyWritten(ctx, o.db, runID+".", o.rows)
		if err != nil {
			return fmt.Errorf("COPY of the rows written: %w", err)
		}
		copyRate, keyRows = float64(o.rows)/took.Seconds(), k
	}
	storeRate := float64(o.rows) / store.took.Seconds()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rows\tfile MB\tupload s\tstore s\tstore rows/s\tCOPY rows/s\tkey rows\tx COPY written\tvalidate s\tvalidate rows/s\tstore/validate\tRSS idle MB\tRSS peak MB\tgrowth MB\t")
	ratio, copyCol, vs, vr, sv := "-", "-", "-", "-", "-"
	if copyRate > 0 {
		ratio, copyCol = fmt.Sprintf("%.2f", storeRate/copyRate), fmt.Sprintf("%.0f", copyRate)
	}
	if validate.took > 0 {
		vs, vr = fmt.Sprintf("%.1f", validate.took.Seconds()), fmt.Sprintf("%.0f", float64(o.rows)/validate.took.Seconds())
		sv = fmt.Sprintf("%.1f", store.took.Seconds()/validate.took.Seconds())
	}
	fmt.Fprintf(tw, "%d\t%.0f\t%.1f\t%.1f\t%.0f\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", o.rows, float64(size)/1e6, store.upload.Seconds(),
		store.took.Seconds(), storeRate, copyCol, keyRows, ratio, vs, vr, sv, mb(idle), mb(peak), mb(peak-idle))
	return tw.Flush()
}

// header and mapping: a German Excel export's columns and what they fill.
const header = "Anrede;Vorname;Nachname;E-Mail;Telefon;Firma;Straße;Hausnummer;PLZ;Ort;Land;Geburtsdatum;Tags\r\n"

var mapping = map[string]string{"title": "Anrede", "first_name": "Vorname", "family_name": "Nachname", "mail": "E-Mail", "phone": "Telefon",
	"company": "Firma", "ba_street": "Straße", "ba_street_number": "Hausnummer", "ba_postal_code": "PLZ", "ba_city": "Ort",
	"ba_country": "Land", "date_of_birth": "Geburtsdatum", "terms": "Tags"}

var (
	titles    = []string{"Herr", "Frau", "", "Mr.", "Ms."}
	countries = []string{"DE", "DE", "DE", "AT", "CH", "Deutschland", "GB"}
	tags      = []string{"Kunde", "Kunde, Newsletter", "Interessent", "", "Messe 2024; VIP", "Lead"}
	english   = []string{"Oliver", "Charlotte", "James", "Amelia", "Harry", "Emily"}
)

// writeFile writes the CSV of n persons of run to a temporary file: mails are
// "<run>.<i>@…", so that the rows of a run can be found (COPY of the rows written).
func writeFile(run string, n int) (string, int64, error) {
	f, err := os.CreateTemp("", "contacthub-fileimport-*.csv")
	if err != nil {
		return "", 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	bw.WriteString(header)
	for i := range n {
		p := benchkit.PersonN(run, int64(i))
		street, number, _ := strings.Cut(p.Street, " ")
		if j := strings.LastIndexByte(p.Street, ' '); j > 0 {
			street, number = p.Street[:j], p.Street[j+1:]
		}
		first := p.First
		if i%5 == 0 {
			first = english[i%len(english)]
		}
		company := p.Company
		if i%3 != 0 {
			company = ""
		}
		fmt.Fprintf(bw, "%s;%s;%s;%s.%d@example.com;%s;%s;%s;%s;%s;%s;%s;%02d.%02d.%d;%s\r\n",
			titles[i%len(titles)], first, p.Family, run, i, p.Phone, company, street, number, p.Postal, p.City,
			countries[i%len(countries)], 1+i%28, 1+i%12, 1940+i%65, quoteTags(tags[i%len(tags)]))
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return "", 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return "", 0, err
	}
	return f.Name(), fi.Size(), f.Close()
}

// quoteTags quotes a tags cell that holds the delimiter.
func quoteTags(s string) string {
	if strings.Contains(s, ";") {
		return `"` + s + `"`
	}
	return s
}

// upload streams the file as POST /api/v1/import's multipart body (type contacts,
// mode) and returns the import's uuid.
func upload(ctx context.Context, c *benchkit.Client, path, mode string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("type", "contacts")
		mw.WriteField("mode", mode)
		part, err := mw.CreateFormFile("file", "kunden.csv")
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/api/v1/import", pr)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("upload: %d %s", resp.StatusCode, body)
	}
	i := strings.Index(string(body), `"uuid":"`)
	if i < 0 {
		return "", fmt.Errorf("upload: no uuid in %s", body)
	}
	rest := string(body[i+len(`"uuid":"`):])
	return rest[:strings.IndexByte(rest, '"')], nil
}

type record struct {
	Status        string `json:"status"`
	TotalJobs     int    `json:"total_jobs"`
	JobsRemaining int    `json:"jobs_remaining"`
	FailedJobs    int    `json:"failed_jobs"`
	Created       *int   `json:"created"`
	WouldCreate   *int   `json:"would_create"`
	Reason        string `json:"reason"`
}

func waitDone(ctx context.Context, c *benchkit.Client, uuid string, log io.Writer) (record, error) {
	deadline := time.Now().Add(3 * time.Hour)
	last := time.Now()
	for {
		var r record
		if err := c.Do(ctx, http.MethodGet, "/api/v1/import/"+uuid, nil, &r); err != nil {
			return r, err
		}
		if r.Status != "processing" {
			return r, nil
		}
		if time.Since(last) > 30*time.Second {
			fmt.Fprintf(log, "  %d of %d rows\n", r.TotalJobs-r.JobsRemaining, r.TotalJobs)
			last = time.Now()
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("import %s still processing after 3 hours", uuid)
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// watch samples the server's memory every second until stopped; stop returns the
// peak (and may be called again).
type watch struct {
	once sync.Once
	done chan struct{}
	peak chan int64
	max  int64
}

func newWatch(pid int) *watch {
	w := &watch{done: make(chan struct{}), peak: make(chan int64, 1)}
	go func() {
		var max int64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if r := rss(pid); r > max {
				max = r
			}
			select {
			case <-w.done:
				w.peak <- max
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *watch) stop() int64 {
	w.once.Do(func() {
		close(w.done)
		w.max = <-w.peak
	})
	return w.max
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

func mb(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}
