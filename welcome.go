package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/contacthub/contacthub/store"
)

// terminal is a writer that knows whether a person reads it (tests say so; an
// *os.File asks the operating system).
type terminal interface{ IsTerminal() bool }

// isTerminal reports whether w is a terminal: only then does the bootstrap key go to
// it. Anything else — a pipe, a file, docker's or systemd's log collector — may end
// up in a log pipeline.
func isTerminal(w io.Writer) bool {
	switch w := w.(type) {
	case terminal:
		return w.IsTerminal()
	case *os.File:
		fi, err := w.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return false
}

// bootstrapKeyPath is where a new bootstrap key is written when stdout is not a
// terminal: CONTACTHUB_BOOTSTRAP_KEY_FILE, else bootstrap-api-key beside the SQLite
// database (./data by default, /data in the container image), else in the working
// directory.
func bootstrapKeyPath(cfg Config) string {
	if cfg.BootstrapKeyFile != "" {
		return cfg.BootstrapKeyFile
	}
	if store.IsPostgresURL(cfg.DatabaseURL) {
		return "bootstrap-api-key"
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(cfg.DatabaseURL, "sqlite://"), "file:"), "?")
	if path == "" || path == ":memory:" {
		path = filepath.Join("data", "contacthub.db") // the store's default
	}
	return filepath.Join(filepath.Dir(path), "bootstrap-api-key")
}

// writeKeyFile writes key to path, readable by this user only; an existing file is
// replaced and made private.
func writeKeyFile(path, key string) (string, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return path, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return path, err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return path, err
	}
	return path, f.Close()
}

// announce tells the operator where the server listens and how to reach it with the
// key bootstrap created (key is "" when it created none). The bootstrap key never
// reaches a log: it is printed only when stdout is a terminal; otherwise it goes to a
// file with mode 0600 whose path is logged (a key the operator configured is not
// repeated anywhere). The welcome text goes to stdout unless the logs are JSON and
// stdout is no terminal: then a log line says the same, and stdout stays empty for a
// log pipeline that reads both streams.
func announce(stdout io.Writer, cfg Config, log *slog.Logger, addr, key string, tenant int64) {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	tty := isTerminal(stdout)
	configured := key != "" && key == cfg.BootstrapAPIKey

	var keyLine string
	shown := "<your API key>"
	switch {
	case key == "":
	case tty:
		keyLine = fmt.Sprintf("API key for tenant %d (shown once, keep it): %s", tenant, key)
		shown = key
	case configured:
		keyLine = fmt.Sprintf("API key for tenant %d: the value of CONTACTHUB_BOOTSTRAP_API_KEY", tenant)
	default:
		path, err := writeKeyFile(bootstrapKeyPath(cfg), key)
		if err != nil {
			log.Error("could not write the bootstrap API key to a file; create a key with `contacthub keys create --tenant N`",
				"tenant", tenant, "path", path, "err", err)
			keyLine = fmt.Sprintf("API key for tenant %d: not written (see the log); create one with contacthub keys create --tenant %d", tenant, tenant)
			break
		}
		log.Warn("bootstrap API key written to a file readable only by this user: read it, keep it elsewhere, delete the file",
			"tenant", tenant, "path", path)
		keyLine = fmt.Sprintf("API key for tenant %d written to %s (mode 0600): keep it elsewhere and delete the file", tenant, path)
	}

	if cfg.LogFormat == "json" && !tty {
		log.Info("contacthub is listening", "url", base, "docs", base+"/docs", "openapi", base+"/openapi.json")
		return
	}
	// One write: whoever reads the output (a person, a test waiting for the curl
	// line) sees the whole message at once.
	var b strings.Builder
	fmt.Fprintf(&b, "contacthub is listening on %s\n", base)
	if keyLine != "" {
		fmt.Fprintln(&b, keyLine)
	}
	fmt.Fprintf(&b, "Try it:\n  curl -H 'Authorization: Bearer %s' %s/public/api/V1/check-credentials\n", shown, base)
	fmt.Fprintf(&b, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"contact\":{\"mail\":\"jane@example.com\",\"first_name\":\"Jane\"}}' %s/public/api/V1/contact\n", shown, base)
	fmt.Fprintf(&b, "Every endpoint: %s/docs (OpenAPI: %s/openapi.json)\n", base, base)
	io.WriteString(stdout, b.String())
}
