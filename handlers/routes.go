package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/contacthub/contacthub/models"
)

// API holds the dependencies of every handler. main fills it and calls Register.
type API struct {
	Auth         Authenticator
	Contacts     ContactStore
	CustomFields CustomFieldStore
	Merges       MergeStore
	// Ready reports the health of each dependency for /readyz (nil error = ready).
	Ready  func(ctx context.Context) map[string]error
	Log    *slog.Logger
	Limits Limits
}

// Limits are the request size limits.
type Limits struct {
	// MaxBodyBytes caps every request body (413 beyond). Default 10 MiB.
	MaxBodyBytes int64
}

// quentnPrefix is where the Quentn-compatible API lives; "v1" is rewritten to it.
const quentnPrefix = "/public/api/V1"

// New returns an Echo server with every route, the error handler and the middleware.
func New(a *API) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = HTTPErrorHandler(a.Log)
	e.Pre(normalizePath)
	e.Use(middleware.Recover())
	if a.Limits.MaxBodyBytes == 0 {
		a.Limits.MaxBodyBytes = 10 << 20
	}
	e.Use(bodyLimit(a.Limits.MaxBodyBytes))
	a.Register(e)
	return e
}

// Register adds every route. This is the whole API in one screen.
func (a *API) Register(e *echo.Echo) {
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)

	q := e.Group(quentnPrefix, requireKey(a.Auth))
	q.GET("/check-credentials", a.checkCredentials)
	q.POST("/contact", a.createContact)
	q.GET("/contact/:ref", a.getContact)
	q.PUT("/contact/:ref", a.updateContact)
	q.DELETE("/contact/:ref", a.deleteContact)
	q.GET("/custom-fields", a.listCustomFields)
	q.POST("/custom-fields", a.createCustomField)
	q.GET("/custom-fields/:ref", a.getCustomField)
	q.PUT("/custom-fields/:ref", a.updateCustomField)
	q.DELETE("/custom-fields/:ref", a.deleteCustomField)

	// Native API: what Quentn does not have.
	n := e.Group("/api/v1", requireKey(a.Auth))
	n.POST("/contacts", a.createContactNative)
	n.POST("/contacts/duplicates", a.findDuplicates)
	n.POST("/contacts/merge", a.mergeContacts)
	n.GET("/merges", a.listMerges)
	n.GET("/merges/:id", a.getMerge)
	n.POST("/merges/:id/undo", a.undoMerge)
}

// normalizePath accepts the spellings Quentn clients use: "v1" as well as "V1", and a
// trailing slash (the official PHP SDK posts to contact/).
func normalizePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		p := r.URL.Path
		if rest, ok := strings.CutPrefix(p, "/public/api/v1"); ok {
			p = quentnPrefix + rest
		}
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			p = strings.TrimRight(p, "/")
		}
		if p != r.URL.Path {
			r.URL.Path = p
			r.URL.RawPath = ""
		}
		return next(c)
	}
}

// bodyLimit caps request bodies: 413 up front for a declared Content-Length, and a
// capped reader for chunked bodies.
func bodyLimit(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > max {
				return models.Errorf(models.ETOOLARGE, "request body is larger than %d bytes", max)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
			return next(c)
		}
	}
}

// healthz handles GET /healthz: the process is up.
func (a *API) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: every dependency answers.
func (a *API) readyz(c echo.Context) error {
	checks := map[string]string{}
	status := http.StatusOK
	if a.Ready != nil {
		for name, err := range a.Ready(c.Request().Context()) {
			checks[name] = "ok"
			if err != nil {
				checks[name] = err.Error()
				status = http.StatusServiceUnavailable
			}
		}
	}
	state := "ready"
	if status != http.StatusOK {
		state = "not ready"
	}
	return c.JSON(status, map[string]any{"status": state, "checks": checks})
}
