package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/spamlist"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestMain drops the package's test database (PostgreSQL) after the tests; the CLI
// tests of tenants run on it, the others on SQLite files of their own.
func TestMain(m *testing.M) { storetest.Main(m) }

// storeEnv points the CLI at the package's test database: SQLite, or PostgreSQL when
// CONTACTHUB_TEST_DATABASE_URL is set.
func storeEnv(t *testing.T) env {
	t.Helper()
	return env{"CONTACTHUB_DATABASE_URL": storetest.Config(t).DatabaseURL, "CONTACTHUB_LOG_LEVEL": "warn"}
}

// tenantCommand runs `tenants args…` through the cobra command with stdin as the
// answers to its questions; it returns stdout and stderr.
func tenantCommand(t *testing.T, e env, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cfg, err := configFromEnv(e.get)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := tenantsCommand(&cfg, &stdout, &stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	err = cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

// tableRows reads the TABLE/ROWS report of `tenants delete`.
func tableRows(t *testing.T, out string) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	in := false
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "TABLE" {
			in = true
			continue
		}
		if in && len(f) == 2 {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("report line %q: %v", l, err)
			}
			rows[f[0]] = n
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no TABLE/ROWS report in:\n%s", out)
	}
	return rows
}

// rowsOf counts a tenant's rows in every table of the schema with a tenant_id column.
func rowsOf(t *testing.T, st *store.Store, tenantID int64) map[string]int64 {
	t.Helper()
	q := `SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant_id' AND table_schema = current_schema()`
	if st.Dialect() == store.SQLite {
		q = `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'tenant_id'`
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	counts := map[string]int64{}
	for _, table := range tables {
		var n int64
		if err := st.DB().QueryRow("SELECT count(*) FROM "+table+" WHERE tenant_id = $1", tenantID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func TestCLITenantsListAndDelete(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	e := storeEnv(t)
	ctx := context.Background()
	gone, kept := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	for _, tn := range []storetest.Tenant{gone, kept} {
		var subs []*models.Submission
		for i := range 7 {
			subs = append(subs, storetest.Submission(t, map[string]any{"mail": fmt.Sprintf("cli%d@example.com", i), "comment": "hi"}))
		}
		if _, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckNone}); err != nil {
			t.Fatal(err)
		}
		r, _ := spamlist.ParseRange("192.0.2.0/24")
		if _, err := st.AddSpamRanges(ctx, tn.ID, []spamlist.Range{r}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	before := rowsOf(t, st, gone.ID)

	out := mustRun(t, e, "tenants", "list")
	for _, tn := range []storetest.Tenant{gone, kept} {
		if !containsRow(out, tn.ID, "1", "7") {
			t.Errorf("tenants list lacks tenant %d with 1 key and 7 contacts:\n%s", tn.ID, out)
		}
	}

	id := strconv.FormatInt(gone.ID, 10)
	for _, answer := range []string{"", "no\n", "n\n", "yess\n"} {
		stdout, stderr, err := tenantCommand(t, e, answer, "delete", id)
		if err == nil || stdout != "" {
			t.Fatalf("delete answered %q: err %v, stdout %q; want a refusal and no report", answer, err, stdout)
		}
		if !strings.Contains(stderr, "7 contacts") {
			t.Errorf("the question does not say what goes: %q", stderr)
		}
	}
	if got := rowsOf(t, st, gone.ID); got["contacts"] != 7 || got["api_keys"] != 1 {
		t.Fatalf("rows after a refused delete = %v", got)
	}

	stdout, _, err := tenantCommand(t, e, "yes\n", "delete", id)
	if err != nil {
		t.Fatal(err)
	}
	removed := tableRows(t, stdout)
	for table, n := range before {
		if removed[table] != n {
			t.Errorf("report says %d rows of %s removed, the tenant had %d:\n%s", removed[table], table, n, stdout)
		}
	}
	if removed["tenants"] != 1 || !strings.Contains(stdout, "1 API keys revoked") {
		t.Errorf("report:\n%s", stdout)
	}
	for table, n := range rowsOf(t, st, gone.ID) {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the deleted tenant", table, n)
		}
	}
	if got := rowsOf(t, st, kept.ID); got["contacts"] != 7 || got["api_keys"] != 1 || got["spam_ranges"] != 1 {
		t.Errorf("the other tenant's rows = %v", got)
	}
	if _, err := authenticate(t, e, gone.Key); models.ErrorCode(err) != models.EUNAUTH {
		t.Errorf("the deleted tenant's key: %v, want unauthorized", err)
	}
	if out := mustRun(t, e, "tenants", "list"); containsRow(out, gone.ID) || !containsRow(out, kept.ID) {
		t.Errorf("tenants list after the delete:\n%s", out)
	}

	// Failures: an error (a non-zero exit) and no report.
	for _, args := range [][]string{
		{"tenants", "delete", id, "--yes"}, // gone already
		{"tenants", "delete", "999999999", "--yes"},
		{"tenants", "delete", "abc", "--yes"},
		{"tenants", "delete", "0", "--yes"},
		{"tenants", "delete", "--yes"},
		{"tenants", "list", "extra"},
	} {
		out, err := runCLI(t, e, args...)
		if err == nil || out != "" {
			t.Errorf("contacthub %s: err %v, stdout %q; want an error and no output", strings.Join(args, " "), err, out)
		}
	}
}

// containsRow reports whether a `tenants list` output has a row for id starting with
// the given columns after it.
func containsRow(out string, id int64, cols ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > len(cols) && f[0] == strconv.FormatInt(id, 10) {
			for i, c := range cols {
				if f[i+1] != c {
					return false
				}
			}
			return true
		}
	}
	return false
}

// TestCLIDeleteTenantOneAndLast: deleting tenant 1, and the last tenant, is allowed and
// says what it changes; a server started afterwards with the old bootstrap key still
// starts (the key is not given to another tenant), and on an empty database makes a new
// tenant whose id the welcome names.
func TestCLIDeleteTenantOneAndLast(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	const key = "bootstrap-key-for-deletion"
	e["CONTACTHUB_BOOTSTRAP_API_KEY"] = key
	_, _, stop := startServer(t, e)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	second := strings.TrimSpace(mustRun(t, e, "tenants", "create", "second"))

	out := mustRun(t, e, "tenants", "delete", "1", "--yes")
	if !strings.Contains(out, "tenant 1 is the bootstrap tenant") || strings.Contains(out, "last tenant") {
		t.Errorf("deleting tenant 1 of two:\n%s", out)
	}
	base, _, stop := startServer(t, e) // before the fix: a foreign key error at start
	if code := get(t, base+"/public/api/V1/check-credentials", key, nil); code != http.StatusUnauthorized {
		t.Errorf("the bootstrap key of the deleted tenant 1: %d, want 401", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	out = mustRun(t, e, "tenants", "delete", second, "--yes")
	if !strings.Contains(out, "the last tenant") || strings.Contains(out, "bootstrap tenant") {
		t.Errorf("deleting the last tenant:\n%s", out)
	}
	delete(e, "CONTACTHUB_BOOTSTRAP_API_KEY")
	_, stdout, stop := startServer(t, e)
	defer stop()
	if !strings.Contains(stdout.String(), "API key for tenant 3 ") {
		t.Errorf("welcome on a database whose tenants were deleted:\n%s", stdout.String())
	}
}
