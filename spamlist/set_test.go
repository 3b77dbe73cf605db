package spamlist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func mustRanges(t testing.TB, in ...string) []Range {
	t.Helper()
	out := make([]Range, len(in))
	for i, s := range in {
		r, err := ParseRange(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func ranges(s *Set) []string {
	var out []string
	for r := range s.All() {
		out = append(out, r.String())
	}
	return out
}

func TestSetMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"disjoint stay apart", []string{"10.0.0.5", "10.0.0.1", "10.0.0.3"}, []string{"10.0.0.1", "10.0.0.3", "10.0.0.5"}},
		{"adjacent merge", []string{"10.0.0.0/25", "10.0.0.128/25"}, []string{"10.0.0.0/24"}},
		{"adjacent singles", []string{"10.0.0.1", "10.0.0.2", "10.0.0.0", "10.0.0.3"}, []string{"10.0.0.0/30"}},
		{"overlap", []string{"10.0.0.0-10.0.0.100", "10.0.0.50-10.0.0.200"}, []string{"10.0.0.0-10.0.0.200"}},
		{"contained", []string{"10.0.0.0/8", "10.1.2.0/24", "10.255.255.255"}, []string{"10.0.0.0/8"}},
		{"duplicates", []string{"1.2.3.4", "1.2.3.4", "1.2.3.4"}, []string{"1.2.3.4"}},
		{"edges of the space", []string{"255.255.255.255", "0.0.0.0", "255.255.255.254"}, []string{"0.0.0.0", "255.255.255.254/31"}},
		{"ipv6", []string{"2001:db8::/33", "2001:db8:8000::/33", "2001:db9::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
			[]string{"2001:db8::/32", "2001:db9::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
		{"families apart", []string{"10.0.0.0/8", "::ffff:10.0.0.0/104", "2001:db8::1"}, []string{"10.0.0.0/8", "2001:db8::1"}},
		{"ipv6 over the mapped block is split", []string{"::/0"},
			[]string{"0.0.0.0/0", "::-::fffe:ffff:ffff", "::1:0:0:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewSet(mustRanges(t, tt.in...))
			if got := ranges(s); !slices.Equal(got, tt.want) {
				t.Fatalf("merged = %q, want %q", got, tt.want)
			}
			if s.Len() != len(tt.want) {
				t.Fatalf("Len = %d, want %d", s.Len(), len(tt.want))
			}
		})
	}
}

func TestSetContains(t *testing.T) {
	t.Parallel()
	s := NewSet(append(mustRanges(t,
		"192.0.2.0/24", "198.51.100.7", "203.0.113.10-203.0.113.20",
		"0.0.0.0", "255.255.255.255",
		"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1-fe80::9",
	), Range{}, Range{From: netip.MustParseAddr("10.0.0.9"), To: netip.MustParseAddr("10.0.0.1")})) // invalid: ignored

	tests := map[string]bool{
		"192.0.1.255": false, "192.0.2.0": true, "192.0.2.128": true, "192.0.2.255": true, "192.0.3.0": false,
		"198.51.100.6": false, "198.51.100.7": true, "198.51.100.8": false,
		"203.0.113.9": false, "203.0.113.10": true, "203.0.113.20": true, "203.0.113.21": false,
		"0.0.0.0": true, "0.0.0.1": false, "255.255.255.254": false, "255.255.255.255": true,
		"10.0.0.5":                               false,
		"::ffff:192.0.2.9":                       true,  // IPv4-mapped is IPv4
		"::c000:209":                             false, // ::192.0.2.9, IPv4-compatible, is IPv6
		"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff": false, "2001:db8::": true, "2001:db8:1234::5": true,
		"2001:db9::": false, "fe80::": false, "fe80::1": true, "fe80::9%eth0": true, "fe80::a": false,
		"::": false,
	}
	for in, want := range tests {
		if got := s.Contains(netip.MustParseAddr(in)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", in, got, want)
		}
	}
	if s.Contains(netip.Addr{}) {
		t.Error("Contains(invalid) = true")
	}
	var nilSet *Set
	if nilSet.Contains(netip.MustParseAddr("1.2.3.4")) || nilSet.Len() != 0 || len(ranges(nilSet)) != 0 {
		t.Error("nil Set is not empty")
	}
}

// TestSetRandom compares the Set with a linear scan of the ranges it was
// built from, and checks that All yields ranges whose keys do not overlap.
func TestSetRandom(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(7, 11))
	for round := range 20 {
		var in []Range
		for range 200 {
			in = append(in, randRange(rnd, round%2 == 0))
		}
		s := NewSet(in)
		probe := func(a netip.Addr) {
			want := false
			for _, r := range in {
				if r.Contains(a) {
					want = true
					break
				}
			}
			if got := s.Contains(a); got != want {
				t.Fatalf("round %d: Contains(%v) = %v, linear scan says %v", round, a, got, want)
			}
		}
		for _, r := range in {
			for _, a := range []netip.Addr{r.From, r.To, r.From.Prev(), r.To.Next()} {
				if a.IsValid() {
					probe(a)
				}
			}
		}
		for range 500 {
			probe(randNear(rnd, in[rnd.IntN(len(in))].From))
		}

		var prevTo []byte
		for r := range s.All() {
			from, to := r.Key()
			if prevTo != nil && r.From.Is4() && bytes.Compare(from, prevTo) <= 0 {
				t.Fatalf("All: %v starts at or before the previous end", r)
			}
			prevTo = to
		}
	}
}

// randRange returns a random small range; narrow keeps them in a small part
// of the space so that many overlap.
func randRange(rnd *rand.Rand, v4 bool) Range {
	if v4 {
		from := 0x0a000000 + rnd.Uint32N(1<<16)
		to := from + rnd.Uint32N(64)
		return Range{u32Addr(from), u32Addr(to)}
	}
	from := netip.MustParseAddr("2001:db8::").As16()
	from[14], from[15] = byte(rnd.Uint32()), byte(rnd.Uint32())
	to := from
	to[15] += byte(rnd.Uint32N(8))
	if to[15] < from[15] {
		to[15] = 255
	}
	return Range{netip.AddrFrom16(from), netip.AddrFrom16(to)}
}

func randNear(rnd *rand.Rand, a netip.Addr) netip.Addr {
	for range rnd.IntN(100) {
		if rnd.IntN(2) == 0 && a.Next().IsValid() {
			a = a.Next()
		} else if a.Prev().IsValid() {
			a = a.Prev()
		}
	}
	return a
}

func u32Addr(x uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
}

func TestReadSet(t *testing.T) {
	t.Parallel()
	s, st, err := ReadSet(strings.NewReader("# list\n10.0.0.0/8\n10.1.0.0/16\nbogus\n2001:db8::/32\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || st.Ranges != 3 || st.Invalid != 1 || st.Skipped != 1 {
		t.Fatalf("Len %d, stats %+v", s.Len(), st)
	}
	if !s.Contains(netip.MustParseAddr("10.9.9.9")) || !s.Contains(netip.MustParseAddr("2001:db8::1")) {
		t.Fatal("listed address not found")
	}
}

func ExampleReadSet() {
	list := `# spammers
192.0.2.0/24
"198.51.100.7","12","2024-01-01 10:00:00"
2001:db8::/32 ; whole prefix
not-an-address
`
	set, stats, err := ReadSet(strings.NewReader(list))
	if err != nil {
		panic(err)
	}
	fmt.Println(stats.Ranges, stats.Invalid, stats.Errors[0].Line)
	for _, ip := range []string{"192.0.2.77", "198.51.100.8", "::ffff:198.51.100.7", "2001:db8:1::1"} {
		fmt.Println(ip, set.Contains(netip.MustParseAddr(ip)))
	}
	// Output:
	// 3 1 5
	// 192.0.2.77 true
	// 198.51.100.8 false
	// ::ffff:198.51.100.7 true
	// 2001:db8:1::1 true
}
