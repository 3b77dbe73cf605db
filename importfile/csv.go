package importfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names the character encodings Open detects.
const (
	UTF8        = "utf-8"
	UTF8BOM     = "utf-8-bom"
	UTF16LE     = "utf-16le"
	UTF16BE     = "utf-16be"
	Windows1252 = "windows-1252"
)

// sniffSize is how much of a file Open looks at to choose the encoding and delimiter.
const sniffSize = 64 << 10

// Delimiters are the field separators Open recognises, in order of preference on a tie.
var Delimiters = []rune{';', ',', '\t', '|'}

// ErrEmpty is returned by Open for a file without a header row.
var ErrEmpty = errors.New("the file is empty: it has no header row")

// Row is one data row of a file.
type Row struct {
	// Num counts data rows from 1 (the header is row 0).
	Num int
	// Line is the line of the file the row starts on (1 is the header's first line); an
	// xlsx row's Line is its row number in the sheet.
	Line int
	// Fields are the row's values as they stand in the file.
	Fields []string
	// Err says what is wrong with the row as a row (ragged: a field count other than the
	// header's), nil otherwise. Its message names the row.
	Err error
}

// Reader reads the rows of a table file after its header.
type Reader interface {
	// Header is the file's header row.
	Header() []string
	// Next returns the next row; io.EOF after the last. Any other error is the file's:
	// it cannot be read on (a broken xlsx, a read error).
	Next() (Row, error)
}

// CSV reads a delimited text file. Make one with OpenCSV.
type CSV struct {
	r        *csv.Reader
	header   []string
	num      int
	Encoding string // detected encoding, one of the Encoding constants
	Delim    rune   // detected delimiter
}

// OpenCSV detects r's encoding and delimiter, and reads the header row. It returns
// ErrEmpty when the file has no header, and the reader's error when it fails.
func OpenCSV(r io.Reader) (*CSV, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	name, enc := detectEncoding(head)
	var text io.Reader = br
	switch name {
	case UTF8BOM:
		_, _ = br.Discard(3)
	case UTF16LE, UTF16BE:
		text = transform.NewReader(br, enc.NewDecoder()) // the BOM override drops the BOM
	case Windows1252:
		text = transform.NewReader(br, enc.NewDecoder())
	}
	tb := bufio.NewReaderSize(text, sniffSize)
	sample, err := tb.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	delim := sniffDelimiter(sample)
	cr := csv.NewReader(tb)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // ragged rows are reported per row, not fatal
	cr.LazyQuotes = true    // a stray quote inside an unquoted field is common in exports
	header, err := cr.Read()
	if err == io.EOF {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("header row: %w", err)
	}
	header = append([]string(nil), header...)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if len(header) == 1 && header[0] == "" {
		return nil, ErrEmpty
	}
	return &CSV{r: cr, header: header, Encoding: name, Delim: delim}, nil
}

// Header is the file's header row, trimmed of surrounding spaces.
func (c *CSV) Header() []string { return c.header }

// Next returns the next data row; io.EOF after the last. Blank lines are skipped (the csv
// reader does); a row with a field count other than the header's carries Err.
func (c *CSV) Next() (Row, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// A malformed row is the row's problem; the reader goes on with the next line.
			c.num++
			return Row{Num: c.num, Line: pe.StartLine, Err: fmt.Errorf("row %d (line %d): %v", c.num, pe.StartLine, pe.Err)}, nil
		}
		return Row{}, err
	}
	c.num++
	line, _ := c.r.FieldPos(0)
	if c.Encoding == UTF8 {
		// The encoding was chosen from the file's start; a Windows-1252 character further
		// on is read as what it most likely is rather than stored as broken text.
		for i, f := range rec {
			if !utf8.ValidString(f) {
				rec[i], _ = charmap.Windows1252.NewDecoder().String(f)
			}
		}
	}
	row := Row{Num: c.num, Line: line, Fields: rec}
	if len(rec) != len(c.header) {
		row.Err = fmt.Errorf("row %d (line %d) has %d fields; the header has %d", c.num, line, len(rec), len(c.header))
	}
	return row, nil
}

// detectEncoding names the encoding of a file that starts with head: a BOM decides;
// otherwise text that is valid UTF-8 is UTF-8 and anything else is Windows-1252 (a
// superset of ISO-8859-1's printable characters, which is what Excel writes in Western
// Europe).
func detectEncoding(head []byte) (string, encoding.Encoding) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return UTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return UTF16LE, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return UTF16BE, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	if validUTF8Prefix(head, len(head) == sniffSize) {
		return UTF8, nil
	}
	return Windows1252, charmap.Windows1252
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing for a last rune the sniff
// window cut when cut is set.
func validUTF8Prefix(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	for k := 1; cut && k < utf8.UTFMax && k <= len(b); k++ {
		if utf8.Valid(b[:len(b)-k]) {
			return true
		}
	}
	return false
}

// sniffDelimiter chooses the delimiter whose count outside quotes is the same, and not
// zero, on the most of the sample's first lines, weighted by the count; a file of one
// column gets a comma.
func sniffDelimiter(sample []byte) rune {
	lines := splitRecords(sample, 20)
	best, bestScore := ',', 0
	for _, d := range Delimiters {
		counts := make([]int, len(lines))
		for i, l := range lines {
			counts[i] = countOutsideQuotes(l, d)
		}
		if len(counts) == 0 || counts[0] == 0 {
			continue
		}
		same := 0
		for _, n := range counts {
			if n == counts[0] {
				same++
			}
		}
		if score := same*1000 + counts[0]; score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// splitRecords splits the sample at newlines outside quotes, at most n records, dropping
// a last record the sample may have cut.
func splitRecords(b []byte, n int) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(b) && len(out) < n; i++ {
		switch b[i] {
		case '"':
			quoted = !quoted
		case '\n':
			if !quoted {
				if l := strings.TrimRight(string(b[start:i]), "\r"); l != "" {
					out = append(out, l)
				}
				start = i + 1
			}
		}
	}
	if len(out) == 0 && start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

func countOutsideQuotes(line string, d rune) int {
	n, quoted := 0, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == d && !quoted:
			n++
		}
	}
	return n
}
