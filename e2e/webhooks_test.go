package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/contacthub/contacthub/store/storetest"
	"github.com/contacthub/contacthub/webhooks"
)

// webhookEnv lets the servers deliver to the test's receivers on 127.0.0.1, with
// retries compressed to seconds.
var webhookEnv = []string{
	"CONTACTHUB_WEBHOOK_ALLOW_PRIVATE=127.0.0.0/8",
	"CONTACTHUB_WEBHOOK_ALLOW_HTTP=true",
	"CONTACTHUB_WEBHOOK_RETRY_SCHEDULE=200ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
	"CONTACTHUB_OUTBOX_PUBLISH_EVERY=100ms",
}

// hookReceiver records deliveries by webhook-id; fail decides whether a request is
// refused (the receiver's outage).
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int // every request per webhook-id
	accepted map[string]int // 2xx answers per webhook-id
	bodies   map[string][3]string
	fail     func(id string, n int) bool
}

func newHookReceiver(t *testing.T, fail func(id string, n int) bool) *hookReceiver {
	rc := &hookReceiver{requests: map[string]int{}, accepted: map[string]int{}, bodies: map[string][3]string{}, fail: fail}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.requests[id]++
		n := rc.requests[id]
		refuse := rc.fail != nil && rc.fail(id, n)
		if !refuse {
			rc.accepted[id]++
			rc.bodies[id] = [3]string{r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), string(body)}
		}
		rc.mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) snapshot() (requests, accepted map[string]int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	requests, accepted = map[string]int{}, map[string]int{}
	for k, v := range rc.requests {
		requests[k] = v
	}
	for k, v := range rc.accepted {
		accepted[k] = v
	}
	return requests, accepted
}

func (rc *hookReceiver) setFail(fail func(id string, n int) bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.fail = fail
}

// call sends a JSON request to a server with the bootstrap key.
func call(t *testing.T, c *http.Client, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+hookKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

type createdHook struct {
	ID     int64  `json:"id"`
	Secret string `json:"secret"`
}

// waitDeliveriesSettled waits until no delivery of the database is pending.
func waitDeliveriesSettled(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending after 60 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Three replicas on one PostgreSQL deliver every event of writes spread over all of
// them exactly once (retries of refused attempts included), signed.
func TestWebhooksDeliveredOnceAcrossReplicas(t *testing.T) {
	r := startReplicas(t, 3, append([]string{"CONTACTHUB_RATE_LIMIT=100000/m"}, webhookEnv...)...)
	// Every fifth message is refused at its first attempt, so retries run too.
	rc := newHookReceiver(t, func(id string, n int) bool {
		return n == 1 && (strings.HasSuffix(id, "0") || strings.HasSuffix(id, "5"))
	})
	var hook createdHook
	if code := call(t, r.client, http.MethodPost, r.urls[0]+"/api/v1/webhooks",
		map[string]any{"url": rc.URL + "/hook", "event_types": []string{"contact.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	const n = 150
	counts := r.fanOut(t, n, func(i int, base string) *http.Request {
		body, _ := json.Marshal(map[string]any{"contact": map[string]any{"mail": fmt.Sprintf("hook%d@example.com", i)}, "duplicate_check_method": "none"})
		req, _ := http.NewRequest(http.MethodPost, base+"/public/api/V1/contact", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer e2e-bootstrap-key-0001")
		req.Header.Set("Content-Type", "application/json")
		return req
	})
	if counts[http.StatusOK] != n {
		t.Fatalf("creates: %v", counts)
	}
	db := openDB(t, r.dbURL)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, accepted := rc.snapshot(); len(accepted) == n {
			break
		}
		if time.Now().After(deadline) {
			_, accepted := rc.snapshot()
			t.Fatalf("%d of %d events delivered within 60 s", len(accepted), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitDeliveriesSettled(t, db)
	requests, accepted := rc.snapshot()
	retried := 0
	for id, c := range accepted {
		if c != 1 {
			t.Errorf("%s accepted %d times", id, c)
		}
		if requests[id] > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no delivery was retried; the test did not exercise retries")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, b := range rc.bodies {
		if err := webhooks.Verify(hook.Secret, id, b[0], []byte(b[2]), b[1], time.Now(), 5*time.Minute); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// hookKey is the bootstrap key of the webhook tests' servers.
const hookKey = "e2e-bootstrap-key-0001"

// hookBinary is the server, built once for the package's webhook tests.
var hookBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "contacthub-e2e-hooks-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "contacthub")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

// hookServer is one contacthub process on a fixed port, which a test may kill with
// SIGKILL and start again.
type hookServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	env    []string
	url    string
	exited chan struct{}
}

func startHookServer(t *testing.T, env []string) *hookServer {
	t.Helper()
	port := freePort(t)
	s := &hookServer{t: t, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		env: append(append(os.Environ(), env...), fmt.Sprintf("CONTACTHUB_ADDR=127.0.0.1:%d", port))}
	s.start()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	return s
}

func (s *hookServer) start() {
	s.t.Helper()
	bin, err := hookBinary()
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(bin)
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, io.Discard
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start server: %v", err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func() {
		s.cmd.Wait()
		close(exited)
	}()
	waitReady(s.t, http.DefaultClient, s.url)
}

// kill9 ends the process as a crash does: SIGKILL, nothing runs after.
func (s *hookServer) kill9() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// openDB opens the servers' database (PostgreSQL URL or SQLite file) for checks.
func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+url+"?_pragma=busy_timeout(10000)"
	if strings.HasPrefix(url, "postgres") {
		driver, dsn = "pgx", url
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A delivery enqueued (and refused once) before the server is killed with SIGKILL
// is delivered by the restarted server, on PostgreSQL and on SQLite. Like the import
// kill tests, both run with the e2e suite (CONTACTHUB_TEST_DATABASE_URL set, as in CI).
func TestWebhookDeliveredAfterKill9(t *testing.T) {
	if testing.Short() || os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip("runs with the e2e suite (CONTACTHUB_TEST_DATABASE_URL set, as in CI): builds and kills the server")
	}
	t.Run("postgres", func(t *testing.T) { webhookKill9(t, storetest.OwnDatabaseURL(t)) })
	t.Run("sqlite", func(t *testing.T) { webhookKill9(t, filepath.Join(t.TempDir(), "kill9.db")) })
}

func webhookKill9(t *testing.T, dbURL string) {
	env := append([]string{"CONTACTHUB_DATABASE_URL=" + dbURL, "CONTACTHUB_BOOTSTRAP_API_KEY=" + hookKey,
		"CONTACTHUB_LOG_LEVEL=warn"}, webhookEnv...)
	// The receiver is down, and the first retry waits long enough for the kill.
	env = append(env, "CONTACTHUB_WEBHOOK_RETRY_SCHEDULE=3s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s")
	rc := newHookReceiver(t, func(string, int) bool { return true })
	client := &http.Client{Timeout: 10 * time.Second}

	s := startHookServer(t, env)
	var hook createdHook
	if code := call(t, client, http.MethodPost, s.url+"/api/v1/webhooks",
		map[string]any{"url": rc.URL + "/hook", "event_types": []string{"contact.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	if code := call(t, client, http.MethodPost, s.url+"/public/api/V1/contact",
		map[string]any{"contact": map[string]any{"mail": "kill9@example.com"}}, nil); code != http.StatusOK {
		t.Fatalf("create contact: %d", code)
	}
	// Kill once the refused attempt is recorded and its job waits for the retry: a job
	// running at a crash is only rescued after River's stuck-job timeout (minutes).
	db := openDB(t, dbURL)
	deadline := time.Now().Add(60 * time.Second)
	jobOf := "json_extract(args, '$.delivery_id')"
	if strings.HasPrefix(dbURL, "postgres") {
		jobOf = "args->>'delivery_id'"
	}
	for {
		var id string
		var attempts, running int
		err := db.QueryRow("SELECT CAST(id AS text), attempts FROM webhook_deliveries WHERE webhook_id = $1", hook.ID).Scan(&id, &attempts)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if err == nil {
			q := "SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver' AND state = 'running' AND " + jobOf + " = $1"
			if err := db.QueryRow(q, id).Scan(&running); err != nil {
				t.Fatal(err)
			}
		}
		if attempts == 1 && running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recorded attempt within 60 s (attempts %d, running %d)", attempts, running)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.kill9()
	rc.setFail(nil)
	s.start()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if _, accepted := rc.snapshot(); len(accepted) == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("not delivered within 60 s of the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	type list struct {
		Deliveries []struct {
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		} `json:"deliveries"`
	}
	for {
		var l list
		call(t, client, http.MethodGet, fmt.Sprintf("%s/api/v1/webhooks/%d/deliveries", s.url, hook.ID), nil, &l)
		if len(l.Deliveries) == 1 && l.Deliveries[0].State == "succeeded" {
			if l.Deliveries[0].Attempts < 2 {
				t.Fatalf("log after the restart: %+v", l)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("log after the restart: %+v", l)
		}
		time.Sleep(10 * time.Millisecond)
	}
	requests, accepted := rc.snapshot()
	for id, c := range accepted {
		if c != 1 {
			t.Errorf("%s accepted %d times (requests %d)", id, c, requests[id])
		}
	}
}
