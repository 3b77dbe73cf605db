package handlers

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// API holds the dependencies of every handler. main fills it and calls Register.
type API struct {
	Auth         Authenticator
	Contacts     ContactStore
	CustomFields CustomFieldStore
	Merges       MergeStore
	// Duplicates is the review queue of possible duplicates.
	Duplicates DuplicateStore
	Terms      TermStore
	Comments   CommentStore
	Spamlist   SpamlistStore
	// Idempotency keeps the answers of requests sent with an Idempotency-Key
	// (idempotency.go); nil ignores the header.
	Idempotency IdempotencyStore
	// IdempotencyWait is how long a retry waits for the answer of the request it
	// repeats before answering 409; 0 means 30 s.
	IdempotencyWait time.Duration
	// Events is the outbox the change feed reads.
	Events EventStore
	// Webhooks manages endpoints and their delivery logs.
	Webhooks WebhookService
	// Ready reports the health of each dependency for /readyz.
	Ready      func(ctx context.Context) []Check
	Log        *slog.Logger
	Limits     Limits
	RateLimits RateLimits
	// Metrics, when set, are recorded and served on /metrics.
	Metrics *Metrics
	// MetricsElsewhere keeps /metrics off the API's address: main serves
	// Metrics.Handler on a private listener (CONTACTHUB_METRICS_ADDR).
	MetricsElsewhere bool
	// ContactService holds every contact write to its rules (package contacts).
	ContactService ContactService
	// Inquiries writes inquiries (package inquiries); InquiryStore reads them and
	// keeps their statuses, sources and staff.
	Inquiries    InquiryService
	InquiryStore InquiryStore
	// DedupeModels trains and rolls back tenants' duplicate models (package
	// dedupetrain); nil leaves its routes out.
	DedupeModels DedupeModelService
	// DuplicateScans runs tenant-wide duplicate scans (package dupscan); nil leaves
	// their routes out.
	DuplicateScans DuplicateScanService
	// FileImports is the CSV and Excel import door (package fileimports).
	FileImports FileImportService
	// Imports starts and cancels imports (package imports); ImportStore reads them.
	Imports     ImportService
	ImportStore ImportStore

	readiness readinessLog
}

// Check is one dependency's health. A failed non-critical check (Redis with a local
// fallback) is reported but keeps the replica ready.
type Check struct {
	Name     string
	Err      error
	Critical bool
}

// Limits are the request size limits.
type Limits struct {
	// MaxBodyBytes caps every request body (413 beyond). Default 10 MiB.
	MaxBodyBytes int64
	// ImportBodyBytes caps the body of POST /api/v1/imports instead (10,000 persons
	// exceed the general limit). Default 64 MiB.
	ImportBodyBytes int64
	// ExportPage is how many contacts the export reads per query; 0 means 500.
	ExportPage int
	// MaxUploadBytes caps the file of POST /api/v1/import instead of MaxBodyBytes
	// (413 beyond). Default DefaultMaxUploadBytes (512 MiB).
	MaxUploadBytes int64
}

// quentnPrefix is where the Quentn-compatible API lives; "v1" is rewritten to it.
const quentnPrefix = "/public/api/V1"

// New returns an Echo server with every route, the error handler and the middleware.
func New(a *API) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = HTTPErrorHandler(a.Log)
	e.JSONSerializer = jsonSerializer{}
	// Outermost: every request gets its id and its log line, whatever happens inside.
	e.Pre(requestLog(a.Log, a.Metrics))
	// A panic anywhere, routing and middleware included, is logged and answered 500;
	// the second recover sits inside the metrics so that they count it as a 500.
	e.Pre(recoverPanics(a.Log))
	e.Pre(normalizePath, headAsGet)
	e.Use(requestContext, advertiseHead)
	if a.Metrics != nil {
		e.Use(a.Metrics.middleware)
	}
	e.Use(recoverPanics(a.Log))
	if a.Limits.MaxBodyBytes == 0 {
		a.Limits.MaxBodyBytes = 10 << 20
	}
	if a.Limits.MaxUploadBytes == 0 {
		a.Limits.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if a.Limits.ImportBodyBytes == 0 {
		a.Limits.ImportBodyBytes = 64 << 20
	}
	// An upload is streamed into the store, never held, and 10,000 persons of a JSON
	// import exceed the general limit: both get their own.
	e.Use(bodyLimit(a.Limits.MaxBodyBytes, map[string]int64{"/api/v1/import": a.Limits.MaxUploadBytes, importPath: a.Limits.ImportBodyBytes}))
	a.Register(e)
	return e
}

// Register adds every route. This is the whole API in one screen.
func (a *API) Register(e *echo.Echo) {
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET("/openapi.json", openAPI)
	e.GET("/docs", docs)
	e.GET("/docs/:file", docsAsset)
	if a.Metrics != nil && !a.MetricsElsewhere {
		e.GET("/metrics", a.Metrics.handler())
	}

	q := guarded(e.Group(quentnPrefix), requireKey(a.Auth), a.limitRequests, singleQueryValues)
	q.GET("/check-credentials", a.checkCredentials)
	q.POST("/contact", a.createContact, a.idempotent)
	q.GET("/contact/:ref", a.getContact)
	q.PUT("/contact/:ref", a.updateContact)
	q.DELETE("/contact/:ref", a.deleteContact)
	q.POST("/contacts", a.createContacts, a.idempotent)
	q.GET("/contact/:ref/terms", a.getContactTerms)
	q.POST("/contact/:ref/terms", a.setContactTerms)
	q.PUT("/contact/:ref/terms", a.addContactTerms)
	q.DELETE("/contact/:ref/terms", a.removeContactTerms)
	q.GET("/contact/:ref/comments", a.listComments)
	q.POST("/contact/:ref/comments", a.addComment)
	q.PUT("/contact/:ref/comments", a.updateComment)
	q.DELETE("/contact/:ref/comments", a.deleteComments)
	q.GET("/terms", a.listTerms)
	q.POST("/terms", a.createTerm)
	q.GET("/terms/:ref", a.getTerm)
	q.PUT("/terms/:ref", a.updateTerm)
	q.DELETE("/terms/:ref", a.deleteTerm)
	q.GET("/custom-fields", a.listCustomFields)
	q.POST("/custom-fields", a.createCustomField)
	q.GET("/custom-fields/:ref", a.getCustomField)
	q.PUT("/custom-fields/:ref", a.updateCustomField)
	q.DELETE("/custom-fields/:ref", a.deleteCustomField)

	// Native API: what Quentn does not have.
	n := guarded(e.Group("/api/v1"), requireKey(a.Auth), a.limitRequests, singleQueryValues)
	n.GET("/contacts", a.listContacts)
	n.GET("/contacts/export", a.exportContacts)
	n.GET("/contacts/:id", a.getContactFull)
	n.POST("/contacts", a.createContactNative, a.idempotent)
	n.POST("/contacts/duplicates", a.findDuplicates)
	n.POST("/contacts/merge", a.mergeContacts)
	n.GET("/merges", a.listMerges)
	n.GET("/merges/:id", a.getMerge)
	n.POST("/merges/:id/undo", a.undoMerge)
	n.GET("/duplicates", a.listDuplicates)
	n.POST("/duplicates/:id/merge", a.mergeDuplicate)
	n.POST("/duplicates/:id/dismiss", a.dismissDuplicate)
	if a.DuplicateScans != nil {
		n.POST("/duplicates/scan", a.startDuplicateScan)
		n.GET("/duplicates/scans/:id", a.getDuplicateScan)
	}
	if a.DedupeModels != nil {
		n.POST("/dedupe/train", a.trainDedupeModel)
		n.GET("/dedupe/model", a.getDedupeModel)
		n.POST("/dedupe/model/rollback", a.rollbackDedupeModel)
	}
	n.GET("/spamlist", a.listSpam)
	n.POST("/spamlist", a.addSpam)
	n.DELETE("/spamlist", a.removeSpam)
	n.GET("/spamlist/check", a.checkSpam)
	n.GET("/events", a.listEvents)
	n.GET("/webhooks", a.listWebhooks)
	n.POST("/webhooks", a.createWebhook)
	n.GET("/webhooks/:id", a.getWebhook)
	n.PUT("/webhooks/:id", a.updateWebhook)
	n.DELETE("/webhooks/:id", a.deleteWebhook)
	n.POST("/webhooks/:id/rotate-secret", a.rotateWebhookSecret)
	n.POST("/webhooks/:id/test", a.testWebhook)
	n.GET("/webhooks/:id/deliveries", a.listDeliveries)
	n.GET("/webhooks/:id/deliveries/:delivery", a.getDelivery)
	n.POST("/webhooks/:id/deliveries/:delivery/redeliver", a.redeliver)
	n.POST("/imports", a.createImport, a.idempotent)
	n.GET("/imports", a.listImports)
	n.GET("/imports/:id", a.getImport)
	n.GET("/imports/:id/status", a.importStatus)
	n.GET("/imports/:id/errors", a.importErrors)
	n.POST("/imports/:id/cancel", a.cancelImport)
	n.GET("/inquiries", a.listInquiries)
	n.POST("/inquiries", a.createInquiry, a.idempotent)
	n.GET("/inquiries/:id", a.getInquiry)
	n.PUT("/inquiries/:id", a.replaceInquiry)
	n.PATCH("/inquiries/:id", a.patchInquiry)
	n.DELETE("/inquiries/:id", a.deleteInquiry)
	n.GET("/inquiry-statuses", a.listInquiryStatuses)
	n.POST("/inquiry-statuses", a.createInquiryStatus)
	n.GET("/inquiry-statuses/:id", a.getInquiryStatus)
	n.PUT("/inquiry-statuses/:id", a.updateInquiryStatus)
	n.PATCH("/inquiry-statuses/:id", a.patchInquiryStatus)
	n.DELETE("/inquiry-statuses/:id", a.deleteInquiryStatus)
	n.GET("/inquiry-sources", a.listInquirySources)
	n.POST("/inquiry-sources", a.createInquirySource)
	n.GET("/inquiry-sources/:id", a.getInquirySource)
	n.PUT("/inquiry-sources/:id", a.updateInquirySource)
	n.PATCH("/inquiry-sources/:id", a.patchInquirySource)
	n.DELETE("/inquiry-sources/:id", a.deleteInquirySource)
	n.GET("/inquiry-score-weights", a.getInquiryScoreWeights)
	n.PUT("/inquiry-score-weights", a.setInquiryScoreWeights)
	n.POST("/import", a.createFileImport)
	n.POST("/import/map/:uuid", a.mapFileImport)
	n.POST("/import/start/:uuid", a.startFileImport)
	n.GET("/import/:uuid/error-report", a.fileImportErrorReport)
	n.GET("/import", a.listFileImports)
	n.GET("/import/:uuid", a.getFileImport)
	n.GET("/staff", a.listStaff)
	n.POST("/staff", a.createStaff)
	n.GET("/staff/:id", a.getStaff)
	n.PUT("/staff/:id", a.updateStaff)
	n.PATCH("/staff/:id", a.patchStaff)
	n.DELETE("/staff/:id", a.deleteStaff)
}

// routeGroup adds routes with middleware of their own. Echo's group middleware
// would register catch-all routes for every method, and a wrong method on a known
// path would then answer 404 instead of 405 with an Allow header. A route may add
// middleware of its own, run after the group's: a.idempotent on requests that create.
type routeGroup struct {
	g  *echo.Group
	mw []echo.MiddlewareFunc
}

func guarded(g *echo.Group, mw ...echo.MiddlewareFunc) routeGroup { return routeGroup{g, mw} }

func (r routeGroup) GET(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.g.GET(path, h, r.with(mw)...)
}
func (r routeGroup) POST(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.g.POST(path, h, r.with(mw)...)
}
func (r routeGroup) PUT(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.g.PUT(path, h, r.with(mw)...)
}
func (r routeGroup) DELETE(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.g.DELETE(path, h, r.with(mw)...)
}
func (r routeGroup) PATCH(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.g.PATCH(path, h, r.with(mw)...)
}

// with is the group's middleware followed by a route's own.
func (r routeGroup) with(mw []echo.MiddlewareFunc) []echo.MiddlewareFunc {
	return append(slices.Clip(r.mw), mw...)
}

// normalizePath accepts the spellings Quentn clients use: "v1" as well as "V1", and a
// trailing slash (the official PHP SDK posts to contact/).
func normalizePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if p, changed := canonicalPath(u.Path); changed {
			u.Path = p
			// Echo routes on RawPath when the client escaped a character that means
			// something in a path (a term named "a/b" as a%2Fb); it must stay the
			// escaped form of the same route, or the parameter would split in two.
			if u.RawPath != "" {
				u.RawPath, _ = canonicalPath(u.RawPath)
			}
		}
		return next(c)
	}
}

// canonicalPath is p with the Quentn prefix spelled "V1" and no trailing slash.
func canonicalPath(p string) (string, bool) {
	q := p
	if rest, ok := strings.CutPrefix(q, "/public/api/v1"); ok {
		q = quentnPrefix + rest
	}
	if len(q) > 1 && strings.HasSuffix(q, "/") {
		q = strings.TrimRight(q, "/")
	}
	return q, q != p
}

// pathParam is the path parameter name decoded exactly once, or ENOTFOUND naming the
// thing it refers to. Echo hands out parameters as they appear in the path it routed
// on: already decoded from URL.Path, or still escaped from URL.RawPath, which Go sets
// when the client's escaping differs from Go's own (%2F, %41, lower-case hex …).
// Decoding unconditionally would read a term named "x%20y" as "x y" — another term.
//
// A value with a NUL byte or that is not UTF-8 is not found either: no id, name or
// mail can hold one, and PostgreSQL refuses such text as a query argument (a 500
// otherwise).
func pathParam(c echo.Context, name, thing string) (string, error) {
	v := c.Param(name)
	notFound := models.Errorf(models.ENOTFOUND, "%s %s not found", thing, models.Quote(v))
	if c.Request().URL.RawPath != "" {
		var err error
		if v, err = url.PathUnescape(v); err != nil {
			return "", notFound
		}
	}
	if !isText(v) {
		return "", notFound
	}
	return v, nil
}

// isText reports whether s can be a query argument: UTF-8 without NUL bytes, which
// no stored id, name or mail holds and PostgreSQL refuses as text.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// singleQueryValues refuses a query parameter the API reads given twice (?q=a&q=b):
// handlers read one value, and the others would be dropped without a word. fields may
// repeat; its lists are joined (?fields=mail&fields=terms). Parameters no handler reads
// (a cache buster) are left alone.
func singleQueryValues(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var v models.ValidationError
		for _, name := range slices.Sorted(maps.Keys(c.QueryParams())) {
			if len(c.QueryParams()[name]) > 1 && readQueryParams[name] {
				v.Add(name, "is given more than once; send it once")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		return next(c)
	}
}

// readQueryParams are the query parameters some handler reads with one value.
var readQueryParams = map[string]bool{
	"after": true, "before": true, "contact_id": true, "cursor": true, "ip": true, "limit": true, "mail": true,
	"offset": true, "q": true, "range": true, "sort": true, "state": true, "term": true, "updated_since": true,
	// GET /api/v1/inquiries
	"assignee": true, "band": true, "category": true, "created_since": true, "customer": true, "follow_up_by": true,
	"score_max": true, "score_min": true, "source": true, "status": true, "status_kind": true, "tag": true,
}

// bodyLimit caps request bodies: 413 up front for a declared Content-Length, and a
// capped reader for chunked bodies. A route in routes has its own cap.
//
// An answer given while the body is still unread (a bad key, a body not declared as
// JSON, a route that reads none) closes the connection. Otherwise net/http reads up to
// 256 KiB of what is left of the body before it sends the answer, and a client that
// sends its body slowly, or not at all, would wait for a 401 that is already decided.
func bodyLimit(defaultMax int64, routes map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			max := defaultMax
			if m, ok := routes[c.Path()]; ok && c.Request().Method == http.MethodPost {
				max = m
			}
			r := c.Request()
			body := &endSeen{ReadCloser: r.Body}
			c.Response().Before(func() {
				if r.ContentLength != 0 && !body.ended {
					c.Response().Header().Set(echo.HeaderConnection, "close")
				}
			})
			if r.ContentLength > max {
				return models.Errorf(models.ETOOLARGE, "request body is larger than %d bytes", max)
			}
			body.ReadCloser = http.MaxBytesReader(c.Response(), r.Body, max)
			r.Body = body
			return next(c)
		}
	}
}

// endSeen is a request body that remembers whether it was read to its end.
type endSeen struct {
	io.ReadCloser
	ended bool
}

func (b *endSeen) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.ended = true
	}
	return n, err
}

// healthz handles GET /healthz: the process is up.
func (a *API) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: 503 when a critical dependency fails; a degraded
// non-critical one (Redis with a local fallback) is reported but keeps the replica in.
// Each dependency shows only ok or unavailable: the error (hosts, ports, user names)
// goes to the log, not to whoever can reach the endpoint.
func (a *API) readyz(c echo.Context) error {
	checks := map[string]string{}
	status, state := http.StatusOK, "ready"
	if a.Ready != nil {
		for _, ch := range a.Ready(c.Request().Context()) {
			a.readiness.record(a.Log, ch, time.Now())
			switch {
			case ch.Err == nil:
				checks[ch.Name] = "ok"
			case ch.Critical:
				checks[ch.Name] = "unavailable"
				status, state = http.StatusServiceUnavailable, "not ready"
			default:
				checks[ch.Name] = "unavailable"
				if state == "ready" {
					state = "degraded"
				}
			}
		}
	}
	return c.JSON(status, map[string]any{"status": state, "checks": checks})
}

// readinessLog logs failed readiness checks: when a dependency fails, again at most
// once a minute while it stays down (probes come every few seconds), and when it is
// back.
type readinessLog struct {
	mu     sync.Mutex
	logged map[string]time.Time // failing dependencies, when last logged
}

func (r *readinessLog) record(log *slog.Logger, ch Check, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last, failing := r.logged[ch.Name]
	switch {
	case ch.Err == nil && failing:
		delete(r.logged, ch.Name)
		log.Info("readiness check recovered", "dependency", ch.Name)
	case ch.Err != nil && (!failing || now.Sub(last) >= time.Minute):
		if r.logged == nil {
			r.logged = map[string]time.Time{}
		}
		r.logged[ch.Name] = now
		log.Warn("readiness check failed", "dependency", ch.Name, "critical", ch.Critical, "err", ch.Err)
	}
}
