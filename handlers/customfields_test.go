package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
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
