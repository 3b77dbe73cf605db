package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/jobs/jobstest"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type markArgs struct{ Name string }

func (markArgs) Kind() string { return "test_mark" }

type markWorker struct {
	river.WorkerDefaults[markArgs]
	mu   sync.Mutex
	done map[string]int
}

func (w *markWorker) Work(_ context.Context, j *river.Job[markArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done[j.Args.Name]++
	return nil
}

// A job inserted in a transaction runs once the transaction commits, and never when
// it rolls back.
func TestInsertTxRunsOnlyCommittedJobs(t *testing.T) {
	st := storetest.Open(t)
	w := &markWorker{done: map[string]int{}}
	engine := jobstest.Start(t, st, func(ws *river.Workers) []*river.PeriodicJob {
		river.AddWorker(ws, w)
		return nil
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		commit bool
	}{{"committed", true}, {"rolled-back", false}} {
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.InsertTx(ctx, tx, markArgs{Name: tc.name}, nil); err != nil {
			t.Fatal(err)
		}
		if tc.commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	jobstest.WaitIdle(t, engine)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done["committed"] != 1 || w.done["rolled-back"] != 0 {
		t.Fatalf("worked %v, want the committed job once and the rolled-back one never", w.done)
	}
}
