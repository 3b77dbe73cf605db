package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestGetContactReadsWhatTheGeneralPathReads: GetContact (one statement through pgx
// on PostgreSQL) returns the same contact as the general path — every column, terms
// ascending, custom values and profile — for a contact with all of them and for one
// with none; another tenant's id and an unknown id are ENOTFOUND.
func TestGetContactReadsWhatTheGeneralPathReads(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	ctx := context.Background()
	score := &models.CustomField{TenantID: tn.ID, Name: "score", Label: "Score", FieldType: models.FieldTypeInteger}
	if err := st.CreateCustomField(ctx, score); err != nil {
		t.Fatal(err)
	}
	t2, t1 := newTerm(t, st, tn.ID, "zwei"), newTerm(t, st, tn.ID, "eins")
	full := map[string]any{"mail": "voll@example.com", "first_name": "Jördis", "family_name": "Kühn", "phone": "+49 30 1234567",
		"ba_street": "Hauptstraße 1", "ba_city": "Köln", "ba_postal_code": "50667", "date_of_birth": "1980-04-23", "uid": 7,
		"field_score": 42, "terms": []int64{t2, t1}, "mail_status": 3}
	raw := map[string]json.RawMessage{}
	for k, v := range full {
		raw[k], _ = json.Marshal(v)
	}
	sub, err := models.DecodeSubmission(raw, map[string]*models.CustomField{"score": score}, models.ForCreate)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Ingest(ctx, tn.ID, []*models.Submission{sub}, models.IngestOptions{Check: models.CheckNone})
	if err != nil || res[0].Err != nil {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	bare := ingestOne(t, st, tn.ID, models.CheckNone, map[string]any{"mail": "leer@example.com"})
	for _, id := range []int64{res[0].ID, bare.ID} {
		got, err := st.GetContact(ctx, tn.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.GetContactGorm(ctx, st, tn.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Fatalf("contact %d: times %v %v, want %v %v", id, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
		}
		got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt // equal instants; the location may differ
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("contact %d:\n got %+v\nwant %+v", id, got, want)
		}
	}
	if got, _ := st.GetContact(ctx, tn.ID, res[0].ID); len(got.Terms) != 2 || got.Terms[0] > got.Terms[1] || got.Custom["score"] == nil {
		t.Fatalf("terms %v custom %v, want two terms ascending and the score", got.Terms, got.Custom)
	}
	for _, c := range []struct{ tenant, id int64 }{{other.ID, res[0].ID}, {tn.ID, res[0].ID + 1000}} {
		if _, err := st.GetContact(ctx, c.tenant, c.id); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("tenant %d contact %d: %v, want ENOTFOUND", c.tenant, c.id, err)
		}
	}
}
