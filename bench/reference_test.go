package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFormScriptCopiesTheRowsUntouchedByPgbench: the reference writes every column the
// server wrote, each key and the event, and no literal holds a colon pgbench would
// take for a variable.
func TestFormScriptCopiesTheRowsUntouchedByPgbench(t *testing.T) {
	t.Parallel()
	s := formScriptOf(7, map[string]any{"mail": "a:b@example.com", "mail_key": "a:b@example.com", "first_name": "O'Neil",
		"version": 1.0, "created_at": "2026-12-07T10:00:00Z", "custom_fields": `{"x":"\\"}`},
		[]string{"e:a:b@example.com", "p:+4930"}, `{"id":1,"mail":"a:b"}`)
	body := strings.SplitN(s, "\n", 2)[1]
	for _, bad := range []string{":b", "e:", "p:", `"id":1`} {
		if strings.Contains(body, bad) {
			t.Errorf("script holds %q, which pgbench would read as a variable:\n%s", bad, s)
		}
	}
	for _, want := range []string{"tenant_id, created_at, custom_fields, first_name, mail, mail_key, version)", "VALUES (7, now(), ",
		`E'O\'Neil'`, `E'{"x"\x3a"\\\\"}'`, "'pgb' || :n || '-' || E'a\\x3ab@example.com'", `E'1'`,
		`ARRAY[E'e\x3aa\x3ab@example.com', E'p\x3a+4930']`, "x || '#' || :n", "SELECT 7, 'contact.created'"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
}

// TestReadTxLog reads pgbench's per-transaction log, failed lines skipped.
func TestReadTxLog(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "tx.1")
	if err := os.WriteFile(p, []byte("0 1 1534 0 1765100000 123\n1 1 failed 0 1765100000 124\n0 2 20000 0 1765100000 200\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lat, err := readTxLog(p)
	if err != nil || len(lat) != 2 || lat[0] != 1534*time.Microsecond || lat[1] != 20*time.Millisecond {
		t.Fatalf("latencies %v, %v", lat, err)
	}
}

func TestParseFlagsSpeed(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-key", "k", "-scenario", "speed", "-db", "postgres://postgres@127.0.0.1:5432/x"}, io.Discard)
	if err != nil || strings.Join(o.scenarios, ",") != "form,form-shared,get" {
		t.Fatalf("speed: %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"-key", "k", "-db", "postgres://db.example.com/x"}, io.Discard); err == nil {
		t.Fatal("-db of another host accepted")
	}
}
