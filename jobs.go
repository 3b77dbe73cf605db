package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/dedupetrain"
	"github.com/contacthub/contacthub/dupscan"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/keyindex"
	"github.com/contacthub/contacthub/outbox"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/webhooks"
)

// startJobs builds River with every worker of the program, migrates its tables and
// starts it. hooks is the outbox's subscriber and adds the delivery worker; importer
// adds the import workers, trainer the duplicate model's training, scans the
// tenant-wide duplicate scans, keys the reindex of blocking keys after their scheme
// changed. All are attached to
// the engine before it starts. The caller stops it (jobs.Engine.Stop) after the HTTP
// server.
//
// Beside River, the outbox's poller publishes new events within
// cfg.OutboxPublishEvery; the periodic publisher job is its backstop.
func startJobs(ctx context.Context, cfg Config, st *store.Store, hooks *webhooks.Service, importer *imports.Engine, trainer *dedupetrain.Service, scans *dupscan.Service, keys *keyindex.Service, log *slog.Logger) (*background, error) {
	workers := river.NewWorkers()
	outboxCfg := outbox.Config{
		Store: st, PublishEvery: publisherBackstop, Retention: cfg.EventRetention, Log: log,
		Subscribers: []outbox.Subscriber{hooks},
	}
	periodic := outbox.Register(workers, outboxCfg)
	periodic = append(periodic, inquiries.Register(workers, st, log)...)
	periodic = append(periodic, hooks.Register(workers)...)
	periodic = append(periodic, importer.Register(workers)...)
	periodic = append(periodic, trainer.Register(workers)...)
	periodic = append(periodic, scans.Register(workers)...)
	periodic = append(periodic, keys.Register(workers)...)
	engine, err := jobs.New(ctx, jobs.Config{
		Dialect: st.Dialect(), DB: st.DB(), DatabaseURL: cfg.DatabaseURL, Logger: log,
		Workers: workers, PeriodicJobs: periodic,
		Queues: map[string]int{webhooks.Queue: cfg.Webhooks.workers(st.Dialect())},
		// River's default of 100 ms between fetches caps a queue at ten times its
		// workers per second: 500 deliveries/s for 50 workers (BENCHMARKS.md).
		FetchCooldown: 10 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	hooks.Attach(engine)
	importer.Attach(engine)
	trainer.Attach(engine)
	scans.Attach(engine)
	keys.Attach(engine)
	if err := engine.Migrate(ctx); err != nil {
		engine.Close()
		return nil, err
	}
	if err := engine.Start(ctx); err != nil {
		engine.Close()
		return nil, err
	}
	pctx, stopPoll := context.WithCancel(context.WithoutCancel(ctx))
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		outbox.NewPoller(outboxCfg, cfg.OutboxPublishEvery).Run(pctx)
	}()
	// First attempts of deliveries are made in this process once River can take
	// what it does not make (webhooks/dispatch.go).
	hooks.Start()
	return &background{Engine: engine, stopPoll: func() { stopPoll(); <-polled }, stopHooks: hooks.Stop}, nil
}

// publisherBackstop is the interval of the periodic publisher job, which publishes
// when no poller does (one stopped on an error that keeps recurring).
const publisherBackstop = 5 * time.Second

// background is what runs beside the HTTP server: River, the outbox's poller and the
// webhooks' first attempts.
type background struct {
	*jobs.Engine
	stopPoll func()
	// stopHooks hands the first attempts not made to River jobs.
	stopHooks func(ctx context.Context)
}

// stopJobs stops the poller, lets running jobs finish until ctx ends, then cancels
// the rest.
func stopJobs(ctx context.Context, bg *background, log *slog.Logger) {
	start := time.Now()
	bg.stopPoll()
	if bg.stopHooks != nil {
		bg.stopHooks(ctx)
	}
	engine := bg.Engine
	if err := engine.Stop(ctx); err != nil {
		log.Warn("stopping jobs", "err", err)
	}
	engine.Close()
	log.Info("jobs stopped", "waited", time.Since(start).Round(time.Millisecond))
}
