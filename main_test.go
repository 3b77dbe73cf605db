package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

// env is a fake environment for run's getenv.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// tempEnv points the database into a fresh temporary directory.
func tempEnv(t *testing.T) env {
	t.Helper()
	return env{
		"CONTACTHUB_DATABASE_URL": filepath.Join(t.TempDir(), "contacthub.db"),
		"CONTACTHUB_LOG_LEVEL":    "warn",
	}
}

// runCLI runs one command to completion and returns its stdout.
func runCLI(t *testing.T, e env, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, e.get, &stdout, &stderr)
	return stdout.String(), err
}

func mustRun(t *testing.T, e env, args ...string) string {
	t.Helper()
	out, err := runCLI(t, e, args...)
	if err != nil {
		t.Fatalf("contacthub %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// keyRow is one line of `keys list`.
type keyRow struct{ id, name, prefix, rate, revoked string }

func listKeys(t *testing.T, e env, tenant string) []keyRow {
	t.Helper()
	out := mustRun(t, e, "keys", "list", "--tenant", tenant)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("keys list: no header in %q", out)
	}
	var rows []keyRow
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 5 { // no name
			f = slices.Insert(f, 1, "")
		}
		if len(f) != 6 {
			t.Fatalf("keys list line %q: want 6 columns", l)
		}
		rows = append(rows, keyRow{id: f[0], name: f[1], prefix: f[2], rate: f[3], revoked: f[5]})
	}
	return rows
}

// authenticate checks a key against the database the CLI wrote.
func authenticate(t *testing.T, e env, key string) (*models.Principal, error) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DatabaseURL: e["CONTACTHUB_DATABASE_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return st.Authenticate(ctx, key)
}

func TestCLITenantsAndKeys(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	first := strings.TrimSpace(mustRun(t, e, "tenants", "create", "Acme GmbH"))
	second := strings.TrimSpace(mustRun(t, e, "tenants", "create", "Other"))
	if first != "1" || second != "2" {
		t.Fatalf("tenant ids %q, %q; want 1 and 2", first, second)
	}

	key := strings.TrimSpace(mustRun(t, e, "keys", "create", "--tenant", second, "--name", "x", "--rate", "600/m"))
	if !regexp.MustCompile(`^chk_[A-Za-z0-9_-]{32}$`).MatchString(key) {
		t.Fatalf("keys create printed %q, want one chk_ key", key)
	}
	p, err := authenticate(t, e, key)
	if err != nil || p.TenantID != 2 || p.RateLimit != "600/m" {
		t.Fatalf("authenticate new key = %+v, %v; want tenant 2 with 600/m", p, err)
	}
	plain := strings.TrimSpace(mustRun(t, e, "keys", "create", "--tenant", second))

	rows := listKeys(t, e, second)
	if len(rows) != 2 {
		t.Fatalf("keys list = %+v, want 2 keys", rows)
	}
	if r := rows[0]; r.name != "x" || r.rate != "600/m" || r.revoked != "-" || r.prefix != key[:8]+"…" {
		t.Fatalf("first key row = %+v", r)
	}
	if strings.Contains(mustRun(t, e, "keys", "list", "--tenant", second), key) {
		t.Fatal("keys list shows a secret")
	}
	if r := rows[1]; r.rate != "default" {
		t.Fatalf("second key row = %+v, want default rate", r)
	}
	if rows := listKeys(t, e, first); len(rows) != 0 {
		t.Fatalf("tenant 1 keys = %+v, want none", rows)
	}

	if out := mustRun(t, e, "keys", "update", rows[0].id, "--tenant", second, "--rate", "100/s"); !strings.Contains(out, "updated key "+rows[0].id) {
		t.Fatalf("keys update printed %q", out)
	}
	if r := listKeys(t, e, second)[0]; r.rate != "100/s" {
		t.Fatalf("after update: %+v", r)
	}
	mustRun(t, e, "keys", "update", rows[0].id, "--tenant", second, "--rate", "default")
	if r := listKeys(t, e, second)[0]; r.rate != "default" {
		t.Fatalf("after update to default: %+v", r)
	}

	if out := mustRun(t, e, "keys", "revoke", rows[0].id, "--tenant", second); !strings.Contains(out, "revoked key "+rows[0].id) {
		t.Fatalf("keys revoke printed %q", out)
	}
	if r := listKeys(t, e, second)[0]; r.revoked == "-" {
		t.Fatalf("after revoke: %+v", r)
	}
	if _, err := authenticate(t, e, key); models.ErrorCode(err) != models.EUNAUTH {
		t.Fatalf("revoked key authenticates: %v", err)
	}
	if p, err := authenticate(t, e, plain); err != nil || p.TenantID != 2 {
		t.Fatalf("other key after revoke: %+v, %v", p, err)
	}

	// Failures: each returns an error and prints nothing on stdout.
	for _, args := range [][]string{
		{"tenants", "create"},
		{"tenants", "create", " "},
		{"keys", "create"},
		{"keys", "create", "--tenant", "99"},
		{"keys", "create", "--tenant", second, "--rate", "lots"},
		{"keys", "list"},
		{"keys", "list", "--tenant", "99"},                 // no such tenant: not an empty list
		{"keys", "revoke", rows[0].id, "--tenant", second}, // already revoked
		{"keys", "revoke", rows[1].id, "--tenant", first},  // another tenant's key
		{"keys", "revoke", "abc", "--tenant", second},
		{"keys", "update", rows[1].id, "--tenant", second}, // --rate is required
		{"keys", "update", rows[1].id, "--tenant", second, "--rate", "5/fortnight"},
		{"keys", "update", "999", "--tenant", second, "--rate", "5/s"},
		{"nonsense"},
	} {
		out, err := runCLI(t, e, args...)
		if err == nil || out != "" {
			t.Errorf("contacthub %s: err %v, stdout %q; want an error and no output", strings.Join(args, " "), err, out)
		}
	}
}

func TestCLIMigrateAndConfigErrors(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	mustRun(t, e, "migrate")
	mustRun(t, e, "migrate") // idempotent
	for name, bad := range map[string]env{
		"log format":          {"CONTACTHUB_LOG_FORMAT": "xml"},
		"log level":           {"CONTACTHUB_LOG_LEVEL": "loud"},
		"body limit":          {"CONTACTHUB_MAX_BODY_BYTES": "ten"},
		"tiny body limit":     {"CONTACTHUB_MAX_BODY_BYTES": "100"},
		"short bootstrap key": {"CONTACTHUB_BOOTSTRAP_API_KEY": "short"},
		"redis url":           {"CONTACTHUB_REDIS_URL": "localhost:6379"},
		"shutdown timeout":    {"CONTACTHUB_SHUTDOWN_TIMEOUT": "soon"},
	} {
		bad["CONTACTHUB_DATABASE_URL"] = e["CONTACTHUB_DATABASE_URL"]
		if _, err := runCLI(t, bad, "migrate"); err == nil {
			t.Errorf("%s: migrate succeeded with %v", name, bad)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while the test
// reads. tty makes it pass for a terminal (isTerminal).
type syncBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	tty bool
}

func (s *syncBuffer) IsTerminal() bool { return s.tty }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	listeningRe     = regexp.MustCompile(`listening on (http://\S+)`)
	listeningJSONRe = regexp.MustCompile(`"msg":"contacthub is listening","url":"(http://[^"]+)"`)
)

// startServer runs `contacthub serve` (args) until the test ends and returns the base URL
// and the output so far; stop cancels it and returns run's result.
func startServer(t *testing.T, e env, args ...string) (base string, stdout *syncBuffer, stop func() error) {
	t.Helper()
	return startServerOn(t, e, &syncBuffer{}, &syncBuffer{}, args...)
}

// startServerOn is startServer writing to stdout and stderr.
func startServerOn(t *testing.T, e env, stdout, stderr *syncBuffer, args ...string) (base string, _ *syncBuffer, stop func() error) {
	t.Helper()
	e["CONTACTHUB_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, e.get, stdout, stderr) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("server did not shut down within 30s")
			return nil
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listeningRe.FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stdout.String(), "curl") {
			return m[1], stdout, stop
		}
		if m := listeningJSONRe.FindStringSubmatch(stderr.String()); m != nil { // CONTACTHUB_LOG_FORMAT=json
			return m[1], stdout, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before listening: %v; stderr: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not print its address within 30s; stdout %q stderr %q", stdout.String(), stderr.String())
		}
	}
}

// get requests path with the key and decodes a JSON answer.
func get(t *testing.T, url, key string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: decode: %v", url, err)
		}
	}
	return resp.StatusCode
}

func TestServe(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	const key = "bootstrap-key-for-tests"
	e["CONTACTHUB_BOOTSTRAP_API_KEY"] = key
	base, stdout, stop := startServerOn(t, e, &syncBuffer{tty: true}, &syncBuffer{}, "serve") // a person at a terminal

	welcome := stdout.String()
	for _, want := range []string{
		"API key for tenant 1 (shown once, keep it): " + key,
		"curl -H 'Authorization: Bearer " + key + "' " + base + "/public/api/V1/check-credentials",
		"Every endpoint: " + base + "/docs",
	} {
		if !strings.Contains(welcome, want) {
			t.Errorf("welcome lacks %q:\n%s", want, welcome)
		}
	}
	var ok struct{ Success bool }
	if code := get(t, base+"/public/api/V1/check-credentials", key, &ok); code != http.StatusOK || !ok.Success {
		t.Fatalf("check-credentials with bootstrap key: %d %+v", code, ok)
	}
	if code := get(t, base+"/docs", "", nil); code != http.StatusOK {
		t.Fatalf("GET /docs = %d", code)
	}
	if code := get(t, base+"/public/api/V1/check-credentials", "wrong-key-wrong-key", nil); code != http.StatusUnauthorized {
		t.Fatalf("check-credentials with a wrong key: %d", code)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	if code := get(t, base+"/readyz", "", &ready); code != http.StatusOK || ready.Status != "ready" || ready.Checks["database"] != "ok" {
		t.Fatalf("readyz: %d %+v", code, ready)
	}
	if code := get(t, base+"/healthz", "", nil); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("run after cancel = %v, want nil (graceful shutdown)", err)
	}

	// Restarted on the same database it creates nothing and shows no key; the key
	// still works.
	delete(e, "CONTACTHUB_BOOTSTRAP_API_KEY")
	base, stdout, stop = startServer(t, e) // no arguments serves too
	if out := stdout.String(); strings.Contains(out, "shown once") || !strings.Contains(out, "Bearer <your API key>") {
		t.Errorf("second start printed:\n%s", out)
	}
	if code := get(t, base+"/public/api/V1/check-credentials", key, nil); code != http.StatusOK {
		t.Fatalf("bootstrap key after restart: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, e, "tenants", "create", "second"); strings.TrimSpace(out) != "2" {
		t.Fatalf("tenant after bootstrap = %q, want 2", out)
	}
}

// TestServeGeneratesKey: without CONTACTHUB_BOOTSTRAP_API_KEY the first start makes a
// random key. It is printed once when stdout is a terminal; otherwise — output that
// may end in a log pipeline — it is written to a file readable only by the user,
// whose path is said instead, and the key appears in neither stdout nor the log. With
// JSON logs stdout stays empty and a log line says where the server listens.
func TestServeGeneratesKey(t *testing.T) {
	t.Parallel()
	keyRe := regexp.MustCompile(`chk_[A-Za-z0-9_-]{32}`)
	for _, tt := range []struct {
		name    string
		tty     bool
		logJSON bool
	}{
		{"terminal", true, false},
		{"pipe, text logs", false, false},
		{"pipe, JSON logs", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := tempEnv(t)
			e["CONTACTHUB_LOG_LEVEL"] = "info"
			if tt.logJSON {
				e["CONTACTHUB_LOG_FORMAT"] = "json"
			}
			stdout, stderr := &syncBuffer{tty: tt.tty}, &syncBuffer{}
			base, _, stop := startServerOn(t, e, stdout, stderr)
			defer func() {
				if err := stop(); err != nil {
					t.Error(err)
				}
			}()
			keyFile := filepath.Join(filepath.Dir(e["CONTACTHUB_DATABASE_URL"]), "bootstrap-api-key")
			var key string
			if tt.tty {
				m := regexp.MustCompile(`shown once, keep it\): (chk_\S+)`).FindStringSubmatch(stdout.String())
				if m == nil {
					t.Fatalf("no key in welcome:\n%s", stdout.String())
				}
				key = m[1]
				if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
					t.Errorf("key file written at a terminal: %v", err)
				}
			} else {
				data, err := os.ReadFile(keyFile)
				if err != nil {
					t.Fatalf("key file: %v; stdout %s; stderr %s", err, stdout.String(), stderr.String())
				}
				key = strings.TrimSpace(string(data))
				if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
				}
				if keyRe.MatchString(stdout.String()) || keyRe.MatchString(stderr.String()) {
					t.Errorf("the key reached the output:\nstdout %s\nstderr %s", stdout.String(), stderr.String())
				}
				if !strings.Contains(stderr.String(), keyFile) {
					t.Errorf("the log does not name the key file %s:\n%s", keyFile, stderr.String())
				}
				if tt.logJSON && stdout.String() != "" {
					t.Errorf("stdout with JSON logs: %q, want nothing", stdout.String())
				}
				if !tt.logJSON && !strings.Contains(stdout.String(), "written to "+keyFile+" (mode 0600)") {
					t.Errorf("welcome does not name the key file:\n%s", stdout.String())
				}
			}
			if code := get(t, base+"/public/api/V1/check-credentials", key, nil); code != http.StatusOK {
				t.Fatalf("generated key %q: %d", key, code)
			}
		})
	}
}

// TestServeConfiguredKeyNotRepeated: a bootstrap key from the configuration is
// neither printed nor written anywhere when stdout is no terminal.
func TestServeConfiguredKeyNotRepeated(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	e["CONTACTHUB_LOG_LEVEL"] = "debug"
	const key = "configured-key-configured-key"
	e["CONTACTHUB_BOOTSTRAP_API_KEY"] = key
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	base, _, stop := startServerOn(t, e, stdout, stderr)
	defer stop()
	if code := get(t, base+"/public/api/V1/check-credentials", key, nil); code != http.StatusOK {
		t.Fatalf("configured key: %d", code)
	}
	if strings.Contains(stdout.String(), key) || strings.Contains(stderr.String(), key) {
		t.Errorf("the configured key reached the output:\nstdout %s\nstderr %s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "the value of CONTACTHUB_BOOTSTRAP_API_KEY") {
		t.Errorf("welcome does not say which key:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e["CONTACTHUB_DATABASE_URL"]), "bootstrap-api-key")); !os.IsNotExist(err) {
		t.Errorf("a key file was written for a configured key: %v", err)
	}
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	base, _, stop := startServer(t, e)
	defer stop()
	e2 := tempEnv(t)
	e2["CONTACTHUB_ADDR"] = strings.TrimPrefix(base, "http://")
	if _, err := runCLI(t, e2, "serve"); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("second server on %s: %v, want a listen error", base, err)
	}
}

// TestDebugListener: the profiles are served on their own address only when asked
// for, and an address that cannot be bound stops the start with a clear error before
// the API listener is opened.
func TestDebugListener(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	api, err := net.Listen("tcp", "127.0.0.1:0") // reserve a free port for the API, then free it
	if err != nil {
		t.Fatal(err)
	}
	apiAddr := api.Addr().String()
	api.Close()

	e := tempEnv(t)
	e["CONTACTHUB_ADDR"], e["CONTACTHUB_DEBUG_ADDR"] = apiAddr, busy.Addr().String()
	_, err = runCLI(t, e, "serve")
	if err == nil || !strings.Contains(err.Error(), "debug address") {
		t.Fatalf("serve with a busy debug address: %v, want an error naming it", err)
	}
	again, err := net.Listen("tcp", apiAddr)
	if err != nil {
		t.Fatalf("the API address was left bound after the failed start: %v", err)
	}
	again.Close()

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := free.Addr().String()
	free.Close()
	e = tempEnv(t)
	e["CONTACTHUB_DEBUG_ADDR"] = debugAddr
	_, _, stop := startServer(t, e, "serve")
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /debug/pprof/ on the debug address: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
