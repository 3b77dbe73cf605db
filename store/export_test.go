package store

// SetBeforeJoin lets the tests of package store_test put a write between a join's
// decision and its merge (see Store.beforeJoin). Set it before the store is used.
func SetBeforeJoin(s *Store, f func(target, other int64)) { s.beforeJoin = f }

// The by-id conditions of byid.go, for the plan test.
const (
	ContactByID   = contactByID
	KeysOfContact = keysOfContact
)
