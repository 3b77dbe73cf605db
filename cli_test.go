package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersion: `contacthub version` and `--version` print the version, the commit and
// the Go version; without link-time values they fall back to the build info.
func TestVersion(t *testing.T) {
	t.Parallel()
	want := regexp.MustCompile(`^contacthub \S+ \(commit \S+, ` + regexp.QuoteMeta(runtime.Version()) + ` \S+/\S+\)\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := runCLI(t, env{}, args...)
		if err != nil || !want.MatchString(out) {
			t.Errorf("contacthub %s = %q, %v; want %s", args[0], out, err, want)
		}
	}
	if b := currentBuild(); b.Version == "" || b.Commit == "" || b.Go != runtime.Version() {
		t.Errorf("currentBuild() = %+v", b)
	}
}

// TestVersionLinked builds the binary as a release is built, with the version and the
// commit given to the linker, and runs both forms of the version command.
func TestVersionLinked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "contacthub")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7-test -X main.commit=0123abcd", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := "contacthub 9.8.7-test (commit 0123abcd, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil || string(out) != want {
			t.Errorf("contacthub %s = %q, %v; want %q", arg, out, err, want)
		}
	}
}

// TestFlagsPerCommand: the server's settings are flags of the root and serve commands
// only, the database and log settings also of the commands that use the database,
// and version and completion take none; every setting is an environment variable and
// a flag, named alike.
func TestFlagsPerCommand(t *testing.T) {
	t.Parallel()
	help := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, env{}, append(args, "--help")...)
		if err != nil {
			t.Fatalf("contacthub %s --help: %v", strings.Join(args, " "), err)
		}
		return out
	}
	server := []string{"serve"}
	database := [][]string{{"migrate"}, {"tenants", "list"}, {"tenants", "delete"}, {"keys", "create"}, {"keys", "list"}, {"keys", "revoke"},
		{"spamlist", "load"}, {"spamlist", "list"}, {"spamlist", "remove"}, {"export"}}
	none := [][]string{{"version"}, {"completion", "bash"}}
	for _, s := range settings {
		flag, variable := "--"+s.flag+" ", envName(s.flag)
		for _, cmd := range [][]string{{}, server} {
			if h := help(cmd...); !strings.Contains(h, flag) || !strings.Contains(h, variable) {
				t.Errorf("contacthub %s lacks %s (%s)", strings.Join(cmd, " "), flag, variable)
			}
		}
		for _, cmd := range database {
			if got := strings.Contains(help(cmd...), flag); got == s.server {
				t.Errorf("contacthub %s: has %s = %v, want %v", strings.Join(cmd, " "), flag, got, !s.server)
			}
		}
		for _, cmd := range none {
			if strings.Contains(help(cmd...), flag) {
				t.Errorf("contacthub %s has %s", strings.Join(cmd, " "), flag)
			}
		}
	}
	// A server flag on another command is refused, not ignored.
	if _, err := runCLI(t, tempEnv(t), "keys", "list", "--tenant", "1", "--addr", ":1"); err == nil || !strings.Contains(err.Error(), "unknown flag: --addr") {
		t.Errorf("keys list --addr: %v, want unknown flag", err)
	}
}

// TestFlagOverridesEnvironment: a flag wins over its variable, for every kind of
// setting, and a variable that does not parse is named in the error.
func TestFlagOverridesEnvironment(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	flagDB := filepath.Join(t.TempDir(), "from-flag.db")
	mustRun(t, e, "migrate", "--database-url", flagDB, "--log-level", "error")
	if _, err := os.Stat(flagDB); err != nil {
		t.Fatalf("migrate --database-url: %v", err)
	}
	if _, err := os.Stat(e["CONTACTHUB_DATABASE_URL"]); !os.IsNotExist(err) {
		t.Errorf("the database of the environment was used too: %v", err)
	}
	var cfg Config
	if err := func() error {
		c, err := configFromEnv(env{"CONTACTHUB_SHUTDOWN_TIMEOUT": "5s", "CONTACTHUB_MAX_BODY_BYTES": "2048", "CONTACTHUB_DB_MAX_CONNS": "3"}.get)
		cfg = c
		return err
	}(); err != nil {
		t.Fatal(err)
	}
	if cfg.ShutdownTimeout.String() != "5s" || cfg.MaxBodyBytes != 2048 || cfg.DBMaxConns != 3 || cfg.Addr != ":8080" {
		t.Errorf("config from the environment: %+v", cfg)
	}
	if _, err := configFromEnv(env{"CONTACTHUB_DB_MAX_CONNS": "many"}.get); err == nil || !strings.Contains(err.Error(), "CONTACTHUB_DB_MAX_CONNS") {
		t.Errorf("a variable that does not parse: %v, want an error naming it", err)
	}
}

// TestCLISpamlist: load, list and remove entries of the global list and of a tenant's.
func TestCLISpamlist(t *testing.T) {
	t.Parallel()
	e := tempEnv(t)
	list := filepath.Join(t.TempDir(), "block.netset")
	if err := os.WriteFile(list, []byte("# test\n192.0.2.0/24\n198.51.100.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, e, "spamlist", "load", list)
	rows := func(args ...string) []string {
		t.Helper()
		out := mustRun(t, e, append([]string{"spamlist", "list"}, args...)...)
		var entries []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Fields(l)
			if len(f) != 4 || f[2] != "block.netset" {
				t.Fatalf("spamlist list line %q: want ID ENTRY SOURCE ADDED", l)
			}
			entries = append(entries, f[1])
		}
		return entries
	}
	if got := rows(); strings.Join(got, " ") != "192.0.2.0/24 198.51.100.7" {
		t.Fatalf("spamlist list = %q", got)
	}
	if out := mustRun(t, e, "spamlist", "remove", "198.51.100.7"); !strings.Contains(out, "removed 198.51.100.7 from the global list") {
		t.Errorf("spamlist remove printed %q", out)
	}
	if got := rows(); strings.Join(got, " ") != "192.0.2.0/24" {
		t.Fatalf("after remove: %q", got)
	}
	tenant := strings.TrimSpace(mustRun(t, e, "tenants", "create", "Acme"))
	mustRun(t, e, "spamlist", "load", list, "--tenant", tenant)
	if got := rows("--tenant", tenant); len(got) != 2 {
		t.Fatalf("tenant's list = %q", got)
	}
	for _, args := range [][]string{
		{"spamlist", "remove", "198.51.100.7"},   // not listed (any more)
		{"spamlist", "remove", "not-an-address"}, // does not parse
		{"spamlist", "list", "--tenant", "99"},   // no such tenant
		{"spamlist", "remove", "--tenant", "99", "192.0.2.0/24"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, e.get, &stdout, &stderr); err == nil {
			t.Errorf("contacthub %s succeeded: %s", strings.Join(args, " "), stdout.String())
		}
	}
	if got := rows(); strings.Join(got, " ") != "192.0.2.0/24" {
		t.Errorf("the global list changed: %q", got)
	}
}
