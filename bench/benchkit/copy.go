package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// CopyWritten is the reference of the write benchmarks: it exports the contacts rows
// whose mail starts with mailPrefix and their contact_keys rows from the server's
// tables, and times one psql session copying both into fresh tables LIKE the
// originals (dropped afterwards) — what the database alone needs to store the rows
// the server wrote. It fails unless there are want contacts. It returns the number
// of key rows and the time of the copy.
//
// The server also writes an outbox event per contact it creates (events, read by the
// webhooks); CopyWrittenEvents times the COPY of those rows as well.
func CopyWritten(ctx context.Context, db, mailPrefix string, want int) (keyRows int, took time.Duration, err error) {
	dir, err := os.MkdirTemp("", "contacthub-copy-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	contactsFile, keysFile := filepath.Join(dir, "contacts.csv"), filepath.Join(dir, "keys.csv")
	of := fmt.Sprintf("c.mail LIKE '%s%%'", mailPrefix) // prefixes are letters, digits, '-' and '.'
	// Statistics first (not timed): right after a large import into fresh tables
	// autovacuum may not have analysed them yet, and the export's join then ran for
	// more than ten minutes on a plan made for empty tables.
	if err := PSQL(ctx, db, "ANALYZE contacts", "ANALYZE contact_keys"); err != nil {
		return 0, 0, err
	}
	if err := PSQL(ctx, db,
		fmt.Sprintf(`\copy (SELECT c.* FROM contacts c WHERE %s ORDER BY c.id) TO '%s' WITH (FORMAT csv)`, of, contactsFile),
		fmt.Sprintf(`\copy (SELECT k.* FROM contact_keys k JOIN contacts c ON c.id = k.contact_id AND c.tenant_id = k.tenant_id WHERE %s ORDER BY k.contact_id) TO '%s' WITH (FORMAT csv)`, of, keysFile),
	); err != nil {
		return 0, 0, err
	}
	contacts, err := CountLines(contactsFile)
	if err != nil {
		return 0, 0, err
	}
	if keyRows, err = CountLines(keysFile); err != nil {
		return 0, 0, err
	}
	if contacts != want {
		return 0, 0, fmt.Errorf("found %d contacts with mails %s…, want %d", contacts, mailPrefix, want)
	}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 10)
	ct, kt := "bench_copy_c_"+suffix, "bench_copy_k_"+suffix
	if err := PSQL(ctx, db, "CREATE TABLE "+ct+" (LIKE contacts INCLUDING ALL)", "CREATE TABLE "+kt+" (LIKE contact_keys INCLUDING ALL)"); err != nil {
		return 0, 0, err
	}
	defer PSQL(context.Background(), db, "DROP TABLE IF EXISTS "+ct, "DROP TABLE IF EXISTS "+kt)
	start := time.Now()
	err = PSQL(ctx, db,
		fmt.Sprintf(`\copy %s FROM '%s' WITH (FORMAT csv)`, ct, contactsFile),
		fmt.Sprintf(`\copy %s FROM '%s' WITH (FORMAT csv)`, kt, keysFile))
	return keyRows, time.Since(start), err
}

// CopyWrittenEvents times, as CopyWritten, the COPY of the contact.created events
// whose data holds a mail starting with mailPrefix (one psql session, into a fresh
// table LIKE events). It fails unless there are want events.
func CopyWrittenEvents(ctx context.Context, db, mailPrefix string, want int) (took time.Duration, err error) {
	dir, err := os.MkdirTemp("", "contacthub-copy-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "events.csv")
	if err := PSQL(ctx, db, fmt.Sprintf(`\copy (SELECT * FROM events WHERE type = 'contact.created' AND data LIKE '%%"%s%%' ORDER BY id) TO '%s' WITH (FORMAT csv)`, mailPrefix, file)); err != nil {
		return 0, err
	}
	n, err := CountLines(file)
	if err != nil {
		return 0, err
	}
	if n != want {
		return 0, fmt.Errorf("found %d contact.created events with mails %s…, want %d", n, mailPrefix, want)
	}
	et := "bench_copy_e_" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := PSQL(ctx, db, "CREATE TABLE "+et+" (LIKE events INCLUDING ALL)"); err != nil {
		return 0, err
	}
	defer PSQL(context.Background(), db, "DROP TABLE IF EXISTS "+et)
	start := time.Now()
	err = PSQL(ctx, db, fmt.Sprintf(`\copy %s FROM '%s' WITH (FORMAT csv)`, et, file))
	return time.Since(start), err
}

// CountLines counts the lines of a file.
func CountLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return bytes.Count(b, []byte("\n")), nil
}

// PSQL runs commands in one psql session, in order.
func PSQL(ctx context.Context, db string, commands ...string) error {
	args := []string{db, "-X", "-q", "-v", "ON_ERROR_STOP=1"}
	for _, c := range commands {
		args = append(args, "-c", c)
	}
	out, err := exec.CommandContext(ctx, "psql", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql %q: %v: %s", commands, err, bytes.TrimSpace(out))
	}
	return nil
}
