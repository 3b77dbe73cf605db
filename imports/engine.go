package imports

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// Store is what the engine needs of the store (store/import.go).
type Store interface {
	CreateImport(ctx context.Context, imp *models.Import, payload []byte, enqueue func(ctx context.Context, tx *sql.Tx, imp *models.Import) error) error
	GetImport(ctx context.Context, tenantID, id int64) (*models.Import, error)
	ClaimImport(ctx context.Context, tenantID, id int64, owner string, until time.Time) (*models.Import, []byte, bool, error)
	// ClaimImportHeld is ClaimImport without reading the payload back (the worker
	// holds it: handoff).
	ClaimImportHeld(ctx context.Context, tenantID, id int64, owner string, until time.Time) (*models.Import, bool, error)
	ExtendImportLease(ctx context.Context, tenantID, id int64, owner string, until time.Time) (bool, error)
	ReleaseImport(ctx context.Context, tenantID, id int64, owner string) error
	WriteImportBatch(ctx context.Context, tx *sql.Tx, b models.ImportBatch) error
	EndImport(ctx context.Context, tenantID, id int64, status, reason, owner string) (*models.Import, bool, error)
	RequeueStaleImports(ctx context.Context, staleAfter time.Duration, enqueue func(ctx context.Context, tx *sql.Tx, imps []*models.Import) error) (int, error)
	// CreateTerm creates a term or finds the tenant's term of that name.
	CreateTerm(ctx context.Context, t *models.Term) (bool, error)
	// FindContactIDs finds contacts by external_id and by mail (UpdateOnly imports).
	FindContactIDs(ctx context.Context, tenantID int64, externalIDs, mails []string) (byExternal, byMail map[string]int64, err error)
}

// Contacts is the contact service.
type Contacts interface {
	Submit(ctx context.Context, tenant int64, inputs []contacts.Input, o contacts.Options) ([]contacts.Result, error)
	// Check is Submit's dry run (DryRun imports).
	Check(ctx context.Context, tenant int64, inputs []contacts.Input, o contacts.Options) ([]contacts.Result, error)
}

// Jobs enqueues River jobs in the store's transactions (jobs.Engine).
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) error
}

// Config is what New needs. Store, Contacts and Doors are required.
type Config struct {
	Store    Store
	Contacts Contacts
	Doors    []Door
	// Writers write the records of entities other than contacts, by entity (the file
	// import type "inquiries"); an import of any other entity writes contacts.
	Writers map[string]Writer
	// BatchSize is how many records one transaction writes (default 1000).
	BatchSize int
	// Lease is how long a worker holds an import without renewing it (default 15 s):
	// after a crash, the import resumes elsewhere within about this time.
	Lease time.Duration
	// ResumeEvery is how often stale imports are looked for (default 5 s).
	ResumeEvery time.Duration
	Log         *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Engine runs imports. It is safe for concurrent use.
type Engine struct {
	store    Store
	contacts Contacts
	doors    map[string]Door
	writers  map[string]Writer
	batch    int
	lease    time.Duration
	resume   time.Duration
	log      *slog.Logger
	now      func() time.Time
	jobs     atomic.Pointer[jobsRef]
	held     handoff
}

type jobsRef struct{ Jobs }

// New returns the engine for cfg. Register its workers and Attach the job engine
// before imports are started.
func New(cfg Config) *Engine {
	e := &Engine{store: cfg.Store, contacts: cfg.Contacts, doors: map[string]Door{}, writers: cfg.Writers,
		batch: cmp.Or(cfg.BatchSize, 1000), lease: cmp.Or(cfg.Lease, 15*time.Second),
		resume: cmp.Or(cfg.ResumeEvery, 5*time.Second), log: cfg.Log, now: cfg.Now}
	for _, d := range cfg.Doors {
		e.doors[d.Kind()] = d
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Attach gives the engine the job engine it enqueues with.
func (e *Engine) Attach(j Jobs) { e.jobs.Store(&jobsRef{j}) }

func (e *Engine) jobEngine() (Jobs, error) {
	j := e.jobs.Load()
	if j == nil {
		return nil, errors.New("imports: no job engine attached yet")
	}
	return j.Jobs, nil
}

// Start stores imp (tenant, kind, entity, options, total) with its payload and
// enqueues its job, in one transaction: once it returns the import is durable and
// will be processed. It sets imp's ID, Status and times. It returns EINVALID for bad
// options, and the store's errors.
func (e *Engine) Start(ctx context.Context, imp *models.Import, payload []byte) error {
	return e.StartWith(ctx, imp, payload, nil)
}

// StartWith is Start, calling also (when not nil) in the transaction that stores the
// import, with its id set: a door records there what belongs to the import (the file
// door marks its upload started by it), and an error from also stores nothing. A nil
// payload stores none: the door reads the records from its own tables.
func (e *Engine) StartWith(ctx context.Context, imp *models.Import, payload []byte, also func(ctx context.Context, tx *sql.Tx, imp *models.Import) error) error {
	if err := imp.Options.Validate(); err != nil {
		return err
	}
	if _, ok := e.doors[imp.Kind]; !ok {
		return fmt.Errorf("imports: no door of kind %q", imp.Kind)
	}
	jobs, err := e.jobEngine()
	if err != nil {
		return err
	}
	var kept []heldKey // the ids the payload was handed over under, one per attempt
	err = e.store.CreateImport(ctx, imp, payload, func(ctx context.Context, tx *sql.Tx, imp *models.Import) error {
		if also != nil {
			if err := also(ctx, tx, imp); err != nil {
				return err
			}
		}
		// Handed over before the commit: this process's worker may claim the job
		// the moment it commits. An attempt that rolls back leaves an id that is
		// never used again (the sequence moves on); its entry goes below.
		if k := (heldKey{imp.TenantID, imp.ID}); payload != nil && e.held.put(k, payload) {
			kept = append(kept, k)
		}
		_, err := jobs.InsertTx(ctx, tx, ImportArgs{TenantID: imp.TenantID, ImportID: imp.ID}, nil)
		return err
	})
	for _, k := range kept {
		if err != nil || k.id != imp.ID {
			e.held.take(k)
		}
	}
	return err
}

// Cancel ends a processing import as cancelled: the batch in flight writes nothing,
// what was written before stays. It returns the import, ENOTFOUND, or ECONFLICT when
// it had ended already.
func (e *Engine) Cancel(ctx context.Context, tenant, id int64) (*models.Import, error) {
	imp, ok, err := e.store.EndImport(ctx, tenant, id, models.ImportCancelled, "cancelled by request", "")
	if err != nil {
		return nil, err
	}
	if !ok {
		return imp, models.Errorf(models.ECONFLICT, "import %d is %s already; only a processing import can be cancelled", id, imp.Status)
	}
	return imp, nil
}

// Run processes a started import in this process, as its job would (the CLI imports
// a file so, showing its progress): it takes the import's lease, works from the
// checkpoint to the end and returns. It returns nil at once when another worker
// holds the lease (a server's job took it first: that worker finishes it), and when
// ctx ends, with the lease given back, so that a server's resume job carries on.
func (e *Engine) Run(ctx context.Context, tenant, id int64) error {
	return e.run(ctx, tenant, id, "local-"+uuid.NewString())
}

// run processes an import as worker owner, from its checkpoint to its end, renewing
// the lease meanwhile. It returns nil when the import ended or another worker took
// it over; ctx's error when stopped (the lease is given back so that another replica
// resumes at once).
func (e *Engine) run(ctx context.Context, tenant, id int64, owner string) (err error) {
	var imp *models.Import
	var ok bool
	// The process that accepted the import holds its records already (handoff): it
	// does not read them back. Any other worker, or this one after a restart, does.
	payload, held := e.held.take(heldKey{tenant, id})
	if held {
		imp, ok, err = e.store.ClaimImportHeld(ctx, tenant, id, owner, e.now().Add(e.lease))
	} else {
		imp, payload, ok, err = e.store.ClaimImport(ctx, tenant, id, owner, e.now().Add(e.lease))
	}
	if err != nil || !ok {
		return err
	}
	door := e.doors[imp.Kind]
	if door == nil {
		_, _, err := e.store.EndImport(ctx, tenant, id, models.ImportFailed, fmt.Sprintf("no door of kind %q on this server", imp.Kind), owner)
		return err
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := e.heartbeat(wctx, cancel, imp, owner)
	defer stopBeat()
	p := &progress{e: e, imp: imp, door: door, owner: owner, pos: imp.Checkpoint, terms: map[string]int64{}}
	err = p.all(wctx, payload)
	if cause := context.Cause(wctx); errors.Is(cause, models.ErrImportLeaseLost) {
		err = cause
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, models.ErrImportLeaseLost):
		e.log.Info("import taken over or ended elsewhere; this worker stops", "import", id, "tenant", tenant)
		return nil
	}
	if rerr := e.store.ReleaseImport(context.WithoutCancel(ctx), tenant, id, owner); rerr != nil {
		e.log.Warn("release import lease", "import", id, "err", rerr)
	}
	return err
}

// heartbeat renews the lease every third of its time until the returned stop is
// called; a lease found lost cancels the work.
func (e *Engine) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, imp *models.Import, owner string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(e.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			held, err := e.store.ExtendImportLease(ctx, imp.TenantID, imp.ID, owner, e.now().Add(e.lease))
			switch {
			case err != nil:
				e.log.Warn("renew import lease", "import", imp.ID, "err", err)
			case !held:
				cancel(models.ErrImportLeaseLost)
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progress is one run through an import's records.
type progress struct {
	e     *Engine
	imp   *models.Import
	door  Door
	owner string
	pos   int              // the checkpoint: index of the next record
	terms map[string]int64 // term ids by folded name, for this run
}

// all processes the records from the checkpoint on in batches; the batch that
// reaches the end completes the import.
//
// Batches are pipelined: while one batch's transaction runs, the next is read from
// the door, its terms created and (in the goroutine that writes it) its contacts
// decoded and keyed — most of a batch's Go work — so the server's CPU and the
// database work at once. The next batch's transaction begins only once the one
// before committed (contacts.Options.BeforeTx), so it sees that batch's contacts as
// a sequential run would, and its checkpoint follows that batch's (the store
// refuses a checkpoint that does not continue the stored one). At most two batches
// are in flight, and all returns only when none is.
func (p *progress) all(ctx context.Context, payload []byte) error {
	// A dry run and an update-only import read contacts outside the batch's
	// transaction (Check, findTargets): they run batch after batch.
	// So does an import whose entity has a Writer: its records are written outside the
	// batch's transaction.
	writer := p.e.writers[p.imp.Entity] != nil
	pipelined := !p.imp.Options.DryRun && !p.imp.Options.UpdateOnly && !writer
	size := p.e.batch
	if writer {
		size = min(size, writerBatch)
	}
	var inflight *batchRun // the batch launched last, not yet collected
	collect := func() error {
		if inflight == nil {
			return nil
		}
		r := inflight
		inflight = nil
		<-r.done
		if r.err != nil {
			return r.err
		}
		p.pos = r.to
		return nil
	}
	next := p.pos // index of the first record not yet in a launched batch
	batch := make([]Record, 0, size)
	launch := func(done bool) error {
		r, err := p.prepare(ctx, batch, next, done)
		if err != nil {
			if werr := collect(); werr != nil {
				return werr // the earlier batch's failure came first
			}
			return err
		}
		next = r.to
		r.after = inflight
		go r.run(ctx)
		prev := inflight
		inflight = r
		if prev != nil {
			<-prev.done // r waits for it too; collect its outcome here
			if prev.err != nil {
				<-r.done // r writes nothing after prev failed
				inflight = nil
				return prev.err
			}
			p.pos = prev.to
		}
		if !pipelined || done {
			return collect()
		}
		return nil
	}
	for rec, err := range p.door.Records(ctx, p.imp, payload, p.pos) {
		if err != nil {
			if werr := collect(); werr != nil {
				return werr
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			_, _, err := p.e.store.EndImport(ctx, p.imp.TenantID, p.imp.ID, models.ImportFailed, "the records cannot be read: "+err.Error(), p.owner)
			return err
		}
		batch = append(batch, rec)
		if len(batch) == size {
			done := next+len(batch) >= p.imp.Total
			if err := launch(done); err != nil {
				return err
			}
			if done {
				return nil
			}
			batch = make([]Record, 0, size) // the launched batch keeps its records
		}
	}
	if err := collect(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return launch(true)
}

// batchRun is one batch on its way to the database: prepared by the loop, written
// by its own goroutine (run) once the batch before it (after) committed.
type batchRun struct {
	p       *progress
	recs    []Record
	b       models.ImportBatch
	inputs  []contacts.Input
	rows    []int // rows[j] is the Row of inputs[j]
	targets []int64
	to      int
	after   *batchRun // written before run starts, then read and cleared by run's goroutine only
	done    chan struct{}
	err     error
}

// errEarlierBatchFailed stops a batch whose predecessor did not commit: the
// predecessor's error is what the run reports.
var errEarlierBatchFailed = errors.New("imports: the batch before this one was not written")

// prepare does what a batch needs before its contacts are written, in the loop's
// goroutine (it uses the run's term cache): it creates its terms, finds an
// UpdateOnly batch's targets and collects the records that go to the contact
// service.
func (p *progress) prepare(ctx context.Context, recs []Record, from int, done bool) (*batchRun, error) {
	imp := p.imp
	r := &batchRun{p: p, recs: recs, to: from + len(recs), done: make(chan struct{}),
		b: models.ImportBatch{ImportID: imp.ID, TenantID: imp.TenantID, Owner: p.owner, From: from, To: from + len(recs), Done: done}}
	if p.e.writers[imp.Entity] != nil {
		return r, nil // the Writer does it all (writeWith)
	}
	for i := range recs {
		rec := &recs[i]
		if len(rec.Errors) > 0 {
			continue
		}
		if imp.Options.DryRun {
			rec.Errors = checkTermNames(rec.TermNames) // a dry run creates no term
			continue
		}
		ids, err := p.termIDs(ctx, rec.TermNames)
		var v *models.Error
		switch {
		case errors.As(err, &v) && v.Code == models.EINVALID:
			rec.Errors = v.Fields
		case err != nil:
			return nil, err
		case len(ids) > 0:
			rec.Fields["terms"] = ids
		}
	}
	if imp.Options.UpdateOnly {
		if err := p.findTargets(ctx, recs); err != nil {
			return nil, err
		}
	}
	for _, rec := range recs {
		if len(rec.Errors) > 0 {
			r.b.Errors++
			for _, fe := range rec.Errors {
				r.b.Rows = append(r.b.Rows, models.ImportRowError{Row: rec.Row, Field: fe.Field, Error: fe.Error})
			}
			continue
		}
		r.inputs = append(r.inputs, contacts.FromValues(rec.Fields))
		r.rows = append(r.rows, rec.Row)
		r.targets = append(r.targets, rec.ContactID)
	}
	return r, nil
}

func (r *batchRun) run(ctx context.Context) {
	defer close(r.done)
	// Let go of the batch before: the batch after this one waits for this one only,
	// and holding on would chain every batch of the run to the next — all the records
	// of an import of a million rows kept to its end (the server grew ~1.3 MB a batch).
	defer func() { r.after = nil }()
	defer func() {
		// The job's own goroutine would have had River recover a panic as an error.
		if v := recover(); v != nil {
			r.err = fmt.Errorf("imports: panic writing rows %d to %d: %v\n%s", r.b.From+1, r.to, v, debug.Stack())
		}
	}()
	r.err = r.write(ctx)
}

// wait returns once the batch before r committed, or with an error when it did not.
func (r *batchRun) wait(ctx context.Context) error {
	if r.after == nil {
		return nil
	}
	select {
	case <-r.after.done:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if r.after.err != nil {
		return errEarlierBatchFailed
	}
	return nil
}

// write writes one prepared batch and advances the checkpoint past it, in one
// transaction with the batch's contacts. A dry run writes no contact: it asks the
// contact service what the batch would do and records only the counts.
func (r *batchRun) write(ctx context.Context) error {
	p, imp, b, rows := r.p, r.p.imp, r.b, r.rows
	if w := p.e.writers[imp.Entity]; w != nil {
		if err := r.wait(ctx); err != nil {
			return err
		}
		b.LeaseUntil = p.e.now().Add(p.e.lease)
		return p.writeWith(ctx, w, r.recs, b)
	}
	account := func(results []contacts.Result) models.ImportBatch {
		out := b
		out.LeaseUntil = p.e.now().Add(p.e.lease)
		out.Rows = slices.Clone(b.Rows)
		for j, r := range results {
			switch {
			case r.Err != nil:
				out.Errors++
				out.Rows = append(out.Rows, p.errorRows(rows[j], r.Err)...)
			case r.Skipped:
				out.Skipped++
				out.Rows = append(out.Rows, models.ImportRowError{Row: rows[j], Field: p.door.FieldName(imp, matchField(imp.Options.MatchKey())),
					Error: fmt.Sprintf("%smatches contact %d, and update_existing is false", models.SkippedPrefix, r.ID)})
			case r.Created:
				out.Created++
			case imp.Options.DryRun && (r.ID == 0 || !explicitKey(imp.Options)):
				out.Merged++ // found by the duplicate check (or a record before it)
			default:
				out.Updated++
			}
		}
		slices.SortStableFunc(out.Rows, func(x, y models.ImportRowError) int { return cmp.Compare(x.Row, y.Row) })
		return out
	}
	if len(r.inputs) == 0 {
		if err := r.wait(ctx); err != nil {
			return err
		}
		return p.e.store.WriteImportBatch(ctx, nil, account(nil))
	}
	written := false
	o := contacts.Options{
		DuplicateCheckMethod: checkMethod(imp.Options), DuplicateMergeMethod: string(models.MergeUpdateAdd),
		Identity: contacts.NativeIdentity, Source: "import", SkipExisting: !imp.Options.UpdateExisting && !imp.Options.UpdateOnly,
		Within: func(ctx context.Context, tx *sql.Tx, results []contacts.Result) error {
			written = true
			return p.e.store.WriteImportBatch(ctx, tx, account(results))
		},
		BeforeTx: r.wait,
	}
	if imp.Options.MatchKey() == models.UpdateKeyID || imp.Options.UpdateOnly {
		o.Targets = r.targets
	}
	if imp.Options.UpdateOnly {
		o.DuplicateCheckMethod, o.Identity = string(models.CheckNone), contacts.TargetIdentity
	}
	var results []contacts.Result
	var err error
	if imp.Options.DryRun {
		o.Within, o.BeforeTx = nil, nil
		if err := r.wait(ctx); err != nil {
			return err
		}
		results, err = p.e.contacts.Check(ctx, imp.TenantID, r.inputs, o)
	} else {
		results, err = p.e.contacts.Submit(ctx, imp.TenantID, r.inputs, o)
	}
	if err != nil {
		return err
	}
	if !written { // a dry run, or no input was valid: the contact service wrote nothing
		if err := r.wait(ctx); err != nil {
			return err
		}
		if err := p.e.store.WriteImportBatch(ctx, nil, account(results)); err != nil {
			return err
		}
	}
	return nil
}

// findTargets sets the ContactID of each UpdateOnly record without one from its
// Match keys (external_id first, then mail), in one lookup for the batch; a record
// that finds no contact gets an error for each key it tried. Between the lookup and
// the write a contact may go: the write then fails that record (no contact N).
func (p *progress) findTargets(ctx context.Context, recs []Record) error {
	var ext, mails []string
	for _, rec := range recs {
		if len(rec.Errors) == 0 && rec.ContactID == 0 {
			if v := rec.Match["external_id"]; v != "" {
				ext = append(ext, v)
			}
			if v := rec.Match["mail"]; v != "" {
				mails = append(mails, v)
			}
		}
	}
	var byExt, byMail map[string]int64
	if len(ext)+len(mails) > 0 {
		var err error
		if byExt, byMail, err = p.e.store.FindContactIDs(ctx, p.imp.TenantID, ext, mails); err != nil {
			return err
		}
	}
	for i := range recs {
		rec := &recs[i]
		if len(rec.Errors) > 0 || rec.ContactID != 0 {
			continue
		}
		x, m := rec.Match["external_id"], rec.Match["mail"]
		switch {
		case x != "" && byExt[x] != 0:
			rec.ContactID = byExt[x]
		case m != "" && byMail[m] != 0:
			rec.ContactID = byMail[m]
		case x == "" && m == "":
			rec.Errors = append(rec.Errors, models.FieldError{Field: "",
				Error: "names no contact: an update needs the contact's id, external_id or mail in the row"})
		default:
			if x != "" {
				rec.Errors = append(rec.Errors, models.FieldError{Field: p.door.FieldName(p.imp, "external_id"),
					Error: fmt.Sprintf("no contact has external_id %s; an update changes existing contacts only", models.Quote(x))})
			}
			if m != "" {
				rec.Errors = append(rec.Errors, models.FieldError{Field: p.door.FieldName(p.imp, "mail"),
					Error: fmt.Sprintf("no contact has the address %s; an update changes existing contacts only", models.Quote(m))})
			}
		}
	}
	return nil
}

// checkTermNames checks term names as creating them would, without creating them.
func checkTermNames(names []string) []models.FieldError {
	var out []models.FieldError
	for _, name := range names {
		t := &models.Term{Name: name}
		if err := t.Validate(); err != nil {
			out = append(out, models.FieldError{Field: "terms", Error: fmt.Sprintf("%s is not a valid term name: %s", models.Quote(name), err.Error())})
		}
	}
	return out
}

// explicitKey reports whether the import matches records to contacts by a key that
// names one contact (external_id, id) rather than by the duplicate check: a dry run
// counts such matches as updates, the others as merges.
func explicitKey(o models.ImportOptions) bool {
	k := o.MatchKey()
	return k == models.DedupeExternalID || k == models.UpdateKeyID || o.UpdateOnly
}

// errorRows are the error rows of a record the contact service refused, one per
// field, named as the door's records name them.
func (p *progress) errorRows(row int, err error) []models.ImportRowError {
	var e *models.Error
	if !errors.As(err, &e) {
		p.e.log.Warn("import record failed", "import", p.imp.ID, "row", row, "err", err)
		return []models.ImportRowError{{Row: row, Field: "", Error: "the record could not be written"}}
	}
	if len(e.Fields) == 0 {
		return []models.ImportRowError{{Row: row, Field: "", Error: e.Message}}
	}
	out := make([]models.ImportRowError, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = models.ImportRowError{Row: row, Field: p.door.FieldName(p.imp, f.Field), Error: f.Error}
	}
	return out
}

// termIDs returns the ids of the named terms, creating the tenant's missing ones.
// A bad name is EINVALID naming the field terms.
func (p *progress) termIDs(ctx context.Context, names []string) ([]int64, error) {
	var ids []int64
	for _, name := range names {
		key := models.TermKey(strings.TrimSpace(name))
		id, ok := p.terms[key]
		if !ok {
			t := &models.Term{TenantID: p.imp.TenantID, Name: name}
			if _, err := p.e.store.CreateTerm(ctx, t); err != nil {
				var v *models.Error
				if errors.As(err, &v) && v.Code == models.EINVALID {
					var ve models.ValidationError
					ve.Addf("terms", "%s is not a valid term name: %s", models.Quote(name), v.Error())
					return nil, ve.Err()
				}
				return nil, err
			}
			id = t.ID
			p.terms[key] = id
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkMethod is the contact service's duplicate check for an import's match key.
func checkMethod(o models.ImportOptions) string {
	switch o.MatchKey() {
	case models.DedupeExternalID:
		return string(models.CheckExternalID)
	case models.DedupeAuto:
		return string(models.CheckAuto)
	case models.DedupeNone, models.UpdateKeyID:
		return string(models.CheckNone)
	}
	return string(models.CheckEmail)
}

// matchField is the contact field a match key compares.
func matchField(key string) string {
	switch key {
	case models.DedupeEmail, models.DedupeAuto:
		return "mail"
	}
	return key
}
