package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// cluster is replicas of the real binary on one database (PostgreSQL, or an SQLite
// file shared by the processes) that a test can kill -9 and start again.
type cluster struct {
	bin    string
	env    []string
	client *http.Client
	mu     sync.Mutex
	procs  []*exec.Cmd
	urls   []string
	logs   []*bytes.Buffer
}

// newCluster builds the binary and starts n replicas on dbURL (PostgreSQL, with
// Redis as CI has, or an SQLite file the processes share).
func newCluster(t *testing.T, n int, dbURL string, extraEnv ...string) *cluster {
	t.Helper()
	c := &cluster{client: &http.Client{Timeout: 60 * time.Second}}
	c.env = append(os.Environ(), "CONTACTHUB_DATABASE_URL="+dbURL, "CONTACTHUB_BOOTSTRAP_API_KEY=e2e-bootstrap-key-0001",
		"CONTACTHUB_LOG_LEVEL=warn", "CONTACTHUB_RATE_LIMIT=100000/m", "CONTACTHUB_SHUTDOWN_TIMEOUT=2s")
	if store.IsPostgresURL(dbURL) {
		redisURL := os.Getenv("CONTACTHUB_TEST_REDIS_URL")
		if redisURL == "" {
			t.Skip("PostgreSQL without CONTACTHUB_TEST_REDIS_URL (CI sets both)")
		}
		prefix := fmt.Sprintf("e2e-%d:", time.Now().UnixNano())
		t.Cleanup(func() { deleteRedisKeys(t, redisURL, prefix) })
		c.env = append(c.env, "CONTACTHUB_REDIS_URL="+redisURL, "CONTACTHUB_REDIS_PREFIX="+prefix)
	}
	c.env = append(c.env, extraEnv...)
	// One build for the package's tests (hookBinary): building anew for each cluster
	// cost the package minutes of its ten under load.
	bin, err := hookBinary()
	if err != nil {
		t.Fatal(err)
	}
	c.bin = bin
	t.Cleanup(func() {
		c.kill9(t)
		if t.Failed() {
			for i, l := range c.logs {
				t.Logf("replica %d's log:\n%s", i, l)
			}
		}
	})
	c.start(t, n)
	return c
}

// start starts n replicas and waits until they are ready. The first migrates an
// empty database alone: SQLite has no lock for replicas migrating at once.
func (c *cluster) start(t *testing.T, n int) {
	t.Helper()
	c.launch(t, 1)
	if n > 1 {
		c.launch(t, n-1)
	}
}

// launch starts n more replicas and waits until they are ready.
func (c *cluster) launch(t *testing.T, n int) {
	t.Helper()
	c.mu.Lock()
	var urls []string
	for range n {
		port := freePort(t)
		cmd := exec.Command(c.bin)
		cmd.Env = append(slicesClone(c.env), fmt.Sprintf("CONTACTHUB_ADDR=127.0.0.1:%d", port))
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &syncWriter{w: &logs}
		if err := cmd.Start(); err != nil {
			c.mu.Unlock()
			t.Fatalf("start replica: %v", err)
		}
		c.procs, c.logs = append(c.procs, cmd), append(c.logs, &logs)
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	c.urls = append(c.urls, urls...)
	c.mu.Unlock()
	deadline := time.Now().Add(90 * time.Second)
	for i, u := range urls {
		for !ready(c.client, u) {
			if time.Now().After(deadline) {
				t.Fatalf("replica %s not ready within 90 s; its log:\n%s", u, c.logs[len(c.logs)-len(urls)+i])
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func ready(client *http.Client, base string) bool {
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill9 kills every replica with SIGKILL: no shutdown, no lease given back.
func (c *cluster) kill9(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.ProcessState == nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	c.procs, c.urls = nil, nil
}

// syncWriter serialises a process's writes to its log buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// do sends a request to replica i (round robin) as tenant 1.
func (c *cluster) do(t *testing.T, i int, method, path string, body []byte) (int, []byte) {
	t.Helper()
	c.mu.Lock()
	base := c.urls[i%len(c.urls)]
	c.mu.Unlock()
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer e2e-bootstrap-key-0001")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type importStatus struct {
	ImportID     int64  `json:"import_id"`
	Status       string `json:"status"`
	Processed    int    `json:"processed"`
	SuccessCount int    `json:"success_count"`
	ErrorCount   int    `json:"error_count"`
	Created      int    `json:"created"`
	Updated      int    `json:"updated"`
	Skipped      int    `json:"skipped"`
}

func (c *cluster) status(t *testing.T, i int, id int64) importStatus {
	t.Helper()
	code, body := c.do(t, i, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/status", id), nil)
	if code != http.StatusOK {
		t.Fatalf("status of import %d: %d %s", id, code, body)
	}
	var s importStatus
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestImportsSurviveKill9: five imports of 10,000 persons go to three replicas; while
// they are being written every replica is killed with SIGKILL and three new ones are
// started. Every import completes, every person is written exactly once (a record
// written twice would be skipped, or a second contact), and none is lost. On
// PostgreSQL and on an SQLite file the processes share; with the e2e suite.
func TestImportsSurviveKill9(t *testing.T) {
	if testing.Short() || os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("runs with the e2e suite (CONTACTHUB_TEST_DATABASE_URL set, as in CI): builds and kills servers")
	}
	t.Run("postgres", func(t *testing.T) { importsKill9(t, storetest.OwnDatabaseURL(t), 3) })
	// SQLite is the one-server set-up: several processes on one SQLite file take turns
	// at its one write lock, and under load River's own bookkeeping there fails with
	// SQLITE_BUSY (the replicas' logs showed it). One server is killed and restarted.
	t.Run("sqlite", func(t *testing.T) { importsKill9(t, filepath.Join(t.TempDir(), "imports-kill9.db"), 1) })
}

func importsKill9(t *testing.T, dbURL string, replicas int) {
	const imports, perImport = 5, 10000
	c := newCluster(t, replicas, dbURL)
	ids := make([]int64, imports)
	for k := range imports {
		persons := make([]map[string]any, perImport)
		for i := range persons {
			persons[i] = map[string]any{"email": fmt.Sprintf("k9-%d-%d@kill.example", k, i), "firstname": fmt.Sprintf("Person %d", i),
				"lastname": "Killnine", "external_id": fmt.Sprintf("K9-%d-%d", k, i), "category": []string{"kill9"},
				"addresses": []map[string]any{{"external_id": "A1", "street": fmt.Sprintf("Street %d", i), "city": "Berlin", "postal_code": "10115", "country": "DEU"}}}
		}
		body, _ := json.Marshal(map[string]any{"entity": "persons", "data": persons, "options": map[string]any{"deduplication": "email"}})
		code, out := c.do(t, k, http.MethodPost, "/api/v1/imports", body)
		if code != http.StatusAccepted {
			t.Fatalf("import %d: %d %s", k, code, out)
		}
		var accepted struct {
			ImportID int64 `json:"import_id"`
		}
		if err := json.Unmarshal(out, &accepted); err != nil {
			t.Fatal(err)
		}
		ids[k] = accepted.ImportID
	}
	// Kill while the imports are being written: once some records are in, before all.
	killAfter := time.Now().Add(2 * time.Minute)
	for {
		processed, done := 0, 0
		for k, id := range ids {
			s := c.status(t, k, id)
			processed += s.Processed
			if s.Status != "processing" {
				done++
				processed += perImport
			}
		}
		if done == imports {
			t.Fatalf("every import completed before the kill: the test kills too late (processed %d)", processed)
		}
		if processed >= perImport/2 {
			t.Logf("kill -9 with %d of %d records processed, %d imports completed", processed, imports*perImport, done)
			break
		}
		if time.Now().After(killAfter) {
			t.Fatalf("no progress within 2 minutes (processed %d)", processed)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.kill9(t)
	db := openDB(t, dbURL)
	atKill := map[int64]int{} // what each import had committed when its server died
	for _, id := range ids {
		var processed int
		if err := db.QueryRow(rebindPG(dbURL, "SELECT processed FROM imports WHERE id = ?"), id).Scan(&processed); err != nil {
			t.Fatal(err)
		}
		atKill[id] = processed
	}
	restarted := time.Now()
	c.start(t, replicas)
	// Resumed within a minute (a dead worker's lease runs out in 15 s; the resume job
	// runs every 5 s): a batch past the state at the kill is committed on a new
	// process. (Each import's own turn may come later: the workers are few on SQLite.)
	for resumed := false; !resumed; {
		for k, id := range ids {
			if s := c.status(t, k, id); s.Status != "processing" || s.Processed > atKill[id] {
				resumed = true
			}
		}
		if !resumed && time.Since(restarted) > time.Minute {
			t.Fatalf("no import resumed within a minute of the restart (processed at the kill: %v)", atKill)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("imports resumed within %v of the restart", time.Since(restarted).Round(time.Millisecond))
	// Then every import completes; how long that takes depends on the machine.
	deadline := time.Now().Add(5 * time.Minute)
	for k, id := range ids {
		for {
			s := c.status(t, k, id)
			if s.Status == "completed" {
				if s.Created != perImport || s.SuccessCount != perImport || s.ErrorCount != 0 || s.Skipped != 0 || s.Updated != 0 {
					t.Errorf("import %d: %+v, want %d created and nothing else", id, s, perImport)
				}
				break
			}
			if s.Status != "processing" {
				t.Fatalf("import %d ended %+v", id, s)
			}
			if time.Now().After(deadline) {
				t.Fatalf("import %d still processing 5 minutes after the imports resumed: %+v", id, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("all imports completed %v after the restart", time.Since(restarted).Round(time.Millisecond))
	// Every person exactly once, in the database itself.
	var n, mails int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT mail_key) FROM contacts WHERE family_name = 'Killnine'").Scan(&n, &mails); err != nil {
		t.Fatal(err)
	}
	if n != imports*perImport || mails != imports*perImport {
		t.Fatalf("%d contacts with %d distinct mails, want %d of each", n, mails, imports*perImport)
	}
	// One import.completed per import (other tests of the package share the database).
	for _, id := range ids {
		if n := completedEvents(t, db, dbURL, id); n != 1 {
			t.Fatalf("import %d: %d import.completed events, want 1", id, n)
		}
	}
}

// completedEvents counts the import.completed events of import id.
func completedEvents(t *testing.T, db *sql.DB, dbURL string, id int64) int {
	t.Helper()
	var n int
	q := rebindPG(dbURL, "SELECT count(*) FROM events WHERE type = 'import.completed' AND data LIKE ?")
	if err := db.QueryRow(q, fmt.Sprintf(`{"import_id":%d,%%`, id)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rebindPG turns ? placeholders into $n for PostgreSQL.
func rebindPG(dbURL, q string) string {
	if !store.IsPostgresURL(dbURL) {
		return q
	}
	for n := 1; strings.Contains(q, "?"); n++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", n), 1)
	}
	return q
}
