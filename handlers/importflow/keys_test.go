package importflow_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestImportWritesTheKeysOfTheSingleContactPath imports persons in batches big enough
// for the bulk write (COPY on PostgreSQL), pipelined, and creates the same persons
// one by one through POST /api/v1/contacts in another tenant: every contact must be
// stored under exactly the same blocking keys (the duplicate engine finds imported
// contacts as it finds any other), and each created contact has one event.
func TestImportWritesTheKeysOfTheSingleContactPath(t *testing.T) {
	b := setup(t, func(c *imports.Config) { c.BatchSize = 70 })
	other := storetest.NewTenant(t, b.st)
	const n = 150 // three batches, the first two of 70 (above the store's COPY minimum)
	firsts := []string{"Jörg", "Anna-Lena", "Zoë", "Mehmet", "O'Brien", "Ulrike", "Sven", "Ana María"}
	lasts := []string{"Müller", "Schmidt-Weiß", "Nguyễn", "van der Berg", "Öztürk", "Łukasz", "Smith"}
	cities := []string{"München", "Köln", "Wien", "Zürich", "London"}
	countries := []string{"DEU", "DE", "Austria", "CH", "GB"}
	var persons []map[string]any
	var natives []map[string]any
	for i := range n {
		first, last, city := firsts[i%len(firsts)], lasts[i%len(lasts)], cities[i%len(cities)]
		mail := fmt.Sprintf("P%d.%s@Example.org", i, strings.ToLower(strings.ReplaceAll(last, " ", "")))
		phone := fmt.Sprintf("+49 30 %07d", 1000000+i*37)
		street, zip := fmt.Sprintf("Hauptstraße %d", i+1), fmt.Sprintf("%05d", 10000+i*7)
		company := ""
		if i%3 == 0 {
			company = fmt.Sprintf("Firma %d GmbH", i)
		}
		persons = append(persons, map[string]any{"firstname": first, "lastname": last, "email": mail, "phone": phone,
			"company_name": company, "addresses": []map[string]any{{"street": street, "city": city, "postal_code": zip, "country": countries[i%len(countries)]}}})
		natives = append(natives, map[string]any{"first_name": first, "family_name": last, "mail": mail, "phone": phone,
			"company": company, "ba_street": street, "ba_city": city, "ba_postal_code": zip, "ba_country": countries[i%len(countries)]})
	}
	id := b.start(t, importBody(persons, map[string]any{"deduplication": "email"}))
	if s := b.wait(t, id); s.Status != "completed" || s.Created != n {
		t.Fatalf("import ended %+v, want completed with %d created", s, n)
	}
	api := *b
	api.tenant = other
	for _, c := range natives {
		api.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": c}, http.StatusCreated, nil)
	}
	imported, single := keysByMail(t, b, b.tenant.ID), keysByMail(t, b, other.ID)
	if len(imported) != n || len(single) != n {
		t.Fatalf("%d imported and %d single contacts, want %d each", len(imported), len(single), n)
	}
	for mail, keys := range single {
		if got := imported[mail]; !slices.Equal(got, keys) {
			t.Errorf("%s: imported under keys %q, the single-contact path writes %q", mail, got, keys)
		}
	}
	for _, tenant := range []int64{b.tenant.ID, other.ID} {
		var events int
		if err := b.st.DB().QueryRowContext(context.Background(),
			"SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'contact.created'", tenant).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != n {
			t.Errorf("tenant %d: %d contact.created events, want one per contact (%d)", tenant, events, n)
		}
	}
}

// keysByMail reads a tenant's contacts' blocking keys, sorted, by the contact's mail.
func keysByMail(t *testing.T, b *bundle, tenant int64) map[string][]string {
	t.Helper()
	rows, err := b.st.DB().QueryContext(context.Background(),
		"SELECT c.mail, k.key FROM contact_keys k JOIN contacts c ON c.id = k.contact_id AND c.tenant_id = k.tenant_id WHERE k.tenant_id = $1", tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var mail, key string
		if err := rows.Scan(&mail, &key); err != nil {
			t.Fatal(err)
		}
		out[mail] = append(out[mail], key)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, keys := range out {
		slices.Sort(keys)
	}
	return out
}
