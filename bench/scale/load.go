package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

func openDB(ctx context.Context, url string) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to -db: %w", err)
	}
	return c, nil
}

// load generates o.load people and stores them as the server would.
func load(ctx context.Context, o *options, eng *dedupe.Engine, w *world, db *pgx.Conn, api *client, out io.Writer) error {
	var n int64
	if err := db.QueryRow(ctx, "SELECT count(*) FROM contacts WHERE tenant_id = $1", o.tenant).Scan(&n); err != nil {
		return fmt.Errorf("count contacts (has the server migrated -db?): %w", err)
	}
	if n > 0 {
		return fmt.Errorf("tenant %d already holds %d contacts: load into a fresh database", o.tenant, n)
	}
	start := time.Now()
	people := w.population(0, o.load, map[string]bool{})
	fmt.Fprintf(out, "generated %d people in %s\n", len(people), since(start))
	ids := make([]int64, len(people))

	// The first batch goes through the server's own write path; its stored keys are
	// the reference the COPY path must reproduce exactly.
	first := min(o.httpBatch, len(people))
	t := time.Now()
	got, err := api.createBatch(ctx, people[:first])
	if err != nil {
		return err
	}
	copy(ids, got)
	fmt.Fprintf(out, "loaded %d people through POST /public/api/V1/contacts (check none) in %s\n", first, since(t))
	customDefault, err := verifyKeys(ctx, eng, db, o.tenant, people[:first], ids[:first])
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the server stored exactly the keys and mail keys this tool computes for all %d (custom_fields default %q)\n", first, customDefault)

	if _, err := db.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		return fmt.Errorf("disable foreign-key triggers for the load: %w", err)
	}
	t = time.Now()
	var keyRows int64
	for from := first; from < len(people); from += o.chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(from+o.chunk, len(people))
		k, err := copyChunk(ctx, eng, db, o.tenant, people[from:to], ids[from:to], customDefault)
		if err != nil {
			return err
		}
		keyRows += k
		if (to/o.chunk)%10 == 0 || to == len(people) {
			fmt.Fprintf(out, "  copied %d/%d people, %d key rows, %s\n", to, len(people), keyRows, since(t))
		}
	}
	if _, err := db.Exec(ctx, "SET session_replication_role = DEFAULT"); err != nil {
		return err
	}
	if err := writeIDs(o.ids, ids); err != nil {
		return err
	}
	fmt.Fprintf(out, "copied %d people with %d key rows in %s\n", len(people)-first, keyRows, since(t))
	if o.noAnalyze {
		fmt.Fprintf(out, "no VACUUM ANALYZE (-no-analyze); load total %s\n", since(start))
		return nil
	}
	t = time.Now()
	for _, table := range []string{"contacts", "contact_keys"} {
		if _, err := db.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	fmt.Fprintf(out, "VACUUM ANALYZE in %s; load total %s\n", since(t), since(start))
	return describe(ctx, db, o.tenant, out)
}

// verifyKeys compares what the server stored for people (ids) with storeKeys and
// returns the stored custom_fields value of a contact without custom fields.
func verifyKeys(ctx context.Context, eng *dedupe.Engine, db *pgx.Conn, tenant int64, people []person, ids []int64) (string, error) {
	stored, err := keysOf(ctx, db, tenant, ids)
	if err != nil {
		return "", err
	}
	bad := 0
	for i, p := range people {
		want := storeKeys(eng, p)
		if have := stored[ids[i]]; !slices.Equal(want, have) {
			if bad++; bad <= 3 {
				fmt.Printf("key mismatch for %+v (id %d):\n  server %q\n  tool   %q\n", p, ids[i], have, want)
			}
		}
	}
	if bad > 0 {
		return "", fmt.Errorf("%d of %d contacts have other keys on the server than this tool computes: rebuild both from the same tree", bad, len(people))
	}
	rows, err := db.Query(ctx, "SELECT id, mail_key, custom_fields FROM contacts WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id", tenant, ids)
	if err != nil {
		return "", err
	}
	byID := map[int64][2]string{}
	for rows.Next() {
		var id int64
		var mk, cf string
		if err := rows.Scan(&id, &mk, &cf); err != nil {
			return "", err
		}
		byID[id] = [2]string{mk, cf}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	custom := ""
	for i, p := range people {
		got, ok := byID[ids[i]]
		if !ok {
			return "", fmt.Errorf("contact %d not found in tenant %d: is -tenant the tenant of -key?", ids[i], tenant)
		}
		if got[0] != models.NormalizeMail(p.mail) {
			return "", fmt.Errorf("contact %d: mail_key %q, want %q", ids[i], got[0], models.NormalizeMail(p.mail))
		}
		custom = got[1]
	}
	return custom, nil
}

// keysOf reads the stored keys of contacts, sorted.
func keysOf(ctx context.Context, db *pgx.Conn, tenant int64, ids []int64) (map[int64][]string, error) {
	rows, err := db.Query(ctx, "SELECT contact_id, key FROM contact_keys WHERE tenant_id = $1 AND contact_id = ANY($2)", tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("read stored keys: %w", err)
	}
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, err
		}
		out[id] = append(out[id], k)
	}
	for _, ks := range out {
		slices.Sort(ks)
	}
	return out, rows.Err()
}

// copyChunk writes people with COPY in one transaction and fills ids.
func copyChunk(ctx context.Context, eng *dedupe.Engine, db *pgx.Conn, tenant int64, people []person, ids []int64, custom string) (int64, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, $1)", len(people))
	if err != nil {
		return 0, fmt.Errorf("reserve ids: %w", err)
	}
	i := 0
	for rows.Next() {
		if err := rows.Scan(&ids[i]); err != nil {
			return 0, err
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	cols := []string{"id", "tenant_id", "first_name", "family_name", "mail", "phone", "ba_street", "ba_city",
		"ba_postal_code", "ba_country", "date_of_birth", "mail_key", "custom_fields", "version", "created_at", "updated_at"}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"contacts"}, cols, pgx.CopyFromSlice(len(people), func(i int) ([]any, error) {
		p := people[i]
		return []any{ids[i], tenant, p.first, p.family, p.mail, p.phone, p.street, p.city, p.postal, p.country, p.dob,
			models.NormalizeMail(p.mail), custom, int64(1), now, now}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("copy contacts: %w", err)
	}
	type keyRow struct {
		key string
		id  int64
	}
	var keys []keyRow
	for i, p := range people {
		for _, k := range storeKeys(eng, p) {
			keys = append(keys, keyRow{k, ids[i]})
		}
	}
	// Sorted rows touch the primary-key index in order: a faster load, same result.
	slices.SortFunc(keys, func(a, b keyRow) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"contact_keys"}, []string{"tenant_id", "key", "contact_id"},
		pgx.CopyFromSlice(len(keys), func(i int) ([]any, error) { return []any{tenant, keys[i].key, keys[i].id}, nil }))
	if err != nil {
		return 0, fmt.Errorf("copy contact keys: %w", err)
	}
	return n, tx.Commit(ctx)
}

// describe prints the sizes of what was loaded and the most crowded keys.
func describe(ctx context.Context, db *pgx.Conn, tenant int64, out io.Writer) error {
	var contacts, keys int64
	var cSize, kSize string
	err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM contacts WHERE tenant_id = $1), (SELECT count(*) FROM contact_keys WHERE tenant_id = $1),
		pg_size_pretty(pg_total_relation_size('contacts')), pg_size_pretty(pg_total_relation_size('contact_keys'))`, tenant).
		Scan(&contacts, &keys, &cSize, &kSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "tenant %d: %d contacts (%s with indexes), %d key rows (%s with indexes), %.1f keys per contact\n",
		tenant, contacts, cSize, keys, kSize, float64(keys)/float64(max(contacts, 1)))
	rows, err := db.Query(ctx, `SELECT split_part(key, ':', 1) AS kind, count(*) AS n, count(DISTINCT key) AS distinct_keys
		FROM contact_keys WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1`, tenant)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "key kind: rows, distinct keys, mean contacts per key, largest key")
	type kind struct {
		name        string
		n, distinct int64
	}
	var kinds []kind
	for rows.Next() {
		var k kind
		if err := rows.Scan(&k.name, &k.n, &k.distinct); err != nil {
			return err
		}
		kinds = append(kinds, k)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	largest := map[string]string{}
	rows, err = db.Query(ctx, `SELECT DISTINCT ON (kind) kind, key, n FROM (
		SELECT split_part(key, ':', 1) AS kind, key, count(*) AS n FROM contact_keys WHERE tenant_id = $1 GROUP BY key) s
		ORDER BY kind, n DESC`, tenant)
	if err != nil {
		return err
	}
	for rows.Next() {
		var kd, key string
		var n int64
		if err := rows.Scan(&kd, &key, &n); err != nil {
			return err
		}
		largest[kd] = fmt.Sprintf("%s (%d)", key, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range kinds {
		fmt.Fprintf(out, "  %s: %d rows, %d keys, %.2f, %s\n", k.name, k.n, k.distinct, float64(k.n)/float64(k.distinct), largest[k.name])
	}
	return nil
}
