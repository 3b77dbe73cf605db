package spamlist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

const benchRanges = 1_000_000

// randomRanges returns n random IPv4 ranges (prefixes /16 to /32) and, one
// in ten, IPv6 /48 to /128 prefixes: a blocklist several times the size of
// FireHOL level 1 plus StopForumSpam.
func randomRanges(n int) []Range {
	rnd := rand.New(rand.NewPCG(1, 1))
	out := make([]Range, n)
	for i := range out {
		if i%10 == 9 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			for j := 2; j < 16; j++ {
				b[j] = byte(rnd.Uint32())
			}
			out[i] = RangeFromPrefix(netip.PrefixFrom(netip.AddrFrom16(b), 48+rnd.IntN(81)))
			continue
		}
		out[i] = RangeFromPrefix(netip.PrefixFrom(u32Addr(rnd.Uint32()), 16+rnd.IntN(17)))
	}
	return out
}

func BenchmarkNewSet1M(b *testing.B) {
	in := randomRanges(benchRanges)
	b.ReportAllocs()
	for b.Loop() {
		NewSet(in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/build")
}

func BenchmarkSetContains1M(b *testing.B) {
	s := NewSet(randomRanges(benchRanges))
	rnd := rand.New(rand.NewPCG(2, 2))
	probes4 := make([]netip.Addr, 1<<16)
	probes6 := make([]netip.Addr, 1<<16)
	for i := range probes4 {
		probes4[i] = u32Addr(rnd.Uint32())
		var a [16]byte
		a[0], a[1] = 0x20, 0x01
		for j := 2; j < 16; j++ {
			a[j] = byte(rnd.Uint32())
		}
		probes6[i] = netip.AddrFrom16(a)
	}
	b.Logf("%d ranges merged into %d", benchRanges, s.Len())
	for _, tt := range []struct {
		name   string
		probes []netip.Addr
	}{{"v4", probes4}, {"v6", probes6}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			i, hits := 0, 0
			for b.Loop() {
				if s.Contains(tt.probes[i&(1<<16-1)]) {
					hits++
				}
				i++
			}
			_ = hits
		})
	}
}

// BenchmarkParse1M parses a million lines in the formats seen in the wild.
func BenchmarkParse1M(b *testing.B) {
	rnd := rand.New(rand.NewPCG(3, 3))
	var buf bytes.Buffer
	buf.WriteString("# generated\n")
	for i := range benchRanges - 1 {
		a := u32Addr(rnd.Uint32())
		switch i % 4 {
		case 0, 1: // StopForumSpam plain
			buf.WriteString(a.String())
		case 2: // FireHOL / DROP
			buf.WriteString(netip.PrefixFrom(a, 24).Masked().String() + " ; SBL" + strconv.Itoa(i))
		case 3: // StopForumSpam CSV
			fmt.Fprintf(&buf, "%q,\"%d\",\"2024-01-01 10:00:00\"", a.String(), i%300)
		}
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		st, err := Parse(bytes.NewReader(data), func(Range) error { return nil })
		if err != nil || st.Ranges != benchRanges-1 || st.Invalid != 0 {
			b.Fatalf("%+v %v", st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRanges, "ns/line")
}
