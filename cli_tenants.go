package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

func tenantsCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "tenants", Short: "Manage tenants"}
	cmd.AddCommand(&cobra.Command{
		Use:   "create NAME",
		Short: "Create a tenant and print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				t, err := st.CreateTenant(c.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(stdout, t.ID)
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the tenants with their active keys and contacts",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				tenants, err := st.ListTenants(c.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKEYS\tCONTACTS\tCREATED\tNAME")
				for _, t := range tenants {
					fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\n", t.ID, t.ActiveKeys, t.Contacts, t.CreatedAt.Format(time.RFC3339), t.Name)
				}
				return tw.Flush()
			})
		},
	})
	cmd.AddCommand(tenantsDeleteCommand(cfg, stdout, stderr))
	return cmd
}

// tenantsDeleteCommand is `tenants delete ID`: asks, revokes the tenant's keys, removes
// every row it owns and prints how many of each table.
func tenantsDeleteCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	var yes bool
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a tenant and all of its data; its API keys stop working at once (asks first unless --yes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("tenant id %q: want a positive number", args[0])
			}
			ctx := c.Context()
			return withStore(ctx, *cfg, stderr, func(st *store.Store) error {
				t, err := st.SummarizeTenant(ctx, id)
				if err != nil {
					return err
				}
				n, err := st.CountTenants(ctx)
				if err != nil {
					return err
				}
				notes := deletionNotes(id, n)
				if !yes {
					fmt.Fprintf(stderr, "Delete tenant %d %q with its %d contacts and everything else it owns? Its %d active API keys stop working at once. This cannot be undone.\n",
						t.ID, t.Name, t.Contacts, t.ActiveKeys)
					for _, note := range notes {
						fmt.Fprintln(stderr, "Note:", note)
					}
					fmt.Fprint(stderr, "Type yes to delete it: ")
					if !confirmed(c.InOrStdin()) {
						return fmt.Errorf("tenant %d not deleted: not confirmed (--yes skips the question)", id)
					}
				}
				last := time.Now()
				d, err := st.DeleteTenant(ctx, id, store.DeleteTenantOptions{Progress: func(table string, rows int64) {
					if time.Since(last) >= 5*time.Second { // a line now and then for a big tenant
						fmt.Fprintf(stderr, "deleting tenant %d: %d rows of %s so far\n", id, rows, table)
						last = time.Now()
					}
				}})
				if err != nil {
					if models.ErrorCode(err) != models.ENOTFOUND {
						err = fmt.Errorf("%w (the keys of tenant %d may be revoked already; run the command again to finish)", err, id)
					}
					return err
				}
				printDeletion(stdout, d, notes)
				return nil
			})
		},
	}
	del.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return del
}

// deletionNotes are what deleting tenant id changes beyond its own data.
func deletionNotes(id, tenants int64) []string {
	var notes []string
	if id == 1 {
		notes = append(notes, "tenant 1 is the bootstrap tenant: CONTACTHUB_BOOTSTRAP_API_KEY no longer creates a key (the server logs a warning); create keys for other tenants with `contacthub keys create`")
	}
	if tenants == 1 {
		notes = append(notes, "it is the last tenant: the next server start creates a new tenant (with a new id) and prints a new API key")
	}
	return notes
}

// confirmed reads one answer line; only "yes" or "y" confirm.
func confirmed(in io.Reader) bool {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "yes" || answer == "y"
}

func printDeletion(w io.Writer, d *models.TenantDeletion, notes []string) {
	fmt.Fprintf(w, "deleted tenant %d %q: %d API keys revoked, then these rows removed:\n", d.Tenant.ID, d.Tenant.Name, d.RevokedKeys)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	var total int64
	for _, r := range d.Removed {
		fmt.Fprintf(tw, "%s\t%d\n", r.Table, r.Rows)
		total += r.Rows
	}
	fmt.Fprintf(tw, "total\t%d\n", total)
	tw.Flush()
	for _, note := range notes {
		fmt.Fprintln(w, "note:", note)
	}
}
