package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// errPanicked is the error of a request whose handler panicked. recoverPanics has
// logged the panic; the error handler answers 500 with the fixed message and does not
// log it again.
var errPanicked = errors.New("handler panicked")

// recoverPanics turns a panic into errPanicked, logged once through log as one
// structured record (the panic value and the stack as attributes) instead of Echo's
// stack print: a bug in one request must neither kill the process nor write outside
// the log. http.ErrAbortHandler is passed on: it is how a handler aborts a response
// on purpose, and net/http handles it silently.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r)
				}
				req := c.Request()
				logOf(c, log).Error("panic serving request", "method", req.Method, "route", c.Path(),
					"path", models.Clip(req.URL.Path, models.MaxFieldLen), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = errPanicked
			}()
			return next(c)
		}
	}
}
