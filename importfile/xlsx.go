package importfile

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSX reads one sheet of an Excel workbook. Make one with OpenXLSX and Close it.
type XLSX struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	num    int
	line   int
	// Sheet is the name of the sheet read.
	Sheet string
}

// OpenXLSX opens the workbook at path (a file: the zip format needs random access, so an
// upload is spooled to a temporary file first) and reads the header row of sheet, or of
// the first sheet when sheet is "". It returns an error wrapping ErrNoSheet and naming the sheets when
// sheet does not exist, ErrEmpty for a sheet without rows, and excelize's error for a file
// that is not a workbook.
func OpenXLSX(path, sheet string) (*XLSX, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotWorkbook, err)
	}
	x, err := openSheet(f, sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

// ErrNotWorkbook is wrapped by OpenXLSX's error for a file excelize cannot open.
var ErrNotWorkbook = errors.New("not an .xlsx workbook")

// ErrNoSheet is wrapped by OpenXLSX's error for a sheet the workbook does not have.
var ErrNoSheet = fmt.Errorf("no such sheet")

func openSheet(f *excelize.File, sheet string) (*XLSX, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, ErrEmpty
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, fmt.Errorf("%w %q; the workbook has %s", ErrNoSheet, sheet, strings.Join(quoteAll(sheets), ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	x := &XLSX{f: f, rows: rows, Sheet: sheet}
	for {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, err
			}
			return nil, ErrEmpty
		}
		x.line++
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if isBlank(cols) {
			continue // a sheet may start below its first row
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		for len(cols) > 0 && cols[len(cols)-1] == "" {
			cols = cols[:len(cols)-1]
		}
		x.header = cols
		return x, nil
	}
}

// Header is the sheet's first non-blank row.
func (x *XLSX) Header() []string { return x.header }

// Next returns the next non-blank row; io.EOF after the last. Excel leaves out empty
// cells at the end of a row, so a short row is filled up; a row with values beyond the
// header's columns carries Err.
func (x *XLSX) Next() (Row, error) {
	for x.rows.Next() {
		x.line++
		cols, err := x.rows.Columns()
		if err != nil {
			return Row{}, err
		}
		if isBlank(cols) {
			continue
		}
		x.num++
		row := Row{Num: x.num, Line: x.line, Fields: cols}
		for len(row.Fields) > len(x.header) && row.Fields[len(row.Fields)-1] == "" {
			row.Fields = row.Fields[:len(row.Fields)-1]
		}
		if len(row.Fields) > len(x.header) {
			row.Err = fmt.Errorf("row %d (sheet row %d) has %d cells; the header has %d", x.num, x.line, len(row.Fields), len(x.header))
		}
		for len(row.Fields) < len(x.header) {
			row.Fields = append(row.Fields, "")
		}
		return row, nil
	}
	if err := x.rows.Error(); err != nil {
		return Row{}, err
	}
	return Row{}, io.EOF
}

// Close releases the workbook and its temporary files.
func (x *XLSX) Close() error {
	x.rows.Close()
	return x.f.Close()
}

func isBlank(cols []string) bool {
	for _, c := range cols {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
