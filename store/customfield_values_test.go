package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// customSetup is a tenant with custom fields defined, in a store whose clock the test
// sets.
type customSetup struct {
	st     *store.Store
	tenant int64
	defs   map[string]*models.CustomField
	mu     sync.Mutex
	now    time.Time
}

func setupCustom(t *testing.T, fields map[string]string) *customSetup {
	t.Helper()
	tn := storetest.NewTenant(t, storetest.Open(t))
	s := &customSetup{tenant: tn.ID, defs: map[string]*models.CustomField{}, now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := storetest.Config(t)
	cfg.Now = func() time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.now
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s.st = st
	for name, typ := range fields {
		f := &models.CustomField{TenantID: tn.ID, Name: name, Label: name, FieldType: typ}
		if err := st.CreateCustomField(context.Background(), f); err != nil {
			t.Fatalf("create field %s: %v", name, err)
		}
		s.defs[name] = f
	}
	return s
}

func (s *customSetup) setNow(t time.Time) {
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
}

// submission decodes fields as JSON text, so numbers reach DecodeSubmission exactly.
func (s *customSetup) submission(t *testing.T, fields map[string]string) *models.Submission {
	t.Helper()
	raw := map[string]json.RawMessage{}
	for k, v := range fields {
		raw[k] = json.RawMessage(v)
	}
	sub, err := models.DecodeSubmission(raw, s.defs, models.ForCreate)
	if err != nil {
		t.Fatalf("decode %v: %v", fields, err)
	}
	return sub
}

func (s *customSetup) ingest(t *testing.T, check models.CheckMethod, fields map[string]string) models.IngestResult {
	t.Helper()
	res, err := s.st.Ingest(context.Background(), s.tenant, []*models.Submission{s.submission(t, fields)}, models.IngestOptions{Check: check, Source: "test"})
	if err != nil || res[0].Err != nil {
		t.Fatalf("ingest %v: %v %v", fields, err, res[0].Err)
	}
	return res[0]
}

func (s *customSetup) get(t *testing.T, id int64) *models.Contact {
	t.Helper()
	c, err := s.st.GetContact(context.Background(), s.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDeleteCustomFieldTouchesOnlyHolders: deleting a field strips its value from the
// contacts that have one, with a new version and updated_at, and leaves alone contacts
// that only mention its name in a value, in a nested key (a checkbox's "ip") or in a
// name that LIKE's "_" wildcard would match.
func TestDeleteCustomFieldTouchesOnlyHolders(t *testing.T) {
	t.Parallel()
	s := setupCustom(t, map[string]string{
		"plan": models.FieldTypeText, "planet": models.FieldTypeText,
		"x_y": models.FieldTypeText, "xzy": models.FieldTypeText,
		"ip": models.FieldTypeText, "consent": models.FieldTypeCheckbox,
	})
	ids := map[string]int64{}
	i := 0
	for key, fields := range map[string]map[string]string{
		"plan holder":    {"field_plan": `"p"`, "field_planet": `"plan"`},
		"plan as value":  {"field_planet": `"plan"`},
		"plan as key":    {"field_planet": `"\"plan\":"`},
		"x_y holder":     {"field_x_y": `"1"`},
		"x_y wildcard":   {"field_xzy": `"1"`},
		"ip holder":      {"field_ip": `"v"`, "field_consent": `{"ip": "192.0.2.1", "created": 1, "source": "form"}`},
		"ip nested only": {"field_consent": `{"ip": "192.0.2.1", "created": 1, "source": "form"}`},
	} {
		i++
		fields["mail"] = `"holder` + itoa(int64(i)) + `@example.com"`
		ids[key] = s.ingest(t, models.CheckNone, fields).ID
	}
	before := map[string]*models.Contact{}
	for key, id := range ids {
		before[key] = s.get(t, id)
	}
	later := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	s.setNow(later)
	for _, name := range []string{"plan", "x_y", "ip"} {
		if err := s.st.DeleteCustomField(context.Background(), s.tenant, name); err != nil {
			t.Fatalf("delete %s: %v", name, err)
		}
	}
	for key, id := range ids {
		b, a := before[key], s.get(t, id)
		holder := key == "plan holder" || key == "x_y holder" || key == "ip holder"
		if !holder {
			if a.Version != b.Version || !a.UpdatedAt.Equal(b.UpdatedAt) || len(models.DiffContacts(b, a)) > 0 {
				t.Errorf("%s: touched: version %d -> %d, updated_at %v -> %v, changed %v", key, b.Version, a.Version, b.UpdatedAt, a.UpdatedAt, models.DiffContacts(b, a))
			}
			continue
		}
		if a.Version != b.Version+1 || !a.UpdatedAt.Equal(later) {
			t.Errorf("%s: version %d -> %d, updated_at %v, want one more and %v", key, b.Version, a.Version, a.UpdatedAt, later)
		}
		for _, name := range []string{"plan", "x_y", "ip"} {
			if _, ok := a.Custom[name]; ok {
				t.Errorf("%s: value of deleted field %s survived: %v", key, name, a.Custom)
			}
		}
	}
	if got := s.get(t, ids["plan holder"]).Custom["planet"]; got != "plan" {
		t.Errorf("planet of plan holder = %v, want kept", got)
	}
	if got := s.get(t, ids["ip holder"]).Custom["consent"]; got == nil {
		t.Errorf("consent of ip holder lost")
	}
}

// TestCustomIntegerExactThroughMergeAndUndo: integers beyond 2^53 survive storage, a
// merge record's images and submission, and an undo, unchanged.
func TestCustomIntegerExactThroughMergeAndUndo(t *testing.T) {
	t.Parallel()
	s := setupCustom(t, map[string]string{"count": models.FieldTypeInteger, "other": models.FieldTypeInteger, "price": models.FieldTypeFloat})
	const first, second, third = 9007199254740993, 9223372036854775807, -9223372036854775807
	created := s.ingest(t, models.CheckEmail, map[string]string{"mail": `"big@example.com"`, "field_count": "9007199254740993", "field_price": "2.5"})
	if c := s.get(t, created.ID); c.Custom["count"] != int64(first) || c.Custom["price"] != 2.5 {
		t.Fatalf("stored %#v, want count %d and price 2.5", c.Custom, first)
	}
	merged := s.ingest(t, models.CheckEmail, map[string]string{"mail": `"big@example.com"`, "field_count": "9223372036854775807", "field_other": "-9223372036854775807"})
	if merged.Created || merged.MergeID == "" {
		t.Fatalf("second ingest = %+v, want a merge", merged)
	}
	m, err := s.st.GetMerge(context.Background(), s.tenant, merged.MergeID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Before.Custom["count"] != int64(first) || m.Submission.Custom["count"] != int64(second) || m.Submission.Custom["other"] != int64(third) {
		t.Fatalf("merge record: before %#v, submission %#v", m.Before.Custom, m.Submission.Custom)
	}
	// Resubmitting the stored values changes nothing: values read back from the
	// database compare equal to submitted ones.
	again := s.ingest(t, models.CheckEmail, map[string]string{"mail": `"big@example.com"`, "field_count": "9223372036854775807", "field_price": "2.5"})
	m, err = s.st.GetMerge(context.Background(), s.tenant, again.MergeID)
	if err != nil {
		t.Fatal(err)
	}
	if changed := models.DiffContacts(m.Before, m.After); len(changed) > 0 {
		t.Fatalf("resubmitting the stored values changed %v", changed)
	}
	if _, err := s.st.UndoMerge(context.Background(), s.tenant, again.MergeID); err != nil {
		t.Fatalf("undo resubmission: %v", err)
	}
	res, err := s.st.UndoMerge(context.Background(), s.tenant, merged.MergeID)
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if c := s.get(t, created.ID); c.Custom["count"] != int64(first) || c.Custom["other"] != nil {
		t.Fatalf("restored %#v, want count %d and no other", c.Custom, first)
	}
	if c := s.get(t, res.SplitContactID); c.Custom["count"] != int64(second) || c.Custom["other"] != int64(third) {
		t.Fatalf("split %#v, want count %d and other %d", c.Custom, second, third)
	}
}

// TestGetCustomFieldDigitName: a name made of digits is found by name once no field
// has that id; ids are still tried first.
func TestGetCustomFieldDigitName(t *testing.T) {
	t.Parallel()
	s := setupCustom(t, map[string]string{"2024": models.FieldTypeInteger})
	ctx := context.Background()
	for _, ref := range []string{"2024", "field_2024", itoa(s.defs["2024"].ID)} {
		f, err := s.st.GetCustomField(ctx, s.tenant, ref)
		if err != nil || f.Name != "2024" {
			t.Fatalf("GetCustomField(%s) = %+v, %v", ref, f, err)
		}
	}
	if _, err := s.st.GetCustomField(ctx, s.tenant, "2025"); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("GetCustomField(2025) = %v, want ENOTFOUND", err)
	}
	if err := s.st.DeleteCustomField(ctx, s.tenant, "2024"); err != nil {
		t.Fatalf("delete by digit name: %v", err)
	}
}
