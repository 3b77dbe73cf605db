package handlers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// openAPIMethods are the HTTP methods an OpenAPI path item can describe.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// jsonSchema is the part of a JSON Schema the tests compare with the code.
type jsonSchema struct {
	Ref               string                 `json:"$ref"`
	Type              any                    `json:"type"`
	Properties        map[string]*jsonSchema `json:"properties"`
	PatternProperties map[string]*jsonSchema `json:"patternProperties"`
	Required          []string               `json:"required"`
	Enum              []any                  `json:"enum"`
	MaxLength         *int                   `json:"maxLength"`
	AnyOf             []*jsonSchema          `json:"anyOf"`
}

type openAPIOperation struct {
	OperationID string            `json:"operationId"`
	Tags        []string          `json:"tags"`
	Summary     string            `json:"summary"`
	Security    *[]map[string]any `json:"security"`
	Parameters  []struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
	RequestBody json.RawMessage            `json:"requestBody"`
}

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Tags       []struct{ Name string }               `json:"tags"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas    map[string]*jsonSchema `json:"schemas"`
		Parameters map[string]struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	} `json:"components"`
}

// operations returns the document's operations by "method path".
func (d *openAPIDoc) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	out := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if !slices.Contains(openAPIMethods, method) {
				continue // path-level parameters, summary, …
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			out[method+" "+path] = op
		}
	}
	return out
}

// fetchSpec gets the document the server serves and checks it is the embedded file,
// byte for byte: served as it is, never re-encoded.
func fetchSpec(t *testing.T, b *bundle) (*openAPIDoc, map[string]any) {
	t.Helper()
	rec := b.do(t, http.MethodGet, "/openapi.json", nil, withKey(""))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /openapi.json: Content-Type %q", ct)
	}
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Body.Bytes(), file) {
		t.Fatal("GET /openapi.json does not serve handlers/openapi.json as it is")
	}
	var doc openAPIDoc
	var raw map[string]any
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := json.Unmarshal(file, &raw); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	return &doc, raw
}

// TestOpenAPIMatchesRouter checks that the document lists exactly the routes the
// server registers, so neither can change without the other.
func TestOpenAPIMatchesRouter(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Metrics = handlers.NewMetrics() }) // /metrics exists only with metrics
	doc, _ := fetchSpec(t, b)
	ops := doc.operations(t)

	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	// "…/handlers.(*API).createContact-fm" for a method value, "…/handlers.docs" for a function.
	handlerName := regexp.MustCompile(`^github\.com/contacthub/contacthub/handlers\.(?:\(\*API\)\.)?([A-Za-z0-9_]+)(?:-fm)?$`)
	routes := map[string]string{} // "method path" → handler name
	for _, r := range b.e.Routes() {
		method := strings.ToLower(r.Method)
		if !slices.Contains(openAPIMethods, method) {
			continue // Echo's internal not-found/any routes; OpenAPI cannot describe them
		}
		if strings.Contains(r.Path, "*") {
			t.Errorf("route %s %s: a wildcard cannot be described in OpenAPI", r.Method, r.Path)
		}
		routes[method+" "+param.ReplaceAllString(r.Path, "{$1}")] = r.Name
	}
	for key, name := range routes {
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		// The operationId is the handler's name, so a path documented with another
		// handler's operation is caught too. Closures (/metrics) have no usable name.
		if m := handlerName.FindStringSubmatch(name); m != nil && op.OperationID != m[1] {
			t.Errorf("%s: operationId %q, but the route's handler is %s", key, op.OperationID, m[1])
		}
	}
	for key := range ops {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json documents %s, which the server does not register", key)
		}
	}
}

// TestOpenAPIOperations checks what every operation needs to be usable and unique.
func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	doc, _ := fetchSpec(t, setup(t))
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for key, op := range doc.operations(t) {
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		} else if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %q also used by %s", key, op.OperationID, other)
		}
		ids[op.OperationID] = key
		if len(op.Tags) == 0 {
			t.Errorf("%s: no tag", key)
		}
		for _, tag := range op.Tags {
			if !tags[tag] {
				t.Errorf("%s: tag %q is not in the document's tag list", key, tag)
			}
		}
		if op.Summary == "" {
			t.Errorf("%s: no summary", key)
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", key)
		}
		// Routes behind the API key say so: they can answer 401, and 400 and 403 for
		// a Tenant-ID that is malformed or not the key's.
		if authed := op.Security == nil || len(*op.Security) > 0; authed {
			for _, status := range []string{"400", "401", "403"} {
				if _, ok := op.Responses[status]; !ok {
					t.Errorf("%s: needs a key but does not document %s", key, status)
				}
			}
		}
		// A body not declared as JSON is a 415.
		if _, ok := op.Responses["415"]; (op.RequestBody != nil) != ok {
			t.Errorf("%s: request body %t, documents 415 %t", key, op.RequestBody != nil, ok)
		}
		// Path parameters in the template and in the list agree.
		want := map[string]bool{}
		for _, m := range pathParam.FindAllStringSubmatch(strings.SplitN(key, " ", 2)[1], -1) {
			want[m[1]] = true
		}
		got := map[string]bool{}
		for _, p := range op.Parameters {
			name, in := p.Name, p.In
			if p.Ref != "" {
				c := doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				name, in = c.Name, c.In
			}
			if in == "path" {
				got[name] = true
			}
		}
		if !maps.Equal(want, got) {
			t.Errorf("%s: path parameters %v, template has %v", key, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
}

// TestOpenAPIRefsResolve checks that every $ref points at something in the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	_, raw := fetchSpec(t, setup(t))
	n := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if ref, ok := child.(string); ok && k == "$ref" {
					n++
					if _, err := jsonPointer(raw, ref); err != nil {
						t.Errorf("%s: $ref %q: %v", at, ref, err)
					}
					continue
				}
				walk(child, at+"/"+k)
			}
		case []any:
			for i, child := range v {
				walk(child, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(raw, "#")
	if n == 0 {
		t.Fatal("no $ref found; the walk is broken")
	}
}

// jsonPointer resolves a local reference such as "#/components/schemas/Error".
func jsonPointer(doc any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, errors.New("not a local reference")
	}
	node := doc
	for part := range strings.SplitSeq(rest, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not inside an object", part)
		}
		if node, ok = m[part]; !ok {
			return nil, fmt.Errorf("no %q", part)
		}
	}
	return node, nil
}

// TestOpenAPIContactFields compares the contact schemas with the server's own field
// tables, so a field added to (or removed from) the server without the document
// fails here.
func TestOpenAPIContactFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc, _ := fetchSpec(t, b)
	schema := func(name string) *jsonSchema {
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Fatalf("no schema %s", name)
		}
		return s
	}
	text := models.TextFieldNames()
	readable := append(slices.Clone(text), models.ReadableFields...)
	writable := func(mode models.SubmissionMode) []string {
		return append(slices.Clone(text), submissionKeys(t, mode)...)
	}
	var full map[string]any // the native API's full contact, as served
	id := b.createContact(t, map[string]any{"mail": "openapi@example.com"})
	b.call(t, http.MethodGet, "/api/v1/contacts/"+itoa(id), nil, http.StatusOK, &full)

	for _, tc := range []struct {
		schema string
		want   []string
	}{
		{"Contact", readable},                                                  // fields= / return_fields
		{"ContactInput", writable(models.ForCreate)},                           // POST contact(s)
		{"ContactUpdate", append(writable(models.ForUpdate), "return_fields")}, // PUT contact/{id}
		{"FullContact", slices.Collect(maps.Keys(full))},                       // GET /api/v1/contacts/{id}
	} {
		s := schema(tc.schema)
		got, want := slices.Sorted(maps.Keys(s.Properties)), slices.Sorted(slices.Values(tc.want))
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s properties:\n got %v\nwant %v", tc.schema, got, want)
		}
		custom := false
		for pattern := range s.PatternProperties {
			re, err := regexp.Compile(pattern)
			if err != nil {
				t.Fatalf("%s: pattern %q: %v", tc.schema, pattern, err)
			}
			custom = custom || (re.MatchString(models.CustomFieldPrefix+models.MachineName("Budget (€)")) && !re.MatchString("first_name"))
		}
		if !custom {
			t.Errorf("%s: no patternProperties for custom fields (field_<name>)", tc.schema)
		}
	}
	if got := schema("FullContact").Required; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(maps.Keys(full))) {
		t.Errorf("FullContact required %v, the server always sends %v", got, slices.Sorted(maps.Keys(full)))
	}

	// The names fields= and return_fields= accept.
	rf := schema("ReadableField")
	if len(rf.AnyOf) == 0 || !slices.Equal(sortedStrings(rf.AnyOf[0].Enum), slices.Sorted(slices.Values(readable))) {
		t.Errorf("ReadableField enum does not list models.TextFieldNames and models.ReadableFields")
	}

	// Every documented maxLength is the server's: one character more is refused as too long.
	for _, name := range []string{"ContactInput", "ContactUpdate"} {
		for field, p := range schema(name).Properties {
			if slices.Contains(text, field) && p.MaxLength == nil {
				t.Errorf("%s.%s: no maxLength", name, field)
			}
			if p.MaxLength == nil {
				continue
			}
			value, _ := json.Marshal(strings.Repeat("a", *p.MaxLength+1))
			_, err := models.DecodeSubmission(map[string]json.RawMessage{field: value}, nil, models.ForCreate)
			if want := fmt.Sprintf("is longer than %d characters", *p.MaxLength); !hasFieldError(err, field, want) {
				t.Errorf("%s.%s: maxLength %d, but %d characters give %v", name, field, *p.MaxLength, *p.MaxLength+1, err)
			}
		}
	}

	// Enumerations: every documented value is accepted, and mail_status lists exactly
	// the server's codes.
	in := schema("ContactInput").Properties
	var codes []string
	for _, v := range in["mail_status"].Enum {
		if v != nil {
			codes = append(codes, fmt.Sprint(v))
		}
	}
	var known []string
	for code := range models.MailStatusNames {
		known = append(known, strconv.Itoa(code))
	}
	slices.Sort(codes)
	slices.Sort(known)
	if !slices.Equal(codes, known) {
		t.Errorf("mail_status enum %v, the server knows %v", codes, known)
	}
	for _, field := range []string{"title", "phone_type", "phone2_type", "mail_status"} {
		for _, v := range in[field].Enum {
			value, _ := json.Marshal(v)
			if _, err := models.DecodeSubmission(map[string]json.RawMessage{field: value}, nil, models.ForCreate); err != nil {
				t.Errorf("%s: documented value %s is refused: %v", field, value, err)
			}
		}
	}
	for _, v := range sortedStrings(schema("DuplicateCheckMethod").Enum) {
		if _, ok := models.ParseCheckMethod(v); !ok {
			t.Errorf("duplicate_check_method %q is documented but refused", v)
		}
	}
	for _, v := range sortedStrings(schema("DuplicateMergeMethod").Enum) {
		if _, ok := models.ParseMergeMethod(v); !ok {
			t.Errorf("duplicate_merge_method %q is documented but refused", v)
		}
	}
	for _, v := range sortedStrings(schema("FieldType").Enum) {
		f := models.CustomField{Label: "x", FieldType: v}
		if err := f.Validate(); err != nil {
			t.Errorf("field_type %q is documented but refused: %v", v, err)
		}
	}
}

// submissionKeys returns the non-text keys DecodeSubmission writes in mode. They are
// the case labels of its switch on the key: the code is the only list of them, so the
// test reads it, and asks DecodeSubmission which are writable (id, created and changed
// are labels too, but read-only).
func submissionKeys(t *testing.T, mode models.SubmissionMode) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "../models/submission.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	ast.Inspect(file, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "decodeFields" { // where DecodeSubmission and DecodeValues hold every field to its rules
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if tag, ok := sw.Tag.(*ast.Ident); !ok || tag.Name != "key" {
				return true
			}
			for _, stmt := range sw.Body.List {
				for _, e := range stmt.(*ast.CaseClause).List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						labels = append(labels, s)
					}
				}
			}
			return false
		})
		return false
	})
	if len(labels) == 0 {
		t.Fatal("no `switch key` with string cases in models.decodeFields: update submissionKeys")
	}
	var out []string
	for _, key := range labels {
		if _, err := models.DecodeSubmission(map[string]json.RawMessage{key: json.RawMessage("null")}, nil, mode); err == nil {
			out = append(out, key)
		}
	}
	return out
}

func hasFieldError(err error, field, reason string) bool {
	var de *models.Error
	if !errors.As(err, &de) {
		return false
	}
	return slices.Contains(de.Fields, models.FieldError{Field: field, Error: reason})
}

func sortedStrings(values []any) []string {
	var out []string
	for _, v := range values {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return slices.Sorted(slices.Values(out))
}

// TestDocsPage checks that /docs is an HTML page that loads nothing from elsewhere and
// never inserts spec text as HTML.
func TestDocsPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/docs", nil, withKey(""))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /docs: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET /docs: Content-Type %q", ct)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET /docs: Content-Security-Policy %q does not forbid loading from elsewhere", csp)
	}
	page := rec.Body.String()
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//|@import|url\(\s*["']?(https?:)?//`)
	if m := external.FindString(page); m != "" {
		t.Errorf("/docs references an external resource: %q", m)
	}
	if strings.Contains(page, "innerHTML") || strings.Contains(page, "insertAdjacentHTML") || strings.Contains(page, "document.write") {
		t.Error("/docs inserts HTML from strings; build elements and set textContent instead")
	}
	if !strings.Contains(page, "openapi.json") {
		t.Error("/docs does not load openapi.json")
	}
}

// TestOpenAPIIdempotencyKey checks that exactly the routes that honour an
// Idempotency-Key document it: a malformed key is a 422 naming the header on those
// routes, and is ignored elsewhere (the requests here write nothing: ids 0, empty bodies).
func TestOpenAPIIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) { a.Spamlist = storetest.Open(t) }) // every route has its store
	doc, _ := fetchSpec(t, b)
	pathParam := regexp.MustCompile(`\{[^}]+\}`)
	honoured := 0
	for key, op := range doc.operations(t) {
		method, path, _ := strings.Cut(key, " ")
		documented := false
		for _, p := range op.Parameters {
			documented = documented || p.Ref == "#/components/parameters/IdempotencyKey"
		}
		rec := b.do(t, strings.ToUpper(method), pathParam.ReplaceAllString(path, "0"), "{}",
			withHeader("Idempotency-Key", strings.Repeat("k", 256)))
		var e apiError
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		honours := rec.Code == http.StatusUnprocessableEntity && slices.Contains(e.fields(), "Idempotency-Key")
		if honours != documented {
			t.Errorf("%s: honours Idempotency-Key %v, documents it %v", key, honours, documented)
		}
		if honours {
			honoured++
			if _, ok := op.Responses["409"]; !ok {
				t.Errorf("%s: honours Idempotency-Key but does not document its 409", key)
			}
		}
	}
	if honoured == 0 {
		t.Fatal("no route honours Idempotency-Key; the probe is broken")
	}
}
