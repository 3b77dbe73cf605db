// Command scale measures `auto` duplicate checks on a big tenant: it loads a PostgreSQL
// tenant with synthetic contacts and their blocking keys, then ingests new records one
// at a time over HTTP and reports the time per ingest and the candidate-set sizes.
//
//	go run ./bench/scale -db postgres://postgres@127.0.0.1:5432/DB -url http://127.0.0.1:18097 \
//	    -key KEY -tenant 1 -load 1000000
//	go run ./bench/scale -db … -url … -key … -tenant 1 -ingest 2000 -explain
//	go run ./bench/scale -db … -url … -key … -tenant 1 -scan review
//
// Loading (-load N): people are generated deterministically from -seed (German and
// English names, postal codes and towns, streets, dates of birth, some mails and
// phones). The first -http-batch people go through the server's own batch write path
// (POST /public/api/V1/contacts, check none); the tool then reads back the blocking keys
// the server stored for them and stops unless they equal the keys it computes itself
// (dedupe.Engine.BlockingKeys + "e:"+EmailKey, as store.storeKeys). The rest goes in
// with COPY, in chunks, ids taken from the contacts sequence, foreign-key triggers off
// for the loading session (session_replication_role = replica; the rows are consistent
// by construction); then VACUUM ANALYZE. The id of every person is written to -ids.
//
// Ingesting (-ingest K): K records, -dup-share of them near-duplicates of loaded people
// (typos, umlauts spelt out, abbreviated streets, exchanged day and month, fields left
// out) and the rest new people, are posted one at a time (or by -c clients) to the
// native POST /api/v1/contacts with auto and update_add. It reports the time per ingest
// (client-side, loopback), how many near-duplicates merged into their original and how
// many new people merged into anyone, and the candidate-set size of each ingest: the
// contacts indexed under the probe's keys, counted afterwards in contact_keys.
//
// Scanning (-scan review|merge): a tenant-wide duplicate scan (POST
// /api/v1/duplicates/scan) followed to its end: contacts scanned per second and what it
// found.
//
// Targets must be on this machine (loopback URL, database host 127.0.0.1/localhost).
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
	"github.com/contacthub/contacthub/dedupe"
)

type options struct {
	db, base, key, ids string
	tenant             int64
	load, ingest       int
	httpBatch, chunk   int
	clients, warmup    int
	round              int
	seed               uint64
	dupShare           float64
	explain, noAnalyze bool
	region             string
	scan               string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/scale:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.db, "db", "", "postgres:// URL of the server's database (on this machine)")
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of the contacthub serving that database")
	fs.StringVar(&o.key, "key", os.Getenv("CONTACTHUB_BENCH_KEY"), "API key of -tenant (default $CONTACTHUB_BENCH_KEY)")
	fs.Int64Var(&o.tenant, "tenant", 1, "tenant id that -key belongs to")
	fs.IntVar(&o.load, "load", 0, "people to load (0: load nothing)")
	fs.IntVar(&o.ingest, "ingest", 0, "records to ingest one at a time with auto (0: none)")
	fs.IntVar(&o.httpBatch, "http-batch", 1000, "people loaded through POST /public/api/V1/contacts before COPY, to check the keys")
	fs.IntVar(&o.chunk, "chunk", 20000, "people per COPY transaction")
	fs.IntVar(&o.clients, "c", 1, "concurrent clients for -ingest")
	fs.IntVar(&o.round, "round", 1, "ingest round: each round draws other new people and near-duplicates, so repeated -ingest runs do not meet their own earlier records")
	fs.IntVar(&o.warmup, "warmup", 50, "new people ingested before measuring (connections, caches), not counted")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic population")
	fs.Float64Var(&o.dupShare, "dup-share", 0.3, "share of ingested records that are near-duplicates of loaded people")
	fs.StringVar(&o.ids, "ids", "/tmp/chbench-scale-ids.bin", "file mapping person index to contact id (written by -load, read by -ingest)")
	fs.BoolVar(&o.noAnalyze, "no-analyze", false, "skip VACUUM ANALYZE after -load: the tenant then grew after the planner's last statistics, as a tenant that imports between two autovacuum analyses")
	fs.BoolVar(&o.explain, "explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the candidate lookup for a few probes")
	fs.StringVar(&o.region, "region", "DE", "the server's CONTACTHUB_DEFAULT_REGION (phone keys depend on it)")
	fs.StringVar(&o.scan, "scan", "", "after loading and ingesting, scan the whole tenant for duplicates (review or merge) and time it")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.db == "":
		return nil, errors.New("-db is required")
	case o.scan != "" && o.scan != "review" && o.scan != "merge":
		return nil, fmt.Errorf("-scan %q: want review or merge", o.scan)
	case o.key == "" && (o.load > 0 || o.ingest > 0 || o.scan != ""):
		return nil, errors.New("-key is required")
	case o.load < 0 || o.load > 5_000_000:
		return nil, fmt.Errorf("-load %d: want 0..5000000", o.load)
	case o.ingest < 0 || o.ingest > 100_000:
		return nil, fmt.Errorf("-ingest %d: want 0..100000", o.ingest)
	case o.httpBatch < 1 || o.httpBatch > 1000:
		return nil, fmt.Errorf("-http-batch %d: want 1..1000", o.httpBatch)
	case o.chunk < 1000 || o.chunk > 200_000:
		return nil, fmt.Errorf("-chunk %d: want 1000..200000", o.chunk)
	case o.round < 1 || o.round > 100:
		return nil, fmt.Errorf("-round %d: want 1..100", o.round)
	case o.warmup < 0 || o.warmup > 10_000:
		return nil, fmt.Errorf("-warmup %d: want 0..10000", o.warmup)
	case o.clients < 1 || o.clients > 64:
		return nil, fmt.Errorf("-c %d: want 1..64", o.clients)
	case o.dupShare < 0 || o.dupShare > 1:
		return nil, fmt.Errorf("-dup-share %g: want 0..1", o.dupShare)
	}
	if err := benchkit.CheckServer(o.base); err != nil {
		return nil, err
	}
	if err := checkLocalDB(o.db); err != nil {
		return nil, err
	}
	o.base = strings.TrimRight(o.base, "/")
	return &o, nil
}

func checkLocalDB(db string) error {
	u, err := url.Parse(db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("-db %q: want postgres://…", db)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("-db %q: only a database on this machine is allowed", db)
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	eng := dedupe.New(dedupe.Config{DefaultRegion: o.region})
	w := newWorld(o.seed)
	db, err := openDB(ctx, o.db)
	if err != nil {
		return err
	}
	defer db.Close(context.Background())
	api := newClient(o.base, o.key, o.clients)
	if o.load > 0 {
		if err := load(ctx, o, eng, w, db, api, stdout); err != nil {
			return err
		}
	}
	if o.ingest > 0 {
		if err := ingest(ctx, o, eng, w, db, api, stdout, stderr); err != nil {
			return err
		}
	}
	if o.scan != "" {
		return scan(ctx, o, api, stdout)
	}
	return nil
}

// storeKeys are the keys the server indexes a contact under: store.storeKeys.
func storeKeys(eng *dedupe.Engine, p person) []string {
	keys := eng.BlockingKeys(dedupe.Record{
		FirstName: p.first, FamilyName: p.family, Mail: p.mail, Phone: p.phone,
		Street: p.street, City: p.city, PostalCode: p.postal, Country: p.country, DateOfBirth: p.dob,
	})
	if k := eng.EmailKey(p.mail); k != "" {
		keys = append(keys, "e:"+k)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func writeIDs(path string, ids []int64) error {
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(id))
	}
	return os.WriteFile(path, b, 0o644)
}

func readIDs(path string) ([]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read -ids (written by -load): %w", err)
	}
	ids := make([]int64, len(b)/8)
	for i := range ids {
		ids[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return ids, nil
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
