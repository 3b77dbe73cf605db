package imports

import "testing"

// TestBatchRunLetsGoOfTheOneBefore: a written batch no longer holds the batch before
// it. Each batch of a pipelined run points at its predecessor until it has run;
// holding on afterwards chained every batch of an import to the next, so that a file
// of a million rows kept all its records in memory to the end.
func TestBatchRunLetsGoOfTheOneBefore(t *testing.T) {
	before := &batchRun{done: make(chan struct{})}
	close(before.done)
	r := &batchRun{after: before, done: make(chan struct{})}
	r.run(t.Context()) // no progress: write panics, run reports it as the batch's error
	<-r.done
	if r.err == nil {
		t.Fatal("want the panic as the batch's error")
	}
	if r.after != nil {
		t.Fatal("a batch that ran still holds the batch before it")
	}
}
