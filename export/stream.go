package export

import (
	"context"
	"io"

	"github.com/contacthub/contacthub/models"
)

// Lister reads pages of a tenant's contacts (store.ListContacts).
type Lister interface {
	ListContacts(ctx context.Context, tenantID int64, f models.ContactFilter) (*models.ContactPage, error)
}

// Stream writes every contact of tenant that f selects to out in format, page by page
// (f.Limit contacts per query, f.Cursor advancing), flushing after each page. begin, when
// not nil, is called once the first page has been read and before anything is written,
// so a caller can still answer an error for a failure up to then. It returns how many
// contacts it wrote and, with an error, whether begin had been called (the output is then
// incomplete). Errors are the Lister's, New's, or out's.
func Stream(ctx context.Context, src Lister, tenant int64, f models.ContactFilter, format string, customFields []string, out io.Writer, begin func()) (n int, started bool, err error) {
	page, err := src.ListContacts(ctx, tenant, f)
	if err != nil {
		return 0, false, err
	}
	if _, ok := ContentType[format]; !ok {
		_, err := New(out, format, nil)
		return 0, false, err
	}
	if begin != nil {
		begin()
	}
	w, err := New(out, format, customFields)
	if err != nil {
		return 0, true, err
	}
	for {
		for _, c := range page.Contacts {
			if err := w.Write(c); err != nil {
				return n, true, err
			}
			n++
		}
		if err := w.Flush(); err != nil {
			return n, true, err
		}
		if fl, ok := out.(interface{ Flush() }); ok {
			fl.Flush()
		}
		if page.NextCursor == "" {
			return n, true, nil
		}
		f.Cursor = page.NextCursor
		if page, err = src.ListContacts(ctx, tenant, f); err != nil {
			return n, true, err
		}
	}
}
