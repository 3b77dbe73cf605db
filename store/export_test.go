package store

// SetBeforeJoin lets the tests of package store_test put a write between a join's
// decision and its merge (see Store.beforeJoin). Set it while no ingest runs.
func SetBeforeJoin(s *Store, f func(target, other int64)) { s.beforeJoin = f }

// The by-id conditions of byid.go, for the plan test.
const (
	ContactByID      = contactByID
	ContactsByIDs    = contactsByIDs
	KeysOfContact    = keysOfContact
	KeysOfContacts   = keysOfContacts
	ContactsWithMail = contactsWithMail
)

// SetSearchWalk shortens the id walk of a word search (see searchByWords) so a test
// can cross it with a few contacts; it returns the restore. Not for parallel tests.
func SetSearchWalk(n int) (restore func()) {
	old := searchWalk
	searchWalk = n
	return func() { searchWalk = old }
}
