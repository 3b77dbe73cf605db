package spamlist

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// collect parses in and returns the entries as strings.
func collect(t *testing.T, in string) ([]string, ParseStats) {
	t.Helper()
	var got []string
	st, err := Parse(strings.NewReader(in), func(r Range) error {
		got = append(got, r.String())
		return nil
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return got, st
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []string
		skipped int
	}{
		{
			name: "firehol netset",
			in: `#
# firehol_level1
#
# ipv4 hash:net ipset
#
# Maintainer      : FireHOL
#
0.0.0.0/8
1.10.16.0/20
1.19.0.0/16
5.8.37.0/24
`,
			want:    []string{"0.0.0.0/8", "1.10.16.0/20", "1.19.0.0/16", "5.8.37.0/24"},
			skipped: 7,
		},
		{
			name:    "stopforumspam plain",
			in:      "1.2.3.4\n5.6.7.8\n2001:db8::7\n",
			want:    []string{"1.2.3.4", "5.6.7.8", "2001:db8::7"},
			skipped: 0,
		},
		{
			name: "stopforumspam csv",
			in: `"ip","frequency","lastseen"
"1.2.3.4","5","2024-01-01 10:00:00"
"5.6.7.8","255","2024-01-02 11:00:00"
9.9.9.9,1,2024-01-03
`,
			want:    []string{"1.2.3.4", "5.6.7.8", "9.9.9.9"},
			skipped: 1,
		},
		{
			name: "spamhaus drop",
			in: `; Spamhaus DROP List 2024/01/01 - (c) 2024 The Spamhaus Project
; Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT
1.10.16.0/20 ; SBL256894
2.56.192.0/22 ; SBL459831
`,
			want:    []string{"1.10.16.0/20", "2.56.192.0/22"},
			skipped: 2,
		},
		{
			name: "dshield ranges",
			in: "# start\tend\tnetblock\tattacks\tname\n" +
				"61.160.213.0\t61.160.213.255\t24\t1234\tCHINANET\n" +
				"45.95.147.0 45.95.147.255 24 99 SomeHost\n",
			want:    []string{"61.160.213.0/24", "45.95.147.0/24"},
			skipped: 1,
		},
		{
			name:    "ranges with dashes",
			in:      "10.0.0.1-10.0.0.9\n10.0.1.1 - 10.0.1.9\n10.0.2.1 -10.0.2.9\n10.0.3.1- 10.0.3.9\n",
			want:    []string{"10.0.0.1-10.0.0.9", "10.0.1.1-10.0.1.9", "10.0.2.1-10.0.2.9", "10.0.3.1-10.0.3.9"},
			skipped: 0,
		},
		{
			name:    "trailing comments, whitespace, CRLF, BOM",
			in:      "\xef\xbb\xbf192.0.2.1 # bad bot\r\n\r\n   \t\r\n  192.0.2.2\t; note\r\n192.0.2.3 17 2024-01-01\r\n# end",
			want:    []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"},
			skipped: 3,
		},
		{
			name:    "ipv6 and mapped",
			in:      "2001:db8::/32\n2001:db8:1::1-2001:db8:1::ff\n::ffff:198.51.100.0/120\n",
			want:    []string{"2001:db8::/32", "2001:db8:1::1-2001:db8:1::ff", "198.51.100.0/24"},
			skipped: 0,
		},
		{
			name:    "no trailing newline",
			in:      "192.0.2.1\n192.0.2.2",
			want:    []string{"192.0.2.1", "192.0.2.2"},
			skipped: 0,
		},
		{name: "empty", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, st := collect(t, tt.in)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("entries = %q, want %q", got, tt.want)
			}
			if st.Invalid != 0 || len(st.Errors) != 0 {
				t.Fatalf("invalid lines: %+v", st.Errors)
			}
			if st.Ranges != len(tt.want) || st.Skipped != tt.skipped || st.Lines != st.Ranges+st.Skipped {
				t.Fatalf("stats = %+v, want %d ranges, %d skipped", st, len(tt.want), tt.skipped)
			}
		})
	}
}

func TestParseInvalidLines(t *testing.T) {
	t.Parallel()
	in := "192.0.2.1\nnot an ip\n192.0.2.300\n# fine\n10.0.0.9-10.0.0.1\n" +
		strings.Repeat("x", 100_000) + "\n192.0.2.2\n\"ip\",\"count\"\n"
	got, st := collect(t, in)
	if want := []string{"192.0.2.1", "192.0.2.2"}; !slices.Equal(got, want) {
		t.Fatalf("entries = %q, want %q", got, want)
	}
	wantLines := []int{2, 3, 5, 6, 8} // a CSV header is only a header on the first content line
	if st.Invalid != len(wantLines) || st.Lines != 8 || st.Skipped != 1 {
		t.Fatalf("stats = %+v", st)
	}
	for i, e := range st.Errors {
		if e.Line != wantLines[i] || !errors.Is(e, ErrInvalidRange) || len(e.Text) > 100 {
			t.Errorf("error %d = line %d %q (%v), want line %d", i, e.Line, e.Text, e.Err, wantLines[i])
		}
	}
	if st.Errors[3].Text != strings.Repeat("x", 100) {
		t.Errorf("long line text = %q", st.Errors[3].Text)
	}

	// Only the first MaxLineErrors are kept; all are counted.
	_, st = collect(t, strings.Repeat("junk\n", 1000)+"192.0.2.1\n")
	if st.Invalid != 1000 || len(st.Errors) != MaxLineErrors || st.Ranges != 1 {
		t.Fatalf("stats = invalid %d, errors %d, ranges %d", st.Invalid, len(st.Errors), st.Ranges)
	}
}

func TestParseStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	n := 0
	st, err := Parse(strings.NewReader("1.1.1.1\n2.2.2.2\n3.3.3.3\n"), func(Range) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || st.Ranges != 2 || st.Lines != 2 {
		t.Fatalf("Parse = %+v, %v; want the callback's error after 2 entries", st, err)
	}

	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("1.1.1.1\n"), iotest.ErrReader(boom))
	st, err = Parse(r, func(Range) error { return nil })
	if !errors.Is(err, boom) || st.Ranges != 1 {
		t.Fatalf("Parse = %+v, %v; want the reader's error", st, err)
	}
}
