package spamlist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"unicode/utf8"
)

// MaxLineErrors is how many invalid lines ParseStats.Errors keeps; the rest
// are only counted.
const MaxLineErrors = 20

// maxLineLen is the longest line Parse reads; longer ones are invalid.
const maxLineLen = 64 << 10

// LineError describes one line Parse could not read.
type LineError struct {
	Line int    // 1-based line number
	Text string // the line, cut to 100 bytes
	Err  error  // wraps ErrInvalidRange
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %q: %v", e.Line, e.Text, e.Err) }

func (e LineError) Unwrap() error { return e.Err }

// ParseStats summarises a Parse.
type ParseStats struct {
	Lines   int         // lines read
	Ranges  int         // entries passed to fn
	Skipped int         // blank lines, comment lines and a CSV header
	Invalid int         // lines that are none of the above
	Errors  []LineError // the first MaxLineErrors invalid lines
}

// Parse reads a blocklist and calls fn for every entry, in file order.
//
// One entry per line, in any of the formats of ParseRange. Everything from
// '#' or ';' on is a comment (FireHOL, Spamhaus DROP "1.2.3.0/24 ; SBL123").
// A line with a comma or a quote is CSV and its first field is the entry
// (StopForumSpam '"1.2.3.4","5","2024-01-01 10:00:00"'); a first CSV line
// whose first field has no digit is a header and skipped. On a line of
// whitespace-separated fields the first is the entry, except that "a - b"
// and "a b" where b is also an address (DShield "start end netblock ...")
// are ranges. A UTF-8 byte order mark is ignored.
//
// Invalid lines are counted and the first MaxLineErrors kept in the stats;
// they do not stop the parse. Parse returns the stats so far and an error
// when r fails or fn returns one (returned as is).
func Parse(r io.Reader, fn func(Range) error) (ParseStats, error) {
	var st ParseStats
	br := bufio.NewReaderSize(r, 64<<10)
	sawContent := false
	for {
		line, tooLong, err := readLine(br)
		if len(line) == 0 && !tooLong && err != nil {
			if errors.Is(err, io.EOF) {
				return st, nil
			}
			return st, fmt.Errorf("spamlist: read line %d: %w", st.Lines+1, err)
		}
		st.Lines++
		if tooLong {
			st.invalid(line, fmt.Errorf("%w: line longer than %d bytes", ErrInvalidRange, maxLineLen))
		} else {
			if st.Lines == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			entry, from, to, csv := entryOf(line)
			switch {
			case len(entry) == 0:
				st.Skipped++
			case csv && !sawContent && !bytes.ContainsAny(entry, "0123456789"):
				st.Skipped++ // header: "ip","frequency","lastseen"
			default:
				var rg Range
				var perr error
				if from != nil {
					rg, perr = parseEnds(from, to)
				} else {
					rg, perr = ParseRange(string(entry))
				}
				if perr != nil {
					st.invalid(line, perr)
				} else {
					st.Ranges++
					if ferr := fn(rg); ferr != nil {
						return st, ferr
					}
				}
			}
			if len(entry) > 0 {
				sawContent = true
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return st, nil
			}
			return st, fmt.Errorf("spamlist: read after line %d: %w", st.Lines, err)
		}
	}
}

func (st *ParseStats) invalid(line []byte, err error) {
	st.Invalid++
	if len(st.Errors) < MaxLineErrors {
		text := bytes.TrimRight(line, "\r\n")
		if len(text) > 100 {
			text = text[:100]
			for len(text) > 0 && !utf8.Valid(text) {
				text = text[:len(text)-1]
			}
		}
		st.Errors = append(st.Errors, LineError{Line: st.Lines, Text: string(text), Err: err})
	}
}

// readLine returns the next line without its line ending. A line longer than
// maxLineLen is consumed and returned cut, with tooLong set. err is the
// reader's error after the line (io.EOF at the end).
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// The buffer is reused by the next read: keep a copy of the start.
		head := bytes.Clone(line[:min(len(line), 200)])
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		return head, true, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, false, err
}

// entryOf cuts comments and extra fields off a line. It returns the entry
// (empty for a blank or comment line), or, for a range written as two
// fields, its two ends in from and to; csv reports a CSV line.
func entryOf(line []byte) (entry, from, to []byte, csv bool) {
	if i := bytes.IndexAny(line, "#;"); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, nil, nil, false
	}
	if bytes.ContainsAny(line, ",\"'") {
		if j := bytes.IndexByte(line, ','); j >= 0 {
			line = line[:j]
		}
		return bytes.TrimSpace(bytes.Trim(bytes.TrimSpace(line), "\"'")), nil, nil, true
	}
	first, rest := cutField(line)
	if len(rest) == 0 {
		return first, nil, nil, false
	}
	// "a - b", "a -b", "a- b": a range around a spaced dash.
	if rest[0] == '-' {
		second, _ := cutField(bytes.TrimSpace(rest[1:]))
		return line, first, second, false
	}
	second, _ := cutField(rest)
	if bytes.HasSuffix(first, []byte{'-'}) {
		return line, first[:len(first)-1], second, false
	}
	// "a b" where b is an address too: DShield's "start end netblock ...".
	if looksLikeAddr(second) {
		if _, err := netip.ParseAddr(string(second)); err == nil {
			return line, first, second, false
		}
	}
	return first, nil, nil, false
}

// cutField splits off the first whitespace-separated field of b (which has
// no leading space) and returns it and the rest, trimmed.
func cutField(b []byte) (field, rest []byte) {
	i := bytes.IndexAny(b, " \t")
	if i < 0 {
		return b, nil
	}
	return b[:i], bytes.TrimSpace(b[i:])
}

// looksLikeAddr is a cheap filter before netip.ParseAddr: a second field
// like a count or a date is common and should not cost an allocation.
func looksLikeAddr(b []byte) bool {
	return bytes.Count(b, []byte{'.'}) == 3 || bytes.IndexByte(b, ':') >= 0
}

// parseEnds reads a range given as two fields.
func parseEnds(from, to []byte) (Range, error) {
	in := string(from) + "-" + string(to)
	a, err := netip.ParseAddr(string(from))
	if err != nil {
		return Range{}, fmt.Errorf("%w: %q: start: %v", ErrInvalidRange, in, err)
	}
	b, err := netip.ParseAddr(string(to))
	if err != nil {
		return Range{}, fmt.Errorf("%w: %q: end: %v", ErrInvalidRange, in, err)
	}
	return normalize(Range{From: a, To: b}, in)
}
