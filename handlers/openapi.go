package handlers

import (
	"bytes"
	"compress/gzip"
	"embed"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// openAPISpec describes every route of Register. It is written by hand and kept honest
// by openapi_test.go, which compares it with the router and the models' field tables.
//
//go:embed openapi.json
var openAPISpec []byte

// docsFiles are the /docs page and the renderer it runs (docs/README.md): Scalar's API
// reference, bundled so that the page needs no internet access.
//
//go:embed docs/index.html docs/init.js docs/scalar-api-reference-1.76.4.js docs/LICENSE.scalar
var docsFiles embed.FS

// docsBundle is the renderer's file name; the version in it lets browsers keep it.
const docsBundle = "scalar-api-reference-1.76.4.js"

// docsCSP lets the page run only the scripts this server serves and fetch only from
// this server (the document, and the requests of "try it"), so nothing can load from
// elsewhere, whatever the renderer would like to. Inline styles are allowed: the
// renderer sets them on its elements.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsAssets are the files served under /docs/, with their types and how long
// browsers may keep them.
var docsAssets = map[string]struct{ contentType, cacheControl string }{
	docsBundle:       {"text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
	"init.js":        {"text/javascript; charset=utf-8", "no-cache"},
	"LICENSE.scalar": {echo.MIMETextPlainCharsetUTF8, "no-cache"},
}

// openAPI handles GET /openapi.json: the embedded document as it is, never re-encoded.
func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPISpec)
}

// docs handles GET /docs: the page that renders /openapi.json with the bundled renderer.
// Its assets are named relative to the page as the browser sees it (/docs or /docs/,
// perhaps below a proxy's prefix); RequestURI is the path as sent, before normalizePath.
func docs(c echo.Context) error {
	page, err := docsFiles.ReadFile("docs/index.html")
	if err != nil {
		return err
	}
	dir := "docs"
	if path, _, _ := strings.Cut(c.Request().RequestURI, "?"); strings.HasSuffix(path, "/") {
		dir = "."
	}
	c.Response().Header().Set("Content-Security-Policy", docsCSP)
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, bytes.ReplaceAll(page, []byte("ASSETS/"), []byte(dir+"/")))
}

// docsAsset handles GET /docs/{file}: the renderer, its start script and its licence,
// gzip-compressed for clients that accept it (the renderer is 4.9 MB, 1.3 MB
// compressed).
func docsAsset(c echo.Context) error {
	name := c.Param("file")
	asset, ok := docsAssets[name]
	if !ok {
		return models.Errorf(models.ENOTFOUND, "no file %s in the documentation", models.Quote(name))
	}
	body, err := docsFiles.ReadFile("docs/" + name)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("Cache-Control", asset.cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = gzipped(name, body)
	}
	return c.Blob(http.StatusOK, asset.contentType, body)
}

// gzipCache holds each asset compressed, made on the first request that accepts it.
var gzipCache sync.Map // name → func() []byte (sync.OnceValue)

func gzipped(name string, body []byte) []byte {
	f, _ := gzipCache.LoadOrStore(name, sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		return buf.Bytes()
	}))
	return f.(func() []byte)()
}
