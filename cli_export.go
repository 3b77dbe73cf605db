package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/export"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

// exportCommand is `export --tenant N [--format csv|jsonl] [--term ID] [--updated-since T]`:
// the tenant's contacts to stdout, as GET /api/v1/contacts/export writes them, read
// straight from the database; the count goes to stderr.
func exportCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	var (
		tenant  int64
		format  string
		term    int64
		updated string
	)
	cmd := &cobra.Command{
		Use:   "export --tenant N [--format csv|jsonl] > contacts.csv",
		Short: "Write a tenant's contacts as CSV (the import reads it back) or JSON Lines",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if tenant <= 0 {
				return fmt.Errorf("--tenant: a tenant id is required")
			}
			if _, ok := export.ContentType[format]; !ok {
				_, err := export.New(io.Discard, format, nil)
				return fmt.Errorf("--format: %w", err)
			}
			f := models.ContactFilter{TermID: term, Limit: models.MaxContactsPage}
			if updated != "" {
				t, err := parseSince(updated)
				if err != nil {
					return err
				}
				f.UpdatedSince = t
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				ctx := c.Context()
				if _, err := st.GetTenant(ctx, tenant); err != nil {
					return fmt.Errorf("tenant %d: %w", tenant, err)
				}
				fields, err := st.ListCustomFields(ctx, tenant)
				if err != nil {
					return err
				}
				names := make([]string, len(fields))
				for i, fd := range fields {
					names[i] = fd.Name
				}
				n, _, err := export.Stream(ctx, st, tenant, f, format, names, stdout, nil)
				if err != nil {
					return fmt.Errorf("export stopped after %d contacts: %w", n, err)
				}
				fmt.Fprintf(stderr, "exported %d contacts of tenant %d\n", n, tenant)
				return nil
			})
		},
	}
	cmd.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	cmd.Flags().StringVar(&format, "format", export.CSV, "csv or jsonl")
	cmd.Flags().Int64Var(&term, "term", 0, "only contacts carrying this term id")
	cmd.Flags().StringVar(&updated, "updated-since", "", "only contacts changed at or after this time (RFC 3339 or unix seconds)")
	return cmd
}

// parseSince reads --updated-since: unix seconds or RFC 3339.
func parseSince(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--updated-since: %q is not RFC 3339 or unix seconds", s)
	}
	return t.UTC(), nil
}
