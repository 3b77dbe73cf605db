package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store/storetest"
)

// TestInquiryFileImportSurvivesKill9: a CSV import of inquiries is started; while its
// rows are written through the inquiry service every replica is killed with SIGKILL
// and new ones are started. It resumes from its checkpoint and completes with one
// inquiry, one customer and one inquiry.created event per row: the rows the killed
// batch had written are found by their marks, not written again.
func TestInquiryFileImportSurvivesKill9(t *testing.T) {
	if testing.Short() || os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("runs with the e2e suite (CONTACTHUB_TEST_DATABASE_URL set, as in CI): builds and kills servers")
	}
	// Several batches (an inquiry import's batch is 100 rows), so that the kill, at a
	// quarter of the rows, falls into a batch after the first checkpoints.
	t.Run("postgres", func(t *testing.T) { inquiryImportKill9(t, storetest.OwnDatabaseURL(t), 3, 2000) })
	t.Run("sqlite", func(t *testing.T) {
		inquiryImportKill9(t, filepath.Join(t.TempDir(), "inquiryimport-kill9.db"), 1, 1000)
	})
}

func inquiryImportKill9(t *testing.T, dbURL string, replicas, rows int) {
	c := newCluster(t, replicas, dbURL)
	var file strings.Builder
	file.WriteString("Betreff;Vorname;Nachname;E-Mail;PLZ;Ort;Quelle;Auftragswert\r\n")
	for i := range rows {
		fmt.Fprintf(&file, "Killanfrage %d;Person %d;Anfragekill;ik9-%d@inq.example;%05d;Berlin;Portal;%d\r\n", i, i, i, 10000+i, 1000+i)
	}
	fi := c.uploadAs(t, 0, "inquiries", file.String())
	if fi.TotalJobs != rows {
		t.Fatalf("upload: %+v", fi)
	}
	c.mapAndStart(t, fi.UUID, map[string]string{"title": "Betreff", "contact.first_name": "Vorname",
		"contact.family_name": "Nachname", "contact.email": "E-Mail", "address.postal_code": "PLZ", "address.city": "Ort",
		"source": "Quelle", "expected_value.amount": "Auftragswert"})
	c.kill9AtQuarter(t, fi.UUID, rows)
	db := openDB(t, dbURL)
	restarted := time.Now()
	c.start(t, replicas)
	c.waitCreatedAll(t, fi.UUID, rows, restarted)
	// Every row exactly once, in the database itself.
	var n, titles, customers, events, marks int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT title), count(DISTINCT customer_id) FROM inquiries WHERE title LIKE 'Killanfrage %'").Scan(&n, &titles, &customers); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM events WHERE type = 'inquiry.created' AND data LIKE '%Killanfrage %'").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM contacts WHERE family_name = 'Anfragekill'").Scan(&marks); err != nil {
		t.Fatal(err)
	}
	if n != rows || titles != rows || customers != rows || events != rows || marks != rows {
		t.Fatalf("%d inquiries (%d titles, %d customers), %d inquiry.created events, %d customer contacts; want %d of each", n, titles, customers, events, marks, rows)
	}
}
