package store

// The one lock order of every write transaction (PostgreSQL; SQLite has one writer,
// and the store serialises its transactions with writeMu).
//
// A deadlock needs two transactions each waiting for a lock the other holds. When
// every transaction takes its locks in the same global order it never waits for a
// lock that comes earlier in that order than one it holds, so no cycle can form. The
// order, and who takes what:
//
//  1. Advisory locks: the tenant's ingest lock, then blocking-key locks in ascending
//     id (lockKeys, lockAndFind, createIfNew), each exclusive or shared as the
//     writer's duplicate check needs (lockPlan, candidates.go), one order for both
//     modes. Taken by Ingest and UpdateContact (which takes all of its keys
//     exclusive).
//  2. Term rows, ascending id: FOR KEY SHARE by every writer that puts terms on a
//     contact (missingTerms, lockTerms, and write for the terms it writes again);
//     FOR UPDATE by DeleteTerm, which takes only its one term.
//  3. Contact rows, ascending id: FOR UPDATE by DeleteContact and MergeContacts
//     before they read anything, FOR NO KEY UPDATE by DeleteTerm and
//     DeleteCustomField for the contacts they change, FOR KEY SHARE by comment writes
//     (lockContacts); the optimistic UPDATE … WHERE version = ? of write takes them
//     in ascending id too.
//  4. Rows that belong to the locked contacts: contact_keys, contact_terms,
//     comments, merges. Only a transaction that holds its contact's lock (3) writes
//     them, so waits on them never lead back to an earlier level. Inquiries are
//     here too: an inquiry write holds its tags' terms (2) and its customer (3, FOR
//     KEY SHARE) before it writes the inquiry row (an UPDATE … WHERE version = ?);
//     a delete or merge of the customer, and DeleteTerm, change inquiries last.
//
// Deleting a contact locks it first (3) and its children after (4): a write to the
// same contact either commits before the delete takes the lock, and the delete then
// removes what it wrote, or waits and finds the contact gone (404). Nothing of a
// deleted contact is left behind (contact_keys has no foreign key to do it,
// migration 00005).
//
// Foreign-key checks take FOR KEY SHARE on the referenced row when a child row is
// inserted: on the contact (held already, level 3) and on the term (level 2, taken
// before the contact for exactly this reason). A writer that only learns which terms
// it needs after locking contacts (MergeContacts) locks the terms it read first and
// starts over when the locked contacts turned out to need others.
//
// Should a deadlock still happen (a path this order misses), PostgreSQL breaks it
// with 40P01 and repeat runs the transaction again; Store.Retries counts it, and the
// concurrency tests require zero.

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// Row-lock strengths of lockContacts (PostgreSQL's names).
const (
	// lockUpdate: the contact is deleted (or absorbed by a merge).
	lockUpdate = "UPDATE"
	// lockNoKeyUpdate: the contact's columns change (not its id).
	lockNoKeyUpdate = "NO KEY UPDATE"
	// lockKeyShare: the contact must not be deleted meanwhile; rows are added to or
	// removed from its children. The foreign-key check of a child insert takes the same.
	lockKeyShare = "KEY SHARE"
)

// lockContacts locks the tenant's contacts among ids in ascending id order (level 3
// of the lock order) and returns the ids of those that exist, ascending. On SQLite it
// only reads which exist: the transaction holds the database's write lock already.
func (s *Store) lockContacts(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, strength string) ([]int64, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	q, arg := "SELECT id FROM contacts WHERE "+contactsByIDs+" ORDER BY id", any(ids)
	if s.dialect == Postgres {
		// ORDER BY runs below the row locking, so rows are locked in id order. One
		// array parameter, however many ids.
		q, arg = "SELECT id FROM contacts WHERE id = ANY(?::bigint[]) AND tenant_id + 0 = ? ORDER BY id FOR "+strength, pgArray(ids)
	}
	var found []int64
	if err := scanAll(tx.WithContext(ctx).Raw(q, arg, tenantID), &found); err != nil {
		return nil, translate(fmt.Sprintf("lock contacts %v", ids), err)
	}
	return found, nil
}

// lockContact is lockContacts for one contact; it returns ENOTFOUND when the tenant
// has no such contact (or it was deleted while this waited for the lock).
func (s *Store) lockContact(ctx context.Context, tx *gorm.DB, tenantID, id int64, strength string) error {
	found, err := s.lockContacts(ctx, tx, tenantID, []int64{id}, strength)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return models.Errorf(models.ENOTFOUND, "contact %d not found", id)
	}
	return nil
}

// lockTermRows takes FOR KEY SHARE on the tenant's terms among ids, ascending (level
// 2), so that a contact's term rows can be written again after its lock is taken
// without waiting for a DeleteTerm that waits for the contact. Terms already deleted
// are skipped: the contacts that carried them have a new version, which the write's
// version check notices. It does nothing on SQLite.
func (s *Store) lockTermRows(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) error {
	if s.dialect != Postgres || len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var locked []int64
	err := scanAll(tx.WithContext(ctx).Raw("SELECT id FROM terms WHERE tenant_id = ? AND id = ANY(?::bigint[]) ORDER BY id FOR KEY SHARE",
		tenantID, pgArray(ids)), &locked)
	return translate("lock terms", err)
}

// scanAll runs q and scans every row's one column into dest (a pointer to a slice).
func scanAll[T any](q *gorm.DB, dest *[]T) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*dest = append(*dest, v)
	}
	return rows.Err()
}
