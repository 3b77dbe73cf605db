package handlers

// Fuzz targets for everything that reads client input in this package: request bodies
// (decodeBytes with checkText and scanShape, the id lists of the terms and comments
// endpoints) and query and path parameters through the real router. Their seed
// corpora are in testdata/fuzz; .ci/run runs each for a few seconds.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// fuzzAnswerBound is the most bytes an error answer may have, whatever the input.
const fuzzAnswerBound = 64 << 10

// fuzzOptions and fuzzRequest have the field kinds of the API's request types: an
// embedded struct (whose name encoding/json puts in paths), pointers, lists, maps and
// raw fields.
type fuzzOptions struct {
	ReturnFields []string `json:"return_fields"`
	FloodLimit   *int     `json:"flood_limit"`
	Spam         *bool    `json:"spam_protection"`
}

type fuzzRequest struct {
	Contact  map[string]json.RawMessage `json:"contact"`
	Contacts []json.RawMessage          `json:"contacts"`
	Fields   map[string]string          `json:"fields"`
	ID       *int64                     `json:"id"`
	Name     *string                    `json:"name"`
	Nested   *struct {
		URL string `json:"redirection_url"`
	} `json:"qntn"`
	fuzzOptions
}

// checkDecodeError fails unless err is what a body may cost a client: a 400, 413 or
// 422 whose answer is bounded.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var de *models.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %T %v is no *models.Error", err, err)
	}
	switch de.Code {
	case models.EBADREQUEST, models.ETOOLARGE, models.EINVALID:
	default:
		t.Fatalf("error code %s: %v", de.Code, err)
	}
	if de.Code == models.EINVALID && len(de.Fields) == 0 {
		t.Fatalf("EINVALID without fields: %v", err)
	}
	answer, merr := json.Marshal(de.Bounded(models.MaxFieldErrors))
	if merr != nil || len(answer) > fuzzAnswerBound {
		t.Fatalf("answer of %d bytes (%v)", len(answer), merr)
	}
}

// FuzzDecodeBody: decodeBytes never panics; it accepts only valid UTF-8 JSON and
// refuses everything else with a bounded 4xx.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"contact": {"mail": "a@example.com"}, "return_fields": ["mail"]}`, `{{"a","a"`, `[0,0,0]`, `{"a": 1, "A": 2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{new(fuzzRequest), new(map[string]json.RawMessage), new([]json.RawMessage), new(json.RawMessage)} {
			err := decodeBytes(body, v)
			if err != nil {
				checkDecodeError(t, err)
				continue
			}
			if !utf8.Valid(body) || !json.Valid(body) {
				t.Fatalf("accepted %q into %T", body, v)
			}
		}
		if checkText(body) == nil && !utf8.Valid(body) {
			t.Fatalf("checkText accepted invalid UTF-8")
		}
	})
}

// shapeOf is what a reference reading of valid JSON finds: a key given twice in one
// object (ignoring ASCII case), the deepest nesting, the longest array and the largest
// object. ascii is false when a key is not ASCII (case folding differs beyond it).
func shapeOf(body []byte) (dup bool, depth, elements, keys int, ascii bool) {
	type level struct {
		object bool
		n      int // elements or keys so far
		seen   map[string]bool
		key    bool // the next token of this object is a key (or its end)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*level
	ascii = true
	for {
		tok, err := dec.Token()
		if err != nil {
			return dup, depth, elements, keys, ascii
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true // the container was a value
			}
			continue
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			k := tok.(string)
			for i := range len(k) {
				ascii = ascii && k[i] < utf8.RuneSelf
			}
			dup = dup || top.seen[strings.ToLower(k)]
			top.seen[strings.ToLower(k)] = true
			top.n++
			keys = max(keys, top.n)
			top.key = false
			continue
		}
		if top != nil && !top.object {
			top.n++
			elements = max(elements, top.n)
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &level{object: d == '{', seen: map[string]bool{}, key: d == '{'})
			depth = max(depth, len(stack))
			continue
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

// FuzzScanShape: scanShape and duplicateKey never panic, and on valid JSON with ASCII
// keys they agree with a reading by encoding/json: a duplicate is found exactly when
// there is one, and the shape limits refuse exactly the bodies beyond them.
func FuzzScanShape(f *testing.F) {
	for _, s := range []string{`{"a": 1, "a": 2}`, `{{"a","a"`, `{"x": [{"k": 1}, {"k": 1, "K": 2}]}`, `[[[[]]]]`, `{"a\u0062": 1, "ab": 2}`} {
		f.Add([]byte(s))
	}
	small := shapeLimits{depth: 4, elements: 5, keys: 40} // reachable by the fuzzer; keys beyond manyKeys
	f.Fuzz(func(t *testing.T, body []byte) {
		dupPath := duplicateKey(body)
		shapeDup, err := scanShape(body, small)
		if err != nil {
			var de *models.Error
			if !errors.As(err, &de) || (de.Code != models.ETOOLARGE && de.Code != models.EBADREQUEST) {
				t.Fatalf("scanShape error %v", err)
			}
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			return
		}
		dup, depth, elements, keys, ascii := shapeOf(body)
		if !ascii {
			return
		}
		if (dupPath != "") != dup {
			t.Fatalf("duplicateKey = %q, reference finds a duplicate: %v", dupPath, dup)
		}
		beyond := depth > small.depth || elements > small.elements || keys > small.keys
		switch {
		case !dup && (err != nil) != beyond:
			t.Fatalf("scanShape error %v; reference: depth %d, elements %d, keys %d", err, depth, elements, keys)
		case !beyond && (shapeDup != "") != dup:
			t.Fatalf("scanShape duplicate %q; reference finds one: %v", shapeDup, dup)
		}
	})
}

// FuzzDecodeIDs: the id list of the terms and comments endpoints, as decodeIDs reads
// it, never panics; it answers sorted distinct positive ids, at most
// maxIDsPerRequest, or a bounded 4xx.
func FuzzDecodeIDs(f *testing.F) {
	for _, s := range []string{`[1, "2", 2]`, `[0]`, `null`, `{}`, `["12x"]`} {
		f.Add([]byte(s))
	}
	e := New(&API{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPut, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json") // as clients send it; else a 415
		ids, err := decodeIDs(e.NewContext(req, httptest.NewRecorder()), "terms")
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if len(ids) > maxIDsPerRequest || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) || (len(ids) > 0 && ids[0] <= 0) {
			t.Fatalf("ids %v", ids)
		}
	})
}

// Stub stores for FuzzQueryParams: every read answers something plausible, so the
// fuzzer explores the handlers' parsing, not the store.
type (
	fuzzAuth     struct{}
	fuzzContacts struct{ ContactStore }
	fuzzTerms    struct{ TermStore }
	fuzzComments struct{ CommentStore }
	fuzzMerges   struct{ MergeStore }
	fuzzFields   struct{ CustomFieldStore }
	fuzzSpam     struct{ SpamlistStore }
	fuzzEvents   struct{}
)

func (fuzzAuth) Authenticate(context.Context, string) (*models.Principal, error) {
	return &models.Principal{TenantID: 1, KeyID: 1}, nil
}

func (a fuzzAuth) Recheck(ctx context.Context, secret string) (*models.Principal, error) {
	return a.Authenticate(ctx, secret)
}

func fuzzContact(id int64) *models.Contact {
	return &models.Contact{ID: id, TenantID: 1, Mail: "a@example.com", Terms: []int64{1}, Custom: models.CustomValues{"note": "x"}, Version: 1}
}

func (fuzzContacts) GetContact(_ context.Context, _, id int64) (*models.Contact, error) {
	return fuzzContact(id), nil
}

func (fuzzContacts) FindContactsByMail(context.Context, int64, string) ([]*models.Contact, error) {
	return []*models.Contact{fuzzContact(1)}, nil
}

func (fuzzContacts) CustomFields(context.Context, int64, ...string) (map[string]*models.CustomField, error) {
	return map[string]*models.CustomField{"note": {Name: "note", FieldType: models.FieldTypeText, MaxLength: 255}}, nil
}

func (fuzzContacts) ListContacts(_ context.Context, _ int64, f models.ContactFilter) (*models.ContactPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &models.ContactPage{Contacts: []*models.Contact{fuzzContact(1)}, NextCursor: "YzE6MQ"}, nil
}

// fuzzService is the contact service's store: the reads of fuzzContacts; no GET route
// writes.
type fuzzService struct{ contacts.Store }

func (fuzzService) GetContact(ctx context.Context, tenant, id int64) (*models.Contact, error) {
	return fuzzContacts{}.GetContact(ctx, tenant, id)
}

func (fuzzService) CustomFields(ctx context.Context, tenant int64, want ...string) (map[string]*models.CustomField, error) {
	return fuzzContacts{}.CustomFields(ctx, tenant, want...)
}

func (fuzzTerms) ListTerms(context.Context, int64, int, int) ([]*models.Term, error) { return nil, nil }

func (fuzzTerms) GetTerm(_ context.Context, _ int64, ref string) (*models.Term, error) {
	return nil, models.Errorf(models.ENOTFOUND, "term %s not found", models.Quote(ref))
}

func (fuzzTerms) ContactTerms(context.Context, int64, int64) ([]*models.Term, error) { return nil, nil }

func (fuzzComments) ListComments(context.Context, int64, int64, int, int, bool) ([]*models.Comment, int64, error) {
	return nil, 0, nil
}

func (fuzzMerges) ListMerges(context.Context, int64, int64, string, int) ([]*models.Merge, error) {
	return nil, nil
}

func (fuzzMerges) GetMerge(_ context.Context, _ int64, id string) (*models.Merge, error) {
	return nil, models.Errorf(models.ENOTFOUND, "merge %s not found", models.Excerpt(id))
}

func (fuzzFields) ListCustomFields(context.Context, int64) ([]*models.CustomField, error) {
	return nil, nil
}

func (fuzzFields) GetCustomField(_ context.Context, _ int64, ref string) (*models.CustomField, error) {
	return nil, models.Errorf(models.ENOTFOUND, "custom field %s not found", models.Excerpt(ref))
}

func (fuzzSpam) ListSpamRanges(context.Context, int64, int64, int) ([]models.SpamEntry, error) {
	return nil, nil
}

func (fuzzEvents) ListEvents(_ context.Context, _ int64, f models.EventFilter) (*models.EventPage, error) {
	return &models.EventPage{Next: f.After}, nil
}

// fuzzGetRoutes are the routes that read path or query parameters; {} is the path
// parameter.
var fuzzGetRoutes = []string{
	"/public/api/V1/contact/{}", "/public/api/V1/contact/{}/terms", "/public/api/V1/contact/{}/comments",
	"/public/api/V1/terms", "/public/api/V1/terms/{}", "/public/api/V1/custom-fields/{}",
	"/api/v1/contacts", "/api/v1/contacts/{}", "/api/v1/merges", "/api/v1/merges/{}",
	"/api/v1/spamlist", "/api/v1/spamlist/check", "/api/v1/events",
}

// FuzzQueryParams: the query and path parameters of every GET route (fields, the list
// cursor and filters, merges' before, the change feed's after and types, limits and
// offsets, ids and names in the path)
// through the real router never answer 500 and never an answer beyond a fixed bound.
func FuzzQueryParams(f *testing.F) {
	f.Add(uint8(0), "1", "fields=mail,first_name,field_note")
	f.Add(uint8(6), "", "cursor=YzE6MQ&q=jan+do&updated_since=2026-01-02T15:04:05Z&limit=5")
	f.Add(uint8(8), "", "before=01a2&limit=2&contact_id=3")
	f.Add(uint8(2), "1", "range=1&limit=50&sort=desc")
	f.Add(uint8(11), "", "ip=203.0.113.7")
	e := New(&API{
		Auth: fuzzAuth{}, Contacts: fuzzContacts{}, CustomFields: fuzzFields{}, Merges: fuzzMerges{},
		Terms: fuzzTerms{}, Comments: fuzzComments{}, Spamlist: fuzzSpam{}, Events: fuzzEvents{},
		ContactService: contacts.New(contacts.Config{Store: fuzzService{}}),
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	f.Fuzz(func(t *testing.T, route uint8, ref, query string) {
		path := strings.Replace(fuzzGetRoutes[int(route)%len(fuzzGetRoutes)], "{}", url.PathEscape(ref), 1)
		req, err := http.NewRequest(http.MethodGet, "http://contacthub"+path+"?"+query, nil)
		if err != nil {
			t.Skip("not a URL a client can send")
		}
		req.Header.Set("Authorization", "Bearer key")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("GET %s: status %d: %s", req.URL, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var body struct {
				Error   bool   `json:"error"`
				Message string `json:"message"`
			}
			if rec.Body.Len() > fuzzAnswerBound || json.Unmarshal(rec.Body.Bytes(), &body) != nil || !body.Error || body.Message == "" {
				t.Fatalf("GET %s: status %d, answer of %d bytes: %.300s", req.URL, rec.Code, rec.Body.Len(), rec.Body)
			}
		}
	})
}
