package handlers_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// artifactDir is where tests leave files for a person to look at: screenshots of the
// docs page. .ci/run prints it; CONTACTHUB_CI_ARTIFACTS overrides the default.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CONTACTHUB_CI_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "contacthub-ci-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	return dir
}

// TestDocsInChromium loads /docs in headless Chromium, as a reader would: the bundled
// renderer must run under the page's Content-Security-Policy (nothing from elsewhere),
// its search must find an operation by the name of a body field, and "try it" must
// send a request with the key typed into the page and show the server's answer.
// Screenshots of the search and of the answer are saved as CI artefacts.
func TestDocsInChromium(t *testing.T) {
	b := setup(t)
	srv := httptest.NewServer(b.e)
	t.Cleanup(srv.Close)
	br := startBrowser(t, 1400, 1000)
	// Generous: the page takes seconds on an idle machine, a minute on a loaded one.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	artifacts := artifactDir(t)

	// A violation of the policy (a script, font or request to elsewhere) is reported
	// to the page; the page counts them.
	br.call(br.session, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `
		window.__cspViolations = [];
		document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));`}, nil)
	br.navigate(srv.URL + "/docs")
	br.waitFor(ctx, "the rendered reference", `!!document.querySelector("button.show-api-client-button")`)

	// Search for a field that only the request bodies of the create operations name.
	const field = "duplicate_merge_method"
	if err := br.eval(`document.querySelector("button.bg-sidebar-b-search, [class*=search] button, button[aria-label*=earch]").click()`, nil); err != nil {
		t.Fatalf("open the search: %v", err)
	}
	searchBox := `document.querySelector('[role=dialog] input[role=combobox]')`
	br.waitFor(ctx, "the search box", "!!"+searchBox)
	if err := br.eval(searchBox+".focus()", nil); err != nil {
		t.Fatal(err)
	}
	br.call(br.session, "Input.insertText", map[string]any{"text": field}, nil)
	results := `(document.getElementById(` + searchBox + `.getAttribute("aria-controls"))?.innerText || "")`
	br.waitFor(ctx, "search results naming the create operation", results+`.includes("Create a contact")`)
	var found string
	_ = br.eval(results, &found)
	if !strings.Contains(found, "Create up to 1,000 contacts") {
		t.Errorf("searching %q found %q, want both create operations", field, found)
	}
	save(t, filepath.Join(artifacts, "docs-search.png"), br.screenshot())

	// Try it: check-credentials with the tenant's key typed into the request window.
	if err := br.eval(`document.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true})),
		document.querySelector('[id$="GET/public/api/V1/check-credentials"] button.show-api-client-button').click()`, nil); err != nil {
		t.Fatalf("open try it: %v", err)
	}
	tokenBox := `[...document.querySelectorAll('[role=dialog] input[placeholder=Token]')].pop()`
	br.waitFor(ctx, "the key box of try it", "!!"+tokenBox)
	if err := br.eval(tokenBox+".focus()", nil); err != nil {
		t.Fatal(err)
	}
	br.call(br.session, "Input.insertText", map[string]any{"text": b.tenant.Key}, nil)
	if err := br.eval(`[...document.querySelectorAll('[role=dialog] button')].find(b => b.textContent.trim().startsWith("Send")).click()`, nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	answer := `(document.querySelector('[role=dialog]')?.innerText || "")`
	br.waitFor(ctx, "the answer of check-credentials", answer+`.includes('"success"')`)
	var shown string
	_ = br.eval(answer, &shown)
	if !strings.Contains(shown, "200 OK") {
		t.Errorf("try it shows %q, want status 200", shown)
	}
	save(t, filepath.Join(artifacts, "docs-try-it.png"), br.screenshot())

	// The one expected report: the bundle's schema library (zod) probes once whether
	// it may compile validators with Function(""), and falls back when it may not.
	var violations []string
	if err := br.eval(`window.__cspViolations.filter(v => v !== "script-src eval")`, &violations); err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		raw, _ := json.Marshal(violations)
		t.Errorf("the page broke its Content-Security-Policy: %s", raw)
	}
	t.Logf("screenshots in %s", artifacts)
}

func save(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
