// Package jobstest runs River inside a test on the test package's database
// (storetest): jobs are fetched every few milliseconds, and WaitIdle runs every
// job that is due to completion.
package jobstest

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// Start builds, migrates and starts an engine on st's database with the workers and
// periodic jobs register adds (register may be nil: an engine that only inserts and
// works nothing is then still migrated). opts change the engine's configuration
// (e.g. add a queue). The engine stops when the test ends.
func Start(t testing.TB, st *store.Store, register func(*river.Workers) []*river.PeriodicJob, opts ...func(*jobs.Config)) *jobs.Engine {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	var periodic []*river.PeriodicJob
	if register != nil {
		periodic = register(workers)
	}
	cfg := jobs.Config{
		Dialect: st.Dialect(), DB: st.DB(), DatabaseURL: storetest.Config(t).DatabaseURL,
		Workers: workers, PeriodicJobs: periodic, FetchPollInterval: 20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	engine, err := jobs.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := engine.Stop(sctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
		engine.Close()
	})
	return engine
}

// Inserter builds and migrates an engine that inserts jobs of the kinds register adds
// and works none (it is not started): for tests that enqueue beside others that must
// not see their jobs worked, or their polling transactions.
func Inserter(t testing.TB, st *store.Store, register func(*river.Workers) []*river.PeriodicJob) *jobs.Engine {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	if register != nil {
		register(workers)
	}
	engine, err := jobs.New(ctx, jobs.Config{
		Dialect: st.Dialect(), DB: st.DB(), DatabaseURL: storetest.Config(t).DatabaseURL, Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	return engine
}

// WaitIdle waits until no job is due or running, at most 30 s.
func WaitIdle(t testing.TB, e *jobs.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitIdle(ctx, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
