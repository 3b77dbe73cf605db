package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// Scenarios.
const (
	scenarioPost = "post-contact"
	scenarioGet  = "get-contact"
	// scenarioFormContact posts a new visitor's full web form as a contact: the
	// reference of the inquiry scenarios.
	scenarioFormContact = "post-form-contact"
	// scenarioInquiry posts inquiries from known customers (matched by e-mail, bringing
	// nothing the customer lacks), scenarioInquiryNew from new people.
	scenarioInquiry    = "post-inquiry"
	scenarioInquiryNew = "post-inquiry-new"
	// scenarioForm posts a web form's whole body (benchkit.FormBody: names, mail,
	// phone, company, address, request_ip, flood_limit 5, spam_protection) with
	// varied values; scenarioFormShared the same with one phone number and one
	// street address for everyone (a company's switchboard and office); scenarioGetRef
	// is get-contact. With -db each is followed by its pgbench reference (reference.go).
	scenarioForm       = "form"
	scenarioFormShared = "form-shared"
	scenarioGetRef     = "get"
)

// referencePrefix names the pgbench reference rows of the report: "pgbench:form".
const referencePrefix = "pgbench:"

// client sends the API requests of the scenarios.
type client struct {
	benchkit.Client
	// run makes mails unique across runs and invocations.
	run string
	seq atomic.Int64
	// customers are post-inquiry's known customers, created once.
	customers []person
	// last is the id of a contact the last form run created, pool the ids the last
	// get run read: what the pgbench references copy and read.
	last atomic.Int64
	pool []int64
}

func newClient(base, key string, clients int) *client {
	c := &client{
		Client: benchkit.Client{Base: base, Key: key, HTTP: &http.Client{Transport: newTransport(clients), Timeout: 10 * time.Second}},
		run:    strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	// The form scenarios' people are numbered by seq: each invocation numbers from
	// its own start (room for 10,000 a second), so no two invocations send the same
	// person (name, phone), and the duplicate engine sees new people as new.
	c.seq.Store(time.Now().Unix() % 1_000_000 * 10_000)
	return c
}

func (c *client) checkCredentials(ctx context.Context) error {
	if err := c.Do(ctx, http.MethodGet, "/public/api/V1/check-credentials", nil, nil); err != nil {
		return fmt.Errorf("check credentials: %w", err)
	}
	return nil
}

// createContact posts a contact with a mail no earlier request used.
func (c *client) createContact(ctx context.Context, check string) (int64, error) {
	n := c.seq.Add(1)
	body, _ := json.Marshal(map[string]any{
		"contact": map[string]any{
			"mail":        fmt.Sprintf("bench-%s-%d@example.com", c.run, n),
			"first_name":  "Bench",
			"family_name": "Contact " + strconv.FormatInt(n, 10),
		},
		"duplicate_check_method": check,
	})
	var out struct{ ID int64 }
	if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", body, &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// result is one measured run.
type result struct {
	Scenario  string        `json:"scenario"`
	Clients   int           `json:"clients"`
	Requests  int           `json:"requests"`
	Errors    int           `json:"errors"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"req_per_s"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	// CPU is where the CPU went during the measured run (-server-pid); Tool is the
	// load tool's own, or pgbench's for a reference.
	CPU          *benchkit.CPUTimes `json:"cpu_ns,omitempty"`
	sampleErrors []string
	lat          []time.Duration // sorted
}

// merge adds another run of the same scenario to r.
func (r *result) merge(o *result) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Elapsed += o.Elapsed
	r.sampleErrors = append(r.sampleErrors, o.sampleErrors...)
	if r.CPU != nil && o.CPU != nil {
		r.CPU.Server += o.CPU.Server
		r.CPU.Postgres += o.CPU.Postgres
		r.CPU.Redis += o.CPU.Redis
		r.CPU.Tool += o.CPU.Tool
	}
	r.lat = append(r.lat, o.lat...)
	slices.Sort(r.lat)
	r.summarize()
}

// summarize computes the rate and the percentiles from the latencies.
func (r *result) summarize() {
	r.PerSecond = float64(len(r.lat)) / r.Elapsed.Seconds()
	r.P50, r.P90, r.P99 = percentile(r.lat, 50), percentile(r.lat, 90), percentile(r.lat, 99)
	if len(r.lat) > 0 {
		r.Max = r.lat[len(r.lat)-1]
	}
}

// runScenario prepares a scenario, warms up, then measures it with clients workers.
func runScenario(ctx context.Context, c *client, scenario string, clients int, o *options) (*result, error) {
	var op func(ctx context.Context, worker, i int) error
	// The scenarios with a pgbench reference send through the lean client (lean.go)
	// unless -client go; its connections live through the warm-up and the run.
	var lean *leanClient
	if o.client == clientLean && (scenario == scenarioForm || scenario == scenarioFormShared || scenario == scenarioGetRef) {
		var err error
		if lean, err = newLeanClient(c.Base, c.Key, clients); err != nil {
			return nil, err
		}
		defer lean.close()
	}
	switch scenario {
	case scenarioPost:
		op = func(ctx context.Context, _, _ int) error {
			_, err := c.createContact(ctx, o.check)
			return err
		}
	case scenarioFormContact:
		op = func(ctx context.Context, _, _ int) error {
			_, err := c.postFormContact(ctx, o.check)
			return err
		}
	case scenarioForm, scenarioFormShared:
		shared := scenario == scenarioFormShared
		op = func(ctx context.Context, _, _ int) error {
			return c.postForm(ctx, o.check, shared)
		}
		if lean != nil {
			op = func(_ context.Context, w, _ int) error {
				body, _ := json.Marshal(c.formBody(o.check, shared))
				return lean.post(w, body, func(answer []byte) error {
					id := idOf(answer)
					if id == 0 {
						return fmt.Errorf("answer without the contact's id: %.200s", answer)
					}
					c.last.Store(id)
					return nil
				})
			}
		}
	case scenarioInquiry:
		if len(c.customers) != o.pool {
			people, err := prepareCustomers(ctx, c, o.pool, clients)
			if err != nil {
				return nil, fmt.Errorf("create customers: %w", err)
			}
			c.customers = people
		}
		people := c.customers
		op = func(ctx context.Context, worker, i int) error {
			return c.postInquiry(ctx, people[(worker*7919+i)%len(people)], c.seq.Add(1), true)
		}
	case scenarioInquiryNew:
		op = func(ctx context.Context, _, _ int) error {
			n := c.seq.Add(1)
			return c.postInquiry(ctx, personN(c.run, n), n, false)
		}
	case scenarioGet, scenarioGetRef:
		ids, err := preparePool(ctx, c, o.pool, clients)
		if err != nil {
			return nil, fmt.Errorf("create contacts to read: %w", err)
		}
		c.pool = ids
		op = func(ctx context.Context, worker, i int) error {
			id := ids[(worker*7919+i)%len(ids)]
			return c.Do(ctx, http.MethodGet, "/public/api/V1/contact/"+strconv.FormatInt(id, 10), nil, nil)
		}
		if lean != nil && scenario == scenarioGetRef {
			reqs := make([][]byte, len(ids))
			for i, id := range ids {
				reqs[i] = leanRequest(nil, http.MethodGet, lean.host, "/public/api/V1/contact/"+strconv.FormatInt(id, 10), c.Key, nil)
			}
			op = func(_ context.Context, w, i int) error {
				return lean.send(w, reqs[(w*7919+i)%len(reqs)], nil)
			}
		}
	}
	if o.warmup > 0 {
		load(ctx, time.Now().Add(o.warmup), clients, 0, op)
	}
	var until time.Time
	if o.requests == 0 {
		until = time.Now().Add(o.duration)
	}
	stopCPU := o.measureCPU()
	start := time.Now()
	lat, errs, samples := load(ctx, until, clients, o.requests, op)
	elapsed := time.Since(start)
	cpu := stopCPU()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	slices.Sort(lat)
	r := &result{Scenario: scenario, Clients: clients, Requests: len(lat) + errs, Errors: errs, Elapsed: elapsed, sampleErrors: samples, lat: lat}
	if o.serverPID > 0 {
		r.CPU = &cpu
	}
	r.summarize()
	return r, nil
}

// formBody is the next web form's whole body for a new visitor; shared gives every
// visitor the same phone number and street address.
func (c *client) formBody(check string, shared bool) map[string]any {
	body := benchkit.FormBody(c.run, c.seq.Add(1), check)
	if shared {
		contact := body["contact"].(map[string]any)
		contact["phone"], contact["ba_street"], contact["ba_postal_code"], contact["ba_city"] = "+49 30 5550000", "Friedrichstraße 100", "10117", "Berlin"
	}
	return body
}

// postForm posts formBody through net/http.
func (c *client) postForm(ctx context.Context, check string, shared bool) error {
	body := c.formBody(check, shared)
	var out struct{ ID int64 }
	if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", body, &out); err != nil {
		return err
	}
	if out.ID == 0 {
		return fmt.Errorf("answer without the contact's id")
	}
	c.last.Store(out.ID)
	return nil
}

// referenceRun runs the pgbench reference of scenario (form, form-shared, get) at
// clients for o's duration; nil when the scenario has none or -db is not set.
func referenceRun(ctx context.Context, c *client, ref *reference, scenario string, clients int, o *options) (*result, error) {
	if ref == nil {
		return nil, nil
	}
	d := o.duration
	if o.requests > 0 {
		d = time.Second
	}
	var script string
	switch scenario {
	case scenarioForm, scenarioFormShared:
		var err error
		if script, err = ref.formScript(ctx, c.last.Load()); err != nil {
			return nil, err
		}
	case scenarioGetRef:
		if len(c.pool) == 0 {
			return nil, nil
		}
		tenant, err := ref.tenantOf(ctx, c.pool[0])
		if err != nil {
			return nil, fmt.Errorf("tenant of contact %d: %w", c.pool[0], err)
		}
		script = getScript(tenant, slices.Min(c.pool), slices.Max(c.pool))
	default:
		return nil, nil
	}
	return ref.pgbench(ctx, referencePrefix+scenario, script, clients, d, o)
}

// preparePool creates n contacts (unmeasured) for the read scenario.
func preparePool(ctx context.Context, c *client, n, clients int) ([]int64, error) {
	ids := make([]int64, n)
	var mu sync.Mutex
	var firstErr error
	load(ctx, time.Time{}, clients, n, func(ctx context.Context, _, i int) error {
		id, err := c.createContact(ctx, "none")
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		ids[i] = id
		return err
	})
	return ids, firstErr
}

// load runs op from clients workers until the time until (zero: no end) or, with
// total > 0, until total calls were made. It returns the latencies of the successful
// calls, the number of failed ones and a few of their messages. Calls in flight at
// until run to their end and count: cancelling them would make the server abandon
// their database connections, and the next run would measure the reconnects.
// Calls cut short by the end of ctx (an interrupt) are not counted.
func load(ctx context.Context, until time.Time, clients, total int, op func(ctx context.Context, worker, i int) error) ([]time.Duration, int, []string) {
	var next atomic.Int64
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	errCounts := make([]int, clients)
	var mu sync.Mutex
	var samples []string
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && (until.IsZero() || time.Now().Before(until)) {
				i := int(next.Add(1) - 1)
				if total > 0 && i >= total {
					return
				}
				t0 := time.Now()
				err := op(ctx, w, i)
				d := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					errCounts[w]++
					mu.Lock()
					if len(samples) < 5 {
						samples = append(samples, err.Error())
					}
					mu.Unlock()
					continue
				}
				lats[w] = append(lats[w], d)
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	errs := 0
	for w := range clients {
		all = append(all, lats[w]...)
		errs += errCounts[w]
	}
	return all, errs, samples
}

// measureCPU starts measuring the CPU times of the server, -db's PostgreSQL
// processes, Redis and this tool; zero without -server-pid.
func (o *options) measureCPU() (stop func() benchkit.CPUTimes) {
	if o.serverPID == 0 {
		return func() benchkit.CPUTimes { return benchkit.CPUTimes{} }
	}
	return benchkit.MeasureCPU(o.serverPID, o.pgDatabase)
}

// percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// report prints results as a fixed-width table, a row as soon as its run ends, or as
// JSON lines.
type report struct {
	w       io.Writer
	json    bool
	rows    int
	results []*result
}

const rowFormat = "%-20s %7s %9s %7s %9s %9s %9s %9s %9s\n"

func newReport(w io.Writer, asJSON bool) *report { return &report{w: w, json: asJSON} }

func (r *report) add(res *result) {
	r.results = append(r.results, res)
	if r.json {
		b, _ := json.Marshal(res)
		fmt.Fprintln(r.w, string(b))
		return
	}
	if r.rows == 0 {
		fmt.Fprintf(r.w, rowFormat, "scenario", "clients", "requests", "errors", "req/s", "p50", "p90", "p99", "max")
	}
	r.rows++
	fmt.Fprintf(r.w, rowFormat, res.Scenario, strconv.Itoa(res.Clients), strconv.Itoa(res.Requests), strconv.Itoa(res.Errors),
		strconv.FormatFloat(res.PerSecond, 'f', 0, 64), ms(res.P50), ms(res.P90), ms(res.P99), ms(res.Max))
	if c := res.CPU; c != nil && res.Requests > 0 {
		tool := "load tool"
		if strings.HasPrefix(res.Scenario, referencePrefix) {
			tool = "pgbench"
		}
		per := func(d time.Duration) string {
			return strconv.FormatFloat(float64(d.Microseconds())/1000/float64(res.Requests), 'f', 3, 64)
		}
		total := c.Total()
		fmt.Fprintf(r.w, "%-20s cpu ms/request: server %s  postgres %s  redis %s  %s %s  (%s %.0f %% of the CPU used; %.2f cores busy)\n", "",
			per(c.Server), per(c.Postgres), per(c.Redis), tool, per(c.Tool), tool, 100*float64(c.Tool)/float64(max(total, 1)), total.Seconds()/res.Elapsed.Seconds())
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// ratios prints each inquiry scenario's throughput as a share of the form contact's,
// each scenario's as a share of its pgbench reference's and form-shared's as a share
// of form's, at the same number of clients, measured in this invocation.
func (r *report) ratios() {
	pairs := [][2]string{
		{scenarioInquiry, scenarioFormContact}, {scenarioInquiryNew, scenarioFormContact},
		{scenarioForm, referencePrefix + scenarioForm}, {scenarioFormShared, referencePrefix + scenarioFormShared},
		{scenarioFormShared, scenarioForm}, {scenarioGetRef, referencePrefix + scenarioGetRef},
	}
	for _, res := range r.results {
		for _, p := range pairs {
			if p[0] != res.Scenario {
				continue
			}
			ref := p[1]
			for _, base := range r.results {
				if base.Scenario != ref || base.Clients != res.Clients || base.PerSecond == 0 {
					continue
				}
				ratio := res.PerSecond / base.PerSecond
				if r.json {
					b, _ := json.Marshal(map[string]any{"ratio": res.Scenario + " / " + base.Scenario, "clients": res.Clients, "value": ratio})
					fmt.Fprintln(r.w, string(b))
					continue
				}
				fmt.Fprintf(r.w, "%s / %s at %d clients: %.2f× (p99 %s / %s)\n", res.Scenario, base.Scenario, res.Clients, ratio, ms(res.P99), ms(base.P99))
			}
		}
	}
}
