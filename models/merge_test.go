package models_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/contacthub/contacthub/models"
)

func TestParseMethods(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]models.CheckMethod{"": models.CheckAuto, "auto": models.CheckAuto, "email": models.CheckEmail, "none": models.CheckNone} {
		if got, ok := models.ParseCheckMethod(in); !ok || got != want {
			t.Errorf("ParseCheckMethod(%q) = %q, %v", in, got, ok)
		}
	}
	for in, want := range map[string]models.MergeMethod{"": models.MergeUpdateAdd, "update_add": models.MergeUpdateAdd, "update": models.MergeUpdate, "add": models.MergeAdd} {
		if got, ok := models.ParseMergeMethod(in); !ok || got != want {
			t.Errorf("ParseMergeMethod(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"Email", "fuzzy", " auto"} {
		if _, ok := models.ParseCheckMethod(bad); ok {
			t.Errorf("ParseCheckMethod(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"UPDATE", "replace", "overwrite"} {
		if _, ok := models.ParseMergeMethod(bad); ok {
			t.Errorf("ParseMergeMethod(%q) accepted", bad)
		}
	}
}

// existing is the contact every merge case starts from.
func existing() *models.Contact {
	return &models.Contact{
		FirstName: "Jane", FamilyName: "Doe", Company: "Acme", Mail: "jane@example.com", MailKey: "jane@example.com",
		MailStatus: models.MailStatusSingleOptIn, UID: 3, Terms: []int64{1, 5},
		Custom: models.CustomValues{"tags": []any{"a"}, "budget": float64(100)}, // as loaded from JSON
	}
}

// TestApply pins the documented meaning of the three merge methods.
func TestApply(t *testing.T) {
	t.Parallel()
	// The submission: a new first name, company sent empty, a job title for an empty
	// field, a new term and tag, budget cleared, a new uid.
	sub := func() *models.Submission {
		return &models.Submission{
			Text:  map[string]string{"first_name": "Janet", "company": "", "job_title": "CTO"},
			Terms: []int64{2, 5}, HasTerms: true,
			UID:    ptr(int64(9)),
			Custom: map[string]any{"tags": []string{"b"}, "budget": nil, "size": int64(4)},
		}
	}
	tests := []struct {
		method      models.MergeMethod
		want        func(c *models.Contact)
		wantChanged []string
	}{
		{models.MergeUpdateAdd, func(c *models.Contact) {
			c.FirstName, c.JobTitle, c.UID = "Janet", "CTO", 9
			c.Terms = []int64{1, 2, 5}
			c.Custom = models.CustomValues{"tags": []string{"a", "b"}, "budget": float64(100), "size": int64(4)}
		}, []string{"first_name", "job_title", "uid", "terms", "field_size", "field_tags"}},
		{models.MergeUpdate, func(c *models.Contact) {
			c.FirstName, c.Company, c.JobTitle, c.UID = "Janet", "", "CTO", 9
			c.Terms = []int64{2, 5}
			c.Custom = models.CustomValues{"tags": []string{"b"}, "size": int64(4)}
		}, []string{"first_name", "company", "job_title", "uid", "terms", "field_budget", "field_size", "field_tags"}},
		{models.MergeAdd, func(c *models.Contact) {
			c.JobTitle = "CTO"
			c.Terms = []int64{1, 2, 5}
			c.Custom = models.CustomValues{"tags": []string{"a", "b"}, "budget": float64(100), "size": int64(4)}
		}, []string{"job_title", "terms", "field_size", "field_tags"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			t.Parallel()
			c := existing()
			changed := c.Apply(sub(), tt.method, true)
			want := existing()
			tt.want(want)
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("after %s:\n got  %+v\n want %+v", tt.method, c, want)
			}
			if !slices.Equal(changed, tt.wantChanged) {
				t.Fatalf("changed = %v, want %v", changed, tt.wantChanged)
			}
			// Applying the same submission again changes nothing.
			if again := c.Apply(sub(), tt.method, true); len(again) != 0 {
				t.Fatalf("second apply changed %v", again)
			}
		})
	}
}

func TestApplyMailUpdatesLookupKey(t *testing.T) {
	t.Parallel()
	c := existing()
	c.Apply(&models.Submission{Text: map[string]string{"mail": "New@Example.org"}}, models.MergeUpdate, false)
	if c.Mail != "New@Example.org" || c.MailKey != "new@example.org" {
		t.Fatalf("mail %q key %q", c.Mail, c.MailKey)
	}
	c.Apply(&models.Submission{Text: map[string]string{"mail": ""}}, models.MergeUpdate, false)
	if c.Mail != "" || c.MailKey != "" {
		t.Fatalf("cleared mail %q key %q", c.Mail, c.MailKey)
	}
}

// TestApplyMailStatus: a restrictive status (unsubscribed, spam, blocked) survives every
// merge with protectConsent; only an explicit edit (protectConsent false) lifts it.
func TestApplyMailStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method     models.MergeMethod
		have, send int
		protect    bool
		want       int
	}{
		{models.MergeUpdateAdd, models.MailStatusUnsubscribed, models.MailStatusDoubleOptIn, true, models.MailStatusUnsubscribed},
		{models.MergeUpdate, models.MailStatusUnsubscribed, models.MailStatusDoubleOptIn, true, models.MailStatusUnsubscribed},
		{models.MergeUpdate, models.MailStatusSpam, models.MailStatusUnknown, true, models.MailStatusSpam},
		{models.MergeUpdate, models.MailStatusBlocked, models.MailStatusConfirmedImport, true, models.MailStatusBlocked},
		{models.MergeAdd, models.MailStatusBlocked, models.MailStatusSingleOptIn, true, models.MailStatusBlocked},
		{models.MergeUpdate, models.MailStatusUnsubscribed, models.MailStatusSpam, true, models.MailStatusSpam},
		{models.MergeUpdate, models.MailStatusTemporaryBlocked, models.MailStatusDoubleOptIn, true, models.MailStatusDoubleOptIn},
		{models.MergeUpdate, models.MailStatusUnsubscribed, models.MailStatusDoubleOptIn, false, models.MailStatusDoubleOptIn},
		{models.MergeUpdateAdd, models.MailStatusSingleOptIn, models.MailStatusUnknown, true, models.MailStatusSingleOptIn},
		{models.MergeUpdate, models.MailStatusSingleOptIn, models.MailStatusUnknown, true, models.MailStatusUnknown},
		{models.MergeAdd, models.MailStatusSingleOptIn, models.MailStatusDoubleOptIn, true, models.MailStatusSingleOptIn},
		{models.MergeAdd, models.MailStatusUnknown, models.MailStatusDoubleOptIn, true, models.MailStatusDoubleOptIn},
		{models.MergeUpdateAdd, models.MailStatusSingleOptIn, models.MailStatusUnsubscribed, true, models.MailStatusUnsubscribed},
	}
	for _, tt := range tests {
		c := &models.Contact{MailStatus: tt.have}
		c.Apply(&models.Submission{MailStatus: ptr(tt.send)}, tt.method, tt.protect)
		if c.MailStatus != tt.want {
			t.Errorf("%s %d onto %d (protect %v) = %d, want %d", tt.method, tt.send, tt.have, tt.protect, c.MailStatus, tt.want)
		}
	}
	for code := range models.MailStatusNames {
		want := code == models.MailStatusUnsubscribed || code == models.MailStatusSpam || code == models.MailStatusBlocked
		if models.IsRestrictiveMailStatus(code) != want {
			t.Errorf("IsRestrictiveMailStatus(%d) = %v", code, !want)
		}
	}
	if len(models.MailStatusNames) != 9 {
		t.Errorf("%d mail status codes, want the 9 states of Quentn's UI", len(models.MailStatusNames))
	}
}

// TestApplyUnsentFieldsUntouched: no method touches a field the submission does not name.
func TestApplyUnsentFieldsUntouched(t *testing.T) {
	t.Parallel()
	for _, m := range []models.MergeMethod{models.MergeUpdateAdd, models.MergeUpdate, models.MergeAdd} {
		c := existing()
		if changed := c.Apply(&models.Submission{Text: map[string]string{}}, m, true); len(changed) != 0 {
			t.Errorf("%s: empty submission changed %v", m, changed)
		}
		if !reflect.DeepEqual(c, existing()) {
			t.Errorf("%s: contact changed by an empty submission", m)
		}
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	c := existing()
	c.Custom["list"] = []string{"x"}
	d := c.Clone()
	d.Terms[0] = 99
	d.Custom["list"].([]string)[0] = "y"
	d.Custom["new"] = 1
	if c.Terms[0] != 1 || c.Custom["list"].([]string)[0] != "x" || c.Custom["new"] != nil {
		t.Fatalf("clone shares state with the original: %+v", c)
	}
}
