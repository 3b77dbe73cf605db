package spamlist

import (
	"cmp"
	"encoding/binary"
	"io"
	"iter"
	"net/netip"
	"slices"
)

// Set is an immutable set of addresses built from ranges. Lookups are safe
// for concurrent use and do not allocate.
//
// Inside, each family is two parallel sorted arrays (range starts, range
// ends) of disjoint, non-adjacent ranges: Contains is a binary search over
// the starts. An IPv6 range that covers part of ::ffff:0:0/96 (say ::/0) is
// split there and the covered part is kept as IPv4: the set then blocks
// those IPv4 addresses too, exactly as a table keyed by Range.Key would, and
// All yields ranges that are disjoint in key space.
type Set struct {
	from4, to4 []uint32
	from6, to6 []u128
}

// Builder collects ranges for a Set with less memory than a []Range (8
// bytes per IPv4 range instead of 48). The zero value is ready to use.
type Builder struct {
	v4 []uint64 // from<<32 | to: sorting these sorts by start
	v6 []r6
}

type r6 struct{ from, to u128 }

func r4(from, to uint32) uint64 { return uint64(from)<<32 | uint64(to) }

// The IPv4-mapped block ::ffff:0:0/96 and its neighbours.
var (
	mapped4From   = u128{0, 0x0000_ffff_0000_0000}
	mapped4To     = u128{0, 0x0000_ffff_ffff_ffff}
	beforeMapped4 = u128{0, 0x0000_fffe_ffff_ffff}
	afterMapped4  = u128{0, 0x0001_0000_0000_0000}
)

// Add adds r; an invalid range (see Range.IsValid) is ignored.
func (b *Builder) Add(r Range) {
	if !r.IsValid() {
		return
	}
	if r.From.Is4() {
		f, t := r.From.As4(), r.To.As4()
		b.v4 = append(b.v4, r4(binary.BigEndian.Uint32(f[:]), binary.BigEndian.Uint32(t[:])))
		return
	}
	from, to := toU128(r.From), toU128(r.To)
	if to.less(mapped4From) || mapped4To.less(from) {
		b.v6 = append(b.v6, r6{from, to})
		return
	}
	// The range covers part of ::ffff:0:0/96: that part is IPv4.
	if from.less(mapped4From) {
		b.v6 = append(b.v6, r6{from, beforeMapped4})
	}
	lo, hi := mapped4From, mapped4To
	if lo.less(from) {
		lo = from
	}
	if to.less(hi) {
		hi = to
	}
	b.v4 = append(b.v4, r4(uint32(lo.lo), uint32(hi.lo)))
	if mapped4To.less(to) {
		b.v6 = append(b.v6, r6{afterMapped4, to})
	}
}

// Len reports how many ranges have been added (before merging).
func (b *Builder) Len() int { return len(b.v4) + len(b.v6) }

// Set sorts and merges the ranges added so far into a Set that does not
// share the Builder's memory. The Builder can be reused afterwards.
func (b *Builder) Set() *Set {
	s := &Set{}

	// Sort and merge in place, then copy into exactly sized arrays.
	slices.Sort(b.v4)
	v4 := b.v4[:0]
	for _, r := range b.v4 {
		if n := len(v4); n > 0 {
			last := v4[n-1]
			if r>>32 <= last&0xffff_ffff+1 { // overlapping or adjacent
				if r&0xffff_ffff > last&0xffff_ffff {
					v4[n-1] = last&^0xffff_ffff | r&0xffff_ffff
				}
				continue
			}
		}
		v4 = append(v4, r)
	}
	b.v4 = v4
	s.from4, s.to4 = make([]uint32, len(v4)), make([]uint32, len(v4))
	for i, r := range v4 {
		s.from4[i], s.to4[i] = uint32(r>>32), uint32(r)
	}

	slices.SortFunc(b.v6, func(x, y r6) int {
		if c := cmp.Compare(x.from.hi, y.from.hi); c != 0 {
			return c
		}
		return cmp.Compare(x.from.lo, y.from.lo)
	})
	v6 := b.v6[:0]
	for _, r := range b.v6 {
		if n := len(v6); n > 0 {
			last := &v6[n-1]
			if next, ok := last.to.next(); !ok || !next.less(r.from) { // overlapping or adjacent
				if last.to.less(r.to) {
					last.to = r.to
				}
				continue
			}
		}
		v6 = append(v6, r)
	}
	b.v6 = v6
	s.from6, s.to6 = make([]u128, len(v6)), make([]u128, len(v6))
	for i, r := range v6 {
		s.from6[i], s.to6[i] = r.from, r.to
	}
	return s
}

// NewSet returns the Set of the valid ranges in ranges (invalid ones are
// ignored), merged. ranges is not modified.
func NewSet(ranges []Range) *Set {
	b := Builder{v4: make([]uint64, 0, len(ranges))}
	for _, r := range ranges {
		b.Add(r)
	}
	return b.Set()
}

// Contains reports whether addr is in the set. IPv4-mapped IPv6 addresses
// are looked up as IPv4; zones are ignored; an invalid address is never
// contained. A nil Set contains nothing.
func (s *Set) Contains(addr netip.Addr) bool {
	if s == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	if addr.Is4() {
		a4 := addr.As4()
		x := binary.BigEndian.Uint32(a4[:])
		// i is the number of ranges starting at or before x.
		i, j := 0, len(s.from4)
		for i < j {
			h := int(uint(i+j) >> 1)
			if s.from4[h] <= x {
				i = h + 1
			} else {
				j = h
			}
		}
		return i > 0 && x <= s.to4[i-1]
	}
	x := toU128(addr)
	i, j := 0, len(s.from6)
	for i < j {
		h := int(uint(i+j) >> 1)
		if !x.less(s.from6[h]) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && !s.to6[i-1].less(x)
}

// Len returns the number of disjoint ranges in the set after merging (IPv4
// and IPv6 together).
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.from4) + len(s.from6)
}

// All yields the merged ranges, IPv4 in order then IPv6 in order. Their
// keys (Range.Key) never overlap, so they are the form to persist.
func (s *Set) All() iter.Seq[Range] {
	return func(yield func(Range) bool) {
		if s == nil {
			return
		}
		for i := range s.from4 {
			var f, t [4]byte
			binary.BigEndian.PutUint32(f[:], s.from4[i])
			binary.BigEndian.PutUint32(t[:], s.to4[i])
			if !yield(Range{netip.AddrFrom4(f), netip.AddrFrom4(t)}) {
				return
			}
		}
		for i := range s.from6 {
			if !yield(Range{s.from6[i].addr(false), s.to6[i].addr(false)}) {
				return
			}
		}
	}
}

// ReadSet parses a blocklist (see Parse) into a Set. It returns the parse
// statistics, and an error only when r fails.
func ReadSet(r io.Reader) (*Set, ParseStats, error) {
	var b Builder
	st, err := Parse(r, func(rg Range) error {
		b.Add(rg)
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return b.Set(), st, nil
}
