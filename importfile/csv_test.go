package importfile

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// readAll opens r and returns its header and rows.
func readAll(t *testing.T, r Reader) ([]string, []Row) {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r.Header(), rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func encode(t *testing.T, enc, s string) []byte {
	t.Helper()
	switch enc {
	case UTF8:
		return []byte(s)
	case UTF8BOM:
		return append([]byte{0xEF, 0xBB, 0xBF}, s...)
	case UTF16LE, UTF16BE:
		order := unicode.LittleEndian
		if enc == UTF16BE {
			order = unicode.BigEndian
		}
		b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(b)
	case Windows1252:
		b, err := charmap.Windows1252.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(b)
	}
	t.Fatalf("unknown encoding %s", enc)
	return nil
}

// TestEncodingsAndDelimiters reads the same table in every encoding and delimiter, with a
// quoted field holding the delimiter, a quote and a line break.
func TestEncodingsAndDelimiters(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{UTF8, UTF8BOM, UTF16LE, UTF16BE, Windows1252} {
		for _, d := range Delimiters {
			t.Run(enc+"/"+string(d), func(t *testing.T) {
				t.Parallel()
				D := string(d)
				text := "Vorname" + D + "Nachname" + D + "Straße" + D + "Notiz\r\n" +
					"Jürgen" + D + "Größe" + D + "Hauptstraße 1" + D + "\"zwei" + D + " \"\"Zeilen\"\"\r\nhier €\"\r\n" +
					"Zoë" + D + "Öztürk" + D + "" + D + "x\r\n"
				c, err := OpenCSV(bytes.NewReader(encode(t, enc, text)))
				if err != nil {
					t.Fatal(err)
				}
				if c.Encoding != enc || c.Delim != d {
					t.Fatalf("detected %s %q, want %s %q", c.Encoding, c.Delim, enc, d)
				}
				header, rows := readAll(t, c)
				if want := []string{"Vorname", "Nachname", "Straße", "Notiz"}; !reflect.DeepEqual(header, want) {
					t.Fatalf("header %q, want %q", header, want)
				}
				want := [][]string{
					{"Jürgen", "Größe", "Hauptstraße 1", "zwei" + D + " \"Zeilen\"\r\nhier €"},
					{"Zoë", "Öztürk", "", "x"},
				}
				if len(rows) != len(want) {
					t.Fatalf("%d rows, want %d", len(rows), len(want))
				}
				for i, r := range rows {
					if r.Err != nil {
						t.Fatalf("row %d: %v", i+1, r.Err)
					}
					// encoding/csv turns \r\n inside quotes into \n.
					w := append([]string(nil), want[i]...)
					for j := range w {
						w[j] = strings.ReplaceAll(w[j], "\r\n", "\n")
					}
					if !reflect.DeepEqual(r.Fields, w) || r.Num != i+1 {
						t.Fatalf("row %d = %d %q, want %q", i+1, r.Num, r.Fields, w)
					}
				}
				if rows[1].Line != 4 {
					t.Fatalf("second row starts on line %d, want 4 (the first spans two)", rows[1].Line)
				}
			})
		}
	}
}

// TestGermanExcelExport reads a file as German Excel saves "CSV (Trennzeichen-getrennt)":
// Windows-1252, semicolons, CRLF, decimal commas, DD.MM.YYYY dates.
func TestGermanExcelExport(t *testing.T) {
	t.Parallel()
	text := "Anrede;Vorname;Nachname;E-Mail;Telefon;Handy;Straße;Hausnummer;PLZ;Ort;Land;Firma;Geburtsdatum;Kategorien;Umsatz\r\n" +
		"Herr;Jörg;Müller;joerg@example.de;089 123;0171 555;Königstraße;12a;80331;München;Deutschland;Müller & Söhne GmbH;03.04.1975;VIP,Newsletter;1.234,56\r\n" +
		"Frau;Ännchen;Weiß;;;;;;;;;;;;\r\n"
	c, err := OpenCSV(bytes.NewReader(encode(t, Windows1252, text)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Encoding != Windows1252 || c.Delim != ';' {
		t.Fatalf("detected %s %q", c.Encoding, c.Delim)
	}
	header, rows := readAll(t, c)
	if len(rows) != 2 || rows[0].Fields[2] != "Müller" || rows[0].Fields[14] != "1.234,56" || rows[1].Fields[1] != "Ännchen" {
		t.Fatalf("rows %+v", rows)
	}
	if d, err := ParseDate(rows[0].Fields[12]); err != nil || d != "1975-04-03" {
		t.Fatalf("date %q %v", d, err)
	}
	got := SuggestMapping(header, []string{"umsatz"})
	want := map[string]string{
		"Anrede": "title", "Vorname": "first_name", "Nachname": "family_name", "E-Mail": "mail",
		"Telefon": "phone", "Handy": "phone2", "Straße": "ba_street", "Hausnummer": StreetNumber,
		"PLZ": "ba_postal_code", "Ort": "ba_city", "Land": "ba_country", "Firma": "company",
		"Geburtsdatum": "date_of_birth", "Kategorien": "terms", "Umsatz": "umsatz",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mapping\n got %v\nwant %v", got, want)
	}
}

// TestRaggedRows: a row with too few or too many fields is reported with its row and
// line, and reading goes on.
func TestRaggedRows(t *testing.T) {
	t.Parallel()
	c, err := OpenCSV(strings.NewReader("a,b,c\n1,2,3\n1,2\n\n1,2,3,4\n5,6,7\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, c)
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[0].Err != nil || rows[3].Err != nil {
		t.Fatalf("good rows carry errors: %v %v", rows[0].Err, rows[3].Err)
	}
	if rows[1].Err == nil || rows[1].Err.Error() != "row 2 (line 3) has 2 fields; the header has 3" {
		t.Fatalf("short row: %v", rows[1].Err)
	}
	if rows[2].Err == nil || rows[2].Err.Error() != "row 3 (line 5) has 4 fields; the header has 3" {
		t.Fatalf("long row: %v", rows[2].Err)
	}
}

func TestEmptyFile(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "\n\n", "\xEF\xBB\xBF"} {
		if _, err := OpenCSV(strings.NewReader(s)); !errors.Is(err, ErrEmpty) {
			t.Fatalf("%q: %v, want ErrEmpty", s, err)
		}
	}
}

// TestLateWindows1252 reads a file whose first 64 KiB are ASCII and whose later rows are
// Windows-1252: the late rows' text is read as Windows-1252, not stored broken.
func TestLateWindows1252(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("name;city\n")
	for b.Len() < sniffSize+100 {
		b.WriteString("Anna;Berlin\n")
	}
	b.Write(encode(t, Windows1252, "Jörg;Köln\n"))
	c, err := OpenCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, c)
	if last := rows[len(rows)-1]; last.Fields[0] != "Jörg" || last.Fields[1] != "Köln" {
		t.Fatalf("last row %q", last.Fields)
	}
}

// TestUTF8CutBySniffWindow: a UTF-8 file whose sniff window ends inside a character is
// still UTF-8.
func TestUTF8CutBySniffWindow(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("name\n")
	for b.Len() < sniffSize-1 {
		b.WriteString("a\n")
	}
	b.Truncate(sniffSize - 1)
	b.WriteString("ö\n")
	c, err := OpenCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Encoding != UTF8 {
		t.Fatalf("encoding %s", c.Encoding)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1975-04-03": "1975-04-03", "03.04.1975": "1975-04-03", "3.4.1975": "1975-04-03",
		" 2000-02-29 ": "2000-02-29", "1975-04-03T10:00:00Z": "1975-04-03", "1975-04-03 00:00:00": "1975-04-03",
		"31.02.2000": "", "04/03/1975": "", "": "", "1975-13-01": "",
	} {
		got, err := ParseDate(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSuggestMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		headers []string
		custom  []string
		want    map[string]string
	}{
		{[]string{"fname", "lname", "email"}, nil, map[string]string{"fname": "first_name", "lname": "family_name", "email": "mail"}},
		{[]string{"First Name", "Last Name", "Email", "Mail", "Phone", "Mobile", "Street", "Zip", "City", "Country", "Company", "Tags"}, nil,
			map[string]string{"First Name": "first_name", "Last Name": "family_name", "Email": "mail", "Mail": "mail2", "Phone": "phone",
				"Mobile": "phone2", "Street": "ba_street", "Zip": "ba_postal_code", "City": "ba_city", "Country": "ba_country",
				"Company": "company", "Tags": "terms"}},
		{[]string{"Strasse", "Postleitzahl", "Stadt", "Tel.", "Mail", "Kundennummer", "Bemerkung", "Unbekannt", "field_Lieblingsfarbe"}, []string{"lieblingsfarbe"},
			map[string]string{"Strasse": "ba_street", "Postleitzahl": "ba_postal_code", "Stadt": "ba_city", "Tel.": "phone", "Mail": "mail",
				"Kundennummer": "external_id", "Bemerkung": "comment", "field_Lieblingsfarbe": "lieblingsfarbe"}},
		{[]string{"Handy"}, nil, map[string]string{"Handy": "phone2"}},
		// The export's header maps as is (exact API names before synonyms: "title" is Anrede).
		{[]string{"id", "title", "title2", "ba_city", "ba_street2", "phone2_type", "mail_status", "terms", "field_farbe", "created"}, []string{"farbe"},
			map[string]string{"id": "id", "title": "title", "title2": "title2", "ba_city": "ba_city", "ba_street2": "ba_street2",
				"phone2_type": "phone2_type", "mail_status": "mail_status", "terms": "terms", "field_farbe": "farbe"}},
		{[]string{"first_name", "mail", "family_name"}, nil, map[string]string{"first_name": "first_name", "mail": "mail", "family_name": "family_name"}},
	} {
		got := SuggestMapping(tc.headers, tc.custom)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SuggestMapping(%q)\n got %v\nwant %v", tc.headers, got, tc.want)
		}
	}
}

// TestXLSX reads a German workbook made with excelize: the first sheet by default, a named
// sheet on request, a date cell, trailing empty cells, a row too long, an unknown sheet.
func TestXLSX(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kontakte.xlsx")
	f := excelize.NewFile()
	sheet := "Kontakte"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Vorname", "Nachname", "E-Mail", "Geburtsdatum"},
		{"Jörg", "Müller", "joerg@example.de", "03.04.1975"},
		{"Anna", "", "", ""},
		{},
		{"Zu", "viele", "x", "y", "z"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.NewSheet("Zweite"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetSheetRow("Zweite", "A1", &[]any{"Firma"})
	_ = f.SetSheetRow("Zweite", "A2", &[]any{"ACME"})
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()

	x, err := OpenXLSX(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	header, got := readAll(t, x)
	if !reflect.DeepEqual(header, []string{"Vorname", "Nachname", "E-Mail", "Geburtsdatum"}) || x.Sheet != sheet {
		t.Fatalf("header %q sheet %q", header, x.Sheet)
	}
	if len(got) != 3 || !reflect.DeepEqual(got[1].Fields, []string{"Anna", "", "", ""}) || got[0].Fields[0] != "Jörg" {
		t.Fatalf("rows %+v", got)
	}
	if got[2].Err == nil || got[2].Num != 3 || got[2].Line != 5 {
		t.Fatalf("long row %+v", got[2])
	}

	y, err := OpenXLSX(path, "Zweite")
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if h, r := readAll(t, y); h[0] != "Firma" || len(r) != 1 || r[0].Fields[0] != "ACME" {
		t.Fatalf("second sheet %q %+v", h, r)
	}
	if _, err := OpenXLSX(path, "Dritte"); !errors.Is(err, ErrNoSheet) || !strings.Contains(err.Error(), `"Kontakte", "Zweite"`) {
		t.Fatalf("unknown sheet: %v", err)
	}
	if _, err := OpenXLSX(filepath.Join(t.TempDir(), "x.xlsx"), ""); err == nil {
		t.Fatal("a missing file opened")
	}
}
