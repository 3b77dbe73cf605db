package contactwire_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// TestAppendFieldsIsTheMapsJSON: AppendFields writes, byte for byte, what the API's
// serializer (encoding/json, HTML escaping off) wrote for the map of the same fields:
// every readable field, text that needs escaping, custom values of each kind, fields
// asked for twice and fields the contact does not have.
func TestAppendFieldsIsTheMapsJSON(t *testing.T) {
	t.Parallel()
	yes := true
	c := &models.Contact{ID: 42, FirstName: "<Jördis> & \"Co\"", FamilyName: "Kühn\u2028\n\t\x01", Mail: "a@b.c", MailStatus: 3, UID: 9,
		Terms: []int64{3, 17}, CreatedAt: time.Unix(1700000000, 5), UpdatedAt: time.Unix(1700000100, 0),
		Custom: models.CustomValues{"score": int64(7), "ratio": 0.000001, "tags": []any{"a", "<b>"}, "name": "x\xffy", "ok": true, "none": nil,
			"box": map[string]any{"ip": "1.2.3.4", "created": float64(1700000000), "source": "form"}},
		Profile: models.Profile{Flags: map[string]bool{"is_verified": yes}, Addresses: []models.Address{{}},
			Dossier: map[string]json.RawMessage{"note": json.RawMessage(`{"x":"<y>"}`)}}}
	all := append([]string{"first_name", "family_name", "mail", "mail", "phone", "terms", "created", "changed", "owner", "addresses", "dossier",
		"mail_status", "uid", "field_score", "field_ratio", "field_tags", "field_name", "field_ok", "field_none", "field_box", "field_missing", "nope"},
		models.FlagNames...)
	for _, fields := range [][]string{models.DefaultReadFields, all, nil, {"id", "terms"}} {
		got, err := contactwire.AppendFields(nil, c, fields)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{"id": c.ID}
		for _, f := range fields {
			if v, ok := c.Field(f); ok {
				m[f] = v
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Errorf("fields %q:\n got %s\nwant %s", fields, got, w)
		}
	}
}
