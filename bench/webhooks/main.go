// Command webhooks measures webhook delivery against a contacthub server on this
// machine, with a receiver of its own:
//
//   - post: POST contact throughput with no webhook and with one active subscription
//     (contact.created to the receiver), alternating runs in one sitting; the loss is
//     the difference of the medians.
//
//   - deliver: contacts created at -rate per second (bulk creates of -batch) for
//     -for; every event must reach the receiver. Prints the delivery rate and the
//     latency from the event's timestamp (taken in the writing transaction, so before
//     its commit) to the arrival of its first attempt.
//
//   - drain: -n contacts created as fast as the server takes them, then the rate at
//     which their deliveries arrive.
//
//     go run ./bench/webhooks -url http://127.0.0.1:18090 -key KEY -scenario all
//
// The server needs CONTACTHUB_WEBHOOK_ALLOW_PRIVATE=127.0.0.0/8,
// CONTACTHUB_WEBHOOK_ALLOW_HTTP=true and a rate limit that does not refuse the load
// (CONTACTHUB_RATE_LIMIT=10000000/m). The tool deletes the key's tenant's webhooks.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

type options struct {
	base, key, scenario, listen string
	clients, rounds, rate       int
	batch, n                    int
	serverPID                   int
	runFor, deliverFor          time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/webhooks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("webhooks", flag.ContinueOnError)
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "server under test (loopback only)")
	fs.StringVar(&o.key, "key", "", "API key")
	fs.StringVar(&o.scenario, "scenario", "all", "post, deliver, drain or all")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "the receiver's address")
	fs.IntVar(&o.clients, "c", 16, "post: concurrent clients")
	fs.DurationVar(&o.runFor, "duration", 10*time.Second, "post: length of one run")
	fs.IntVar(&o.rounds, "rounds", 3, "post: runs with and without a subscription, alternating")
	fs.IntVar(&o.rate, "rate", 1000, "deliver: events per second")
	fs.IntVar(&o.batch, "batch", 100, "deliver, drain: contacts per bulk create")
	fs.DurationVar(&o.deliverFor, "for", 20*time.Second, "deliver: how long events are written")
	fs.IntVar(&o.n, "n", 20000, "drain: events")
	fs.IntVar(&o.serverPID, "server-pid", 0, "the server's process id: print its CPU time (and PostgreSQL's, and this tool's) per unit of work")
	fs.StringVar(&pgDatabase, "pg-db", "", "with -server-pid: count only the PostgreSQL processes of this database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return err
	}
	if err := benchkit.CheckLoopback("http://" + o.listen); err != nil {
		return err
	}
	if o.runFor > 10*time.Minute || o.deliverFor > 10*time.Minute || o.n > 1_000_000 || o.rate > 100_000 {
		return errors.New("runs are bounded: -duration and -for at most 10m, -n at most 1,000,000, -rate at most 100,000")
	}
	c := &benchkit.Client{Base: o.base, Key: o.key, HTTP: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	rc, err := startReceiver(o.listen)
	if err != nil {
		return err
	}
	defer rc.close()
	if err := deleteWebhooks(ctx, c); err != nil {
		return err
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	var seq atomic.Int64
	scenarios := []string{o.scenario}
	if o.scenario == "all" {
		scenarios = []string{"post", "deliver", "drain"}
	}
	for _, sc := range scenarios {
		var err error
		switch sc {
		case "post":
			err = postScenario(ctx, out, c, rc, &o, run, &seq)
		case "deliver":
			err = deliverScenario(ctx, out, c, rc, &o, run, &seq)
		case "drain":
			err = drainScenario(ctx, out, c, rc, &o, run, &seq)
		default:
			err = fmt.Errorf("unknown scenario %q", sc)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc, err)
		}
	}
	return nil
}

// receiver answers every delivery 204 and keeps, per webhook-id, when its first
// attempt arrived and the event's timestamp.
type receiver struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	first map[string]arrival
	total atomic.Int64
}

type arrival struct{ at, event time.Time }

func startReceiver(addr string) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hook", first: map[string]arrival{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		rc.total.Add(1)
		rc.mu.Lock()
		if _, seen := rc.first[id]; !seen {
			rc.first[id] = arrival{at, eventTime(body)}
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go rc.srv.Serve(ln)
	return rc, nil
}

// eventTime is the payload's "timestamp", which the server writes second, after
// "type": read where it stands rather than by decoding the whole body, as the receiver
// shares the machine under test.
func eventTime(body []byte) time.Time {
	const key = `"timestamp":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return time.Time{}
	}
	rest := body[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, string(rest[:end]))
	return t
}

func (rc *receiver) close() { rc.srv.Close() }

// reset forgets what arrived and returns nothing.
func (rc *receiver) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.first = map[string]arrival{}
	rc.total.Store(0)
}

func (rc *receiver) arrivals() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]arrival, 0, len(rc.first))
	for _, a := range rc.first {
		out = append(out, a)
	}
	return out
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.first)
}

// waitFor waits until n distinct messages arrived, at most limit.
func (rc *receiver) waitFor(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for rc.count() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d deliveries arrived within %v", rc.count(), n, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func deleteWebhooks(ctx context.Context, c *benchkit.Client) error {
	var list struct {
		Webhooks []struct{ ID int64 } `json:"webhooks"`
	}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/webhooks", nil, &list); err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	for _, w := range list.Webhooks {
		if err := c.Do(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/webhooks/%d", w.ID), nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func subscribe(ctx context.Context, c *benchkit.Client, rc *receiver) (int64, error) {
	var w struct{ ID int64 }
	err := c.Do(ctx, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rc.url, "event_types": []string{"contact.created"}, "description": "bench"}, &w)
	return w.ID, err
}

// postScenario alternates runs of single creates without and with a subscription.
func postScenario(ctx context.Context, out io.Writer, c *benchkit.Client, rc *receiver, o *options, run string, seq *atomic.Int64) error {
	fmt.Fprintf(out, "post: POST contact, a web form's body (duplicate check email, flood_limit, spam_protection), %d clients, %v per run, %d rounds\n", o.clients, o.runFor, o.rounds)
	fmt.Fprintf(out, "%-6s %-8s %9s %9s %9s %9s\n", "round", "webhook", "requests", "req/s", "p50", "p99")
	var none, active []float64
	// A run first that counts for nothing: the first measured run would otherwise pay
	// for the server's and PostgreSQL's warming up (connections, caches, plans) and
	// make the runs without a webhook look slower than they are.
	if err := deleteWebhooks(ctx, c); err != nil {
		return err
	}
	if _, _, err := postLoad(ctx, c, o.clients, min(o.runFor, 3*time.Second), run, seq); err != nil {
		return err
	}
	for round := 1; round <= o.rounds; round++ {
		for _, with := range []bool{false, true} {
			if err := deleteWebhooks(ctx, c); err != nil {
				return err
			}
			rc.reset()
			if with {
				if _, err := subscribe(ctx, c, rc); err != nil {
					return err
				}
			}
			cpu0 := readCPU(o.serverPID)
			n, lat, err := postLoad(ctx, c, o.clients, o.runFor, run, seq)
			if err != nil {
				return err
			}
			cpu1 := readCPU(o.serverPID)
			rate := float64(n) / o.runFor.Seconds()
			label := "none"
			var tail string
			if with {
				label = "active"
				active = append(active, rate)
				// Let the deliveries of this run finish before the next run measures.
				if err := rc.waitFor(ctx, n, 5*time.Minute); err != nil {
					return err
				}
				if o.serverPID > 0 {
					tail = fmt.Sprintf("; with the deliveries left after the run: %s", readCPU(o.serverPID).Sub(cpu0).PerUnit(n))
				}
			} else {
				none = append(none, rate)
			}
			fmt.Fprintf(out, "%-6d %-8s %9d %9.0f %9s %9s\n", round, label, n, rate, ms(pct(lat, 50)), ms(pct(lat, 99)))
			if o.serverPID > 0 {
				fmt.Fprintf(out, "       during the run: %s%s\n", cpu1.Sub(cpu0).PerUnit(n), tail)
			}
		}
	}
	mn, ma := median(none), median(active)
	fmt.Fprintf(out, "post: median %.0f req/s without a webhook, %.0f with one active subscription: loss %.1f %%\n\n", mn, ma, 100*(mn-ma)/mn)
	return deleteWebhooks(ctx, c)
}

// postLoad creates contacts one per request with clients workers for d.
func postLoad(ctx context.Context, c *benchkit.Client, clients int, d time.Duration, run string, seq *atomic.Int64) (int, []time.Duration, error) {
	until := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(until) && ctx.Err() == nil {
				n := seq.Add(1)
				body := benchkit.FormBody("wh"+run, n, "email")
				start := time.Now()
				if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", body, nil); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return len(lat), lat, firstErr
}

// bulk creates n new contacts in one request.
func bulk(ctx context.Context, c *benchkit.Client, n int, run string, seq *atomic.Int64) error {
	list := make([]map[string]any, n)
	for i := range list {
		k := seq.Add(1)
		list[i] = benchkit.FormContact("wh"+run, k)
	}
	return c.Do(ctx, http.MethodPost, "/public/api/V1/contacts", map[string]any{"contacts": list, "duplicate_check_method": "none"}, nil)
}

// deliverScenario writes events at a steady rate and measures their deliveries.
func deliverScenario(ctx context.Context, out io.Writer, c *benchkit.Client, rc *receiver, o *options, run string, seq *atomic.Int64) error {
	if err := deleteWebhooks(ctx, c); err != nil {
		return err
	}
	if _, err := subscribe(ctx, c, rc); err != nil {
		return err
	}
	rc.reset()
	every := time.Duration(float64(time.Second) * float64(o.batch) / float64(o.rate))
	total := int(o.deliverFor / every * time.Duration(o.batch))
	fmt.Fprintf(out, "deliver: %d events/s (%d contacts every %v) for %v\n", o.rate, o.batch, every, o.deliverFor)
	cpu0 := readCPU(o.serverPID)
	start := time.Now()
	tick := time.NewTicker(every)
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	for sent := 0; sent < total; sent += o.batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bulk(ctx, c, o.batch, run, seq); err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	tick.Stop()
	wg.Wait()
	written := time.Since(start)
	select {
	case err := <-errc:
		return err
	default:
	}
	if err := rc.waitFor(ctx, total, 5*time.Minute); err != nil {
		return err
	}
	report(out, "deliver", rc.arrivals(), written)
	if o.serverPID > 0 {
		fmt.Fprintf(out, "deliver: writes and deliveries, per event: %s\n\n", readCPU(o.serverPID).Sub(cpu0).PerUnit(total))
	}
	return deleteWebhooks(ctx, c)
}

// drainScenario writes n events as fast as it can, then measures how fast they arrive.
func drainScenario(ctx context.Context, out io.Writer, c *benchkit.Client, rc *receiver, o *options, run string, seq *atomic.Int64) error {
	if err := deleteWebhooks(ctx, c); err != nil {
		return err
	}
	if _, err := subscribe(ctx, c, rc); err != nil {
		return err
	}
	rc.reset()
	fmt.Fprintf(out, "drain: %d events written by %d concurrent bulk creates of %d\n", o.n, 4, o.batch)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(int64(o.batch)) <= int64(o.n) {
				if err := bulk(ctx, c, o.batch, run, seq); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	written := time.Since(start)
	total := o.n / o.batch * o.batch
	if err := rc.waitFor(ctx, total, 10*time.Minute); err != nil {
		return err
	}
	report(out, "drain", rc.arrivals(), written)
	return deleteWebhooks(ctx, c)
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// report prints the delivery rate (first to last arrival) and the latencies.
func report(out io.Writer, name string, arr []arrival, written time.Duration) {
	if len(arr) == 0 {
		fmt.Fprintf(out, "%s: nothing arrived\n", name)
		return
	}
	lat := make([]time.Duration, len(arr))
	first, last := arr[0].at, arr[0].at
	firstEvent := arr[0].event
	for i, a := range arr {
		lat[i] = a.at.Sub(a.event)
		if a.at.Before(first) {
			first = a.at
		}
		if a.at.After(last) {
			last = a.at
		}
		if a.event.Before(firstEvent) {
			firstEvent = a.event
		}
	}
	slices.Sort(lat)
	span := last.Sub(first)
	fmt.Fprintf(out, "%s: %d events written in %v (%.0f/s); delivered %d from %v after the first event to %v: %.0f deliveries/s\n",
		name, len(arr), written.Round(time.Millisecond), float64(len(arr))/written.Seconds(), len(arr),
		first.Sub(firstEvent).Round(time.Millisecond), last.Sub(firstEvent).Round(time.Millisecond), float64(len(arr))/span.Seconds())
	fmt.Fprintf(out, "%s: event timestamp to first attempt: p50 %s  p90 %s  p99 %s  max %s\n\n",
		name, ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}
