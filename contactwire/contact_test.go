package contactwire_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// mapView is how the native reads showed a contact before the wire form: a map built
// field by field and encoded by reflection (handlers' renderContact), plus "v". The
// wire form must encode to exactly its bytes.
func mapView(c *models.Contact) map[string]any {
	out := make(map[string]any, 40)
	out["id"] = c.ID
	for _, name := range models.TextFieldNames() {
		out[name], _ = c.Text(name)
	}
	for _, name := range []string{"mail_status", "uid", "terms", "created", "changed"} {
		out[name], _ = c.Field(name)
	}
	for name, v := range c.Custom {
		out[models.CustomFieldPrefix+name] = v
	}
	for _, name := range models.FlagNames {
		out[name], _ = c.Field(name)
	}
	addrs := []map[string]string{}
	for _, a := range c.Profile.Addresses {
		addrs = append(addrs, map[string]string{"external_id": a.ExternalID, "street": a.Street, "street2": a.Street2,
			"city": a.City, "postal_code": a.PostalCode, "state": a.State, "country": a.Country})
	}
	out["addresses"] = addrs
	out["dossier"], _ = c.Field("dossier")
	out["version"] = c.Version
	out["v"] = contactwire.Version
	return out
}

// stored decodes custom values as the store reads them back from the database.
func stored(t testing.TB, v models.CustomValues) models.CustomValues {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out models.CustomValues
	if err := out.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return out
}

func sample() *models.Contact {
	return &models.Contact{
		ID: 42, TenantID: 3, Title: "f", Title2: "dr", FirstName: "Jäne \"JJ\"", FamilyName: "O'Brien <script>&",
		Company: "Tab\tNew\nline\\ \b\f\x01\x1f", JobTitle: "sep\u2028par\u2029", Mail: "jane@example.com", MailStatus: 2,
		Mail2: "bad \xff utf8", PhoneType: "mobile", Phone: "+49 30 1234567", Fax: "", Skype: "😀", BaCountry: "DE",
		DateOfBirth: "1980-04-23", UID: 7, Terms: []int64{1, 5, 9}, Version: 3,
		Custom: models.CustomValues{
			"text": "x", "multi": []string{"a", "b"}, "int": int64(math.MaxInt64), "neg": int64(-5),
			"float": 3.25, "tiny": 1e-7, "huge": 1e21, "zero": 0.0, "third": 1.0 / 3, "date": "2020-07-06",
			"checkbox": models.CheckboxConfirmation{IP: "1.2.3.4", Created: 1594034942, Source: "form <b>"},
			"cleared":  nil, "under_score_9": true,
		},
		CreatedAt: time.Unix(1700000000, 0), UpdatedAt: time.Unix(1700000100, 0),
		ExternalID: "CONTACT-001", ContactType: "Customer", Source: "LinkedIn", LastInteractionDate: "2025-01-10T08:30:00Z",
		Profile: models.Profile{
			Flags:     map[string]bool{"email_bounce": false, "is_verified": true},
			Addresses: []models.Address{{ExternalID: "ADDR-001", Street: "123 Main St <b>", City: "New York", PostalCode: "10001", Country: "US"}},
			Dossier:   map[string]json.RawMessage{"notes": json.RawMessage(`{"a":[1,2.5,"x-y"]}`), "b": json.RawMessage(`true`)},
		},
	}
}

// TestEncodesAsTheMapView: the wire form is the map view byte for byte, with HTML
// escaping (json.Marshal) and without (the API's encoder), also for custom values as
// they come back from the database and for a contact with nothing set.
func TestEncodesAsTheMapView(t *testing.T) {
	t.Parallel()
	fromDB := sample()
	fromDB.Custom = stored(t, fromDB.Custom)
	empty := &models.Contact{ID: 1}
	for name, c := range map[string]*models.Contact{"written": sample(), "stored": fromDB, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, escapeHTML := range []bool{true, false} {
				want, got := encode(t, mapView(c), escapeHTML), encode(t, contactwire.FromModel(c), escapeHTML)
				if !bytes.Equal(got, want) {
					t.Fatalf("escapeHTML %v:\ngot  %s\nwant %s", escapeHTML, got, want)
				}
			}
		})
	}
}

func encode(t testing.TB, v any, escapeHTML bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := sample()
	c.Mail2, c.JobTitle = "valid", "valid" // invalid UTF-8 cannot come back as it was
	want := contactwire.FromModel(c)
	want.Custom = stored(t, c.Custom) // decoded values have the stored types
	data, err := json.Marshal(contactwire.FromModel(c))
	if err != nil {
		t.Fatal(err)
	}
	var got contactwire.Contact
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\ngot  %+v\nwant %+v", got, want)
	}
	if got.V != 1 {
		t.Fatalf("v = %d, want 1", got.V)
	}
}

func TestNaNIsAnError(t *testing.T) {
	t.Parallel()
	c := sample()
	c.Custom = models.CustomValues{"f": math.NaN()}
	if _, err := json.Marshal(contactwire.FromModel(c)); err == nil {
		t.Fatal("NaN encoded without an error")
	}
}

// BenchmarkMarshal encodes a contact with five custom fields: "wire" is
// contactwire, "map" the map view by reflection it replaced.
func BenchmarkMarshal(b *testing.B) {
	c := sample()
	c.Mail2, c.Company, c.JobTitle = "", "ACME GmbH", "CEO"
	c.Custom = models.CustomValues{"text": "x", "multi": []string{"a", "b"}, "int": int64(12), "float": 3.25, "date": "2020-07-06"}
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = contactwire.FromModel(c).AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire_marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(contactwire.FromModel(c)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(mapView(c)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
