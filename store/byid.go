package store

// Conditions for statements that address a contact, or a contact's key rows, by id.
//
// They name the tenant as "tenant_id + 0 = ?", which both PostgreSQL and SQLite
// cannot answer from an index, so the only index the statement can use is the one on
// the id. Why: PostgreSQL estimates a tenant's size from the statistics of the last
// ANALYZE, and a tenant that arrived after it looks like one row. With "tenant_id = ?"
// the planner then finds every tenant-prefixed index (mail, names, updated_at, the
// key table's primary key) as cheap as the id, picks one, and walks all of the
// tenant's rows: 137 ms for a contact and 664 ms for its key rows in a new 1M tenant
// (BENCHMARKS.md, issue 4, stale statistics), where the id index answers in 0.05 ms.
// The tenant condition still filters every row: another tenant's id finds nothing.
//
// The argument order is id first, then tenant.
const (
	// contactByID matches the contact with this id in this tenant.
	contactByID = "id = ? AND tenant_id + 0 = ?"
	// contactByIDVersion also requires the version a write was decided on.
	contactByIDVersion = "id = ? AND tenant_id + 0 = ? AND version = ?"
	// contactsByIDs matches the contacts with these ids in this tenant.
	contactsByIDs = "id IN ? AND tenant_id + 0 = ?"
	// keysOfContact matches a contact's rows in contact_keys (indexed by contact_id).
	keysOfContact = "contact_id = ? AND tenant_id + 0 = ?"
	// keysOfContacts matches the rows in contact_keys of the contacts with these ids.
	keysOfContacts = "contact_id IN ? AND tenant_id + 0 = ?"
	// termsOfContact matches a contact's rows in contact_terms (indexed by contact_id
	// since migration 00009).
	termsOfContact = "contact_id = ? AND tenant_id + 0 = ?"
	// termsOfContacts matches the rows in contact_terms of the contacts with these ids.
	termsOfContacts = "contact_id IN ? AND tenant_id + 0 = ?"
	// contactsWithMail matches the contacts whose mail_key is the given one, found
	// through their mail's blocking key (arguments: tenant, "e:" key, tenant,
	// mail_key). Asked for "tenant_id = ? AND mail_key = ?" ORDER BY id, the planner
	// walked all of a tenant it did not know for the order (348 ms at 1M) instead of
	// using (tenant_id, mail_key); contact_keys' primary key (tenant_id, key,
	// contact_id) leaves it no such choice and yields the ids in order, and the
	// contacts follow by id. Every contact with a mail has that row (storeKeys), as
	// long as the engine's mail key stays what it was when the contact was written:
	// a change to dedupe.EmailKey (or FoldPlusTags) needs the keys rebuilt.
	contactsWithMail = "id IN (SELECT contact_id FROM contact_keys WHERE tenant_id = ? AND key = ?) AND tenant_id + 0 = ? AND mail_key = ?"
)
