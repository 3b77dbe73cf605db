package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// headAsGet serves HEAD as GET without the body (RFC 9110 9.3.2): the request is
// routed, authenticated, limited and answered exactly as GET is — status, headers,
// errors — and only the body is dropped, its length sent as Content-Length. A HEAD on
// an unknown path is therefore a 404 and on a path without GET a 405, as GET would be.
//
// Registering HEAD beside each GET route would run the handlers with method HEAD:
// the error handler answers HEAD without a Content-Type, and net/http sends the length
// only of bodies that fit its buffer. Rewriting the method before routing keeps one
// code path.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodHead {
			return next(c)
		}
		// Echo routes on this very request, after the Pre middleware: change it in place.
		r.Method = http.MethodGet
		w := &headWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		done := false
		defer func() {
			if !done { // a panic: recoverPanics answers it, to a HEAD on the real writer
				r.Method = http.MethodHead
				c.Response().Writer = w.ResponseWriter
			}
		}()
		if err := next(c); err != nil {
			c.Error(err) // while the method is GET, so the error is written as for GET
		}
		done = true
		// net/http must see HEAD again: it then expects no body after a Content-Length
		// and keeps the connection.
		r.Method = http.MethodHead
		w.flush()
		return nil
	}
}

// headWriter holds back the status until the handler is done, counting the body
// instead of sending it, so the answer can carry the body's Content-Length.
type headWriter struct {
	http.ResponseWriter
	status int
	size   int64
}

func (w *headWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.size += int64(len(p))
	return len(p), nil
}

// Flush does nothing: nothing is sent before the handler is done.
func (w *headWriter) Flush() {}

func (w *headWriter) flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.ResponseWriter.Header()
	if h.Get(echo.HeaderContentLength) == "" && bodyAllowed(w.status) {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(w.size, 10))
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// bodyAllowed reports whether a response of this status may have a body (and so a
// Content-Length): not 1xx, 204 or 304.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// advertiseHead adds HEAD to the Allow header (405, OPTIONS) of a path that has GET,
// since headAsGet serves it; Echo lists only the methods routes are registered for.
func advertiseHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Before(func() {
			h := c.Response().Header()
			methods := strings.Split(h.Get(echo.HeaderAllow), ", ")
			if i := slices.Index(methods, http.MethodGet); i >= 0 && !slices.Contains(methods, http.MethodHead) {
				h.Set(echo.HeaderAllow, strings.Join(slices.Insert(methods, i+1, http.MethodHead), ", "))
			}
		})
		return next(c)
	}
}
