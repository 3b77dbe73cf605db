package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/store/storetest"
)

// TestCLIImport imports a German CSV with the suggested mapping, then with --map in
// mode validate (nothing written) and in mode store with a bad row: the summary, and
// an error (exit code 1) when rows failed.
func TestCLIImport(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	e := storeEnv(t)
	tn := storetest.NewTenant(t, st)
	id := strconv.FormatInt(tn.ID, 10)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	count := func() int {
		var n int
		if err := st.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM contacts WHERE tenant_id = $1", tn.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var clean strings.Builder
	clean.WriteString("Vorname;Nachname;E-Mail;Ort\n")
	for i := range 30 {
		fmt.Fprintf(&clean, "Jörg %d;Müller;cli%d@example.de;München\n", i, i)
	}
	out := mustRun(t, e, "import", write("kunden.csv", clean.String()), "--tenant", id)
	if !strings.Contains(out, "imported 30 rows: 30 created, 0 updated; 0 failed") || count() != 30 {
		t.Fatalf("clean import: %q, %d contacts", out, count())
	}

	bad := "Name;Mail\nAnna;anna@example.de\nBernd;kein-mail\nJörg 3;cli3@example.de\n"
	p := write("fehler.csv", bad)
	out, err := runCLI(t, e, "import", p, "--tenant", id, "--mode", "validate", "--map", "first_name=Name", "--map", "mail=Mail")
	if !errors.Is(err, errRowsFailed) || !strings.Contains(out, "validated 3 rows: would create 1, update 0, merge 1; 1 failed") || count() != 30 {
		t.Fatalf("validate: %q, %v, %d contacts", out, err, count())
	}
	out, err = runCLI(t, e, "import", p, "--tenant", id, "--map", "first_name=Name", "--map", "mail=Mail")
	if !errors.Is(err, errRowsFailed) || !strings.Contains(out, "imported 3 rows: 1 created, 1 updated; 1 failed") || !strings.Contains(out, "/error-report") || count() != 31 {
		t.Fatalf("store with a bad row: %q, %v, %d contacts", out, err, count())
	}
	for _, args := range [][]string{
		{"import", p},
		{"import", p, "--tenant", "999999999"},
		{"import", p, "--tenant", id, "--map", "first_name"},
		{"import", p, "--tenant", id, "--map", "first_name=Vorname"}, // no such header
		{"import", p, "--tenant", id, "--mode", "merge"},
		{"import", filepath.Join(dir, "missing.csv"), "--tenant", id},
	} {
		if out, err := runCLI(t, e, args...); err == nil {
			t.Errorf("contacthub %s succeeded: %q", strings.Join(args, " "), out)
		}
	}
}

// TestCLIImportInquiries imports inquiries with --type inquiries and the suggested
// mapping: each row through the inquiry service (its customer matched or created, a
// status and a source created once), a bad row failing the exit code.
//
// Not parallel: TestCLIImport's runs migrate River's tables as this one does, and two
// migrations at once collide on SQLite.
func TestCLIImportInquiries(t *testing.T) {
	st := storetest.Open(t)
	e := storeEnv(t)
	tn := storetest.NewTenant(t, st)
	p := filepath.Join(t.TempDir(), "anfragen.csv")
	file := "Betreff;Vorname;Nachname;E-Mail;Status;Quelle;Auftragswert\n" +
		"Badsanierung;Jörg;Müller;cli-inq@example.de;Neu;Website;25.000\n" +
		"Heizung;Jörg;Müller;cli-inq@example.de;Neu;Website;8000\n" +
		";Ohne;Titel;ohne@example.de;;;\n"
	if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, e, "import", p, "--tenant", strconv.FormatInt(tn.ID, 10), "--type", "inquiries")
	if !errors.Is(err, errRowsFailed) || !strings.Contains(out, "imported 3 rows: 2 created, 0 updated; 1 failed") {
		t.Fatalf("inquiries: %q, %v", out, err)
	}
	count := func(q string) int {
		var n int
		if err := st.DB().QueryRowContext(context.Background(), q, tn.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT count(*) FROM inquiries WHERE tenant_id = $1 AND customer_id IS NOT NULL"); n != 2 {
		t.Errorf("%d inquiries with a customer, want 2", n)
	}
	if n := count("SELECT count(*) FROM contacts WHERE tenant_id = $1"); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
	if n := count("SELECT count(*) FROM inquiry_sources WHERE tenant_id = $1 AND name_key = 'website'"); n != 1 {
		t.Errorf("%d sources Website, want 1", n)
	}
}
