package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/contacthub/contacthub/models"
)

// DeliverArgs is the job of one delivery run: one (event, endpoint), or a ping.
type DeliverArgs struct {
	TenantID   int64  `json:"tenant_id"`
	DeliveryID string `json:"delivery_id"`
	// Run is the delivery's run the job belongs to; a redelivery starts a new run and
	// a job of an older one ends without sending.
	Run int `json:"run"`
}

// Kind names the job in River.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// InsertOpts puts deliveries in their own queue. Retries of a failed attempt are
// snoozes (they do not count as River attempts); River's own attempts only count
// errors of the server (the database unreachable while recording).
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 25}
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Timeout leaves the attempt's own time limit room to end first.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.s.sender.timeout + 30*time.Second
}

// Work makes one attempt of the delivery and schedules the next one (a snooze) when
// it failed and attempts remain.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s, a := w.s, job.Args
	ref := models.DeliveryRef{TenantID: a.TenantID, ID: a.DeliveryID}
	found, err := s.reads.do(ctx, ref)
	if err != nil {
		return err
	}
	d, hook := found.d, found.hook
	if d == nil {
		return nil // the endpoint was deleted with its log
	}
	if d.Run != a.Run || d.State != models.DeliveryPending {
		return nil // redelivered meanwhile: the job of the new run sends it
	}
	ping := d.Type == models.EventWebhookPing
	if !hook.Active && !ping {
		s.metrics.finished.WithLabelValues(models.DeliveryCanceled).Inc()
		return s.store.FinishDelivery(ctx, a.TenantID, d.ID, d.Run, models.DeliveryCanceled)
	}
	slot := s.slots(hook.ID)
	if !slot.acquire(ctx, busyWait) {
		return river.JobSnooze(busyDelay(job.Metadata))
	}
	at := s.now()
	sig, err := Sign(hook.SigningSecrets(at), d.MessageID, at, d.Payload)
	if err != nil {
		slot.release()
		return fmt.Errorf("webhooks: sign delivery %s: %w", d.ID, err)
	}
	res := s.sender.send(ctx, hook.URL, d.MessageID, at, d.Payload, sig)
	// The slot bounds requests in flight to the endpoint, not the writes after them.
	slot.release()
	if ctx.Err() != nil && !res.ok() {
		// Shutting down (or out of time): not the receiver's failure. The job runs
		// again at once, here after a restart or on another replica.
		return river.JobSnooze(0)
	}
	o := s.outcome(d, hook, res, at)
	// Written together with the attempts of other jobs finishing at the same time
	// (one statement); the job ends only once its own record is written, so River
	// completes no job whose attempt is not in the log.
	if _, err := s.records.do(ctx, o); err != nil {
		return err
	}
	s.attempted(hook, res, o)
	if o.State == models.DeliveryPending {
		return river.JobSnooze(max(o.NextAttemptAt.Sub(s.now()), 0))
	}
	return nil
}

// attemptInput is a delivery with its endpoint as an attempt reads them; both nil
// when the delivery is gone.
type attemptInput struct {
	d    *models.WebhookDelivery
	hook *models.Webhook
}

// batchSize bounds the deliveries one statement reads or records.
const batchSize = 200

// batchTimeout bounds one batch's statement.
const batchTimeout = 30 * time.Second

// batchLinger is how long an attempt's read or record waits for others to share its
// statement: at most twice per attempt, against the second from an event
// to its first attempt.
const batchLinger = 20 * time.Millisecond

// newBatchers sets up the batched reads and records of attempts on st.
func newBatchers(st Store) (*batcher[models.DeliveryRef, attemptInput], *batcher[models.DeliveryOutcome, struct{}]) {
	reads := newBatcher(batchSize, batchLinger, batchTimeout, func(ctx context.Context, refs []models.DeliveryRef) ([]attemptInput, error) {
		ds, hooks, err := st.DeliveriesForAttempt(ctx, refs)
		if err != nil {
			return nil, err
		}
		out := make([]attemptInput, len(refs))
		for i := range refs {
			out[i] = attemptInput{ds[i], hooks[i]}
		}
		return out, nil
	})
	records := newBatcher(batchSize, batchLinger, batchTimeout, func(ctx context.Context, os []models.DeliveryOutcome) ([]struct{}, error) {
		return make([]struct{}, len(os)), st.RecordAttempts(ctx, os)
	})
	return reads, records
}

// outcome decides what an attempt means for the delivery and its endpoint.
func (s *Service) outcome(d *models.WebhookDelivery, hook *models.Webhook, res result, at time.Time) models.DeliveryOutcome {
	attempt := models.WebhookAttempt{Attempt: d.Attempts + 1, At: at.UTC(), StatusCode: res.status,
		Latency: res.latency, Error: res.err, Response: res.response}
	log := append(d.Log, attempt)
	log = log[max(0, len(log)-models.MaxDeliveryLog):]
	o := models.DeliveryOutcome{TenantID: d.TenantID, WebhookID: d.WebhookID, DeliveryID: d.ID, Run: d.Run, Log: log}
	ping := d.Type == models.EventWebhookPing
	switch {
	case res.ok():
		o.State = models.DeliverySucceeded
		o.Recovered = hook.FailingSince != nil && !ping
		return o
	case ping:
		o.State = models.DeliveryFailed // a ping is one attempt and says nothing about the endpoint's health
		return o
	case res.status == 410:
		o.State = models.DeliveryFailed
		o.Disable = fmt.Sprintf("disabled %s: the receiver answered 410 Gone", at.UTC().Format(time.RFC3339))
		return o
	}
	if hook.FailingSince == nil {
		o.StartsFailing = &attempt.At
	} else if at.Sub(*hook.FailingSince) >= s.disableAfter {
		o.State = models.DeliveryFailed
		o.Disable = fmt.Sprintf("disabled %s: every attempt failed since %s (last: %s)",
			at.UTC().Format(time.RFC3339), hook.FailingSince.UTC().Format(time.RFC3339), res.err)
		return o
	}
	if d.RunAttempts+1 >= d.MaxAttempts {
		o.State = models.DeliveryFailed
		return o
	}
	delay := jitter(s.schedule[min(d.RunAttempts, len(s.schedule)-1)])
	if res.retryAfter > delay {
		delay = min(res.retryAfter, 24*time.Hour)
	}
	next := at.Add(delay).UTC()
	o.State, o.NextAttemptAt = models.DeliveryPending, &next
	return o
}

// jitter varies d by up to ±10 %, so retries of many deliveries that failed together
// (a receiver's outage) do not arrive together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// busyWait is how long an attempt waits for a slot of its endpoint before it is put
// off: long enough that the attempts of a fast endpoint take turns without going back
// to the queue, short enough that a slow endpoint's hold up no worker.
const busyWait = 50 * time.Millisecond

// endpointSlots bound the attempts one endpoint has running in this process.
type endpointSlots chan struct{}

func (e endpointSlots) acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case e <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case e <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (e endpointSlots) release() { <-e }

// slots returns the endpoint's slots. They stay for the life of the process: one
// small channel per endpoint that had deliveries.
func (s *Service) slots(id int64) endpointSlots {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.inFlight[id]
	if !ok {
		e = make(endpointSlots, s.perEndpoint)
		s.inFlight[id] = e
	}
	return e
}

// busyDelay is how long a job waits whose endpoint has every slot busy: growing with
// the times it was put off (River counts them in the job's metadata), so the backlog
// of a slow endpoint is not fetched and put off again and again.
func busyDelay(metadata []byte) time.Duration {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m) // none yet: zero
	d := min(100*time.Millisecond<<min(m.Snoozes, 9), 30*time.Second)
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}
