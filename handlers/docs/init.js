// Starts the bundled Scalar API reference on this server's own OpenAPI document.
// Everything is taken relative to this script, so the page also works behind a
// reverse proxy that serves contacthub under a path prefix.
"use strict";
(function () {
  var base = new URL("../", document.currentScript.src); // the server's root
  var server = base.href.replace(/\/$/, "");
  Scalar.createApiReference("#app", {
    url: new URL("openapi.json", base).href,
    // "Try it" sends requests from the browser to this server, with the key the
    // reader enters under Authentication (kept for the tab only, never stored).
    servers: [{ url: server, description: "This server" }],
    authentication: { preferredSecurityScheme: "bearerAuth" },
    persistAuth: false,
    // Nothing from elsewhere: no web fonts, no telemetry, no hosted AI agent or MCP
    // helpers, no Scalar proxy (requests go straight to this server).
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    documentDownloadType: "json",
    hideClientButton: true, // "Open API Client" would leave for a hosted client
    defaultOpenAllTags: false,
    orderSchemaPropertiesBy: "preserve",
  });
})();
