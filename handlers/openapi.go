package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPISpec describes every route of Register. It is written by hand and kept honest
// by openapi_test.go, which compares it with the router and the models' field tables.
//
//go:embed openapi.json
var openAPISpec []byte

// docsHTML renders openAPISpec in the browser. It is self-contained (no CDN, fonts or
// scripts from elsewhere) because a self-hosted server may have no internet access.
//
//go:embed docs.html
var docsHTML []byte

// docsCSP lets the page run only its own inline script and style and fetch only from
// this server, so nothing can load from elsewhere even if the page is changed later.
const docsCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'"

// openAPI handles GET /openapi.json: the embedded document as it is, never re-encoded.
func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPISpec)
}

// docs handles GET /docs: a page that fetches /openapi.json and renders it.
func docs(c echo.Context) error {
	c.Response().Header().Set("Content-Security-Policy", docsCSP)
	return c.HTMLBlob(http.StatusOK, docsHTML)
}
