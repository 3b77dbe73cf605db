// Command limits measures what contacthub's limits cost per request.
//
//	go run ./bench/limits limiter -redis redis://127.0.0.1:6379/0 -n 20000 -c 1,16
//	go run ./bench/limits e2e -url http://127.0.0.1:18098 -label redis -key KEY -n 20000 -c 1,16
//	go run ./bench/limits genlist -o /tmp/blocklist.txt -lines 1000000
//	go run ./bench/limits spam -db postgres://…/DB -file /tmp/blocklist.txt -n 200000 -c 1,16
//
// limiter: ratelimit.NewRedis(…).Allow on Redis over loopback, the same behind the
// server's Fallback wrapper, the Redis flood counter's Reserve, and the in-process
// memory limiter, each n calls at each concurrency, against a Redis PING baseline
// (the round trip itself). Keys go under -prefix and are deleted afterwards.
//
// e2e: GET /public/api/V1/check-credentials, n requests at each concurrency, against a
// running server; run it once against a server with CONTACTHUB_REDIS_URL and once
// without: the difference is the limiter's cost as a client sees it.
//
// genlist: a blocklist of random IPv4 /24s and single addresses and IPv6 /48s, with
// comment lines, in the format `contacthub spamlist load` reads.
//
// spam: opens the store on -db (after `contacthub spamlist load`), times a full read of
// the global list, the first spamlist.Checker.Listed (which loads it into memory), and
// then Listed for n addresses, half of them inside listed ranges.
//
// Every target must be on this machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/limits:", err)
		os.Exit(1)
	}
}

const usage = "usage: limits limiter|e2e|genlist|spam [flags] (-h for each)"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "limiter":
		return runLimiter(ctx, args[1:], stdout, stderr)
	case "e2e":
		return runE2E(ctx, args[1:], stdout, stderr)
	case "genlist":
		return runGenlist(args[1:], stdout, stderr)
	case "spam":
		return runSpam(ctx, args[1:], stdout, stderr)
	}
	return errors.New(usage)
}

// Bounds that keep a run small.
const (
	maxCalls       = 2_000_000
	maxConcurrency = 256
)

func parseClients(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxConcurrency {
			return nil, fmt.Errorf("-c %q: want a comma list of 1..%d", s, maxConcurrency)
		}
		out = append(out, n)
	}
	return out, nil
}

func checkN(n int) error {
	if n < 1 || n > maxCalls {
		return fmt.Errorf("-n %d: want 1..%d", n, maxCalls)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkLocal refuses URLs (http, redis, postgres) that point off this machine.
func checkLocal(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-%s %q: want a URL on 127.0.0.1", flagName, raw)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("-%s %q: only targets on this machine are allowed", flagName, raw)
	}
	return nil
}

// stats are the latencies of one measured run.
type stats struct {
	name    string
	clients int
	times   []time.Duration
	wall    time.Duration
	errors  int64
}

// measure runs n calls of fn spread over clients goroutines and records each call's time.
func measure(ctx context.Context, name string, clients, n int, fn func(ctx context.Context, worker, i int) error) (*stats, error) {
	st := &stats{name: name, clients: clients, times: make([]time.Duration, n)}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := fn(ctx, w, i)
				st.times[i] = time.Since(t)
				if err != nil {
					if atomic.AddInt64(&st.errors, 1) == 1 {
						once.Do(func() { firstErr = err })
					}
				}
			}
		})
	}
	wg.Wait()
	st.wall = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if st.errors > 0 {
		return st, fmt.Errorf("%s: %d of %d calls failed, first: %w", name, st.errors, n, firstErr)
	}
	return st, nil
}

func (s *stats) pct(p float64) time.Duration {
	t := slices.Clone(s.times)
	slices.Sort(t)
	return t[min(len(t)-1, int(float64(len(t))*p))]
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Nanoseconds())/1000) }

type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)}
	fmt.Fprintln(t.tw, "what\tclients\tcalls\tp50 µs\tp90 µs\tp99 µs\tmax µs\tcalls/s\t")
	return t
}

func (t *table) add(s *stats) {
	fmt.Fprintf(t.tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%.0f\t\n", s.name, s.clients, len(s.times), us(s.pct(.5)), us(s.pct(.9)),
		us(s.pct(.99)), us(s.pct(1)), float64(len(s.times))/s.wall.Seconds())
}

func (t *table) flush() { t.tw.Flush() }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("limits "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
