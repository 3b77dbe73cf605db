package main

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// freeAddr is a loopback address nothing listens on (at the time of the call).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetricsListener: with CONTACTHUB_METRICS_ADDR the metrics and the profiles are
// served on that address and /metrics leaves the API's; the metrics name the build,
// the database pool, the contacts written and the state of the breaker in front of
// Redis, which opens when Redis cannot be reached.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	opsAddr := freeAddr(t)
	e["CONTACTHUB_METRICS_ADDR"] = opsAddr
	e["CONTACTHUB_BOOTSTRAP_API_KEY"] = "metrics-test-key-0123"
	e["CONTACTHUB_REDIS_URL"] = "redis://127.0.0.1:1/0" // nothing listens: the limiters fall back
	base, _, stop := startServer(t, e)
	defer stop()

	if code, _ := scrape(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the API's address: %d, want 404", code)
	}
	if code, _ := scrape(t, "http://"+opsAddr+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("/debug/pprof/ on the metrics address: %d", code)
	}
	if code := get(t, base+"/public/api/V1/check-credentials", e["CONTACTHUB_BOOTSTRAP_API_KEY"], nil); code != http.StatusOK {
		t.Fatalf("check-credentials with Redis down (local fallback): %d", code)
	}
	code, body := scrape(t, "http://"+opsAddr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics on the metrics address: %d", code)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^contacthub_build_info\{commit="[^"]+",go="` + regexp.QuoteMeta(runtime.Version()) + `",version="[^"]+"\} 1$`),
		regexp.MustCompile(`(?m)^go_sql_open_connections\{db_name="contacthub"\} \d+$`),
		regexp.MustCompile(`(?m)^go_sql_wait_count_total\{db_name="contacthub"\} \d+$`),
		regexp.MustCompile(`(?m)^contacthub_contacts_written_total\{outcome="created"\} 0$`),
		regexp.MustCompile(`(?m)^contacthub_redis_breaker_open\{limiter="requests",policy="fallback"\} 1$`),
		regexp.MustCompile(`(?m)^contacthub_redis_breaker_open\{limiter="flood",policy="fallback"\} 0$`),
		regexp.MustCompile(`(?m)^contacthub_redis_degraded_calls\{limiter="requests",policy="fallback"\} [1-9]\d*$`),
		regexp.MustCompile(`(?m)^contacthub_http_requests_total\{method="GET",route="/public/api/V1/check-credentials",status="200"\} 1$`),
	} {
		if !want.MatchString(body) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "contacthub_jobs_pending{kind=") {
		t.Logf("jobs pending: %s", regexp.MustCompile(`contacthub_jobs_pending\{.*`).FindAllString(body, -1))
	}
}

// TestMetricsOnAPIByDefault: without a metrics address /metrics is on the API's
// address, as before, and both addresses at once are refused.
func TestMetricsOnAPIByDefault(t *testing.T) {
	t.Parallel()
	base, _, stop := startServer(t, tempEnv(t))
	defer stop()
	if code, body := scrape(t, base+"/metrics"); code != http.StatusOK || !strings.Contains(body, "contacthub_build_info{") {
		t.Errorf("/metrics on the API: %d", code)
	}
	e := tempEnv(t)
	e["CONTACTHUB_METRICS_ADDR"], e["CONTACTHUB_DEBUG_ADDR"] = freeAddr(t), freeAddr(t)
	if _, err := runCLI(t, e, "serve"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("serve with both addresses: %v", err)
	}
}
