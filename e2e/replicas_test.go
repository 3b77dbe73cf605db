package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// replicaEnv is what every replica of one test shares.
type replicaEnv struct {
	dbURL  string // the test's own database
	bin    string
	env    []string
	urls   []string
	client *http.Client
}

// startReplicas builds the binary and starts n servers on a PostgreSQL database of the
// test's own and on Redis under a prefix of this test's own.
func startReplicas(t *testing.T, n int, extraEnv ...string) *replicaEnv {
	t.Helper()
	redisURL := os.Getenv("CONTACTHUB_TEST_REDIS_URL")
	if os.Getenv(storetest.EnvDatabaseURL) == "" || redisURL == "" {
		t.Skip("needs CONTACTHUB_TEST_DATABASE_URL and CONTACTHUB_TEST_REDIS_URL (set by .ci/run)")
	}
	dbURL := storetest.OwnDatabaseURL(t)
	bin, err := hookBinary() // one build for the package's tests
	if err != nil {
		t.Fatal(err)
	}
	r := &replicaEnv{dbURL: dbURL, bin: bin, client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	prefix := fmt.Sprintf("e2e-%d:", time.Now().UnixNano())
	t.Cleanup(func() { deleteRedisKeys(t, redisURL, prefix) })
	r.env = append(os.Environ(),
		"CONTACTHUB_DATABASE_URL="+dbURL,
		"CONTACTHUB_REDIS_URL="+redisURL,
		"CONTACTHUB_REDIS_PREFIX="+prefix,
		"CONTACTHUB_BOOTSTRAP_API_KEY=e2e-bootstrap-key-0001",
		"CONTACTHUB_LOG_LEVEL=warn",
	)
	r.env = append(r.env, extraEnv...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for range n {
		port := freePort(t)
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(slicesClone(r.env), fmt.Sprintf("CONTACTHUB_ADDR=127.0.0.1:%d", port))
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start replica: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil && ctx.Err() == nil {
				t.Errorf("replica exited: %v\n%s", err, stderr.String())
			}
		}()
		r.urls = append(r.urls, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for _, u := range r.urls {
		waitReady(t, r.client, u)
	}
	return r
}

// deleteRedisKeys removes what the replicas left in Redis under prefix.
func deleteRedisKeys(t *testing.T, url, prefix string) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Errorf("redis url: %v", err)
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("clean up redis keys: %v", err)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitReady(t *testing.T, c *http.Client, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("replica %s not ready within 60s", base)
}

// cli runs the binary with args against the replicas' database and returns stdout.
func (r *replicaEnv) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Env = r.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("contacthub %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(lastLine(string(out)))
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

// fanOut sends n requests concurrently, spread round-robin over the replicas, and
// counts the answers by status.
func (r *replicaEnv) fanOut(t *testing.T, n int, req func(i int, base string) *http.Request) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := r.client.Do(req(i, r.urls[i%len(r.urls)]))
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			counts[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d requests failed to complete", failed.Load())
	}
	return counts
}

func TestQuotaAndFloodLimitHoldAcrossReplicas(t *testing.T) {
	// Exact across replicas is what Redis gives while it answers. A Redis call slower
	// than the default 500 ms counts as Redis down, and the replicas fall back to their
	// own counts (CONTACTHUB_REDIS_FAILURE=local): on a machine loaded well past its
	// cores, 41 of 120 were admitted. The fallback has tests of its own (ratelimit).
	r := startReplicas(t, 3, "CONTACTHUB_RATE_LIMIT=100000/m", "CONTACTHUB_REDIS_TIMEOUT=10s")

	// Request quota: one key limited to 30 per hour, 120 requests through 3 replicas.
	limited := r.cli(t, "keys", "create", "--tenant", "1", "--name", "limited", "--rate", "30/h")
	counts := r.fanOut(t, 120, func(i int, base string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+"/public/api/V1/check-credentials", nil)
		req.Header.Set("Authorization", "Bearer "+limited)
		return req
	})
	if counts[http.StatusOK] != 30 || counts[http.StatusTooManyRequests] != 90 {
		t.Fatalf("quota 30/h across 3 replicas admitted %v, want exactly 30 OK and 90 refused", counts)
	}

	// Flood limit: at most 5 contacts created per request_ip per hour, 40 distinct
	// contacts from one address through 3 replicas.
	counts = r.fanOut(t, 40, func(i int, base string) *http.Request {
		body, _ := json.Marshal(map[string]any{
			"contact":     map[string]any{"mail": fmt.Sprintf("flood%d@example.com", i), "request_ip": "203.0.113.50"},
			"flood_limit": 5, "duplicate_check_method": "email",
		})
		req, _ := http.NewRequest(http.MethodPost, base+"/public/api/V1/contact", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer e2e-bootstrap-key-0001")
		req.Header.Set("Content-Type", "application/json")
		return req
	})
	if counts[http.StatusOK] != 5 || counts[http.StatusTooManyRequests] != 35 {
		t.Fatalf("flood_limit 5 across 3 replicas: %v, want exactly 5 created and 35 refused", counts)
	}
	storetest.AssertConsistent(t, storetest.Open(t))
}
