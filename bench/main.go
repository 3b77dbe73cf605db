// Command bench is contacthub's load tool: it measures POST /public/api/V1/contact (new
// contacts with unique mails, duplicate check `email` by default) and GET
// /public/api/V1/contact/{id} at given concurrencies against a running server on this
// machine, and prints one table row per run (or JSON lines with -json) for a person to
// read and a machine to compare.
//
//	go run ./bench -url http://127.0.0.1:18082 -key KEY -scenario all -c 1,16 -duration 20s
//
// Runs are bounded in time (-duration, at most 10m) or count (-n), and the target must be
// a loopback address: this is a benchmark, not a load generator for other people's
// servers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// Limits that keep a run bounded.
const (
	maxDuration    = 10 * time.Minute
	maxRequests    = 10_000_000
	maxConcurrency = 1024
)

type options struct {
	base      string
	key       string
	scenarios []string
	clients   []int
	duration  time.Duration
	requests  int
	warmup    time.Duration
	check     string
	pool      int
	rounds    int
	json      bool
	db        string
	// serverPID, when set, makes each run print where the CPU went (server, the
	// database's PostgreSQL processes, the load tool or pgbench); pgDatabase is -db's
	// database name.
	serverPID  int
	pgDatabase string
	// client is what form, form-shared and get send with: clientLean or clientGo.
	client string
}

// The load tool's HTTP clients for the scenarios with a pgbench reference.
const (
	clientLean = "lean" // lean.go: prebuilt requests on keep-alive connections
	clientGo   = "go"   // net/http
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	client := newClient(opts.base, opts.key, maxInts(opts.clients))
	if err := client.checkCredentials(ctx); err != nil {
		return err
	}
	report := newReport(stdout, opts.json)
	var ref *reference
	if opts.db != "" {
		ref = &reference{db: opts.db}
	}
	// With rounds, the scenarios run in turn (A B A B …) and each one's runs are
	// reported together: load that changes meanwhile weighs on all alike.
	var merged []*result
	for round := range opts.rounds {
		i := 0
		for _, sc := range opts.scenarios {
			for _, c := range opts.clients {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				res, err := runScenario(ctx, client, sc, c, opts)
				if err != nil {
					return fmt.Errorf("%s at %d clients: %w", sc, c, err)
				}
				logErrors(stderr, res)
				refRes, err := referenceRun(ctx, client, ref, sc, c, opts)
				if err != nil {
					return fmt.Errorf("%s at %d clients, the pgbench reference: %w", sc, c, err)
				}
				for _, res := range []*result{res, refRes} {
					if res == nil {
						continue
					}
					if round == 0 {
						merged = append(merged, res)
					} else {
						merged[i].merge(res)
					}
					i++
					if opts.rounds == 1 {
						report.add(res)
					}
				}
			}
		}
	}
	if opts.rounds > 1 {
		for _, res := range merged {
			report.add(res)
		}
	}
	report.ratios()
	return nil
}

// logErrors prints a few of a run's errors.
func logErrors(stderr io.Writer, res *result) {
	for _, e := range res.sampleErrors {
		fmt.Fprintf(stderr, "bench: %s c=%d error: %s\n", res.Scenario, res.Clients, e)
		if strings.Contains(e, ": 429 ") {
			fmt.Fprintln(stderr, "bench: the key's request quota is too low for a benchmark: start the server with CONTACTHUB_RATE_LIMIT=1000000/s or run contacthub keys update ID --tenant T --rate 1000000/s")
			break
		}
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenario, clients string
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of a contacthub on this machine")
	fs.StringVar(&o.key, "key", os.Getenv("CONTACTHUB_BENCH_KEY"), "API key (default $CONTACTHUB_BENCH_KEY)")
	fs.StringVar(&scenario, "scenario", "all", "post-contact, get-contact, post-form-contact, post-inquiry, post-inquiry-new, form, form-shared, get; all = post-contact,get-contact; inquiries = post-form-contact and the inquiries; speed = form,form-shared,get (comma list allowed)")
	fs.StringVar(&o.db, "db", "", "the server's PostgreSQL database (postgres://… on this machine): form, form-shared and get are each followed by their pgbench reference (pgbench must be installed)")
	fs.StringVar(&clients, "c", "16", "concurrent clients; a comma list runs each, e.g. 1,16")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per run (at most 10m); ignored with -n")
	fs.IntVar(&o.requests, "n", 0, "requests per run instead of -duration")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each run")
	fs.StringVar(&o.check, "check", "email", "duplicate_check_method for post-contact and post-form-contact: email, auto or none")
	fs.IntVar(&o.pool, "pool", 1000, "contacts created before get-contact (read round-robin) and customers before post-inquiry")
	fs.IntVar(&o.rounds, "rounds", 1, "run the scenarios this many times in turn and report each one's runs together")
	fs.BoolVar(&o.json, "json", false, "print JSON lines instead of a table")
	fs.StringVar(&o.client, "client", clientLean, "what form, form-shared and get send with: lean (a minimal HTTP/1.1 keep-alive client, one request in flight per connection, cheap beside pgbench's C client) or go (net/http, as the other scenarios)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "the server's process id: print each run's CPU time per request of the server, of -db's PostgreSQL processes and of the load tool (pgbench for the references), read from /proc")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.key == "" {
		return nil, errors.New("-key is required")
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return nil, err
	}
	o.base = strings.TrimRight(o.base, "/")
	for s := range strings.SplitSeq(scenario, ",") {
		switch s = strings.TrimSpace(s); s {
		case "all":
			o.scenarios = append(o.scenarios, scenarioPost, scenarioGet)
		case "inquiries":
			o.scenarios = append(o.scenarios, scenarioFormContact, scenarioInquiry, scenarioInquiryNew)
		case "speed":
			o.scenarios = append(o.scenarios, scenarioForm, scenarioFormShared, scenarioGetRef)
		case scenarioPost, scenarioGet, scenarioFormContact, scenarioInquiry, scenarioInquiryNew, scenarioForm, scenarioFormShared, scenarioGetRef:
			o.scenarios = append(o.scenarios, s)
		default:
			return nil, fmt.Errorf("-scenario %q: want post-contact, get-contact, post-form-contact, post-inquiry, post-inquiry-new, form, form-shared, get, all (the first two), inquiries (post-form-contact and the inquiries) or speed (form, form-shared, get)", s)
		}
	}
	for c := range strings.SplitSeq(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > maxConcurrency {
			return nil, fmt.Errorf("-c %q: want 1..%d", c, maxConcurrency)
		}
		o.clients = append(o.clients, n)
	}
	switch {
	case o.requests < 0 || o.requests > maxRequests:
		return nil, fmt.Errorf("-n %d: want 0..%d", o.requests, maxRequests)
	case o.requests == 0 && (o.duration <= 0 || o.duration > maxDuration):
		return nil, fmt.Errorf("-duration %s: want more than 0 and at most %s", o.duration, maxDuration)
	case o.warmup < 0 || o.warmup > time.Minute:
		return nil, fmt.Errorf("-warmup %s: want 0..1m", o.warmup)
	case o.pool < 1 || o.pool > 100_000:
		return nil, fmt.Errorf("-pool %d: want 1..100000", o.pool)
	case o.rounds < 1 || o.rounds > 100:
		return nil, fmt.Errorf("-rounds %d: want 1..100", o.rounds)
	}
	if o.db != "" {
		if err := benchkit.CheckLoopback(o.db); err != nil {
			return nil, fmt.Errorf("-db: %w", err)
		}
		if u, err := url.Parse(o.db); err == nil {
			o.pgDatabase = strings.TrimPrefix(u.Path, "/")
		}
	}
	if o.client != clientLean && o.client != clientGo {
		return nil, fmt.Errorf("-client %q: want lean or go", o.client)
	}
	switch o.check {
	case "email", "auto", "none":
	default:
		return nil, fmt.Errorf("-check %q: want email, auto or none", o.check)
	}
	return &o, nil
}

func maxInts(l []int) int {
	m := 1
	for _, n := range l {
		m = max(m, n)
	}
	return m
}

// newTransport reuses connections: one idle connection kept per client.
func newTransport(clients int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
