package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus metrics the HTTP layer records. A nil *Metrics records
// nothing, so tests need not build one.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	refused  *prometheus.CounterVec
	authFail *prometheus.CounterVec
	written  *prometheus.CounterVec
}

// NewMetrics registers contacthub's metrics and the Go runtime's on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "contacthub_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method", "route"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_refused_total", Help: "Requests or contacts refused by a guard: rate_limit, flood_limit, spam_list.",
		}, []string{"reason"}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_auth_failures_total", Help: "Requests refused before a key was accepted: missing_key, invalid_key, tenant_mismatch (every one; the log holds back repeats).",
		}, []string{"reason"}),
	}
	m.written = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contacthub_contacts_written_total",
		Help: "Contacts submitted through the contact service, by outcome: created, merged (into an existing duplicate), joined (another existing contact merged into a submission's contact).",
	}, []string{"outcome"})
	for _, outcome := range []string{"created", "merged", "joined"} {
		m.written.WithLabelValues(outcome) // present from the start, at 0
	}
	m.registry.MustRegister(m.requests, m.duration, m.refused, m.authFail, m.written,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry lets other packages register their metrics beside these.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path() // the route pattern, never the raw path: bounded cardinality
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		if err != nil {
			status = StatusOf(err)
			if he, ok := err.(*echo.HTTPError); ok {
				status = he.Code
			}
		}
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

func (m *Metrics) handler() echo.HandlerFunc { return echo.WrapHandler(m.Handler()) }

func (m *Metrics) inc(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) rateLimited() { m.inc("rate_limit") }

// FloodRefused counts a contact the flood limit refused (the contact service's hook).
func (m *Metrics) FloodRefused() { m.inc("flood_limit") }

// SpamRefused counts a contact refused for a spam-listed request_ip.
func (m *Metrics) SpamRefused() { m.inc("spam_list") }

// authFailed counts a request that failed to authenticate (requestLog).
func (m *Metrics) authFailed(reason string) {
	if m != nil {
		m.authFail.WithLabelValues(reason).Inc()
	}
}

// ContactsWritten counts what a submission did (contacts.WriteCounter).
func (m *Metrics) ContactsWritten(created, merged, joined int) {
	if m == nil {
		return
	}
	m.written.WithLabelValues("created").Add(float64(created))
	m.written.WithLabelValues("merged").Add(float64(merged))
	m.written.WithLabelValues("joined").Add(float64(joined))
}

// Handler serves the metrics in the Prometheus text format, for a listener of their
// own (API.MetricsElsewhere).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
