package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The pgbench references. With -db (the server's PostgreSQL database) each of the
// scenarios form, form-shared and get is followed by a pgbench run at the same number
// of clients for the same time, on the same cores, and the report prints the ratio:
//
//   - form, form-shared: pgbench inserting the rows the server wrote for one of the
//     run's bodies — the contacts row with every column as the server stored it, its
//     contact_keys rows and its contact.created event — in one autocommitted
//     statement, with the mail and the keys made unique per transaction. The rows are
//     read back from the database after the run, so the reference follows whatever
//     the server writes. They go to a tenant of their own (created once per
//     invocation), where they cannot become anyone's duplicate candidates.
//   - get: pgbench's prepared SELECT * FROM contacts WHERE id = $1 AND tenant_id = …
//     over the contacts the scenario read.
//
// pgbench runs with -M prepared (pgx caches statements the same way) and logs every
// transaction, so its percentiles are printed like the server's.

// reference is the database the references run on.
type reference struct {
	db     string
	tenant int64 // the reference rows' tenant; 0 until created
}

// formScript is the pgbench script that inserts the rows the server wrote for
// contact id: the same columns and values (mail and mail_key prefixed with a
// per-transaction number), the same keys (suffixed with it) and an event with the
// same payload.
func (r *reference) formScript(ctx context.Context, id int64) (string, error) {
	conn, err := pgx.Connect(ctx, r.db)
	if err != nil {
		return "", fmt.Errorf("reference database: %w", err)
	}
	defer conn.Close(ctx)
	if r.tenant == 0 {
		if err := conn.QueryRow(ctx, "INSERT INTO tenants (name) VALUES ('bench: pgbench reference') RETURNING id").Scan(&r.tenant); err != nil {
			return "", fmt.Errorf("reference tenant: %w", err)
		}
	}
	var row string
	var tenant int64
	if err := conn.QueryRow(ctx, "SELECT (to_jsonb(c) - 'id' - 'tenant_id')::text, tenant_id FROM contacts c WHERE id = $1", id).Scan(&row, &tenant); err != nil {
		return "", fmt.Errorf("contact %d the run wrote: %w", id, err)
	}
	var cols map[string]any
	if err := json.Unmarshal([]byte(row), &cols); err != nil {
		return "", err
	}
	rows, err := conn.Query(ctx, "SELECT key FROM contact_keys WHERE tenant_id = $1 AND contact_id = $2 ORDER BY key", tenant, id)
	if err != nil {
		return "", fmt.Errorf("keys of contact %d: %w", id, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("keys of contact %d: %w", id, err)
	}
	var event string
	if err := conn.QueryRow(ctx, "SELECT data FROM events WHERE tenant_id = $1 AND type = 'contact.created' ORDER BY txid DESC, id DESC LIMIT 1", tenant).Scan(&event); err != nil {
		return "", fmt.Errorf("an event the run wrote: %w", err)
	}
	return formScriptOf(r.tenant, cols, keys, event), nil
}

// formScriptOf builds formScript's text.
func formScriptOf(tenant int64, cols map[string]any, keys []string, event string) string {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range cols {
			if !yield(k) {
				return
			}
		}
	})
	var values []string
	for _, n := range names {
		switch n {
		case "created_at", "updated_at":
			values = append(values, "now()")
		case "mail", "mail_key":
			values = append(values, "'pgb' || :n || '-' || "+literal(cols[n]))
		default:
			values = append(values, literal(cols[n]))
		}
	}
	keyLits := make([]string, len(keys))
	for i, k := range keys {
		keyLits[i] = literal(k)
	}
	t := strconv.FormatInt(tenant, 10)
	return "\\set n random(1, 9000000000000000000)\n" +
		"WITH c AS (INSERT INTO contacts (tenant_id, " + strings.Join(names, ", ") + ") VALUES (" + t + ", " + strings.Join(values, ", ") + ") RETURNING id), " +
		"k AS (INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT " + t + ", x || '#' || :n, c.id FROM c, unnest(ARRAY[" + strings.Join(keyLits, ", ") + "]::text[]) AS x), " +
		"e AS (INSERT INTO events (tenant_id, type, data, created_at) SELECT " + t + ", 'contact.created', " + literal(event) + ", now() FROM c) " +
		"SELECT id FROM c;\n"
}

// getScript is the pgbench script of the get reference: the contacts between minID and
// maxID by id, in tenant.
func getScript(tenant, minID, maxID int64) string {
	return fmt.Sprintf("\\set id random(%d, %d)\nSELECT * FROM contacts WHERE id = :id AND tenant_id = %d;\n", minID, maxID, tenant)
}

// literal is v as an SQL literal pgbench passes on untouched: an escape string in
// which the colons (pgbench would take ":name" for a variable), quotes and backslashes
// are escaped. Numbers and booleans become their text, null NULL.
func literal(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	var sb strings.Builder
	sb.WriteString("E'")
	for _, r := range s {
		switch r {
		case ':':
			sb.WriteString(`\x3a`)
		case '\'':
			sb.WriteString(`\'`)
		case '\\':
			sb.WriteString(`\\`)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('\'')
	return sb.String()
}

// tenantOf is the tenant of contact id.
func (r *reference) tenantOf(ctx context.Context, id int64) (int64, error) {
	conn, err := pgx.Connect(ctx, r.db)
	if err != nil {
		return 0, fmt.Errorf("reference database: %w", err)
	}
	defer conn.Close(ctx)
	var tenant int64
	err = conn.QueryRow(ctx, "SELECT tenant_id FROM contacts WHERE id = $1", id).Scan(&tenant)
	return tenant, err
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs script with clients connections for d (whole seconds, at least one) and
// returns its row: pgbench's tps and the latencies of its per-transaction log.
func (r *reference) pgbench(ctx context.Context, name, script string, clients int, d time.Duration, o *options) (*result, error) {
	dir, err := os.MkdirTemp("", "contacthub-pgbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return nil, err
	}
	secs := max(1, int((d+time.Second-1)/time.Second))
	cmd := exec.CommandContext(ctx, "pgbench", "-n", "-M", "prepared", "-f", file,
		"-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)), "-T", strconv.Itoa(secs),
		"-l", "--log-prefix", filepath.Join(dir, "tx"), r.db)
	stopCPU := o.measureCPU()
	out, err := cmd.CombinedOutput()
	cpu := stopCPU()
	if err != nil {
		return nil, fmt.Errorf("pgbench %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("pgbench %s: no tps in %q", name, out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	logs, _ := filepath.Glob(filepath.Join(dir, "tx.*"))
	var lat []time.Duration
	for _, l := range logs {
		got, err := readTxLog(l)
		if err != nil {
			return nil, err
		}
		lat = append(lat, got...)
	}
	slices.Sort(lat)
	res := &result{Scenario: name, Clients: clients, Requests: len(lat), Elapsed: time.Duration(secs) * time.Second, lat: lat}
	res.summarize()
	res.PerSecond = tps // pgbench's own figure (without connection set-up)
	if o.serverPID > 0 {
		cpu.Tool = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		res.CPU = &cpu
	}
	return res, nil
}

// readTxLog reads the latencies of a pgbench per-transaction log: "client transaction
// latency_us script epoch epoch_us …" a line.
func readTxLog(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lat []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue // "failed" or "skipped" transactions
		}
		lat = append(lat, time.Duration(us)*time.Microsecond)
	}
	return lat, sc.Err()
}
