package store

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
)

// TestCopyContactColumns: the values COPY writes for a new contact are contactRow's,
// column by column, with every column of contactRow present.
func TestCopyContactColumns(t *testing.T) {
	c := &models.Contact{ID: 42, TenantID: 7, MailStatus: 2, UID: 9, Version: 3,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC),
		Custom:  models.CustomValues{"size": "XL", "count": float64(3)},
		Profile: models.Profile{Flags: map[string]bool{"is_verified": true}}}
	for i, name := range models.TextFieldNames() {
		c.SetText(name, name+"-value-"+string(rune('a'+i%26)))
	}
	c.SetText("mail", "Jane.Doe@Example.com")
	row := contactRow(c)
	columns, values := copyContactColumns()
	if len(columns) != len(row) {
		t.Fatalf("COPY writes %d columns, contactRow has %d", len(columns), len(row))
	}
	for j, name := range columns {
		want, ok := row[name]
		if !ok {
			t.Fatalf("column %s is not contactRow's", name)
		}
		if got := values[j](c); !reflect.DeepEqual(got, want) {
			t.Errorf("column %s: COPY writes %#v, contactRow has %#v", name, got, want)
		}
	}
}

// TestWorkingKeysWithoutSet: a new contact's keys kept as its newKeys alone (no set)
// answer addKeys and missingKeys as the set did.
func TestWorkingKeysWithoutSet(t *testing.T) {
	lazy := &working{isNew: true}
	eager := &working{isNew: true, keys: map[string]bool{}}
	for _, keys := range [][]string{{"a:1", "b:2", "e:x"}, {"b:2", "c:3"}, {"z:9", "a:1", "z:9"}, nil} {
		if got, want := lazy.missingKeys(keys), eager.missingKeys(keys); !slices.Equal(got, want) {
			t.Fatalf("missingKeys(%v) = %v, want %v", keys, got, want)
		}
		lazy.addKeys(keys)
		eager.addKeys(keys)
		if !slices.Equal(lazy.newKeys, eager.newKeys) {
			t.Fatalf("after addKeys(%v): newKeys %v, want %v", keys, lazy.newKeys, eager.newKeys)
		}
	}
	unsorted := &working{isNew: true}
	unsorted.addKeys([]string{"b", "a", "b"})
	if !slices.Equal(unsorted.newKeys, []string{"b", "a"}) || unsorted.missingKeys([]string{"a", "c"})[0] != "c" {
		t.Fatalf("unsorted keys: newKeys %v", unsorted.newKeys)
	}
}
