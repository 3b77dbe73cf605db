package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDocsAssets: the page names its scripts relative to how it was asked for, runs
// only scripts of this server (no inline script), and the scripts are served —
// compressed for clients that accept gzip — while other names are 404.
func TestDocsAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for path, dir := range map[string]string{"/docs": "docs/", "/docs/": "./"} {
		rec := b.do(t, http.MethodGet, path, nil, withKey(""))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: Content-Security-Policy %q, want scripts of this server only", path, csp)
		}
		srcs := regexp.MustCompile(`<script src="([^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1)
		if len(srcs) != 2 || strings.Contains(rec.Body.String(), "<script>") {
			t.Fatalf("GET %s: scripts %q, want the renderer and init.js and no inline script", path, srcs)
		}
		for _, src := range srcs {
			if !strings.HasPrefix(src[1], dir) {
				t.Errorf("GET %s: script %q, want it under %q", path, src[1], dir)
			}
			asset := "/docs/" + strings.TrimPrefix(src[1], dir)
			plain := b.do(t, http.MethodGet, asset, nil, withKey(""))
			if plain.Code != http.StatusOK || !strings.HasPrefix(plain.Header().Get("Content-Type"), "text/javascript") || plain.Body.Len() == 0 {
				t.Fatalf("GET %s: %d %q, %d bytes", asset, plain.Code, plain.Header().Get("Content-Type"), plain.Body.Len())
			}
			zipped := b.do(t, http.MethodGet, asset, nil, withKey(""), withHeader("Accept-Encoding", "gzip, br"))
			if zipped.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("GET %s with gzip: Content-Encoding %q", asset, zipped.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(zipped.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
				t.Errorf("GET %s with gzip: does not unpack to the file (%v)", asset, err)
			}
		}
	}
	if rec := b.do(t, http.MethodGet, "/docs/LICENSE.scalar", nil, withKey("")); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "MIT License") {
		t.Errorf("GET /docs/LICENSE.scalar: %d, want the renderer's licence", rec.Code)
	}
	for _, name := range []string{"index.html", "README.md", "..%2Fopenapi.go", "nope.js"} {
		b.fail(t, http.MethodGet, "/docs/"+name, nil, http.StatusNotFound, withKey(""))
	}
}
