package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADME keeps the README a user's page: the two commands, every setting with its
// variable and flag in the configuration table, and no reference to the project's
// internal planning.
func TestREADME(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, want := range []string{"go run .", "go test ./...", "## Point your Quentn integration at it", "## Docker compose"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
	for _, s := range settings {
		row := regexp.MustCompile("(?m)^\\| `" + envName(s.flag) + "`[^|]*\\| `--" + regexp.QuoteMeta(s.flag) + "` \\|")
		if !row.MatchString(readme) {
			t.Errorf("README's configuration table has no row for %s / --%s", envName(s.flag), s.flag)
		}
	}
	if m := regexp.MustCompile(`DESIGN\.md|shared/|\(issue \d+\)|later issues`).FindString(readme); m != "" {
		t.Errorf("README refers to internal planning: %q", m)
	}
}
