package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
)

// spamlistCommand manages the spam lists: the global one (every tenant's contacts are
// checked against it) by default, a tenant's own with --tenant.
func spamlistCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "spamlist", Short: "Manage spam-listed IP addresses and ranges (the global list, or a tenant's with --tenant)"}
	var tenant int64
	var source string
	load := &cobra.Command{
		Use:   "load FILE",
		Short: "Load a blocklist (one address, CIDR or a-b range per line; # comments; FireHOL netsets, StopForumSpam exports) idempotently",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if source == "" {
				source = filepath.Base(args[0])
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				start := time.Now()
				stats, added, err := st.LoadSpamList(c.Context(), tenant, f, source)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "read %d lines: %d ranges, %d invalid; %d new entries on %s in %s\n",
					stats.Lines, stats.Ranges, stats.Invalid, added, spamScope(tenant), time.Since(start).Round(time.Millisecond))
				for _, le := range stats.Errors {
					fmt.Fprintf(stdout, "  %v\n", le)
				}
				return nil
			})
		},
	}
	load.Flags().StringVar(&source, "source", "", "a label for the entries (default: the file name)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the entries of a spam list, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				if err := requireSpamTenant(c, st, tenant); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tENTRY\tSOURCE\tADDED")
				for after := int64(0); ; {
					page, err := st.ListSpamRanges(c.Context(), tenant, after, 1000)
					if err != nil {
						return err
					}
					for _, e := range page {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", e.ID, e.Entry, e.Source, e.CreatedAt.UTC().Format(time.RFC3339))
						after = e.ID
					}
					if len(page) < 1000 {
						return tw.Flush()
					}
				}
			})
		},
	}

	remove := &cobra.Command{
		Use:   "remove ENTRY...",
		Short: "Remove entries (an address, CIDR or a-b range, exactly as listed) from a spam list; fails when one was not listed",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ranges := make([]spamlist.Range, len(args))
			for i, a := range args {
				r, err := spamlist.ParseRange(a)
				if err != nil {
					return fmt.Errorf("entry %q: %w", a, err)
				}
				ranges[i] = r
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				if err := requireSpamTenant(c, st, tenant); err != nil {
					return err
				}
				var missing []string
				for _, r := range ranges {
					n, err := st.RemoveSpamRanges(c.Context(), tenant, []spamlist.Range{r})
					if err != nil {
						return err
					}
					if n == 0 {
						missing = append(missing, r.String())
						continue
					}
					fmt.Fprintf(stdout, "removed %s from %s\n", r, spamScope(tenant))
				}
				if len(missing) > 0 {
					return fmt.Errorf("not on %s: %v", spamScope(tenant), missing)
				}
				return nil
			})
		},
	}
	for _, sub := range []*cobra.Command{load, list, remove} {
		sub.Flags().Int64Var(&tenant, "tenant", store.GlobalSpamList, "the tenant whose own list this is (default: the global list)")
		cmd.AddCommand(sub)
	}
	return cmd
}

// spamScope names a list in messages.
func spamScope(tenant int64) string {
	if tenant == store.GlobalSpamList {
		return "the global list"
	}
	return fmt.Sprintf("tenant %d's list", tenant)
}

// requireSpamTenant fails for the list of a tenant that does not exist: an empty
// answer would read as "nothing listed".
func requireSpamTenant(c *cobra.Command, st *store.Store, tenant int64) error {
	if tenant == store.GlobalSpamList {
		return nil
	}
	return requireTenant(c, st, tenant)
}

// requireTenant returns an error naming a tenant that does not exist.
func requireTenant(c *cobra.Command, st *store.Store, tenant int64) error {
	if _, err := st.GetTenant(c.Context(), tenant); err != nil {
		if models.ErrorCode(err) == models.ENOTFOUND {
			return fmt.Errorf("tenant %d does not exist (contacthub tenants list)", tenant)
		}
		return err
	}
	return nil
}
