package store

import (
	"errors"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// FuzzDecodeCursor: the listing's cursor, a query parameter a client may alter, is
// read without panic into a position that encodes back to itself, or refused with a
// bounded EINVALID naming cursor. Its seed corpus is in testdata/fuzz; .ci/run runs it
// for a few seconds.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{id: 42}, false), false)
	f.Add(encodeCursor(cursor{id: 7, updatedAt: time.Date(2026, 1, 2, 15, 4, 5, 6, time.UTC)}, true), true)
	f.Add("YzE6LTE", false) // c1:-1
	f.Fuzz(func(t *testing.T, s string, byUpdate bool) {
		c, err := decodeCursor(s, byUpdate)
		if err != nil {
			var de *models.Error
			if !errors.As(err, &de) || de.Code != models.EINVALID || len(de.Fields) != 1 || de.Fields[0].Field != "cursor" || len(de.Error()) > 200 {
				t.Fatalf("decodeCursor(%q) error %v", s, err)
			}
			return
		}
		if s == "" {
			return
		}
		if c.id <= 0 {
			t.Fatalf("decodeCursor(%q) = id %d", s, c.id)
		}
		again, err := decodeCursor(encodeCursor(c, byUpdate), byUpdate)
		if err != nil || again.id != c.id || !again.updatedAt.Equal(c.updatedAt) {
			t.Fatalf("cursor %+v encodes to one read as %+v, %v", c, again, err)
		}
	})
}
