package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/ratelimit"
	"github.com/contacthub/contacthub/store"
)

// registerBuildInfo exports which build runs: contacthub_build_info{version,commit,go} 1,
// so that a dashboard can show a rollout and tell replicas apart.
func registerBuildInfo(reg *prometheus.Registry, b buildInfo) {
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "contacthub_build_info", Help: "The running build: always 1, with its version, commit and Go version as labels.",
	}, []string{"version", "commit", "go"})
	info.WithLabelValues(b.Version, b.Commit, b.Go).Set(1)
	reg.MustRegister(info)
}

// registerDBMetrics exports the database connection pool (go_sql_* with db_name
// "contacthub": open, in use, idle, waits and the time spent waiting) and the depth of
// the job queues (contacthub_jobs_pending{kind}: the outbox publisher, webhook
// deliveries, imports …).
func registerDBMetrics(reg *prometheus.Registry, st *store.Store, engine *jobs.Engine, log *slog.Logger) {
	reg.MustRegister(collectors.NewDBStatsCollector(st.DB(), "contacthub"))
	if engine != nil {
		reg.MustRegister(&pendingJobs{engine: engine, log: log})
	}
}

// pendingJobs counts the due jobs by kind on every scrape.
type pendingJobs struct {
	engine *jobs.Engine
	log    *slog.Logger
}

var pendingJobsDesc = prometheus.NewDesc("contacthub_jobs_pending",
	"Jobs due and not finished (available, running, and retries whose time has come), by kind.", []string{"kind"}, nil)

func (p *pendingJobs) Describe(ch chan<- *prometheus.Desc) { ch <- pendingJobsDesc }

func (p *pendingJobs) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := p.engine.PendingByKind(ctx)
	if err != nil {
		p.log.Warn("metrics: count pending jobs", "err", err)
		ch <- prometheus.NewInvalidMetric(pendingJobsDesc, err)
		return
	}
	for kind, n := range counts {
		ch <- prometheus.MustNewConstMetric(pendingJobsDesc, prometheus.GaugeValue, float64(n), kind)
	}
}

// statuser is a limiter with a Redis primary behind a breaker (ratelimit.Fallback,
// ratelimit.FloodFallback).
type statuser interface{ Status() ratelimit.Status }

// registerBreakerMetrics exports the state of the breakers in front of Redis, per
// limiter ("requests": the per-key quota, "flood": the contact flood limit):
// contacthub_redis_breaker_open (1 while Redis is considered down and the limiter
// follows its policy: fallback, fail-open or fail-closed) and
// contacthub_redis_degraded_calls (calls decided without Redis during this outage).
// Without Redis nothing is registered.
func registerBreakerMetrics(reg *prometheus.Registry, limiters map[string]any) {
	for name, l := range limiters {
		s, ok := l.(statuser)
		if !ok {
			continue
		}
		labels := prometheus.Labels{"limiter": name, "policy": s.Status().Policy}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "contacthub_redis_breaker_open", Help: "1 while the limiter considers Redis down and follows its policy (fallback, fail-open, fail-closed).",
			ConstLabels: labels,
		}, func() float64 {
			if s.Status().Healthy {
				return 0
			}
			return 1
		}))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "contacthub_redis_degraded_calls", Help: "Calls the limiter decided without Redis during the current outage (0 while Redis is up).",
			ConstLabels: labels,
		}, func() float64 { return float64(s.Status().DegradedCalls) }))
	}
}

// registerStoreMetrics exports how contact writes were made: the one-statement
// shortcut for new contacts or a full transaction (see store.Store.Ingest), and how
// often write transactions ran again (store.Store.Retries).
func registerStoreMetrics(reg *prometheus.Registry, st *store.Store) {
	for _, path := range []string{"shortcut", "transaction"} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "contacthub_ingest_calls_total", Help: "Write-path calls by how they were written: shortcut (one statement, new contact) or transaction.",
			ConstLabels: prometheus.Labels{"path": path},
		}, func() float64 {
			shortcut, transaction := st.IngestCounts()
			if path == "shortcut" {
				return float64(shortcut)
			}
			return float64(transaction)
		}))
	}
	// Transactions run again, by the race they lost; a deadlock is a write path
	// outside the store's lock order (store/locks.go).
	for reason, count := range map[string]func(store.Retries) int64{
		"deadlock":        func(r store.Retries) int64 { return r.Deadlock },
		"serialization":   func(r store.Retries) int64 { return r.Serialization },
		"conflict":        func(r store.Retries) int64 { return r.Conflict },
		"connection_lost": func(r store.Retries) int64 { return r.ConnectionLost },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "contacthub_store_retries_total", Help: "Write transactions run again, by reason: deadlock, serialization, conflict (a concurrent change), connection_lost.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(count(st.Retries())) }))
	}
}
