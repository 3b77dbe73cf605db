package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// customField is a definition as GET custom-fields shows it.
type customField struct {
	FieldID     int64    `json:"field_id"`
	FieldName   string   `json:"field_name"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	FieldType   string   `json:"field_type"`
	Required    bool     `json:"required"`
	MaxLength   int      `json:"max_length"`
	Multiple    bool     `json:"multiple"`
	Options     []string `json:"options"`
}

type createdField struct {
	Success   bool   `json:"success"`
	FieldName string `json:"field_name"`
	FieldID   int64  `json:"field_id"`
}

func (b *bundle) createField(t testing.TB, def map[string]any) createdField {
	t.Helper()
	var out createdField
	b.call(t, http.MethodPost, "/public/api/V1/custom-fields", def, http.StatusOK, &out)
	if !out.Success || out.FieldID <= 0 || !strings.HasPrefix(out.FieldName, "field_") {
		t.Fatalf("create custom field %v = %+v", def, out)
	}
	return out
}

// TestCustomFieldTypes defines one field of every type and reads it back.
func TestCustomFieldTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		def  map[string]any
		want customField // FieldID is filled in
	}{
		{map[string]any{"label": "Nickname", "description": "what friends say", "field_type": "text", "max_length": 8},
			customField{FieldName: "field_nickname", Label: "Nickname", Description: "what friends say", Type: "string", FieldType: "text", MaxLength: 8}},
		{map[string]any{"label": "Long note", "field_type": "text"},
			customField{FieldName: "field_long_note", Label: "Long note", Type: "string", FieldType: "text", MaxLength: 255}},
		{map[string]any{"label": "Colour", "field_type": "selection", "options": []string{"red", "green"}, "required": true},
			customField{FieldName: "field_colour", Label: "Colour", Type: "string", FieldType: "selection", Required: true, Options: []string{"red", "green"}}},
		{map[string]any{"label": "Interests", "field_type": "selection", "multiple": true, "options": []string{"a", "b", "c"}},
			customField{FieldName: "field_interests", Label: "Interests", Type: "array", FieldType: "selection", Multiple: true, Options: []string{"a", "b", "c"}}},
		{map[string]any{"label": "Employees", "field_type": "integer"},
			customField{FieldName: "field_employees", Label: "Employees", Type: "integer", FieldType: "integer"}},
		{map[string]any{"label": "Budget (€)", "field_type": "float"},
			customField{FieldName: "field_budget", Label: "Budget (€)", Type: "float", FieldType: "float"}},
		{map[string]any{"label": "Signed on", "field_type": "date"},
			customField{FieldName: "field_signed_on", Label: "Signed on", Type: "string", FieldType: "date"}},
		{map[string]any{"label": "Last call", "field_type": "datetime"},
			customField{FieldName: "field_last_call", Label: "Last call", Type: "string", FieldType: "datetime"}},
		{map[string]any{"label": "Newsletter consent", "field_type": "checkbox_confirmation"},
			customField{FieldName: "field_newsletter_consent", Label: "Newsletter consent", Type: "object", FieldType: "checkbox_confirmation"}},
		{map[string]any{"label": "Website", "field_type": "url"},
			customField{FieldName: "field_website", Label: "Website", Type: "string", FieldType: "url"}},
	}
	b := setup(t)
	var want []customField
	for _, tt := range tests {
		created := b.createField(t, tt.def)
		tt.want.FieldID = created.FieldID
		if created.FieldName != tt.want.FieldName {
			t.Errorf("created %q, want %q", created.FieldName, tt.want.FieldName)
		}
		for _, ref := range []string{fmt.Sprint(created.FieldID), created.FieldName, strings.TrimPrefix(created.FieldName, "field_")} {
			var got customField
			b.call(t, http.MethodGet, "/public/api/V1/custom-fields/"+ref, nil, http.StatusOK, &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GET custom-fields/%s = %+v, want %+v", ref, got, tt.want)
			}
		}
		want = append(want, tt.want)
	}
	var list []customField
	b.call(t, http.MethodGet, "/public/api/v1/custom-fields/", nil, http.StatusOK, &list)
	if !reflect.DeepEqual(list, want) {
		t.Errorf("GET custom-fields = %+v, want %+v", list, want)
	}
}

func TestCustomFieldDefinitionErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Taken", "field_type": "text"})
	tests := []struct {
		name   string
		def    any
		status int
		fields []string
	}{
		{"no type", map[string]any{"label": "A"}, 422, []string{"field_type"}},
		{"unknown type", map[string]any{"label": "A", "field_type": "number"}, 422, []string{"field_type"}},
		{"no label", map[string]any{"field_type": "text"}, 422, []string{"label"}},
		{"label without letters", map[string]any{"label": "???", "field_type": "text"}, 422, []string{"label"}},
		{"max_length 7", map[string]any{"label": "A", "field_type": "text", "max_length": 7}, 422, []string{"max_length"}},
		{"max_length 256", map[string]any{"label": "A", "field_type": "text", "max_length": 256}, 422, []string{"max_length"}},
		{"max_length on integer", map[string]any{"label": "A", "field_type": "integer", "max_length": 20}, 422, []string{"max_length"}},
		{"options on text", map[string]any{"label": "A", "field_type": "text", "options": []string{"x"}}, 422, []string{"options"}},
		{"duplicate option", map[string]any{"label": "A", "field_type": "selection", "options": []string{"x", "x"}}, 422, []string{"options[1]"}},
		{"wrong JSON type", map[string]any{"label": "A", "field_type": "text", "max_length": "8"}, 422, []string{"max_length"}},
		{"unknown attribute", map[string]any{"label": "A", "field_type": "text", "size": 8}, 422, []string{"size"}},
		{"name taken", map[string]any{"label": "taken", "field_type": "integer"}, 409, nil},
		{"not an object", `["text"]`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, http.MethodPost, "/public/api/V1/custom-fields", tt.def, tt.status)
			if tt.fields != nil && !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want fields %v", e.Errors, tt.fields)
			}
		})
	}
}

func TestCustomFieldUpdateAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.createField(t, map[string]any{"label": "Colour", "field_type": "selection", "options": []string{"red"}})
	path := "/public/api/V1/custom-fields/" + f.FieldName
	var ok struct{ Success bool }
	b.call(t, http.MethodPut, path, map[string]any{"label": "Favourite colour", "description": "d", "options": []string{"red", "blue"}, "required": true}, http.StatusOK, &ok)
	var got customField
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &got)
	want := customField{FieldID: f.FieldID, FieldName: "field_colour", Label: "Favourite colour", Description: "d", Type: "string", FieldType: "selection", Required: true, Options: []string{"red", "blue"}}
	if !ok.Success || !reflect.DeepEqual(got, want) {
		t.Fatalf("after PUT: %+v, want %+v (name stays: values depend on it)", got, want)
	}
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"field_type": "text"}, "field_type"},
		{map[string]any{"multiple": true}, "multiple"},
		{map[string]any{"label": ""}, "label"},
		{map[string]any{"options": []string{"a", "a"}}, "options[1]"},
	} {
		e := b.fail(t, http.MethodPut, path, tt.body, http.StatusUnprocessableEntity)
		if !slices.Equal(e.fields(), []string{tt.field}) {
			t.Errorf("PUT %v: errors %+v, want %s", tt.body, e.Errors, tt.field)
		}
	}
	b.fail(t, http.MethodPut, "/public/api/V1/custom-fields/field_nope", map[string]any{"label": "x"}, http.StatusNotFound)
	b.call(t, http.MethodDelete, fmt.Sprintf("/public/api/V1/custom-fields/%d", f.FieldID), nil, http.StatusOK, &ok)
	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodDelete, path, nil, http.StatusNotFound)
	b.fail(t, http.MethodGet, "/public/api/V1/custom-fields/987654321", nil, http.StatusNotFound)
	var list []customField
	b.call(t, http.MethodGet, "/public/api/V1/custom-fields", nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("list after delete = %+v", list)
	}
}

// TestCustomFieldValues writes a value of every type as field_<name>, in POST contact
// and in PUT contact/{id}, and reads it back; type violations answer 422 naming the field.
func TestCustomFieldValues(t *testing.T) {
	t.Parallel()
	defs := map[string]map[string]any{
		"short":    {"label": "Short", "field_type": "text", "max_length": 8},
		"colour":   {"label": "Colour", "field_type": "selection", "options": []string{"red", "green"}},
		"tags":     {"label": "Tags", "field_type": "selection", "multiple": true, "options": []string{"a", "b", "c"}},
		"count":    {"label": "Count", "field_type": "integer"},
		"price":    {"label": "Price", "field_type": "float"},
		"day":      {"label": "Day", "field_type": "date"},
		"at":       {"label": "At", "field_type": "datetime"},
		"consent":  {"label": "Consent", "field_type": "checkbox_confirmation"},
		"homepage": {"label": "Homepage", "field_type": "url"},
	}
	tests := []struct {
		field string
		value any
		want  any // stored value, JSON-compared; nil means refused
	}{
		{"short", "12345678", "12345678"},
		{"short", "123456789", nil},
		{"short", []string{"x"}, nil},
		{"colour", "green", "green"},
		{"colour", "blue", nil},
		{"tags", []string{"c", "a"}, []string{"c", "a"}},
		{"tags", "a", nil},
		{"tags", []string{"z"}, nil},
		{"count", 42, 42},
		{"count", "17", 17},
		{"count", 1.5, nil},
		{"count", "many", nil},
		{"price", 19.99, 19.99},
		{"price", "2.5", 2.5},
		{"price", "2,5", nil},
		{"day", "2007-12-24T18:21Z", "2007-12-24"},
		{"day", "2007-12-24", "2007-12-24"},
		{"day", "24.12.2007", nil},
		{"at", 1594034942, "2020-07-06T11:29:02Z"},
		{"at", "1594034942", "2020-07-06T11:29:02Z"},
		{"at", "2007-12-24T18:21Z", "2007-12-24T18:21:00Z"},
		{"at", "soon", nil},
		{"consent", map[string]any{"ip": "1.2.3.4", "created": 1594034942, "source": "form"}, map[string]any{"ip": "1.2.3.4", "created": 1594034942, "source": "form"}},
		{"consent", map[string]any{"ip": "nope"}, nil},
		{"consent", true, nil},
		{"homepage", "https://example.com/x", "https://example.com/x"},
		{"homepage", "mailto:a@example.com", nil},
	}
	b := setup(t)
	for name, def := range defs {
		if got := b.createField(t, def); got.FieldName != "field_"+name {
			t.Fatalf("defined %s, want field_%s", got.FieldName, name)
		}
	}
	for i, tt := range tests {
		key := "field_" + tt.field
		t.Run(fmt.Sprintf("%s=%v", key, tt.value), func(t *testing.T) {
			t.Parallel()
			mail := fmt.Sprintf("cf%d@example.com", i)
			body := map[string]any{"contact": map[string]any{"mail": mail, key: tt.value}}
			id := b.createContact(t, map[string]any{"mail": "put-" + mail})
			put := fmt.Sprintf("/public/api/V1/contact/%d", id)
			if tt.want == nil {
				e := b.fail(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusUnprocessableEntity)
				if !slices.Equal(e.fields(), []string{"contact." + key}) {
					t.Fatalf("POST errors %+v, want contact.%s", e.Errors, key)
				}
				e = b.fail(t, http.MethodPut, put, map[string]any{key: tt.value}, http.StatusUnprocessableEntity)
				if !slices.Equal(e.fields(), []string{key}) {
					t.Fatalf("PUT errors %+v, want %s", e.Errors, key)
				}
				return
			}
			var created struct{ ID int64 }
			b.call(t, http.MethodPost, "/public/api/V1/contact", body, http.StatusOK, &created)
			b.call(t, http.MethodPut, put, map[string]any{key: tt.value}, http.StatusOK, nil)
			for _, cid := range []int64{created.ID, id} {
				got, _ := json.Marshal(b.getFields(t, cid, key)[key])
				want, _ := json.Marshal(tt.want)
				if string(got) != string(want) {
					t.Fatalf("contact %d: %s = %s, want %s", cid, key, got, want)
				}
			}
		})
	}
}

func TestRequiredCustomField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Source", "field_type": "text", "required": true})
	e := b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "req@example.com"}}, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"contact.field_source"}) {
		t.Fatalf("errors %+v, want contact.field_source", e.Errors)
	}
	b.fail(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "req@example.com", "field_source": ""}}, http.StatusUnprocessableEntity)
	var out struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "req@example.com", "field_source": "web"}}, http.StatusOK, &out)
	// A submission that merges into an existing contact needs no value: the contact has one.
	var merged struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "req@example.com", "first_name": "R"}, "duplicate_check_method": "email"}, http.StatusOK, &merged)
	if merged.ID != out.ID {
		t.Fatalf("merge id %d, want %d", merged.ID, out.ID)
	}
}

// TestDeleteCustomFieldStripsValues: deleting a field removes its values from every
// contact, so a new field of the same name starts empty; other fields keep theirs.
func TestDeleteCustomFieldStripsValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Plan", "field_type": "text"})
	b.createField(t, map[string]any{"label": "Planet", "field_type": "text"})
	id := b.createContact(t, map[string]any{"mail": "strip@example.com", "field_plan": "gold", "field_planet": "plan"})
	b.call(t, http.MethodDelete, "/public/api/V1/custom-fields/plan", nil, http.StatusOK, nil)
	e := b.fail(t, http.MethodGet, fmt.Sprintf("/public/api/V1/contact/%d?fields=field_plan", id), nil, http.StatusUnprocessableEntity)
	if !slices.Equal(e.fields(), []string{"fields"}) {
		t.Fatalf("errors %+v", e.Errors)
	}
	b.createField(t, map[string]any{"label": "Plan", "field_type": "integer"})
	got := b.getFields(t, id, "field_plan,field_planet")
	if want := map[string]any{"id": float64(id), "field_plan": nil, "field_planet": "plan"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after delete and re-create: %v, want %v", got, want)
	}
}

// TestEdgeIntegerCustomFieldExact: an integer custom field accepts any int64 and must
// answer it unchanged, also beyond 2^53, where a float64 would alter it.
func TestEdgeIntegerCustomFieldExact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Count", "field_type": "integer"})
	for i, tt := range []struct{ name, value string }{
		{"small", "42"},
		{"negative", "-9007199254740991"},
		{"2^53", "9007199254740992"},
		{"2^53+1", "9007199254740993"},
		{"max int64", "9223372036854775807"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"contact": {"mail": "int-` + itoa(int64(i)) + `@example.com", "field_count": ` + tt.value + `}, "duplicate_check_method": "none", "return_fields": ["field_count"]}`
			rec := b.do(t, http.MethodPost, edgeU+"/contact", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("POST: %d %s", rec.Code, rec.Body)
			}
			created := edgeNumbers(t, rec.Body.Bytes())
			if got := fmt.Sprint(created["field_count"]); got != tt.value {
				t.Errorf("POST return_fields field_count = %s, want %s", got, tt.value)
			}
			rec = b.do(t, http.MethodGet, fmt.Sprintf("%s/contact/%v?fields=field_count", edgeU, created["id"]), nil)
			if got := fmt.Sprint(edgeNumbers(t, rec.Body.Bytes())["field_count"]); got != tt.value {
				t.Errorf("GET field_count = %s, want %s", got, tt.value)
			}
		})
	}
}

// TestEdgeEmptyStringClearsEveryCustomType: README (PUT) "every field sent
// overwrites, "" or null clears it"; form builders send "" for an empty input. Text,
// selection and date fields clear with ""; integer and float answer 422.
func TestEdgeEmptyStringClearsEveryCustomType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	defs := map[string]map[string]any{
		"note":  {"label": "Note", "field_type": "text"},
		"color": {"label": "Color", "field_type": "selection", "options": []string{"red"}},
		"day":   {"label": "Day", "field_type": "date"},
		"web":   {"label": "Web", "field_type": "url"},
		"count": {"label": "Count", "field_type": "integer"},
		"price": {"label": "Price", "field_type": "float"},
	}
	values := map[string]any{"note": "x", "color": "red", "day": "2020-01-02", "web": "https://example.com", "count": 3, "price": 1.5}
	for _, name := range []string{"note", "color", "day", "web", "count", "price"} {
		b.createField(t, defs[name])
	}
	for _, name := range []string{"note", "color", "day", "web", "count", "price"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := "field_" + name
			id := b.createContact(t, map[string]any{"mail": "empty-" + name + "@example.com", key: values[name]})
			b.call(t, http.MethodPut, edgeU+"/contact/"+itoa(id), map[string]any{key: ""}, http.StatusOK, nil)
			if got := b.getFields(t, id, key); got[key] != nil {
				t.Fatalf("after PUT %s=\"\": %v, want null", key, got)
			}
			// A form that leaves the input empty on create is accepted, without a value.
			var out map[string]any
			b.call(t, http.MethodPost, edgeU+"/contact", map[string]any{"contact": map[string]any{"mail": "form-" + name + "@example.com", key: ""}, "return_fields": []string{key}}, http.StatusOK, &out)
			if out[key] != nil {
				t.Fatalf("create with %s=\"\": %v", key, out)
			}
		})
	}
}

// TestEdgeDateCustomFieldRange: a date/datetime custom field must store an ISO 8601
// value; a unix timestamp past year 9999 is formatted with a 7-digit year and stored.
func TestEdgeDateCustomFieldRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Day", "field_type": "date"})
	b.createField(t, map[string]any{"label": "At", "field_type": "datetime"})
	id := b.createContact(t, map[string]any{"mail": "dates@example.com"})
	path := edgeU + "/contact/" + itoa(id)
	b.call(t, http.MethodPut, path, map[string]any{"field_at": 253402300799}, http.StatusOK, nil) // 9999-12-31T23:59:59Z
	if got := b.getFields(t, id, "field_at")["field_at"]; got != "9999-12-31T23:59:59Z" {
		t.Fatalf("field_at = %v", got)
	}
	for _, key := range []string{"field_at", "field_day"} {
		t.Run(key, func(t *testing.T) {
			e := b.fail(t, http.MethodPut, path, map[string]any{key: 99999999999999}, http.StatusUnprocessableEntity)
			if !slices.Equal(e.fields(), []string{key}) {
				t.Fatalf("errors %+v", e.Errors)
			}
		})
	}
}

// TestEdgeDeleteCustomFieldTouchesOnlyHolders: deleting a custom field must change only
// the contacts that have a value for it. The UPDATE selects rows with
// custom_fields LIKE '%"plan"%', which also matches a contact whose *value* of another
// field is "plan", bumping its version: an earlier merge into it then cannot be undone.
func TestEdgeDeleteCustomFieldTouchesOnlyHolders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createField(t, map[string]any{"label": "Plan", "field_type": "text"})
	b.createField(t, map[string]any{"label": "Planet", "field_type": "text"})
	id := b.createContact(t, map[string]any{"mail": "planet@example.com", "field_planet": "plan"})
	var merged nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "planet@example.com", "first_name": "Pia"}, "duplicate_check_method": "email"}, http.StatusOK, &merged)
	if merged.ID != id || merged.MergeID == "" {
		t.Fatalf("merge = %+v", merged)
	}
	before := b.full(t, id).Version
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/plan", nil, http.StatusOK, nil)
	t.Run("unrelated contact unchanged", func(t *testing.T) {
		if after := b.full(t, id).Version; after != before {
			t.Errorf("version %d -> %d, nothing of the contact changed", before, after)
		}
		b.call(t, http.MethodPost, "/api/v1/merges/"+merged.MergeID+"/undo", nil, http.StatusOK, nil)
	})
}

// TestEdgeDeleteCustomFieldMarksChanged: a contact that loses a value when its field is
// deleted gets a new version, and must get a new `changed` too, or a sync by
// updated_since (README, listing) never sees the removal.
func TestEdgeDeleteCustomFieldMarksChanged(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t)
	b.createField(t, map[string]any{"label": "Tier", "field_type": "text"})
	id := b.createContact(t, map[string]any{"mail": "tier@example.com", "field_tier": "gold"})
	before := b.full(t, id)
	clock.Advance(time.Second) // changed has a resolution of one second
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/tier", nil, http.StatusOK, nil)
	after := b.full(t, id)
	if after.Version != before.Version+1 {
		t.Fatalf("version %d -> %d, want one more", before.Version, after.Version)
	}
	t.Run("changed", func(t *testing.T) {
		if after.Changed <= before.Changed {
			t.Errorf("changed %d -> %d, want later", before.Changed, after.Changed)
		}
	})
}

// TestEdgeCustomFieldRefs: GET/PUT/DELETE custom-fields/{ref} by id, name and
// field_name; a name made of digits (label "2024") must be reachable by its name too.
func TestEdgeCustomFieldRefs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	year := b.createField(t, map[string]any{"label": "2024", "field_type": "integer"})
	if year.FieldName != "field_2024" {
		t.Fatalf("field name %s", year.FieldName)
	}
	id := b.createContact(t, map[string]any{"mail": "cfref@example.com", "field_2024": 5})
	for _, ref := range []string{itoa(year.FieldID), "field_2024"} {
		var got customField
		b.call(t, http.MethodGet, edgeU+"/custom-fields/"+ref, nil, http.StatusOK, &got)
		if got.FieldName != "field_2024" {
			t.Fatalf("GET %s = %+v", ref, got)
		}
	}
	for _, ref := range []string{"field_", "FIELD_2024", "-1", "0"} {
		b.fail(t, http.MethodGet, edgeU+"/custom-fields/"+ref, nil, http.StatusNotFound)
	}
	t.Run("numeric name", func(t *testing.T) {
		b.call(t, http.MethodGet, edgeU+"/custom-fields/2024", nil, http.StatusOK, nil)
	})
	// Deleting a digit-named field strips its values (json_remove path "$.2024" on SQLite).
	b.call(t, http.MethodDelete, edgeU+"/custom-fields/field_2024", nil, http.StatusOK, nil)
	b.createField(t, map[string]any{"label": "2024", "field_type": "text"})
	if got := b.getFields(t, id, "field_2024"); got["field_2024"] != nil {
		t.Fatalf("value survived the field's deletion: %v", got)
	}
}

// TestEdgeCustomFieldDefinitionEdges: definitions are validated completely; type and
// multiple are fixed; unknown attributes are refused.
func TestEdgeCustomFieldDefinitionEdges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"no type", map[string]any{"label": "A"}, []string{"field_type"}},
		{"unknown type", map[string]any{"label": "A", "field_type": "number"}, []string{"field_type"}},
		{"label only symbols", map[string]any{"label": "€€", "field_type": "text"}, []string{"label"}},
		{"label control", map[string]any{"label": "a\u0000", "field_type": "text"}, []string{"label"}},
		{"max_length too small", map[string]any{"label": "A", "field_type": "text", "max_length": 7}, []string{"max_length"}},
		{"max_length on integer", map[string]any{"label": "A", "field_type": "integer", "max_length": 10}, []string{"max_length"}},
		{"options on text", map[string]any{"label": "A", "field_type": "text", "options": []string{"x"}}, []string{"options"}},
		{"duplicate options", map[string]any{"label": "A", "field_type": "selection", "options": []string{"x", " x"}}, []string{"options[1]"}},
		{"unknown attribute", map[string]any{"label": "A", "field_type": "text", "name": "a"}, []string{"name"}},
		{"max_length as string", map[string]any{"label": "A", "field_type": "text", "max_length": "20"}, []string{"max_length"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := b.fail(t, http.MethodPost, edgeU+"/custom-fields", tt.body, http.StatusUnprocessableEntity)
			if !slices.Equal(e.fields(), tt.fields) {
				t.Fatalf("errors %+v, want %v", e.Errors, tt.fields)
			}
		})
	}
	b.createField(t, map[string]any{"label": "Größe", "field_type": "selection", "multiple": true, "options": []string{"S", "M"}})
	b.fail(t, http.MethodPost, edgeU+"/custom-fields", map[string]any{"label": "GRÖSSE", "field_type": "text"}, http.StatusConflict)
	for _, body := range []map[string]any{{"field_type": "text"}, {"multiple": false}, {"label": ""}, {"max_length": 20}} {
		b.fail(t, http.MethodPut, edgeU+"/custom-fields/groesse", body, http.StatusUnprocessableEntity)
	}
	var got customField
	b.call(t, http.MethodGet, edgeU+"/custom-fields/field_groesse", nil, http.StatusOK, &got)
	if got.Label != "Größe" || got.FieldType != "selection" || !got.Multiple || !slices.Equal(got.Options, []string{"S", "M"}) {
		t.Fatalf("after refused PUTs: %+v", got)
	}
}
