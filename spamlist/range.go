// Package spamlist reads IP blocklists (FireHOL netsets, StopForumSpam
// exports, Spamhaus DROP, DShield-style range lists, hand-written files) and
// answers "is this address listed?" for spam_protection.
//
// It is pure: text comes in through an io.Reader, ranges and a lookup
// structure come out; fetching lists and persisting them is the job of the
// CLI and the store. Three choices shape it:
//
//   - Everything is a Range of addresses (From..To inclusive), because the
//     formats mix single addresses, CIDRs and a-b ranges, and ranges are
//     what can be merged and binary-searched.
//   - A Set is immutable sorted arrays (IPv4 as uint32, IPv6 as 128-bit
//     pairs), overlapping and adjacent ranges merged, so a lookup is one
//     binary search with no allocation, and a million ranges take a few
//     megabytes instead of a trie's pointers. Building it again is cheap
//     (well under a second for 1M ranges), so updates swap a new Set in.
//   - IPv4 is one address family, whatever its spelling: IPv4-mapped IPv6
//     (::ffff:1.2.3.4) is unmapped on the way in, and Key/AddrKey map IPv4
//     into ::ffff:0:0/96 so a database can keep both families in one
//     16-byte column whose byte order is address order.
package spamlist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
)

// Range is an inclusive range of addresses of one family. IPv4 addresses are
// 4-byte (Is4) addresses; a valid Range never holds IPv4-mapped IPv6
// addresses or zones.
type Range struct {
	From, To netip.Addr
}

// ErrInvalidRange is wrapped by the errors of ParseRange.
var ErrInvalidRange = errors.New("spamlist: invalid address or range")

// ParseRange reads one entry: an address ("192.0.2.1", "2001:db8::1"), a
// CIDR ("192.0.2.0/24", "2001:db8::/32"; host bits are ignored) or a range
// ("192.0.2.1-192.0.2.9", spaces around the dash allowed). IPv4-mapped IPv6
// is unmapped and zones are dropped. It returns an error wrapping
// ErrInvalidRange for anything else, for a range whose ends differ in family
// or whose From is after To.
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Range{}, fmt.Errorf("%w: %v", ErrInvalidRange, err)
		}
		return normalize(RangeFromPrefix(p), s)
	}
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return Range{}, fmt.Errorf("%w: %q: start: %v", ErrInvalidRange, s, err)
		}
		b, err := netip.ParseAddr(strings.TrimSpace(to))
		if err != nil {
			return Range{}, fmt.Errorf("%w: %q: end: %v", ErrInvalidRange, s, err)
		}
		return normalize(Range{From: a, To: b}, s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Range{}, fmt.Errorf("%w: %v", ErrInvalidRange, err)
	}
	return normalize(Range{From: a, To: a}, s)
}

// RangeFromPrefix returns the addresses of p (which need not be masked). An
// IPv4-mapped prefix of /96 or longer becomes the IPv4 range. The result is
// not IsValid when p is not, or when p straddles the edge of the mapped
// block (e.g. ::ffff:0:0/95).
func RangeFromPrefix(p netip.Prefix) Range {
	if !p.IsValid() {
		return Range{}
	}
	p = p.Masked()
	from := p.Addr()
	hostBits := from.BitLen() - p.Bits()
	u := toU128(from).or(u128{}.ones(hostBits))
	r := Range{From: from, To: u.addr(from.Is4())}
	if from.Is4In6() && p.Bits() >= 96 {
		r.From, r.To = r.From.Unmap(), r.To.Unmap()
	}
	return r
}

// normalize drops zones, unmaps IPv4-mapped ends and checks the range.
func normalize(r Range, in string) (Range, error) {
	r.From, r.To = r.From.WithZone(""), r.To.WithZone("")
	if r.From.Is4In6() && r.To.Is4In6() {
		r.From, r.To = r.From.Unmap(), r.To.Unmap()
	}
	switch {
	case r.From.Is4() != r.To.Is4() || r.From.Is4In6() != r.To.Is4In6():
		return Range{}, fmt.Errorf("%w: %q: the ends are of different address families", ErrInvalidRange, in)
	case r.To.Less(r.From):
		return Range{}, fmt.Errorf("%w: %q: start is after end", ErrInvalidRange, in)
	}
	return r, nil
}

// IsValid reports whether r is a range ParseRange could return: both ends
// valid, of one family, not mapped, without zones, From not after To.
func (r Range) IsValid() bool {
	if !r.From.IsValid() || !r.To.IsValid() || r.From.Zone() != "" || r.To.Zone() != "" {
		return false
	}
	if r.From.Is4In6() || r.To.Is4In6() || r.From.Is4() != r.To.Is4() {
		return false
	}
	return !r.To.Less(r.From)
}

// Contains reports whether addr (IPv4-mapped or not) is in r.
func (r Range) Contains(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	return addr.Is4() == r.From.Is4() && addr.Compare(r.From) >= 0 && addr.Compare(r.To) <= 0
}

// Prefix returns r as a CIDR when it is exactly one.
func (r Range) Prefix() (netip.Prefix, bool) {
	if !r.IsValid() {
		return netip.Prefix{}, false
	}
	from, to := toU128(r.From), toU128(r.To)
	n := from.xor(to).leadingZeros()
	host := u128{}.ones(128 - n)
	if from.and(host) != (u128{}) || to.and(host) != host {
		return netip.Prefix{}, false
	}
	if r.From.Is4() {
		n -= 96
	}
	return netip.PrefixFrom(r.From, n), true
}

// String formats r the way ParseRange reads it: the bare address for a single
// address, the CIDR when r is exactly a prefix, "from-to" otherwise.
func (r Range) String() string {
	if !r.IsValid() {
		return "invalid range"
	}
	if r.From == r.To {
		return r.From.String()
	}
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// Key returns r's ends as 16-byte big-endian strings (IPv4 mapped into
// ::ffff:0:0/96) for storage in one binary column: byte order is address
// order, so with disjoint ranges (Set.All) the range containing an address
// is found by an indexed
//
//	SELECT ... WHERE from_key <= :addr ORDER BY from_key DESC LIMIT 1
//
// followed by the check to_key >= :addr. It returns nil, nil for an invalid
// range.
func (r Range) Key() (from, to []byte) {
	if !r.IsValid() {
		return nil, nil
	}
	return AddrKey(r.From), AddrKey(r.To)
}

// AddrKey returns addr as the 16-byte big-endian string Range.Key uses (IPv4
// and IPv4-mapped IPv6 both as ::ffff:a.b.c.d, zone dropped), or nil for an
// invalid address.
func AddrKey(addr netip.Addr) []byte {
	if !addr.IsValid() {
		return nil
	}
	b := addr.As16()
	return b[:]
}

// u128 is an address as two big-endian halves; IPv4 as its mapped form.
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (u u128) addr(is4 bool) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	a := netip.AddrFrom16(b)
	if is4 {
		return a.Unmap()
	}
	return a
}

// ones returns the value with the low n bits set.
func (u128) ones(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{lo: 1<<n - 1}
	case n < 128:
		return u128{hi: 1<<(n-64) - 1, lo: ^uint64(0)}
	default:
		return u128{^uint64(0), ^uint64(0)}
	}
}

func (u u128) or(v u128) u128  { return u128{u.hi | v.hi, u.lo | v.lo} }
func (u u128) and(v u128) u128 { return u128{u.hi & v.hi, u.lo & v.lo} }
func (u u128) xor(v u128) u128 { return u128{u.hi ^ v.hi, u.lo ^ v.lo} }

func (u u128) leadingZeros() int {
	if u.hi != 0 {
		return bits.LeadingZeros64(u.hi)
	}
	return 64 + bits.LeadingZeros64(u.lo)
}

func (u u128) less(v u128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

// next returns u+1 and false when u is the last address.
func (u u128) next() (u128, bool) {
	if u.lo == ^uint64(0) {
		if u.hi == ^uint64(0) {
			return u, false
		}
		return u128{u.hi + 1, 0}, true
	}
	return u128{u.hi, u.lo + 1}, true
}
