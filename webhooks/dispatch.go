package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/models"
)

// The first attempt of a delivery is made by the process whose outbox publisher wrote
// it, right after the publisher's transaction committed, without a River job: a job
// per (event, endpoint) cost three versions of a river_job row, each written into
// seven indexes, which was most of a delivery's cost (BENCHMARKS.md, "Webhooks").
// The delivery is durable all the same: the publisher writes it with a lease
// (webhook_leases, migration 00041) in its transaction, and
//
//   - the attempt's outcome is written in batches (RecordFirstAttempts) together with
//     the lease's end, only while the lease is still held; a failed attempt's retry is
//     enqueued as a River job in the same transaction, and every later attempt is a
//     River job as before;
//   - an attempt this process will not make (too much queued, an endpoint changed
//     meanwhile, shutting down, too close to the lease's end) is handed to a River job
//     at once (ClaimLeases with its ID);
//   - a lease that ran out (the process was killed) is claimed by the sweep of any
//     replica, once, and handed to a River job.
//
// An attempt starts only while its lease has at least the attempt's timeout plus
// leaseMargin left, so its outcome is written before a sweep could claim it: a
// delivery is not sent twice by this path and a job.
//
// Each endpoint's first attempts wait in a queue of their own and run at most
// perEndpoint at once (sharing the endpoint's slots with its jobs), so a slow
// receiver holds up only its own.

// firstAttempt is a delivery this process's publisher wrote, with its endpoint as the
// publisher read it.
type firstAttempt struct {
	d     *models.WebhookDelivery
	hook  *models.Webhook
	read  uint64    // the changes clock before the publisher read the endpoints
	at    time.Time // when it was published
	until time.Time // the lease's end
}

// Limits of what waits in memory for a first attempt; beyond, deliveries go to River.
const (
	dispatchMax            = 20000
	dispatchPerEndpointMax = 5000
)

// leaseMargin is what an attempt leaves of its lease beyond its timeout: time to
// write its outcome, and the replicas' clocks' disagreement.
const leaseMargin = 10 * time.Second

// DefaultLease is how long the publishing process has for a first attempt before a
// sweep hands the delivery to a job.
const DefaultLease = time.Minute

type dispatcher struct {
	s *Service

	mu      sync.Mutex
	running bool // between Start and Stop
	queues  map[int64]*hookQueue
	queued  int
	ctx     context.Context // of the attempts
	cancel  context.CancelFunc
	// stopSweep ends the sweep.
	stopSweep context.CancelFunc
	wg        sync.WaitGroup // endpoint loops and the sweep
	// staged are the first attempts of publisher transactions not yet ended.
	staged map[*sql.Tx][]firstAttempt

	// firsts writes outcomes; handoffs gives deliveries to River jobs.
	firsts   *batcher[models.DeliveryOutcome, bool]
	handoffs *batcher[string, struct{}]
}

type hookQueue struct {
	items   []firstAttempt
	running int
}

func newDispatcher(s *Service) *dispatcher {
	p := &dispatcher{s: s, queues: map[int64]*hookQueue{}, staged: map[*sql.Tx][]firstAttempt{}}
	p.firsts = newBatcher(batchSize, batchLinger, batchTimeout, func(ctx context.Context, os []models.DeliveryOutcome) ([]bool, error) {
		written, err := s.store.RecordFirstAttempts(ctx, os, s.enqueueRetries)
		if err != nil {
			return nil, err
		}
		out := make([]bool, len(os))
		for i, o := range os {
			out[i] = written[o.DeliveryID]
		}
		return out, nil
	})
	p.handoffs = newBatcher(batchSize, batchLinger, batchTimeout, func(ctx context.Context, ids []string) ([]struct{}, error) {
		_, err := s.store.ClaimLeases(ctx, ids, time.Time{}, 0, s.enqueueFirst)
		return make([]struct{}, len(ids)), err
	})
	return p
}

// enqueueFirst inserts the jobs of first attempts this process does not make.
func (s *Service) enqueueFirst(ctx context.Context, tx *sql.Tx, refs []models.DeliveryRef) error {
	if s.jobs == nil {
		return errNoJobs
	}
	params := make([]river.InsertManyParams, len(refs))
	for i, r := range refs {
		params[i] = river.InsertManyParams{Args: DeliverArgs{TenantID: r.TenantID, DeliveryID: r.ID, Run: 1}}
	}
	if err := s.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("webhooks: enqueue %d deliveries: %w", len(params), err)
	}
	return nil
}

// enqueueRetries inserts the jobs of the retries of failed first attempts, each
// scheduled for its next attempt.
func (s *Service) enqueueRetries(ctx context.Context, tx *sql.Tx, os []models.DeliveryOutcome) error {
	if s.jobs == nil {
		return errNoJobs
	}
	params := make([]river.InsertManyParams, len(os))
	for i, o := range os {
		opts := &river.InsertOpts{}
		if o.NextAttemptAt != nil {
			opts.ScheduledAt = *o.NextAttemptAt
		}
		params[i] = river.InsertManyParams{Args: DeliverArgs{TenantID: o.TenantID, DeliveryID: o.DeliveryID, Run: o.Run}, InsertOpts: opts}
	}
	if err := s.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("webhooks: enqueue %d retries: %w", len(params), err)
	}
	return nil
}

// stage keeps the first attempts a publisher transaction wrote until it ends.
func (p *dispatcher) stage(tx *sql.Tx, items []firstAttempt) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.staged[tx] = append(p.staged[tx], items...)
}

// ended starts the first attempts of tx when it committed and forgets them when it
// did not (their deliveries and leases are not written).
func (p *dispatcher) ended(tx *sql.Tx, committed bool) {
	p.mu.Lock()
	items := p.staged[tx]
	delete(p.staged, tx)
	p.mu.Unlock()
	if committed && len(items) > 0 {
		p.add(items)
	}
}

// add queues first attempts; those beyond the limits (or arriving while stopped) go
// to River.
func (p *dispatcher) add(items []firstAttempt) {
	var over []string
	p.mu.Lock()
	running := p.running
	for _, it := range items {
		q := p.queues[it.hook.ID]
		if !running || p.queued >= dispatchMax || (q != nil && len(q.items) >= dispatchPerEndpointMax) {
			over = append(over, it.d.ID)
			continue
		}
		if q == nil {
			q = &hookQueue{}
			p.queues[it.hook.ID] = q
		}
		q.items = append(q.items, it)
		p.queued++
		if q.running < p.s.perEndpoint {
			q.running++
			p.wg.Add(1)
			go p.loop(it.hook.ID, q)
		}
	}
	p.mu.Unlock()
	if len(over) > 0 && running {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handOff(over)
		}()
	}
	// Not running (no Start, or stopped): the leases run out and a sweep takes them.
}

// loop makes the endpoint's queued first attempts, one at a time, until none is left.
func (p *dispatcher) loop(hookID int64, q *hookQueue) {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if len(q.items) == 0 || !p.running {
			q.running--
			if q.running == 0 && len(q.items) == 0 && p.queues[hookID] == q {
				delete(p.queues, hookID)
			}
			p.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items[0] = firstAttempt{}
		q.items = q.items[1:]
		p.queued--
		p.mu.Unlock()
		p.attempt(it)
	}
}

// handOff gives deliveries whose first attempt this process does not make to River
// jobs. When that fails their leases run out and a sweep does it.
func (p *dispatcher) handOff(ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.handoffs.do(ctx, id); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		p.s.log.Warn("webhooks: handing first attempts to jobs failed; a sweep takes them when their leases end", "err", err)
	default:
	}
}

// attempt makes one first attempt, or hands it to River.
func (p *dispatcher) attempt(it firstAttempt) {
	s := p.s
	ctx := p.ctx
	ref := models.DeliveryRef{TenantID: it.d.TenantID, ID: it.d.ID}
	latest := func() time.Time { return it.until.Add(-s.sender.timeout - leaseMargin) }
	if time.Now().After(latest()) {
		p.handOff([]string{it.d.ID})
		return
	}
	d, hook := it.d, it.hook
	if s.changes.since(hook.ID, it.read) || time.Since(it.at) > freshFor {
		found, err := s.reads.do(ctx, ref)
		if err != nil {
			p.handOff([]string{it.d.ID})
			return
		}
		d, hook = found.d, found.hook
		if d == nil {
			return // deleted with its endpoint, and its lease with it
		}
		if d.Run != 1 || d.State != models.DeliveryPending || d.Attempts != 0 {
			return // redelivered meanwhile: the new run's job sends it
		}
	}
	if !hook.Active {
		p.handOff([]string{d.ID}) // its job cancels it
		return
	}
	slot := s.slots(hook.ID)
	if !slot.acquire(ctx, time.Until(latest())) {
		p.handOff([]string{d.ID})
		return
	}
	at := s.now()
	sig, err := Sign(hook.SigningSecrets(at), d.MessageID, at, d.Payload)
	if err != nil {
		slot.release()
		s.log.Error("webhooks: sign delivery", "delivery", d.ID, "err", err)
		p.handOff([]string{d.ID})
		return
	}
	res := s.sender.send(ctx, hook.URL, d.MessageID, at, d.Payload, sig)
	slot.release()
	if ctx.Err() != nil && !res.ok() {
		// Shutting down: not the receiver's failure; a job makes the attempt.
		p.handOff([]string{d.ID})
		return
	}
	o := s.outcome(d, hook, res, at)
	// Written with other outcomes (one statement); its context outlives a shutdown
	// so an attempt made is recorded.
	written, err := p.firsts.do(context.WithoutCancel(ctx), o)
	if err != nil {
		// The lease runs out and a job attempts it again: the receiver may get it
		// twice, as when a job's record fails.
		s.log.Warn("webhooks: recording a first attempt failed", "delivery", d.ID, "err", err)
		return
	}
	if !written {
		// The lease was claimed meanwhile (a redelivery): that run's job sends it.
		return
	}
	s.attempted(hook, res, o)
}

// attempted counts an attempt whose outcome was written and applies it to what this
// process knows of the endpoint.
func (s *Service) attempted(hook *models.Webhook, res result, o models.DeliveryOutcome) {
	s.metrics.attempts.WithLabelValues(res.kind).Inc()
	if o.State != models.DeliveryPending {
		s.metrics.finished.WithLabelValues(o.State).Inc()
	}
	if o.Disable != "" || o.StartsFailing != nil || o.Recovered {
		s.changes.forget(hook.ID) // what was published before reads the endpoint again
	}
	if o.Disable != "" {
		s.log.Warn("webhook endpoint disabled", "tenant", hook.TenantID, "webhook", hook.ID, "reason", o.Disable)
		s.metrics.disabled.Inc()
	}
}

// sweepBatch bounds the leases one sweep transaction claims.
const sweepBatch = 500

// sweep hands the deliveries whose leases ran out to River jobs, every interval,
// until ctx ends.
func (p *dispatcher) sweep(ctx context.Context, every time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			n, err := p.s.store.ClaimLeases(ctx, nil, time.Now(), sweepBatch, p.s.enqueueFirst)
			if err != nil {
				if ctx.Err() == nil {
					p.s.log.Warn("webhooks: sweeping ended leases failed", "err", err)
				}
				break
			}
			if n < sweepBatch {
				break
			}
		}
	}
}

// Start runs first attempts in this process and the sweep of ended leases, until
// Stop. Call it after Attach.
func (s *Service) Start() {
	p := s.dispatch
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return
	}
	p.running = true
	p.ctx, p.cancel = context.WithCancel(context.Background())
	sctx, stop := context.WithCancel(p.ctx)
	p.stopSweep = stop
	p.wg.Add(1)
	go p.sweep(sctx, s.sweepEvery)
}

// Stop ends the first attempts: those waiting are handed to River jobs, those under
// way may finish until ctx ends, then are canceled and handed over too. Deliveries
// published afterwards (the publisher should be stopped first) wait for a sweep.
func (s *Service) Stop(ctx context.Context) {
	p := s.dispatch
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return
	}
	p.running = false
	var waiting []string
	for id, q := range p.queues {
		for _, it := range q.items {
			waiting = append(waiting, it.d.ID)
		}
		p.queued -= len(q.items)
		q.items = nil
		if q.running == 0 {
			delete(p.queues, id)
		}
	}
	cancel := p.cancel
	p.stopSweep()
	p.mu.Unlock()
	if len(waiting) > 0 {
		p.handOff(waiting)
	}
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		cancel()
	case <-ctx.Done():
		cancel()
		<-done
	}
}
