package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// loadCandidatesPG fetches the candidate contacts with their terms and, withHistory,
// the before-images of their latest ingest merges in one round trip (PostgreSQL), and
// scans them without reflection: candidate loading was the biggest part of an auto
// ingest's time at 1M contacts (BENCHMARKS.md, issue 4). Each contact is fetched by
// primary key (unnest + LATERAL … OFFSET 0), so stale statistics cannot turn the
// lookup into a scan of the tenant. History comes newest first.
func loadCandidatesPG(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, withHistory bool) ([]*models.Contact, map[int64][]string, error) {
	history := map[int64][]string{}
	var contacts []*models.Contact
	for chunk := range slices.Chunk(ids, 1000) {
		q, args := candidatesSQLs()[0], []any{tenantID, pgArray(chunk)}
		if withHistory {
			q, args = candidatesSQLs()[1], append(args, models.MergeKindIngest, maxHistory, models.MergeKindCluster)
		}
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, nil, translate("load candidates", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				c := &models.Contact{}
				var custom, profile string
				var terms string          // "3,7,12"
				var before sql.NullString // a JSON array of before-images (JSON text)
				dest := contactScanDest(c, &custom, &profile)
				dest = append(dest, &terms, &before)
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				if err := json.Unmarshal([]byte(custom), &c.Custom); err != nil {
					return fmt.Errorf("decode custom fields of contact %d: %w", c.ID, err)
				}
				if err := json.Unmarshal([]byte(profile), &c.Profile); err != nil {
					return fmt.Errorf("decode profile of contact %d: %w", c.ID, err)
				}
				c.Terms = []int64{}
				for t := range strings.SplitSeq(terms, ",") {
					if t == "" {
						continue
					}
					id, err := strconv.ParseInt(t, 10, 64)
					if err != nil {
						return fmt.Errorf("terms of contact %d: %w", c.ID, err)
					}
					c.Terms = append(c.Terms, id)
				}
				if before.Valid {
					var images []string
					if err := json.Unmarshal([]byte(before.String), &images); err != nil {
						return fmt.Errorf("history of contact %d: %w", c.ID, err)
					}
					history[c.ID] = images
				}
				contacts = append(contacts, c)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, nil, translate("load candidates", err)
		}
	}
	return contacts, history, nil
}

// contactScanDest returns scan destinations for contactReadColumns, in order.
func contactScanDest(c *models.Contact, custom, profile *string) []any {
	dest := []any{&c.ID, &c.TenantID, &c.MailStatus, &c.UID, custom, profile, &c.MailKey, &c.Version, &c.CreatedAt, &c.UpdatedAt}
	for _, name := range models.TextFieldNames() {
		dest = append(dest, c.TextPtr(name))
	}
	return dest
}

// contactReadColumns are the contacts columns contactScanDest reads, in its order.
var contactReadColumns = sync.OnceValue(func() []string {
	return append([]string{"id", "tenant_id", "mail_status", "uid", "custom_fields", "profile", "mail_key", "version", "created_at", "updated_at"},
		models.TextFieldNames()...)
})

// candidatesSQLs are loadCandidatesPG's statements without and with history.
var candidatesSQLs = sync.OnceValue(func() [2]string {
	cols := "c." + strings.Join(contactReadColumns(), ", c.")
	// Terms as "id,id,…" and history as a JSON array: database/sql hands arrays over
	// as text, and these two forms parse without a type map.
	terms := "array_to_string(ARRAY(SELECT t.term_id FROM contact_terms t WHERE t.tenant_id = $1 AND t.contact_id = c.id ORDER BY t.term_id), ',')"
	history := candidateHistorySQL
	from := " FROM unnest($2::bigint[]) AS u(id) CROSS JOIN LATERAL " +
		"(SELECT * FROM contacts WHERE id = u.id AND tenant_id + 0 = $1 OFFSET 0) AS c" // see byid.go
	return [2]string{
		"SELECT " + cols + ", " + terms + ", NULL::json" + from,
		"SELECT " + cols + ", " + terms + ", " + history + from,
	}
})

// candidateHistorySQL is the before-images of contact c's latest ingest and cluster
// merges not undone, newest first, as a JSON array ($1 tenant, $3 the ingest kind, $4
// how many, $5 the cluster kind). An ingest merge keeps the contact's earlier state; a
// cluster merge the absorbed contact's, which is as much an earlier state of the
// person.
const candidateHistorySQL = "(SELECT json_agg(h.image ORDER BY h.id DESC) FROM (SELECT m.id, " +
	"CASE WHEN m.kind = $5 THEN (m.before_source::json -> 'contact')::text ELSE m.before_contact END AS image FROM merges m " +
	"WHERE m.tenant_id = $1 AND m.contact_id = c.id AND m.kind IN ($3, $5) AND m.undone_at IS NULL ORDER BY m.id DESC LIMIT $4) AS h)"
