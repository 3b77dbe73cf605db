package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
)

// run builds the command tree and executes it; with no arguments it serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	root := &cobra.Command{
		Use:           "contacthub",
		Short:         "Self-hosted contact API server speaking the Quentn contact API",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), cfg, stdout, stderr)
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cfg.bindFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(&cfg.BootstrapAPIKey, "bootstrap-api-key", cfg.BootstrapAPIKey, "value of the first API key on an empty database (CONTACTHUB_BOOTSTRAP_API_KEY)")

	root.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (the default)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), cfg, stdout, stderr) },
	})
	root.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), cfg, stderr, func(*store.Store) error { return nil })
		},
	})
	root.AddCommand(tenantsCommand(&cfg, stdout, stderr), keysCommand(&cfg, stdout, stderr), spamlistCommand(&cfg, stdout, stderr),
		exportCommand(&cfg, stdout, stderr))
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
)

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

	engine, err := startJobs(ctx, cfg, st, log)
	if err != nil {
		return err
	}

	rl, flood, redisReady, closeRedis, err := limiters(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	rl.Spam = spamlist.NewChecker(st, 5*time.Second)
	metrics := handlers.NewMetrics()
	service := contacts.New(contacts.Config{Store: st, Flood: flood, Spam: rl.Spam, Metrics: metrics, Log: log})
	inquiryService := inquiries.New(inquiries.Config{Store: st, Contacts: service, Jobs: engine, Log: log})
	api := &handlers.API{
		Inquiries: inquiryService, InquiryStore: st,
		Auth: st, Contacts: st, ContactService: service, CustomFields: st, Merges: st, Terms: st, Comments: st, Spamlist: st, Idempotency: st, Events: st, Log: log,
		Limits: handlers.Limits{MaxBodyBytes: cfg.MaxBodyBytes}, RateLimits: rl, Metrics: metrics,
		Ready: func(ctx context.Context) []handlers.Check {
			checks := []handlers.Check{{Name: "database", Err: st.Ping(ctx), Critical: true}}
			if redisReady != nil {
				checks = append(checks, redisReady(ctx))
			}
			return checks
		},
	}
	registerStoreMetrics(api.Metrics.Registry(), st)
	e := handlers.New(api)
	if cfg.DebugAddr != "" {
		stopDebug, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)} // net/http's own errors go to the one log too
	printWelcome(stdout, ln.Addr().String(), key, keyTenant)
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

func printWelcome(w io.Writer, addr, key string, tenant int64) {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	shown := key
	if shown == "" {
		shown = "<your API key>"
	}
	// One write: whoever reads the output (a person, a test waiting for the curl
	// line) sees the whole message at once.
	var b strings.Builder
	fmt.Fprintf(&b, "contacthub is listening on %s\n", base)
	if key != "" {
		fmt.Fprintf(&b, "API key for tenant %d (shown once, keep it): %s\n", tenant, key)
	}
	fmt.Fprintf(&b, "Try it:\n  curl -H 'Authorization: Bearer %s' %s/public/api/V1/check-credentials\n", shown, base)
	fmt.Fprintf(&b, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"contact\":{\"mail\":\"jane@example.com\",\"first_name\":\"Jane\"}}' %s/public/api/V1/contact\n", shown, base)
	fmt.Fprintf(&b, "Every endpoint: %s/docs (OpenAPI: %s/openapi.json)\n", base, base)
	io.WriteString(w, b.String())
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

func spamlistCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "spamlist", Short: "Manage spam-listed IP addresses and ranges"}
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
				scope := "the global list"
				if tenant != store.GlobalSpamList {
					scope = fmt.Sprintf("tenant %d's list", tenant)
				}
				fmt.Fprintf(stdout, "read %d lines: %d ranges, %d invalid; %d new entries on %s in %s\n",
					stats.Lines, stats.Ranges, stats.Invalid, added, scope, time.Since(start).Round(time.Millisecond))
				for _, le := range stats.Errors {
					fmt.Fprintf(stdout, "  %v\n", le)
				}
				return nil
			})
		},
	}
	load.Flags().Int64Var(&tenant, "tenant", store.GlobalSpamList, "tenant whose own list to load into (default: the global list)")
	load.Flags().StringVar(&source, "source", "", "a label for the entries (default: the file name)")
	cmd.AddCommand(load)
	return cmd
}

// registerStoreMetrics exports how contact writes were made: the one-statement
// shortcut for new contacts or a full transaction (see store.Store.Ingest), and how
// often write transactions ran again (store.Store.Retries).
func registerStoreMetrics(reg *prometheus.Registry, st *store.Store) {
	for _, path := range []string{"shortcut", "transaction"} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "contacthub_ingest_calls_total", Help: "Write-path calls by how they were written: shortcut (one statement, new contact) or transaction.",
			ConstLabels: prometheus.Labels{"path": path},
		}, func() float64 {
			shortcut, transaction := st.IngestCounts()
			if path == "shortcut" {
				return float64(shortcut)
			}
			return float64(transaction)
		}))
	}
	// Transactions run again, by the race they lost; a deadlock is a write path
	// outside the store's lock order (store/locks.go).
	for reason, count := range map[string]func(store.Retries) int64{
		"deadlock":        func(r store.Retries) int64 { return r.Deadlock },
		"serialization":   func(r store.Retries) int64 { return r.Serialization },
		"conflict":        func(r store.Retries) int64 { return r.Conflict },
		"connection_lost": func(r store.Retries) int64 { return r.ConnectionLost },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "contacthub_store_retries_total", Help: "Write transactions run again, by reason: deadlock, serialization, conflict (a concurrent change), connection_lost.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(count(st.Retries())) }))
	}
}
