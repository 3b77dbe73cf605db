package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/dedupetrain"
	"github.com/contacthub/contacthub/dupscan"
	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/keyindex"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
)

// run builds the command tree and executes it; with no arguments it serves. The
// server's settings are flags of the root and serve commands only; the commands that
// only use the database (migrate, tenants, keys, spamlist) take the database and log
// settings; version and completion take none. Every setting is an environment
// variable too (config.go).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	root := &cobra.Command{
		Use:           "contacthub",
		Short:         "Self-hosted contact API server speaking the Quentn contact API",
		Version:       currentBuild().Version,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), cfg, stdout, stderr)
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Name}} " + strings.TrimPrefix(currentBuild().String(), "contacthub ") + "\n")
	cfg.bindFlags(root.Flags(), true)

	serveCmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (the default)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), cfg, stdout, stderr) },
	}
	cfg.bindFlags(serveCmd.Flags(), true)
	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), cfg, stderr, func(*store.Store) error { return nil })
		},
	}
	cfg.bindFlags(migrate.Flags(), false)
	root.AddCommand(serveCmd, migrate, versionCommand(stdout))
	for _, cmd := range []*cobra.Command{tenantsCommand(&cfg, stdout, stderr), keysCommand(&cfg, stdout, stderr), spamlistCommand(&cfg, stdout, stderr),
		exportCommand(&cfg, stdout, stderr), importCommand(&cfg, stdout, stderr)} {
		cfg.bindFlags(cmd.PersistentFlags(), false)
		root.AddCommand(cmd)
	}
	return root.ExecuteContext(ctx)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel)) // validated
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withStore opens and migrates the database, runs fn and closes it.
func withStore(ctx context.Context, cfg Config, stderr io.Writer, fn func(*store.Store) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	st, err := store.Open(ctx, cfg.storeConfig(log))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	return fn(st)
}

// The store serves the contact service, which serves the handlers.
var (
	_ contacts.Store          = (*store.Store)(nil)
	_ handlers.ContactService = (*contacts.Service)(nil)
	_ handlers.ContactStore   = (*store.Store)(nil)
	_ inquiries.Store         = (*store.Store)(nil)
	_ inquiries.Contacts      = (*contacts.Service)(nil)
	_ handlers.InquiryService = (*inquiries.Service)(nil)
	_ handlers.InquiryStore   = (*store.Store)(nil)
	_ contacts.WriteCounter   = (*handlers.Metrics)(nil)
	_ imports.Store           = (*store.Store)(nil)
	_ imports.Contacts        = (*contacts.Service)(nil)
	_ handlers.ImportService  = (*imports.Engine)(nil)
	_ handlers.ImportStore    = (*store.Store)(nil)
)

// importBatch is how many records one import transaction writes: on PostgreSQL
// enough for COPY to pay; on SQLite, whose one writer the batch holds, fewer.
func importBatch(dialect string) int {
	if dialect == store.SQLite {
		return 500
	}
	return 1000
}

// importWriters are the import engine's writers of entities other than contacts: the
// inquiries of a file import, through the inquiry service over the contact service
// (that service's re-score jobs are not needed to write an inquiry: Jobs is nil).
func importWriters(st *store.Store, service *contacts.Service, log *slog.Logger) map[string]imports.Writer {
	writer := inquiries.New(inquiries.Config{Store: st, Contacts: service, Log: log})
	return map[string]imports.Writer{models.FileImportInquiries: writer.ImportWriter(st)}
}

// serve wires config → database → migrations → store → handlers → HTTP and shuts down
// gracefully when ctx ends: stop accepting, finish requests in flight, close the DB.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	log.Info("starting contacthub", "config", cfg)
	st, err := store.Open(ctx, cfg.storeConfig(log))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	key, keyTenant, err := st.Bootstrap(ctx, cfg.BootstrapAPIKey)
	if err != nil {
		return err
	}

	hooks := newWebhooks(cfg, st, log)
	rl, flood, redisReady, closeRedis, err := limiters(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	rl.Spam = spamlist.NewChecker(st, spamlist.ServerRefresh)
	metrics := handlers.NewMetrics()
	service := contacts.New(contacts.Config{Store: st, Flood: flood, Spam: rl.Spam, Metrics: metrics, Log: log})
	fileImports := fileimports.New(st)
	importer := imports.New(imports.Config{Store: st, Contacts: service, Doors: []imports.Door{imports.JSONDoor{}, fileImports.Door()},
		Writers: importWriters(st, service, log), BatchSize: importBatch(st.Dialect()), Log: log})
	fileImports.Engine = importer

	trainer := dedupetrain.New(st, log).WithRetrain(dedupetrain.Retrain{GrowthPercent: cfg.DedupeRetrainGrowth, CheckEvery: cfg.DedupeRetrainCheckEvery})
	scans := dupscan.New(st, log)
	engine, err := startJobs(ctx, cfg, st, hooks, importer, trainer, scans, keyindex.New(st, log), log)
	if err != nil {
		return err
	}
	inquiryService := inquiries.New(inquiries.Config{Store: st, Contacts: service, Jobs: engine, Log: log})
	api := &handlers.API{
		Inquiries: inquiryService, InquiryStore: st, Imports: importer, ImportStore: st,
		Auth: st, Contacts: st, ContactService: service, CustomFields: st, Merges: st, Duplicates: st, Terms: st, Comments: st, Spamlist: st, Idempotency: st, Events: st, Webhooks: hooks, Log: log,
		FileImports: fileImports, DedupeModels: trainer, DuplicateScans: scans,
		Limits: handlers.Limits{MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes, ImportBodyBytes: cfg.ImportMaxBodyBytes}, RateLimits: rl, Metrics: metrics,
		Ready: func(ctx context.Context) []handlers.Check {
			checks := []handlers.Check{{Name: "database", Err: st.Ping(ctx), Critical: true}}
			if redisReady != nil {
				checks = append(checks, redisReady(ctx))
			}
			return checks
		},
	}
	reg := api.Metrics.Registry()
	registerBuildInfo(reg, currentBuild())
	registerStoreMetrics(reg, st)
	reg.MustRegister(hooks.Collectors()...)
	registerDBMetrics(reg, st, engine.Engine, log)
	registerBreakerMetrics(reg, map[string]any{"requests": rl.Limiter, "flood": flood})
	api.MetricsElsewhere = cfg.MetricsAddr != ""
	e := handlers.New(api)
	if opsAddr := cmp.Or(cfg.MetricsAddr, cfg.DebugAddr); opsAddr != "" {
		var served http.Handler // the older CONTACTHUB_DEBUG_ADDR serves the profiles only
		if cfg.MetricsAddr != "" {
			served = metrics.Handler()
		}
		stopOps, err := serveOps(opsAddr, served, log)
		if err != nil {
			return err
		}
		defer stopOps()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)} // net/http's own errors go to the one log too
	announce(stdout, cfg, log, ln.Addr().String(), key, keyTenant)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopJobs(sctx, engine, log)
	log.Info("stopped")
	return nil
}

func keysCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage API keys"}
	var tenant int64
	var name, rate string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and print it (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := validRate(rate); err != nil {
				return err
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				_, secret, err := st.CreateKey(c.Context(), tenant, name, "", rate)
				if err != nil {
					return err
				}
				fmt.Fprintln(stdout, secret)
				return nil
			})
		},
	}
	create.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	create.Flags().StringVar(&name, "name", "", "a name to tell keys apart")
	create.Flags().StringVar(&rate, "rate", "", "request quota override, e.g. 600/m (default: the server's per-key default)")
	_ = create.MarkFlagRequired("tenant")

	list := &cobra.Command{
		Use:   "list",
		Short: "List a tenant's keys",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				if err := requireTenant(c, st, tenant); err != nil {
					return err
				}
				keys, err := st.ListKeys(c.Context(), tenant)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tRATE\tCREATED\tREVOKED")
				for _, k := range keys {
					revoked := "-"
					if k.RevokedAt != nil {
						revoked = k.RevokedAt.Format(time.RFC3339)
					}
					r := k.RateLimit
					if r == "" {
						r = "default"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, r, k.CreatedAt.Format(time.RFC3339), revoked)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	_ = list.MarkFlagRequired("tenant")

	revoke := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke a key",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("key id %q: %w", args[0], err)
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				if err := st.RevokeKey(c.Context(), tenant, id); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "revoked key %d\n", id)
				return nil
			})
		},
	}
	revoke.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	_ = revoke.MarkFlagRequired("tenant")

	update := &cobra.Command{
		Use:   "update KEY_ID",
		Short: "Change a key's request quota (--rate 600/m; --rate default restores the default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("key id %q: %w", args[0], err)
			}
			if rate == "default" {
				rate = ""
			}
			if err := validRate(rate); err != nil {
				return err
			}
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				if err := st.UpdateKeyRate(c.Context(), tenant, id, rate); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "updated key %d\n", id)
				return nil
			})
		},
	}
	update.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	update.Flags().StringVar(&rate, "rate", "", "request quota, e.g. 600/m, or default")
	_ = update.MarkFlagRequired("tenant")
	_ = update.MarkFlagRequired("rate")

	cmd.AddCommand(create, list, revoke, update)
	return cmd
}

// validRate checks a quota override such as 600/m ("" keeps the default).
func validRate(rate string) error {
	if rate == "" {
		return nil
	}
	_, err := ratelimit.ParseLimit(rate)
	return err
}
