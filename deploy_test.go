package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDeployFiles keeps the Dockerfile and docker-compose.yml honest where nothing
// else would notice: the build image's Go is go.mod's, compose ships no known API key,
// PostgreSQL counts as healthy only once it accepts TCP connections, and the health
// checks ask the port the server is configured to listen on.
func TestDeployFiles(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	gomod, dockerfile, compose := read("go.mod"), read("Dockerfile"), read("docker-compose.yml")

	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(gomod)
	image := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindStringSubmatch(dockerfile)
	if goVersion == nil || image == nil || goVersion[1] != image[1] {
		t.Errorf("go.mod's go %v, the Dockerfile's GO_VERSION %v: want the same", goVersion, image)
	}
	if !strings.Contains(dockerfile, "FROM golang:${GO_VERSION}-alpine") {
		t.Error("the Dockerfile's build image does not use GO_VERSION")
	}
	if m := regexp.MustCompile(`CONTACTHUB_BOOTSTRAP_API_KEY: "\$\{CONTACTHUB_BOOTSTRAP_API_KEY:-([^}]*)\}"`).FindStringSubmatch(compose); m == nil || m[1] != "" {
		t.Errorf("compose's bootstrap key default %v: want none (a random key on the first start)", m)
	}
	if !strings.Contains(compose, "pg_isready -h 127.0.0.1") {
		t.Error("compose's PostgreSQL health check does not use TCP (pg_isready -h 127.0.0.1)")
	}
	for name, text := range map[string]string{"Dockerfile": dockerfile, "docker-compose.yml": compose} {
		if strings.Contains(text, "127.0.0.1:8080/readyz") || !strings.Contains(text, "CONTACTHUB_ADDR##*:}/readyz") {
			t.Errorf("%s: the health check does not ask the port of CONTACTHUB_ADDR", name)
		}
	}
}
