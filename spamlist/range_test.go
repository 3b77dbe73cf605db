package spamlist

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, from, to, str string
	}{
		{"192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{" 192.0.2.1 ", "192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{"192.0.2.0/24", "192.0.2.0", "192.0.2.255", "192.0.2.0/24"},
		{"192.0.2.77/24", "192.0.2.0", "192.0.2.255", "192.0.2.0/24"}, // host bits ignored
		{"192.0.2.1/32", "192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{"0.0.0.0/0", "0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"10.0.0.0-10.0.1.255", "10.0.0.0", "10.0.1.255", "10.0.0.0/23"},
		{"10.0.0.1-10.0.0.9", "10.0.0.1", "10.0.0.9", "10.0.0.1-10.0.0.9"},
		{"10.0.0.1 - 10.0.0.9", "10.0.0.1", "10.0.0.9", "10.0.0.1-10.0.0.9"},
		{"10.0.0.0-10.0.0.254", "10.0.0.0", "10.0.0.254", "10.0.0.0-10.0.0.254"},
		{"::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.0/120", "192.0.2.0", "192.0.2.255", "192.0.2.0/24"},
		{"::ffff:10.0.0.1-::ffff:10.0.0.9", "10.0.0.1", "10.0.0.9", "10.0.0.1-10.0.0.9"},
		{"2001:db8::1", "2001:db8::1", "2001:db8::1", "2001:db8::1"},
		{"2001:DB8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32"},
		{"2001:db8::/127", "2001:db8::", "2001:db8::1", "2001:db8::/127"},
		{"2001:db8::5-2001:db8::9", "2001:db8::5", "2001:db8::9", "2001:db8::5-2001:db8::9"},
		{"fe80::1%eth0", "fe80::1", "fe80::1", "fe80::1"},
		{"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRange(tt.in)
			if err != nil {
				t.Fatalf("ParseRange(%q): %v", tt.in, err)
			}
			want := Range{netip.MustParseAddr(tt.from), netip.MustParseAddr(tt.to)}
			if r != want {
				t.Fatalf("ParseRange(%q) = %v..%v, want %v..%v", tt.in, r.From, r.To, want.From, want.To)
			}
			if !r.IsValid() {
				t.Errorf("%v is not valid", r)
			}
			if r.String() != tt.str {
				t.Errorf("String() = %q, want %q", r.String(), tt.str)
			}
			if back, err := ParseRange(r.String()); err != nil || back != r {
				t.Errorf("ParseRange(String()) = %v, %v", back, err)
			}
		})
	}
}

func TestParseRangeInvalid(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "foo", "1.2.3", "1.2.3.256", "1.2.3.4/33", "2001:db8::/129", "1.2.3.4/",
		"1.2.3.9-1.2.3.1",           // backwards
		"1.2.3.4-2001:db8::1",       // mixed families
		"::fffe:0:0-::ffff:1.2.3.4", // crosses into the mapped block
		"1.2.3.4-", "-1.2.3.4", "1.2.3.4 5.6.7.8",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if r, err := ParseRange(in); !errors.Is(err, ErrInvalidRange) {
				t.Errorf("ParseRange(%q) = %v, %v; want ErrInvalidRange", in, r, err)
			}
		})
	}
}

func TestRangeValidity(t *testing.T) {
	t.Parallel()
	a4, b4 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	a6 := netip.MustParseAddr("2001:db8::1")
	tests := []struct {
		r  Range
		ok bool
	}{
		{Range{a4, b4}, true},
		{Range{a4, a4}, true},
		{Range{b4, a4}, false},
		{Range{a4, a6}, false},
		{Range{}, false},
		{Range{netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("::ffff:10.0.0.2")}, false},
		{Range{netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("fe80::2")}, false},
	}
	for _, tt := range tests {
		if got := tt.r.IsValid(); got != tt.ok {
			t.Errorf("%#v.IsValid() = %v, want %v", tt.r, got, tt.ok)
		}
		if f, to := tt.r.Key(); (f != nil) != tt.ok || (to != nil) != tt.ok {
			t.Errorf("%v.Key() = %x, %x", tt.r, f, to)
		}
	}
}

func TestRangeContains(t *testing.T) {
	t.Parallel()
	r, _ := ParseRange("10.0.0.0/8")
	for in, want := range map[string]bool{
		"10.0.0.0": true, "10.255.255.255": true, "9.255.255.255": false, "11.0.0.0": false,
		"::ffff:10.1.2.3": true, "::a01:203": false, // ::10.1.2.3 (IPv4-compatible) is IPv6
	} {
		if got := r.Contains(netip.MustParseAddr(in)); got != want {
			t.Errorf("10.0.0.0/8 contains %s = %v, want %v", in, got, want)
		}
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	r, _ := ParseRange("192.0.2.0/24")
	from, to := r.Key()
	if want := netip.MustParseAddr("::ffff:192.0.2.0").As16(); !bytes.Equal(from, want[:]) {
		t.Errorf("from key = %x, want %x", from, want)
	}
	if want := netip.MustParseAddr("::ffff:192.0.2.255").As16(); !bytes.Equal(to, want[:]) {
		t.Errorf("to key = %x, want %x", to, want)
	}
	if !bytes.Equal(AddrKey(netip.MustParseAddr("192.0.2.9")), AddrKey(netip.MustParseAddr("::ffff:192.0.2.9"))) {
		t.Error("IPv4 and IPv4-mapped keys differ")
	}
	if AddrKey(netip.Addr{}) != nil {
		t.Error("AddrKey(invalid) != nil")
	}
	// Byte order is address order, across families.
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		a, b := randAddr(rnd), randAddr(rnd)
		ka, kb := AddrKey(a), AddrKey(b)
		if want := netip.AddrFrom16([16]byte(ka)).Compare(netip.AddrFrom16([16]byte(kb))); bytes.Compare(ka, kb) != want {
			t.Fatalf("key order of %v, %v disagrees with address order", a, b)
		}
		if a.Is4() == b.Is4() && bytes.Compare(ka, kb) != a.Compare(b) {
			t.Fatalf("key order of %v, %v disagrees with address order", a, b)
		}
	}
}

// randAddr returns a random IPv4 or IPv6 address.
func randAddr(rnd *rand.Rand) netip.Addr {
	if rnd.IntN(2) == 0 {
		return netip.AddrFrom4([4]byte{byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32())})
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return netip.AddrFrom16(b)
}
