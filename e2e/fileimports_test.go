package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store/storetest"
)

// fileRecord is what the kill test reads of a file import's record.
type fileRecord struct {
	UUID          string `json:"uuid"`
	Status        string `json:"status"`
	TotalJobs     int    `json:"total_jobs"`
	JobsRemaining int    `json:"jobs_remaining"`
	FailedJobs    int    `json:"failed_jobs"`
	Created       *int   `json:"created"`
	Updated       *int   `json:"updated"`
	Reason        string `json:"reason"`
}

// upload posts a CSV file import to replica i as tenant 1.
func (c *cluster) upload(t *testing.T, i int, content string) fileRecord {
	t.Helper()
	return c.uploadAs(t, i, "contacts", content)
}

// uploadAs posts a CSV file import of type typ to replica i as tenant 1.
func (c *cluster) uploadAs(t *testing.T, i int, typ, content string) fileRecord {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("type", typ)
	mw.WriteField("mode", "store")
	w, _ := mw.CreateFormFile("file", "kunden.csv")
	io.WriteString(w, content)
	mw.Close()
	c.mu.Lock()
	base := c.urls[i%len(c.urls)]
	c.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/import", &buf)
	req.Header.Set("Authorization", "Bearer e2e-bootstrap-key-0001")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}
	var fi fileRecord
	if err := json.Unmarshal(out, &fi); err != nil {
		t.Fatal(err)
	}
	return fi
}

func (c *cluster) fileRecord(t *testing.T, i int, uuid string) fileRecord {
	t.Helper()
	code, body := c.do(t, i, http.MethodGet, "/api/v1/import/"+uuid, nil)
	if code != http.StatusOK {
		t.Fatalf("record of import %s: %d %s", uuid, code, body)
	}
	var fi fileRecord
	if err := json.Unmarshal(body, &fi); err != nil {
		t.Fatal(err)
	}
	return fi
}

// running is how many replicas run now.
func (c *cluster) running() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.urls)
}

// mapAndStart maps the file import's columns (field → header) through replica 1 and
// starts it through replica 2 (each modulo the replicas running): any replica serves
// any step.
func (c *cluster) mapAndStart(t *testing.T, uuid string, headers map[string]string) {
	t.Helper()
	mapping, _ := json.Marshal(map[string]any{"headers": headers})
	if code, out := c.do(t, 1%c.running(), http.MethodPost, "/api/v1/import/map/"+uuid, mapping); code != http.StatusOK {
		t.Fatalf("map: %d %s", code, out)
	}
	if code, out := c.do(t, 2%c.running(), http.MethodPost, "/api/v1/import/start/"+uuid, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, out)
	}
}

// kill9AtQuarter waits until a quarter of the file import's rows are processed (at
// most 2 minutes), then kills every replica with SIGKILL. It fails when the import
// ended before: the kill would then test nothing.
func (c *cluster) kill9AtQuarter(t *testing.T, uuid string, rows int) {
	t.Helper()
	killAfter := time.Now().Add(2 * time.Minute)
	for {
		r := c.fileRecord(t, 0, uuid)
		if r.Status != "processing" {
			t.Fatalf("the import ended before the kill: the test kills too late (%+v)", r)
		}
		if done := rows - r.JobsRemaining; done >= rows/4 {
			t.Logf("kill -9 with %d of %d rows processed", done, rows)
			break
		}
		if time.Now().After(killAfter) {
			t.Fatalf("no progress within 2 minutes: %+v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.kill9(t)
}

// waitCreatedAll waits (at most 5 minutes) for the file import to complete with every
// one of its rows created, nothing updated and no row failed.
func (c *cluster) waitCreatedAll(t *testing.T, uuid string, rows int, restarted time.Time) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		r := c.fileRecord(t, 0, uuid)
		if r.Status == "completed" {
			if r.Created == nil || *r.Created != rows || r.Updated == nil || *r.Updated != 0 || r.FailedJobs != 0 || r.JobsRemaining != 0 {
				t.Fatalf("completed %+v, want %d created and nothing else", r, rows)
			}
			break
		}
		if r.Status != "processing" {
			t.Fatalf("the import ended %+v", r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("still processing 5 minutes after the restart: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("completed %v after the restart", time.Since(restarted).Round(time.Millisecond))
}

// TestFileImportSurvivesKill9: a CSV file import of 20,000 rows is started; while it
// is being written every replica is killed with SIGKILL and new ones are started. It
// resumes from its checkpoint and completes with every row written exactly once. On
// PostgreSQL with three replicas and on an SQLite file with its one server; with the
// e2e suite.
func TestFileImportSurvivesKill9(t *testing.T) {
	if testing.Short() || os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("runs with the e2e suite (CONTACTHUB_TEST_DATABASE_URL set, as in CI): builds and kills servers")
	}
	t.Run("postgres", func(t *testing.T) { fileImportKill9(t, storetest.OwnDatabaseURL(t), 3) })
	t.Run("sqlite", func(t *testing.T) { fileImportKill9(t, filepath.Join(t.TempDir(), "fileimport-kill9.db"), 1) })
}

func fileImportKill9(t *testing.T, dbURL string, replicas int) {
	const rows = 20000
	c := newCluster(t, replicas, dbURL)
	var file strings.Builder
	file.WriteString("Vorname;Nachname;E-Mail;Straße;Hausnummer;PLZ;Ort;Geburtsdatum;Tags\r\n")
	for i := range rows {
		fmt.Fprintf(&file, "Person %d;Dateikill;k9-%d@file.example;Hauptstraße;%d;%05d;Berlin;%02d.%02d.%d;kill9, datei\r\n",
			i, i, i%200+1, 10000+i%80000, i%28+1, i%12+1, 1940+i%60)
	}
	fi := c.upload(t, 0, file.String())
	if fi.TotalJobs != rows {
		t.Fatalf("upload: %+v", fi)
	}
	c.mapAndStart(t, fi.UUID, map[string]string{"first_name": "Vorname", "family_name": "Nachname", "mail": "E-Mail",
		"ba_street": "Straße", "ba_street_number": "Hausnummer", "ba_postal_code": "PLZ", "ba_city": "Ort", "date_of_birth": "Geburtsdatum", "terms": "Tags"})
	c.kill9AtQuarter(t, fi.UUID, rows)
	db := openDB(t, dbURL)
	var importID int64
	var atKill int
	if err := db.QueryRow(rebindPG(dbURL, "SELECT i.id, i.processed FROM imports i JOIN file_imports f ON f.import_id = i.id WHERE f.uuid = ?"), fi.UUID).
		Scan(&importID, &atKill); err != nil {
		t.Fatal(err)
	}
	if atKill >= rows {
		t.Fatalf("the import had completed at the kill (%d rows)", atKill)
	}
	restarted := time.Now()
	c.start(t, replicas)
	for resumed := false; !resumed; {
		r := c.fileRecord(t, 0, fi.UUID)
		resumed = r.Status != "processing" || rows-r.JobsRemaining > atKill
		if !resumed && time.Since(restarted) > time.Minute {
			t.Fatalf("the import did not resume within a minute of the restart (%d rows processed at the kill)", atKill)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("resumed within %v of the restart (%d rows processed at the kill)", time.Since(restarted).Round(time.Millisecond), atKill)
	c.waitCreatedAll(t, fi.UUID, rows, restarted)
	// Every row exactly once, in the database itself.
	var n, mails int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT mail_key) FROM contacts WHERE family_name = 'Dateikill'").Scan(&n, &mails); err != nil {
		t.Fatal(err)
	}
	if n != rows || mails != rows {
		t.Fatalf("%d contacts with %d distinct mails, want %d of each", n, mails, rows)
	}
	if n := completedEvents(t, db, dbURL, importID); n != 1 {
		t.Fatalf("%d import.completed events, want 1", n)
	}
}
