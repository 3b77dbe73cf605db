package handlers

import "github.com/labstack/echo/v4"

// MaxStoredResponse exports maxStoredResponse to the tests.
const MaxStoredResponse = maxStoredResponse

// IdempotentRoute registers POST path on e behind the API key and a.idempotent, so the
// tests can drive the middleware with handlers that fail, block or panic on demand.
func (a *API) IdempotentRoute(e *echo.Echo, path string, h echo.HandlerFunc) {
	e.POST(path, h, requireKey(a.Auth), a.idempotent)
}
