package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
)

// adversarialBytes is the size of the bodies and query values that try to make an
// answer grow with the request.
const adversarialBytes = 2 << 20

// answerBound is the most bytes any answer to one adversarial request may have:
// a capped list of errors with short excerpts, whatever the body.
const answerBound = 64 << 10

// bulkItemBound bounds one entry of a bulk create answer; a bulk answer holds at most
// MaxBulkContacts of them.
const bulkItemBound = 8 << 10

// jsonList is a JSON array of elem repeated until it is about size bytes.
func jsonList(elem string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + len(elem) + 2)
	b.WriteByte('[')
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(elem)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// jsonObject is a JSON object of distinct keys k0, k1, … with value val, about size bytes.
func jsonObject(key, val string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteByte('{')
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%d":%s`, key, i, val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonListN is a JSON array of n copies of elem.
func jsonListN(elem string, n int) []byte {
	return append(append([]byte{'['}, bytes.Repeat([]byte(elem+","), n)[:n*(len(elem)+1)-1]...), ']')
}

// jsonObjectN is a JSON object of n distinct keys k0, k1, … with value val.
func jsonObjectN(key, val string, n int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%d":%s`, key, i, val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// wrap builds prefix + inner + suffix.
func wrap(prefix string, inner []byte, suffix string) []byte {
	return append(append([]byte(prefix), inner...), suffix...)
}

type adversarialCase struct {
	name, method, path string
	body               []byte // nil: none (a query parameter is the attack)
	bound              int
	// truncated: the answer lists only the first of its problems and counts them all.
	truncated bool
}

// adversarialCases are large hostile requests to every route with a body and to the
// routes that read query parameters: many ids, many unknown fields, many return_fields,
// long keys and values, deep nesting. contactID is an existing contact of the tenant.
func adversarialCases(contactID int64) []adversarialCase {
	const n = adversarialBytes
	long := strings.Repeat("x", n)
	longQuery := strings.Repeat("x", n/4)
	contact := "/public/api/V1/contact/" + itoa(contactID)
	zeros := jsonList("0", n)
	longIDs := jsonList(`"`+strings.Repeat("9", 300)+`x"`, n)
	unknown := jsonObject("k", "0", n)
	returnFields := jsonList(`"nope"`, n)
	bulkItems := make([][]byte, handlers.MaxBulkContacts)
	for i := range bulkItems {
		bulkItems[i] = jsonObject("k", "0", n/handlers.MaxBulkContacts)
	}
	bulk := wrap(`{"contacts": [`, bytes.Join(bulkItems, []byte(",")), `]}`)
	bulkFull := wrap(`{"contacts": `, jsonListN(string(jsonObjectN("k", "0", 1000)), handlers.MaxBulkContacts), `}`)
	bulkBound := handlers.MaxBulkContacts * bulkItemBound
	cases := []adversarialCase{
		{"terms put zeros", http.MethodPut, contact + "/terms", zeros, answerBound, false},
		{"terms post zeros", http.MethodPost, contact + "/terms", zeros, answerBound, false},
		{"terms delete zeros", http.MethodDelete, contact + "/terms", zeros, answerBound, false},
		{"terms put long ids", http.MethodPut, contact + "/terms", longIDs, answerBound, false},
		{"terms put one long id", http.MethodPut, contact + "/terms", []byte(`["` + long + `"]`), answerBound, false},
		{"terms put long number", http.MethodPut, contact + "/terms", []byte(`[` + strings.Repeat("9", n) + `]`), answerBound, false},
		{"comments delete zeros", http.MethodDelete, contact + "/comments", zeros, answerBound, false},
		{"comments post long", http.MethodPost, contact + "/comments", []byte(`{"comment": "` + long + `"}`), answerBound, false},
		{"comments put unknown", http.MethodPut, contact + "/comments", unknown, answerBound, false},
		{"contact post unknown fields", http.MethodPost, "/public/api/V1/contact", wrap(`{"contact": `, unknown, `}`), answerBound, false},
		{"contact post return_fields", http.MethodPost, "/public/api/V1/contact",
			wrap(`{"contact": {"mail": "a@example.com"}, "return_fields": `, returnFields, `}`), answerBound, false},
		{"contact post long key", http.MethodPost, "/public/api/V1/contact", []byte(`{"contact": {"` + long + `": 1}}`), answerBound, false},
		{"contact post long mail", http.MethodPost, "/public/api/V1/contact", []byte(`{"contact": {"mail": "` + long + `"}}`), answerBound, false},
		{"contact post long top-level key", http.MethodPost, "/public/api/V1/contact", []byte(`{"` + long + `": 1}`), answerBound, false},
		{"contact post long number", http.MethodPost, "/public/api/V1/contact", []byte(`{"flood_limit": ` + strings.Repeat("9", n) + `}`), answerBound, false},
		{"contact post terms zeros", http.MethodPost, "/public/api/V1/contact", wrap(`{"contact": {"mail": "a@example.com", "terms": `, zeros, `}}`), answerBound, false},
		{"contact post deep", http.MethodPost, "/public/api/V1/contact", []byte(strings.Repeat("[", n)), answerBound, false},
		{"contact post deep objects", http.MethodPost, "/public/api/V1/contact", []byte(strings.Repeat(`{"a":`, n/5)), answerBound, false},
		{"contact put unknown fields", http.MethodPut, contact, unknown, answerBound, false},
		{"contact put return_fields", http.MethodPut, contact, wrap(`{"first_name": "A", "return_fields": `, returnFields, `}`), answerBound, false},
		{"contact put long key", http.MethodPut, contact, []byte(`{"` + long + `": 1}`), answerBound, false},
		{"bulk unknown fields", http.MethodPost, "/public/api/V1/contacts", bulk, bulkBound, false},
		{"bulk many items", http.MethodPost, "/public/api/V1/contacts", wrap(`{"contacts": `, jsonList("{}", n), `}`), answerBound, false},
		{"bulk many null items", http.MethodPost, "/public/api/V1/contacts", wrap(`{"contacts": `, jsonList("1", 3000), `}`), answerBound, false},
		{"bulk return_fields", http.MethodPost, "/public/api/V1/contacts",
			wrap(`{"contacts": [{"mail": "a@example.com"}], "return_fields": `, returnFields, `}`), answerBound, false},
		{"bulk long mails", http.MethodPost, "/public/api/V1/contacts",
			wrap(`{"contacts": `, jsonList(`{"mail": "`+strings.Repeat("m", n/handlers.MaxBulkContacts)+`"}`, n), `}`), bulkBound, false},
		{"native create unknown fields", http.MethodPost, "/api/v1/contacts", wrap(`{"contact": `, unknown, `}`), answerBound, false},
		{"native create return_fields", http.MethodPost, "/api/v1/contacts",
			wrap(`{"contact": {"mail": "a@example.com"}, "return_fields": `, returnFields, `}`), answerBound, false},
		{"duplicates unknown fields", http.MethodPost, "/api/v1/contacts/duplicates", wrap(`{"contact": `, unknown, `}`), answerBound, false},
		{"merge unknown fields", http.MethodPost, "/api/v1/contacts/merge", wrap(`{"target_id": 1, "source_id": 2, "fields": `, jsonObject("k", `"x"`, n), `}`), answerBound, false},
		{"merge long field", http.MethodPost, "/api/v1/contacts/merge", []byte(`{"target_id": 1, "source_id": 2, "fields": {"` + long + `": "x"}}`), answerBound, false},
		{"term post long name", http.MethodPost, "/public/api/V1/terms", []byte(`{"name": "` + long + `"}`), answerBound, false},
		{"term put unknown", http.MethodPut, "/public/api/V1/terms/1", unknown, answerBound, false},
		{"custom field options", http.MethodPost, "/public/api/V1/custom-fields",
			wrap(`{"label": "x", "field_type": "selection", "options": `, jsonList(`""`, n), `}`), answerBound, false},
		{"custom field long options", http.MethodPost, "/public/api/V1/custom-fields",
			wrap(`{"label": "x", "field_type": "selection", "options": `, jsonList(`"`+strings.Repeat("o", 300)+`"`, n), `}`), answerBound, false},
		{"custom field put unknown", http.MethodPut, "/public/api/V1/custom-fields/1", unknown, answerBound, false},
		{"spamlist add long entries", http.MethodPost, "/api/v1/spamlist", wrap(`{"entries": `, jsonList(`"`+strings.Repeat("e", 300)+`"`, n), `}`), answerBound, false},
		{"spamlist remove long entries", http.MethodDelete, "/api/v1/spamlist", wrap(`{"entries": `, jsonList(`"`+strings.Repeat("e", 300)+`"`, n), `}`), answerBound, false},
		{"spamlist many entries", http.MethodPost, "/api/v1/spamlist", wrap(`{"entries": `, jsonList(`""`, n), `}`), answerBound, false},
		{"undo merge body", http.MethodPost, "/api/v1/merges/x/undo", unknown, answerBound, false},

		// Within the shape limits of a body: counted before validated, problems capped.
		{"terms put 1000 zeros", http.MethodPut, contact + "/terms", jsonListN("0", 1000), answerBound, true},
		{"terms put 10000 zeros", http.MethodPut, contact + "/terms", jsonListN("0", 10000), answerBound, false},
		{"terms delete 1000 long ids", http.MethodDelete, contact + "/terms", jsonListN(`"`+strings.Repeat("9", 2000)+`x"`, 1000), answerBound, true},
		{"comments delete 1000 zeros", http.MethodDelete, contact + "/comments", jsonListN(`"0"`, 1000), answerBound, true},
		{"contact post 1000 unknown fields", http.MethodPost, "/public/api/V1/contact", wrap(`{"contact": `, jsonObjectN(strings.Repeat("k", 1000), "0", 1000), `}`), answerBound, true},
		{"contact post 10000 return_fields", http.MethodPost, "/public/api/V1/contact",
			wrap(`{"contact": {"mail": "a@example.com"}, "return_fields": `, jsonListN(`"`+strings.Repeat("r", 200)+`"`, 10000), `}`), answerBound, true},
		{"contact post both", http.MethodPost, "/public/api/V1/contact",
			wrap(`{"contact": `, append(jsonObjectN("k", "0", 1000), wrap(`, "return_fields": `, jsonListN(`"nope"`, 10000), `}`)...), ""), answerBound, true},
		{"contact put 1000 unknown fields", http.MethodPut, contact, jsonObjectN("k", "0", 1000), answerBound, true},
		{"contact put 10000 return_fields", http.MethodPut, contact, wrap(`{"first_name": "A", "return_fields": `, jsonListN(`"nope"`, 10000), `}`), answerBound, true},
		{"native create 1000 unknown fields", http.MethodPost, "/api/v1/contacts", wrap(`{"contact": `, jsonObjectN("k", "0", 1000), `}`), answerBound, true},
		{"duplicates 1000 unknown fields", http.MethodPost, "/api/v1/contacts/duplicates", wrap(`{"contact": `, jsonObjectN("k", "0", 1000), `}`), answerBound, true},
		{"merge 1000 unknown fields", http.MethodPost, "/api/v1/contacts/merge", wrap(`{"target_id": 1, "source_id": 2, "fields": `, jsonObjectN("k", `"x"`, 1000), `}`), answerBound, true},
		{"custom field 10000 options", http.MethodPost, "/public/api/V1/custom-fields",
			wrap(`{"label": "x", "field_type": "selection", "options": `, jsonListN(`""`, 10000), `}`), answerBound, true},
		{"spamlist 10000 long entries", http.MethodPost, "/api/v1/spamlist", wrap(`{"entries": `, jsonListN(`"`+strings.Repeat("e", 500)+`"`, 10000), `}`), answerBound, true},
		{"bulk 1000 items of 1000 unknown fields", http.MethodPost, "/public/api/V1/contacts", bulkFull, bulkBound, false},
		{"bulk 10000 return_fields", http.MethodPost, "/public/api/V1/contacts",
			wrap(`{"contacts": [{"mail": "a@example.com"}], "return_fields": `, jsonListN(`"nope"`, 10000), `}`), answerBound, true},

		{"get fields", http.MethodGet, contact + "?fields=" + strings.Repeat("nope,", n/20), nil, answerBound, false},
		{"get long field", http.MethodGet, contact + "?fields=" + longQuery, nil, answerBound, false},
		{"get long ref", http.MethodGet, "/public/api/V1/contact/" + longQuery, nil, answerBound, false},
		{"get long mail", http.MethodGet, "/public/api/V1/contact/" + longQuery + "@example.com", nil, answerBound, false},
		{"list long cursor", http.MethodGet, "/api/v1/contacts?cursor=" + longQuery, nil, answerBound, false},
		{"list long query", http.MethodGet, "/api/v1/contacts?q=" + longQuery + "&mail=" + longQuery + "&term=" + longQuery + "&updated_since=" + longQuery + "&limit=" + longQuery, nil, answerBound, false},
		{"merges long before", http.MethodGet, "/api/v1/merges?before=" + longQuery, nil, answerBound, false},
		{"merges long params", http.MethodGet, "/api/v1/merges?limit=" + longQuery + "&contact_id=" + longQuery, nil, answerBound, false},
		{"merge long id", http.MethodGet, "/api/v1/merges/" + longQuery, nil, answerBound, false},
		{"terms long params", http.MethodGet, "/public/api/V1/terms?offset=" + longQuery + "&limit=" + longQuery, nil, answerBound, false},
		{"term long ref", http.MethodGet, "/public/api/V1/terms/" + longQuery, nil, answerBound, false},
		{"comments long params", http.MethodGet, contact + "/comments?range=" + longQuery + "&sort=" + longQuery, nil, answerBound, false},
		{"spam check long ip", http.MethodGet, "/api/v1/spamlist/check?ip=" + longQuery, nil, answerBound, false},
		{"events long params", http.MethodGet, "/api/v1/events?after=" + longQuery + "&limit=" + longQuery + "&types=" + strings.Repeat("nope,", n/20), nil, answerBound, false},
		{"spam list long params", http.MethodGet, "/api/v1/spamlist?after=" + longQuery + "&limit=" + longQuery, nil, answerBound, false},
	}
	return cases
}

// TestAdversarialAnswersBounded: no answer grows with the request. Errors are capped
// in number (truncated, error_count), every echoed value is a short excerpt, and sizes
// and counts are checked before the elements, whatever the body or query.
func TestAdversarialAnswersBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, withLimits(setup(t).st, "100000/s"))
	id := b.createContact(t, map[string]any{"mail": "adversary@example.com"})
	for _, tt := range adversarialCases(id) {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != nil {
				body = tt.body
			}
			rec := b.do(t, tt.method, tt.path, body)
			if rec.Code >= 500 {
				t.Fatalf("status %d: %.300s", rec.Code, rec.Body)
			}
			if rec.Body.Len() > tt.bound {
				t.Fatalf("status %d, answer of %d bytes (bound %d) to a request of %d: %.300s…", rec.Code, rec.Body.Len(), tt.bound, len(tt.path)+len(tt.body), rec.Body)
			}
			if tt.truncated {
				e := checkError(t, rec, tt.method, tt.path, http.StatusUnprocessableEntity)
				if !e.Truncated || len(e.Errors) != models.MaxFieldErrors || e.ErrorCount <= len(e.Errors) {
					t.Fatalf("want the first %d problems, truncated and error_count; got %d, %v, %d", models.MaxFieldErrors, len(e.Errors), e.Truncated, e.ErrorCount)
				}
			}
			t.Logf("status %d, %d bytes: %.200s", rec.Code, rec.Body.Len(), rec.Body)
		})
	}
}

// TestAdversarialMemoryBounded sends 10 hostile requests at once and samples the heap
// while they run: the peak must stay within a fixed bound, and all that is allocated
// within a fixed multiple of the requests, far below what one answer per element cost
// (73 MB for one 2 MB body of ids). It does not run in parallel with other tests,
// which would share the heap it measures.
func TestAdversarialMemoryBounded(t *testing.T) {
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "adversary@example.com"})
	byName := map[string]adversarialCase{}
	for _, c := range adversarialCases(id) {
		byName[c.name] = c
	}
	var reqs []adversarialCase
	total := 0
	for _, name := range []string{"terms put zeros", "terms delete 1000 long ids", "comments delete 1000 zeros",
		"contact post 1000 unknown fields", "contact post 10000 return_fields", "contact put unknown fields",
		"merge 1000 unknown fields", "custom field 10000 options", "spamlist 10000 long entries",
		"bulk unknown fields"} {
		c, ok := byName[name]
		if !ok {
			t.Fatalf("no case %q", name)
		}
		reqs = append(reqs, c)
		total += len(c.body)
	}
	byName = nil

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := before.HeapAlloc
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var wg sync.WaitGroup
	sizes := make([]int, len(reqs))
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := b.do(t, r.method, r.path, r.body)
			sizes[i] = rec.Body.Len()
		}()
	}
	wg.Wait()
	close(done)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(peak) - int64(before.HeapAlloc)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("10 requests of %d bytes in all: heap grew by %d MB at its peak, %d MB allocated in all; answers %v bytes",
		total, grew>>20, allocated>>20, sizes)
	if grew > memoryBound {
		t.Errorf("heap grew by %d MB under 10 hostile requests, bound %d MB", grew>>20, memoryBound>>20)
	}
	if allocated > allocPerBodyByte*uint64(total) {
		t.Errorf("%d MB allocated for %d MB of requests, bound %d times the requests", allocated>>20, total>>20, allocPerBodyByte)
	}
}

// Bounds of TestAdversarialMemoryBounded. With an answer per element, the heap grew by
// 577 MB and 1,453 MB were allocated (88 times the requests); now about 50 MB and 13
// times the requests.
const (
	memoryBound      = 160 << 20
	allocPerBodyByte = 32
)

// TestErrorCounts: an answer of more than MaxFieldErrors problems lists the first of
// them, with truncated and error_count; one within the cap has neither. A bulk entry
// lists at most 10 of its problems, counted the same way.
func TestErrorCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := b.fail(t, http.MethodPut, "/public/api/V1/contact/1", jsonObjectN("k", "0", 250), http.StatusUnprocessableEntity)
	if !e.Truncated || e.ErrorCount != 250 || len(e.Errors) != models.MaxFieldErrors {
		t.Errorf("250 unknown fields: %d errors, truncated %v, error_count %d", len(e.Errors), e.Truncated, e.ErrorCount)
	}
	e = b.fail(t, http.MethodPut, "/public/api/V1/contact/1", jsonObjectN("k", "0", models.MaxFieldErrors), http.StatusUnprocessableEntity)
	if e.Truncated || e.ErrorCount != 0 || len(e.Errors) != models.MaxFieldErrors {
		t.Errorf("%d unknown fields: %d errors, truncated %v, error_count %d", models.MaxFieldErrors, len(e.Errors), e.Truncated, e.ErrorCount)
	}

	var got []struct {
		Email      string       `json:"email"`
		Error      bool         `json:"error"`
		Message    string       `json:"message"`
		Errors     []fieldError `json:"errors"`
		Truncated  bool         `json:"truncated"`
		ErrorCount int          `json:"error_count"`
	}
	body := wrap(`{"contacts": [`, append(jsonObjectN("k", "0", 30), []byte(`, {"mail": "bad", "phone": "x"}, {"mail": "`+strings.Repeat("m", 1000)+`"}`)...), `]}`)
	b.call(t, http.MethodPost, "/public/api/V1/contacts", body, http.StatusOK, &got)
	if len(got) != 3 {
		t.Fatalf("%d entries, want 3", len(got))
	}
	// 30 unknown fields and no identity: 31 problems.
	if first := got[0]; !first.Error || len(first.Errors) != 10 || !first.Truncated || first.ErrorCount != 31 || !strings.HasSuffix(first.Message, "and 21 more") {
		t.Errorf("entry of 31 problems: %d errors, truncated %v, error_count %d, message %q", len(first.Errors), first.Truncated, first.ErrorCount, first.Message)
	}
	if second := got[1]; len(second.Errors) != 2 || second.Truncated || second.ErrorCount != 0 || second.Email != "bad" {
		t.Errorf("entry of 2 problems: %+v", second)
	}
	if third := got[2]; len(third.Email) > 254 || !strings.HasPrefix(third.Email, "mmm") {
		t.Errorf("a long mail is echoed with %d bytes", len(third.Email))
	}
}

// TestErrorAnswerBound: whatever error a handler returns, its answer lists at most
// MaxFieldErrors problems and clips every string, so it is at most a fixed size: the
// clipped bytes, each escaped in at most 6 bytes of JSON (\u0001), plus the syntax.
func TestErrorAnswerBound(t *testing.T) {
	t.Parallel()
	nasty := strings.Repeat("\x01\"\xff€", 10000)
	fields := make([]models.FieldError, 1000)
	for i := range fields {
		fields[i] = models.FieldError{Field: nasty, Error: nasty}
	}
	e := handlers.New(&handlers.API{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), rec)
	handlers.HTTPErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))(
		&models.Error{Code: models.EINVALID, Message: nasty, Fields: fields, Omitted: 5}, c)
	const bound = 6*(models.MaxMessageLen+models.MaxFieldErrors*(models.MaxFieldLen+models.MaxReasonLen)) + models.MaxFieldErrors*32 + 128
	size := rec.Body.Len()
	if size > bound {
		t.Fatalf("answer of %d bytes, bound %d", size, bound)
	}
	got := checkError(t, rec, http.MethodPost, "/", http.StatusUnprocessableEntity)
	if len(got.Errors) != models.MaxFieldErrors || !got.Truncated || got.ErrorCount != 1005 {
		t.Fatalf("%d errors, truncated %v, error_count %d", len(got.Errors), got.Truncated, got.ErrorCount)
	}
	t.Logf("answer of %d bytes (bound %d)", size, bound)
}
