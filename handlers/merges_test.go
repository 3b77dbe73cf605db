package handlers_test

import (
	"net/http"
	"testing"
)

type nativeCreated struct {
	ID          int64   `json:"id"`
	Created     bool    `json:"created"`
	MergeID     string  `json:"merge_id"`
	Score       float64 `json:"score"`
	Explanation *struct {
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		Match     bool    `json:"match"`
		Fields    []struct {
			Field  string  `json:"field"`
			Weight float64 `json:"weight"`
		} `json:"fields"`
	} `json:"explanation"`
}

func TestNativeCreateExplainsMerge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Jürgen", "family_name": "Müller", "phone": "030 1234567", "ba_postal_code": "10115"}}, http.StatusCreated, &first)
	if !first.Created || first.ID == 0 {
		t.Fatalf("first = %+v", first)
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{
		"first_name": "Juergen", "family_name": "Mueller", "phone": "+49 30 1234567"}}, http.StatusOK, &second)
	if second.Created || second.ID != first.ID || second.MergeID == "" || second.Explanation == nil || !second.Explanation.Match {
		t.Fatalf("second = %+v, want an explained merge into %d", second, first.ID)
	}
	if second.Score != second.Explanation.Score || len(second.Explanation.Fields) == 0 {
		t.Fatalf("score %v, explanation %+v", second.Score, second.Explanation)
	}
}

func TestNativeCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name  string
		body  any
		want  int
		field string
	}{
		{"no identity", map[string]any{"contact": map[string]any{"company": "ACME"}}, http.StatusUnprocessableEntity, "contact.mail"},
		{"missing contact", map[string]any{}, http.StatusUnprocessableEntity, "contact"},
		{"bad check method", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "duplicate_check_method": "fuzzy"}, http.StatusUnprocessableEntity, "duplicate_check_method"},
		{"unknown field", map[string]any{"contact": map[string]any{"mail": "x@example.com", "nickname": "x"}}, http.StatusUnprocessableEntity, "contact.nickname"},
		{"qntn not native", map[string]any{"contact": map[string]any{"mail": "x@example.com"}, "qntn": map[string]any{}}, http.StatusUnprocessableEntity, "qntn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			b.call(t, http.MethodPost, "/api/v1/contacts", tc.body, tc.want, &e)
			if !e.Error || len(e.Errors) == 0 || e.Errors[0].Field != tc.field {
				t.Fatalf("error = %+v, want field %s", e, tc.field)
			}
		})
	}
}

type mergeView struct {
	ID              string         `json:"id"`
	Kind            string         `json:"kind"`
	ContactID       int64          `json:"contact_id"`
	SourceContactID *int64         `json:"source_contact_id"`
	Undoable        bool           `json:"undoable"`
	Before          map[string]any `json:"before"`
	After           map[string]any `json:"after"`
	Submission      map[string]any `json:"submission"`
}

func TestMergeListGetUndoOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "m@example.com", "first_name": "Max"}}, http.StatusCreated, &first)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "M@example.com", "family_name": "Mustermann"}, "duplicate_check_method": "email"}, http.StatusOK, &second)

	var list struct {
		Merges []mergeView `json:"merges"`
	}
	b.call(t, http.MethodGet, "/api/v1/merges", nil, http.StatusOK, &list)
	if len(list.Merges) != 1 || list.Merges[0].ID != second.MergeID || list.Merges[0].Kind != "ingest" || !list.Merges[0].Undoable {
		t.Fatalf("merges = %+v", list.Merges)
	}
	var one mergeView
	b.call(t, http.MethodGet, "/api/v1/merges/"+second.MergeID, nil, http.StatusOK, &one)
	if one.Before["family_name"] != "" || one.After["family_name"] != "Mustermann" || one.Submission["family_name"] != "Mustermann" {
		t.Fatalf("merge images = %+v", one)
	}

	other := setup(t)
	other.call(t, http.MethodGet, "/api/v1/merges/"+second.MergeID, nil, http.StatusNotFound, nil)
	other.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusNotFound, nil)

	var undo struct {
		Success        bool  `json:"success"`
		ContactID      int64 `json:"contact_id"`
		SplitContactID int64 `json:"split_contact_id"`
	}
	b.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusOK, &undo)
	if !undo.Success || undo.ContactID != first.ID || undo.SplitContactID == 0 || undo.SplitContactID == first.ID {
		t.Fatalf("undo = %+v", undo)
	}
	var e apiError
	b.call(t, http.MethodPost, "/api/v1/merges/"+second.MergeID+"/undo", nil, http.StatusConflict, &e)
	if !e.Error || e.Message == "" {
		t.Fatalf("second undo error = %+v", e)
	}
}

func TestManualMergeOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var a, c nativeCreated
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "one@example.com", "first_name": "Eva"}, "duplicate_check_method": "none"}, http.StatusCreated, &a)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "two@example.com", "family_name": "Lang"}, "duplicate_check_method": "none"}, http.StatusCreated, &c)

	var preview struct {
		DryRun  bool           `json:"dry_run"`
		Contact map[string]any `json:"contact"`
		Changed []string       `json:"changed"`
		MergeID string         `json:"merge_id"`
	}
	body := map[string]any{"target_id": a.ID, "source_id": c.ID, "dry_run": true, "fields": map[string]string{"mail": "source"}}
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", body, http.StatusOK, &preview)
	if !preview.DryRun || preview.MergeID != "" || preview.Contact["mail"] != "two@example.com" || preview.Contact["family_name"] != "Lang" {
		t.Fatalf("preview = %+v", preview)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(c.ID), nil, http.StatusOK, nil)

	body["dry_run"] = false
	b.call(t, http.MethodPost, "/api/v1/contacts/merge", body, http.StatusOK, &preview)
	if preview.MergeID == "" {
		t.Fatalf("merge = %+v", preview)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(c.ID), nil, http.StatusNotFound, nil)

	for _, bad := range []map[string]any{
		{"target_id": a.ID, "source_id": a.ID},
		{"target_id": a.ID},
		{"target_id": a.ID, "source_id": c.ID, "fields": map[string]string{"mail": "both"}},
		{"target_id": a.ID, "source_id": c.ID, "fields": map[string]string{"shoe_size": "source"}},
	} {
		b.call(t, http.MethodPost, "/api/v1/contacts/merge", bad, http.StatusUnprocessableEntity, nil)
	}
	other := setup(t)
	other.call(t, http.MethodPost, "/api/v1/contacts/merge", map[string]any{"target_id": a.ID, "source_id": c.ID}, http.StatusNotFound, nil)
}

func TestNativeCreateReturnFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var out struct {
		ID      int64          `json:"id"`
		Created bool           `json:"created"`
		Contact map[string]any `json:"contact"`
	}
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"phone": "+49 30 9990001", "first_name": "Ida"},
		"return_fields": []string{"first_name", "phone", "mail_status"}}, http.StatusCreated, &out)
	if !out.Created || out.Contact["first_name"] != "Ida" || out.Contact["phone"] != "+49 30 9990001" || out.Contact["mail_status"] != float64(0) {
		t.Fatalf("native create = %+v", out)
	}
	var e apiError
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "x@example.com", "terms": []int{987654}}}, http.StatusUnprocessableEntity, &e)
	if len(e.Errors) != 1 || e.Errors[0].Field != "contact.terms" {
		t.Fatalf("unknown term error = %+v, want field contact.terms", e)
	}
}
