package handlers_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestCursorParameters: a position parameter that is not one this server hands out is
// a 422 naming it, never a page read from somewhere else.
func TestCursorParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, withSpamlist(t))
	for _, tt := range []struct{ path, field string }{
		{"/api/v1/merges?before=zzzz", "before"},
		{"/api/v1/merges?before=0", "before"},
		{"/api/v1/merges?before=%20", "before"},
		{"/api/v1/merges?before=00000000-0000-0000-0000-00000000000g", "before"},
		{"/api/v1/merges?before=urn:uuid:01890a5d-ac96-774b-bcce-b302099a8057", "before"},
		{"/api/v1/merges?before=01890a5dac96774bbcceb302099a8057", "before"},
		{"/api/v1/merges?before=%7B01890a5d-ac96-774b-bcce-b302099a8057%7D", "before"},
		{"/api/v1/contacts?cursor=zzzz", "cursor"},
		{"/api/v1/spamlist?after=zzzz", "after"},
		{"/api/v1/spamlist?after=-1", "after"},
		{"/api/v1/events?after=zzzz", "after"},
	} {
		e := b.fail(t, http.MethodGet, tt.path, nil, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{tt.field}) {
			t.Errorf("GET %s: fields %v, want [%s]", tt.path, e.fields(), tt.field)
		}
	}
	// A merge id in either case is one.
	for _, before := range []string{"01890a5d-ac96-774b-bcce-b302099a8057", "01890A5D-AC96-774B-BCCE-B302099A8057"} {
		b.call(t, http.MethodGet, "/api/v1/merges?before="+before, nil, http.StatusOK, nil)
	}
}
