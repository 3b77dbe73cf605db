// Package export writes contacts as files: CSV (one column per standard field, one per
// custom field, terms as a list of ids) that the CSV import reads back unchanged, and
// JSON Lines (one contact in the native wire form per line). A Writer streams: it holds
// one contact at a time.
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// Formats.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// Formats lists the formats New accepts.
var Formats = []string{CSV, JSONL}

// ContentType is the media type of each format.
var ContentType = map[string]string{CSV: "text/csv; charset=utf-8", JSONL: "application/x-ndjson"}

// StandardColumns are the CSV columns before the custom fields: the contact's id, its
// standard fields by their API names, and terms (ids, comma-separated). created and
// changed (unix seconds) follow the custom fields.
var StandardColumns = []string{
	"id", "title", "title2", "first_name", "family_name", "company", "job_title", "mail", "mail_status", "mail2",
	"phone_type", "phone", "phone2_type", "phone2", "fax", "skype", "fb", "twitter",
	"ba_street", "ba_street2", "ba_city", "ba_postal_code", "ba_state", "ba_country", "date_of_birth", "uid", "terms",
}

// Writer writes contacts in one format. Make one with New; call Close at the end.
type Writer struct {
	format string
	bw     *bufio.Writer
	cw     *csv.Writer
	custom []string
	rec    []string
	buf    []byte
}

// New returns a writer of format (CSV or JSONL) to w. customFields are the tenant's
// custom field names: each gets a CSV column field_<name>, in name order. For CSV it
// writes the header row. It returns an error naming the formats for any other format.
func New(w io.Writer, format string, customFields []string) (*Writer, error) {
	x := &Writer{format: format, bw: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case CSV:
		x.custom = slices.Sorted(slices.Values(customFields))
		x.cw = csv.NewWriter(x.bw)
		header := append([]string(nil), StandardColumns...)
		for _, f := range x.custom {
			header = append(header, "field_"+f)
		}
		header = append(header, "created", "changed")
		x.rec = make([]string, len(header))
		return x, x.cw.Write(header)
	case JSONL:
		return x, nil
	}
	return nil, fmt.Errorf("format %q is not supported (%s)", format, strings.Join(Formats, ", "))
}

// Write writes one contact. It returns w's error, or an encoding error for a custom value
// JSON cannot hold (a NaN).
func (x *Writer) Write(c *models.Contact) error {
	if x.format == JSONL {
		var err error
		if x.buf, err = contactwire.FromModel(c).AppendJSON(x.buf[:0]); err != nil {
			return err
		}
		x.buf = append(x.buf, '\n')
		_, err = x.bw.Write(x.buf)
		return err
	}
	terms := make([]string, len(c.Terms))
	for i, t := range c.Terms {
		terms[i] = strconv.FormatInt(t, 10)
	}
	r := append(x.rec[:0],
		strconv.FormatInt(c.ID, 10), c.Title, c.Title2, c.FirstName, c.FamilyName, c.Company, c.JobTitle, c.Mail,
		strconv.Itoa(c.MailStatus), c.Mail2, c.PhoneType, c.Phone, c.Phone2Type, c.Phone2, c.Fax, c.Skype, c.FB, c.Twitter,
		c.BaStreet, c.BaStreet2, c.BaCity, c.BaPostalCode, c.BaState, c.BaCountry, c.DateOfBirth,
		strconv.FormatInt(c.UID, 10), strings.Join(terms, ","))
	for _, f := range x.custom {
		s, err := Cell(c.Custom[f])
		if err != nil {
			return fmt.Errorf("field_%s of contact %d: %w", f, c.ID, err)
		}
		r = append(r, s)
	}
	r = append(r, strconv.FormatInt(c.CreatedAt.Unix(), 10), strconv.FormatInt(c.UpdatedAt.Unix(), 10))
	return x.cw.Write(r)
}

// Flush writes what is buffered to the underlying writer, returning its error.
func (x *Writer) Flush() error {
	if x.cw != nil {
		x.cw.Flush()
		if err := x.cw.Error(); err != nil {
			return err
		}
	}
	return x.bw.Flush()
}

// Close flushes the writer; see Flush.
func (x *Writer) Close() error { return x.Flush() }

// Cell is a custom value as one CSV cell: text as it is, numbers as JSON writes them,
// anything else (a multiple selection, a checkbox confirmation) as compact JSON; "" for
// no value.
func Cell(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}
