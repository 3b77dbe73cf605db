package webhooks

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts deliveries. The queue's depth and age are read from the database at
// each scrape, so they agree across replicas.
type Metrics struct {
	attempts *prometheus.CounterVec
	finished *prometheus.CounterVec
	disabled prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_webhook_attempts_total",
			Help: "Delivery attempts made by this replica, by result: success (2xx), http_error, timeout, network_error, blocked (SSRF guard).",
		}, []string{"result"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_webhook_deliveries_total",
			Help: "Deliveries finished by this replica, by result: succeeded, failed (attempts ran out, or the endpoint was disabled), canceled (endpoint off).",
		}, []string{"result"}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contacthub_webhook_endpoints_disabled_total",
			Help: "Endpoints this replica disabled: a 410 Gone, or failing for CONTACTHUB_WEBHOOK_DISABLE_AFTER.",
		}),
	}
}

// Collectors returns the webhook metrics to register: the counters and the queue
// (contacthub_webhook_queue_depth, contacthub_webhook_oldest_pending_seconds).
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.attempts, s.metrics.finished, s.metrics.disabled, queueCollector{s}}
}

var (
	queueDepthDesc = prometheus.NewDesc("contacthub_webhook_queue_depth",
		"Deliveries waiting for an attempt (due or scheduled for a retry), all tenants.", nil, nil)
	oldestPendingDesc = prometheus.NewDesc("contacthub_webhook_oldest_pending_seconds",
		"Age of the oldest delivery waiting for an attempt; 0 when none waits.", nil, nil)
)

// queueCollector reads the queue once per scrape.
type queueCollector struct{ s *Service }

func (queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- oldestPendingDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, oldest, err := c.s.store.PendingDeliveries(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(c.s.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(oldestPendingDesc, prometheus.GaugeValue, age)
}
