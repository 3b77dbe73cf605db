// Package store is contacthub's data access: GORM over PostgreSQL or SQLite, one file per
// aggregate. It returns domain errors only (models.ErrNotFound, models.ErrConflict,
// *models.Error) and scopes every query by tenant. The one write path for contacts,
// Ingest, lives in ingest.go.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// Dialects the store runs on.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Config says where the database is and how the store behaves.
type Config struct {
	// DatabaseURL is postgres://… for PostgreSQL; anything else is an SQLite path,
	// optionally prefixed with sqlite:// (default ./data/contacthub.db).
	DatabaseURL string
	// MaxOpenConns caps the connection pool (default 20 on Postgres, 8 on SQLite).
	MaxOpenConns int
	// Dedupe configures the duplicate engine used by the auto check.
	Dedupe dedupe.Config
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AnalyzeEvery is how many new contacts this process writes between two ANALYZEs of
	// the contact tables it runs itself (PostgreSQL; analyze.go); 0 means 50,000.
	AnalyzeEvery int64
}

// Store is the database. Its methods are safe for concurrent use.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect string
	log     *slog.Logger
	now     func() time.Time
	engine  *dedupe.Engine
	engines engineCache // each tenant's engine (dedupe_model.go)
	// writeMu serialises contact writes on SQLite, which has one writer anyway; it keeps
	// concurrent writers from spinning on SQLITE_BUSY. Postgres uses advisory locks.
	writeMu sync.Mutex
	keys    *keyCache
	fields  fieldCache
	// listener hears of definition changes on other replicas (fieldnotify.go).
	listener fieldListener
	// inquiryRefs predicts the statuses and sources of one-statement inquiry creates.
	inquiryRefs inquiryRefCache
	// shortcuts and transactions count Ingest calls by how they were written (see
	// createIfNew), for metrics and for tests that the shortcut is taken.
	shortcuts, transactions atomic.Int64
	// beforeJoin is for tests only (nil otherwise): joinMatches calls it after a join
	// was decided and before its merge, the gap in which a concurrent writer can change
	// or join either contact, so a test can put such a write there deterministically.
	beforeJoin func(target, other int64)
	// analyzer refreshes the planner's statistics after big writes (analyze.go).
	analyzer analyzer
	// idempotencyPruner deletes expired idempotency keys now and then (idempotency.go).
	idempotencyPruner idempotencyPruner
	// retries counts transactions run again, by reason (Retries).
	retries retryCounts
	// lostAt is when a database connection was last found lost, in Unix nanoseconds
	// (connlost.go).
	lostAt atomic.Int64
}

// IngestCounts reports how many Ingest calls were written by the one-statement
// shortcut for new contacts and how many by a full transaction.
func (s *Store) IngestCounts() (shortcut, transaction int64) {
	return s.shortcuts.Load(), s.transactions.Load()
}

// Open connects, configures the pool and returns the store. It does not migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dedupe.DefaultRegion == "" {
		cfg.Dedupe.DefaultRegion = "DE" // the same default as CONTACTHUB_DEFAULT_REGION
	}
	now := func() time.Time { return cfg.Now().UTC() }
	gcfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                now,
		Logger:                 logger.Discard,
	}
	s := &Store{log: cfg.Logger, now: now, engine: dedupe.New(cfg.Dedupe), keys: newKeyCache(30 * time.Second)}
	s.analyzer.every = cmp.Or(cfg.AnalyzeEvery, defaultAnalyzeEvery)
	var err error
	if IsPostgresURL(cfg.DatabaseURL) {
		s.dialect = Postgres
		// After a lost connection the pool checks connections before handing them out
		// (connlost.go).
		s.db, err = gorm.Open(postgres.New(postgres.Config{DSN: cfg.DatabaseURL,
			OptionOpenDB: []stdlib.OptionOpenDB{stdlib.OptionShouldPing(s.shouldPing)}}), gcfg)
	} else {
		s.dialect = SQLite
		var dsn string
		dsn, err = sqliteDSN(cfg.DatabaseURL)
		if err == nil {
			s.db, err = gorm.Open(sqlite.Open(dsn), gcfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", s.dialect, err)
	}
	if s.sqlDB, err = s.db.DB(); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if s.dialect == Postgres {
		// Statements outside transactions survive a lost connection where they can
		// (connlost.go).
		pool := &retryPool{db: s.sqlDB, s: s}
		s.db.ConnPool, s.db.Statement.ConnPool = pool, pool
	}
	maxOpen := cfg.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = 20
		if s.dialect == SQLite {
			maxOpen = 8
		}
	}
	s.sqlDB.SetMaxOpenConns(maxOpen)
	s.sqlDB.SetMaxIdleConns(maxOpen)
	s.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	// Connections cache prepared statements and PostgreSQL their plans; a plan made
	// while a table was nearly empty can stay wrong until statistics change, which
	// never happens without autovacuum. Renewing connections bounds that.
	s.sqlDB.SetConnMaxLifetime(time.Hour)
	if err := s.sqlDB.PingContext(ctx); err != nil {
		s.sqlDB.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", s.dialect, err)
	}
	if s.dialect == Postgres {
		s.startFieldListener(cfg.DatabaseURL)
	}
	return s, nil
}

// IsPostgresURL reports whether url names a PostgreSQL database.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func sqliteDSN(url string) (string, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "file:")
	if path == "" {
		path = filepath.Join("data", "contacthub.db")
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("create database directory: %w", err)
		}
	}
	// WAL lets readers run beside the writer; immediate transactions take the write lock
	// at BEGIN, so a check-then-insert cannot interleave with another process's.
	// No _time_format: go-sqlite v1.23 stops reading the DSN after it and silently
	// ignores _txlock (deferred transactions then fail with SQLITE_BUSY_SNAPSHOT, 517);
	// its default write format is the "sqlite" one anyway.
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate", nil
}

// Dialect is Postgres or SQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the pool for wiring (e.g. job queues) and tests.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Engine is the duplicate engine the store matches with.
func (s *Store) Engine() *dedupe.Engine { return s.engine }

// Migrate applies every embedded migration not yet applied.
func (s *Store) Migrate(ctx context.Context) error {
	gooseDialect := goose.DialectPostgres
	if s.dialect == SQLite {
		gooseDialect = goose.DialectSQLite3
	}
	var opts []goose.ProviderOption
	if s.dialect == Postgres {
		// Replicas starting together must not run the same migration twice.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(gooseDialect, s.sqlDB, subFS(s.dialect), opts...)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		s.log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return nil
}

// Ping checks the database for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.stopFieldListener()
	s.analyzer.wg.Wait()
	s.idempotencyPruner.wg.Wait()
	return s.sqlDB.Close()
}

// translate turns driver errors into domain errors and wraps them with the operation.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("store: %s: %w", op, models.Errorf(models.ENOTFOUND, "not found"))
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("store: %s: %w", op, models.Errorf(models.ECONFLICT, "already exists"))
	}
	// Text PostgreSQL cannot hold (a NUL byte, bytes that are not UTF-8) is the
	// caller's input: the handlers refuse it first, this keeps any path they miss from
	// answering 500.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05") {
		return fmt.Errorf("store: %s: %w", op, models.Errorf(models.EBADREQUEST, "the request holds text with a NUL byte or that is not UTF-8"))
	}
	// A lost connection is EUNAVAILABLE wherever it surfaces (connlost.go).
	return fmt.Errorf("store: %s: %w", op, unavailable(err, false))
}

// tx runs fn in a transaction. Contact writes take writeMu on SQLite (see Store).
// Write paths call it through retry (write.go), never directly.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.dialect == SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return runTx(s.db.WithContext(ctx), fn)
}

// runTx runs fn in a transaction on db. When the connection is lost while COMMIT is
// under way the outcome is unknown, and the error says so (*commitUnknownError):
// repeat must not run such a transaction again.
func runTx(db *gorm.DB, fn func(tx *gorm.DB) error) error {
	committing := false
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		committing = true
		return nil
	})
	if err != nil && committing && connLost(err) && !pgconn.SafeToRetry(err) {
		return &commitUnknownError{err: err}
	}
	return err
}

// scan runs q and scans its rows into dest as gorm's Scan does, without what
// gorm's Scan also does on every call: render the statement with its values
// inlined (regular expressions over the SQL) for a logger, even a discarding one —
// a tenth of the server's CPU on the write path.
func scan(q *gorm.DB, dest any) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := q.ScanRows(rows, dest); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
