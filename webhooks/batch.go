package webhooks

import (
	"context"
	"sync"
	"time"
)

// batcher runs the database work of concurrent attempts together: reading deliveries
// for their jobs, and recording what their attempts came to. Each caller waits for
// its own item's result, so a batch changes no guarantee; it only makes one
// statement of many. A batch starts once its first item has waited linger, or
// earlier when it is full; the calls arriving while it runs make the next batch
// (group commit). Attempts finish one by one as their receivers answer, so without
// the wait most batches would hold one or two items and each cost a statement of its
// own: the database's work per statement, not per row, is most of what a delivery
// costs (BENCHMARKS.md, "Webhooks").
type batcher[In, Out any] struct {
	max int
	// linger is how long the first item of a batch waits for others.
	linger time.Duration
	// run handles a batch. It returns one result per input, in order, or an error
	// for the whole batch.
	run func(ctx context.Context, in []In) ([]Out, error)
	// timeout bounds one batch's run: it runs on its own context, as it serves
	// callers whose contexts end at different times.
	timeout time.Duration

	mu      sync.Mutex
	queue   []*batchCall[In, Out]
	running bool
}

type batchCall[In, Out any] struct {
	in   In
	at   time.Time // when it was queued
	out  Out
	err  error
	done chan struct{}
}

func newBatcher[In, Out any](max int, linger, timeout time.Duration, run func(ctx context.Context, in []In) ([]Out, error)) *batcher[In, Out] {
	return &batcher[In, Out]{max: max, linger: linger, run: run, timeout: timeout}
}

// do adds in to the next batch and waits for its result, or for ctx to end. When ctx
// ends first the item may still be handled (a record written): callers treat that as
// they treat an error after a statement was sent.
func (b *batcher[In, Out]) do(ctx context.Context, in In) (Out, error) {
	c := &batchCall[In, Out]{in: in, at: time.Now(), done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// loop runs batches until the queue is empty.
func (b *batcher[In, Out]) loop() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.max)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		if wait := b.linger - time.Since(b.queue[0].at); n < b.max && wait > 0 {
			b.mu.Unlock()
			time.Sleep(wait)
			continue
		}
		calls := b.queue[:n:n]
		b.queue = b.queue[n:]
		if len(b.queue) == 0 {
			b.queue = nil // let the backing array go
		}
		b.mu.Unlock()
		b.runBatch(calls)
	}
}

func (b *batcher[In, Out]) runBatch(calls []*batchCall[In, Out]) {
	ins := make([]In, len(calls))
	for i, c := range calls {
		ins[i] = c.in
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	outs, err := b.run(ctx, ins)
	cancel()
	for i, c := range calls {
		if err != nil {
			c.err = err
		} else {
			c.out = outs[i]
		}
		close(c.done)
	}
}
