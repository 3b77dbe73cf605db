// Package benchdata loads the data sets with known duplicates that the duplicate
// engine is measured on (../shared/data: FEBRL and Splink's fake_1000, see its README)
// and generates the hard set (Hard), as the records a client would send: fields by
// their API names, only valid values. The accuracy tests (dedupe), the HTTP benchmark
// (bench/dedupe) and the blocking measurement (bench/blocking) read them from here, so
// all three score the same records.
package benchdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Record is one input row: its id in the file, its true entity (records with the same
// entity are the same person) and the contact fields a client sends, by their API
// names (first_name, ba_city, …); a field without a valid value is absent.
type Record struct {
	ID, Entity string
	Fields     map[string]string
}

// Files maps the names of the shared data sets to their paths below the data
// directory.
var Files = map[string]string{
	"febrl1":   filepath.Join("febrl", "dataset1.csv"),
	"febrl2":   filepath.Join("febrl", "dataset2.csv"),
	"fake1000": filepath.Join("splink", "fake_1000.csv"),
}

// Names lists every data set Load knows, the shared ones first, then the generated
// hard set.
var Names = []string{"febrl1", "febrl2", "fake1000", "hard"}

// ErrNoData is returned (wrapped) when a shared data set's file is absent.
var ErrNoData = errors.New("data set not found")

// Load returns the data set called name: a shared one read from dir (see DataDir), or
// "hard", the generated set (Hard with HardSeed and HardPeople), which needs no file.
// Anything else is taken as a path to a CSV in FEBRL or fake_1000 format.
func Load(name, dir string) ([]Record, error) {
	if name == "hard" {
		return Hard(HardSeed, HardPeople), nil
	}
	rel, ok := Files[name]
	if !ok {
		return ReadCSV(name)
	}
	path := filepath.Join(dir, rel)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %s at %s (the data lives outside the repository in ../shared/data; see its README)", ErrNoData, name, path)
	}
	return ReadCSV(path)
}

// DataDir is ../shared/data relative to the contacthub repository root, found by
// walking up from the working directory to the module's go.mod.
func DataDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/contacthub/contacthub\n")) {
			return filepath.Join(dir, "..", "shared", "data"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the contacthub repository root above the working directory")
		}
		dir = parent
	}
}

var febrlID = regexp.MustCompile(`^rec-(\d+)-`)

// ReadCSV reads a FEBRL or fake_1000 CSV, told apart by the header, and maps it onto
// contact fields as ../shared/data/README.md says: FEBRL's soc_sec_id is left out (it
// is almost a unique key), an impossible date of birth is left out, and fake_1000's
// malformed e-mail addresses and dates are left out, as a web form would leave them.
func ReadCSV(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true // FEBRL puts a space after each comma
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no records", path)
	}
	header := strings.Join(rows[0], ",")
	out := make([]Record, 0, len(rows)-1)
	switch {
	case strings.HasPrefix(header, "rec_id,given_name,surname"):
		for _, row := range rows[1:] {
			if len(row) < 10 {
				return nil, fmt.Errorf("%s: short row %q", path, row)
			}
			m := febrlID.FindStringSubmatch(row[0])
			if m == nil {
				return nil, fmt.Errorf("%s: bad rec_id %q", path, row[0])
			}
			out = append(out, Record{ID: row[0], Entity: m[1], Fields: nonEmpty(map[string]string{
				"first_name":     row[1],
				"family_name":    row[2],
				"ba_street":      strings.TrimSpace(row[3] + " " + row[4]),
				"ba_street2":     row[5],
				"ba_city":        row[6],
				"ba_postal_code": row[7],
				"ba_state":       row[8],
				"date_of_birth":  compactDate(row[9]),
			})})
		}
	case strings.HasPrefix(header, "unique_id,first_name,surname,dob,city,email,cluster"):
		for _, row := range rows[1:] {
			if len(row) < 7 {
				return nil, fmt.Errorf("%s: short row %q", path, row)
			}
			dob := ""
			if IsoDate(row[3]) {
				dob = row[3]
			}
			mail := ""
			if FormMail(row[5]) {
				mail = row[5]
			}
			out = append(out, Record{ID: row[0], Entity: row[6], Fields: nonEmpty(map[string]string{
				"first_name":    row[1],
				"family_name":   row[2],
				"date_of_birth": dob,
				"ba_city":       row[4],
				"mail":          mail,
			})})
		}
	default:
		return nil, fmt.Errorf("%s: unknown header %q: want FEBRL (rec_id, given_name, …) or fake_1000 (unique_id, first_name, …)", path, header)
	}
	return out, nil
}

func nonEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if v = strings.TrimSpace(v); v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// compactDate turns a real YYYYMMDD date into YYYY-MM-DD and anything else into "".
func compactDate(s string) string {
	if len(s) != 8 {
		return ""
	}
	iso := s[:4] + "-" + s[4:6] + "-" + s[6:]
	if !IsoDate(iso) {
		return ""
	}
	return iso
}

// IsoDate is what a date input accepts: a real calendar date from 1800 on (the server
// refuses earlier ones).
func IsoDate(s string) bool {
	t, err := time.Parse("2006-01-02", s)
	return err == nil && t.Year() >= 1800
}

// FormMail is the check of an HTML e-mail input (the WHATWG "valid e-mail address"
// pattern), with at least one dot in the domain as the server requires.
func FormMail(s string) bool { return htmlMail.MatchString(s) }

var htmlMail = regexp.MustCompile("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$")

// TruePairs counts the pairs of records of one entity.
func TruePairs(recs []Record) int {
	n := map[string]int{}
	for _, r := range recs {
		n[r.Entity]++
	}
	pairs := 0
	for _, k := range n {
		pairs += k * (k - 1) / 2
	}
	return pairs
}
