// Package storetest gives tests a real, migrated database: SQLite in a temporary
// directory always, or a fresh PostgreSQL database when CONTACTHUB_TEST_DATABASE_URL is
// set (an admin URL such as postgres://postgres@127.0.0.1:5432/postgres). Each test
// package gets its own database, created on first use and dropped by Main; tests stay
// independent by working in tenants of their own (NewTenant), which also exercises
// tenant isolation.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for CREATE/DROP DATABASE

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

// EnvDatabaseURL names the variable holding a PostgreSQL admin URL for tests.
const EnvDatabaseURL = "CONTACTHUB_TEST_DATABASE_URL"

var (
	once     sync.Once
	shared   *store.Store
	openErr  error
	cleanups []func()
)

// Main runs the package's tests and then drops the package's database. Call it from
// TestMain: func TestMain(m *testing.M) { storetest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// Open returns the package's store, opening and migrating it on first use.
func Open(t testing.TB) *store.Store {
	t.Helper()
	once.Do(func() { shared, openErr = open(context.Background()) })
	if openErr != nil {
		t.Fatalf("storetest: %v", openErr)
	}
	return shared
}

// Dialect says which database tests run on.
func Dialect() string {
	if os.Getenv(EnvDatabaseURL) != "" {
		return store.Postgres
	}
	return store.SQLite
}

// Config returns a store config for a database of the test package (for tests that
// open more stores on the same database, e.g. a second replica).
func Config(t testing.TB) store.Config {
	Open(t)
	return store.Config{DatabaseURL: dbURL, Logger: quietLogger()}
}

var dbURL string

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func open(ctx context.Context) (*store.Store, error) {
	admin := os.Getenv(EnvDatabaseURL)
	if admin == "" {
		dir, err := os.MkdirTemp("", "contacthub-test-")
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		dbURL = filepath.Join(dir, "test.db")
	} else {
		u, err := url.Parse(admin)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", EnvDatabaseURL, err)
		}
		name := "contacthub_test_" + randomHex(6)
		adminDB, err := sql.Open("pgx", admin)
		if err != nil {
			return nil, err
		}
		if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			adminDB.Close()
			return nil, fmt.Errorf("create test database (is PostgreSQL running at %s?): %w", u.Host, err)
		}
		cleanups = append(cleanups, func() {
			if _, err := adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
				fmt.Fprintf(os.Stderr, "storetest: drop %s: %v\n", name, err)
			}
			adminDB.Close()
		})
		u.Path = "/" + name
		dbURL = u.String()
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// OwnDatabaseURL returns a migrated PostgreSQL database of the test's own, dropped when
// the test ends (WITH (FORCE): server processes the test started may still hold
// connections). It is for tests whose servers work in the bootstrap tenant, which all
// tests of a package would otherwise share: an import a failed test left running would
// be resumed by the next test's servers and write into its tenant. It needs
// CONTACTHUB_TEST_DATABASE_URL; tests on SQLite use a file in t.TempDir().
func OwnDatabaseURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvDatabaseURL)
	if admin == "" {
		t.Fatalf("storetest: OwnDatabaseURL needs %s", EnvDatabaseURL)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvDatabaseURL, err)
	}
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := "contacthub_test_" + randomHex(6)
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		adminDB.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
		adminDB.Close()
	})
	u.Path = "/" + name
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DatabaseURL: u.String(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", name, err)
	}
	return u.String()
}

// Tenant is a tenant created for one test, with an API key.
type Tenant struct {
	ID  int64
	Key string
}

// NewTenant creates a tenant with one API key.
func NewTenant(t testing.TB, st *store.Store) Tenant {
	t.Helper()
	ctx := context.Background()
	tn, err := st.CreateTenant(ctx, t.Name())
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	_, key, err := st.CreateKey(ctx, tn.ID, "test", "", "")
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return Tenant{ID: tn.ID, Key: key}
}

// Submission decodes a contact given as JSON object fields, failing the test on error.
func Submission(t testing.TB, fields map[string]any) *models.Submission {
	t.Helper()
	return mustDecode(t, fields)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
