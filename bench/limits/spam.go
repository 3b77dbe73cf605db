package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
)

// runGenlist writes a synthetic blocklist: 70% IPv4 /24s, 25% IPv4 addresses, 5% IPv6
// /48s, random public-looking addresses, with a comment header every 10,000 lines.
func runGenlist(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("genlist", stderr)
	out := fs.String("o", "", "file to write")
	lines := fs.Int("lines", 1_000_000, "entries to write")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-o is required")
	}
	if *lines < 1 || *lines > 10_000_000 {
		return fmt.Errorf("-lines %d: want 1..10000000", *lines)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(*seed, 0xb10c))
	octet := func() int { return 1 + r.IntN(223) } // 1..223: no multicast or reserved first octets
	for i := range *lines {
		if i%10000 == 0 {
			fmt.Fprintf(w, "# synthetic blocklist, part %d\n", i/10000)
		}
		switch x := r.Float64(); {
		case x < 0.70:
			fmt.Fprintf(w, "%d.%d.%d.0/24\n", octet(), r.IntN(256), r.IntN(256))
		case x < 0.95:
			fmt.Fprintf(w, "%d.%d.%d.%d\n", octet(), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		default:
			fmt.Fprintf(w, "2%03x:%x:%x::/48\n", r.IntN(0x1000), r.IntN(0x10000), r.IntN(0x10000))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d entries to %s\n", *lines, *out)
	return f.Close()
}

// runSpam measures the store-backed spam check after `contacthub spamlist load`.
func runSpam(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("spam", stderr)
	db := fs.String("db", "", "the database the list was loaded into: postgres://… on 127.0.0.1 or an SQLite path")
	file := fs.String("file", "", "the loaded blocklist, to draw listed addresses from")
	n := fs.Int("n", 200000, "lookups per run")
	clientsFlag := fs.String("c", "1,16", "concurrencies, a comma list")
	tenant := fs.Int64("tenant", 1, "tenant id the lookups are made for (its own list is checked too)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients, err := parseClients(*clientsFlag)
	if err != nil {
		return err
	}
	if err := checkN(*n); err != nil {
		return err
	}
	if *db == "" || *file == "" {
		return fmt.Errorf("-db and -file are required")
	}
	if store.IsPostgresURL(*db) {
		if err := checkLocal("db", *db); err != nil {
			return err
		}
	}
	listed, err := sampleListed(*file, 100_000)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: *db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer st.Close()

	// The parts of a first load: streaming the rows (with ParseRange per row), then
	// building the in-memory Set.
	t := time.Now()
	var ranges []spamlist.Range
	if err := st.SpamRanges(ctx, store.GlobalSpamList, func(r spamlist.Range) { ranges = append(ranges, r) }); err != nil {
		return err
	}
	read := time.Since(t)
	t = time.Now()
	set := spamlist.NewSet(ranges)
	build := time.Since(t)
	fmt.Fprintf(stdout, "global list: %d ranges stored; read (query + ParseRange) %s; Set build %s; %d disjoint ranges in the Set\n",
		len(ranges), read.Round(time.Millisecond), build.Round(time.Millisecond), set.Len())
	ranges, set = nil, nil

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	checker := spamlist.NewChecker(st, spamlist.ServerRefresh)
	t = time.Now()
	probe := listed[0]
	scope, ok, err := checker.Listed(ctx, *tenant, probe)
	if err != nil {
		return err
	}
	first := time.Since(t)
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Fprintf(stdout, "first Checker.Listed (loads the global and the tenant's list): %s, %s listed=%v (%s); heap +%.1f MiB\n",
		first.Round(time.Millisecond), probe, ok, scope, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
	if !ok {
		return fmt.Errorf("%s is in the file but not listed: was the file loaded into -db?", probe)
	}

	r := rand.New(rand.NewPCG(7, 7))
	addrs := make([]netip.Addr, *n)
	for i := range addrs {
		if i%2 == 0 {
			addrs[i] = listed[r.IntN(len(listed))]
		} else {
			var b [4]byte
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
			addrs[i] = netip.AddrFrom4(b)
		}
	}
	tbl := newTable(stdout)
	for _, c := range clients {
		var hits int
		st, err := measure(ctx, "Checker.Listed", c, *n, func(ctx context.Context, _, i int) error {
			_, ok, err := checker.Listed(ctx, *tenant, addrs[i])
			if ok && c == 1 {
				hits++
			}
			return err
		})
		if err != nil {
			return err
		}
		tbl.add(st)
		if c == 1 {
			defer fmt.Fprintf(stdout, "listed hits at concurrency 1: %d of %d (half the addresses are drawn from the file)\n", hits, *n)
		}
	}
	tbl.flush()
	return nil
}

// sampleListed reads up to max addresses that the file lists (one inside each of the
// first max entries).
func sampleListed(path string, max int) ([]netip.Addr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []netip.Addr
	_, err = spamlist.Parse(f, func(r spamlist.Range) error {
		if len(out) < max {
			out = append(out, r.From)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists nothing", path)
	}
	return out, nil
}
