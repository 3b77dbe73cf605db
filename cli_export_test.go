package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestCLIExport writes a tenant's contacts as CSV (every contact once, not another
// tenant's) and as JSON Lines; a missing tenant, an unknown tenant and a bad format fail.
func TestCLIExport(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	e := storeEnv(t)
	ctx := context.Background()
	tn, other := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	for _, x := range []storetest.Tenant{tn, other} {
		var subs []*models.Submission
		for i := range 7 {
			subs = append(subs, storetest.Submission(t, map[string]any{"mail": fmt.Sprintf("exp%d-%d@example.com", x.ID, i), "first_name": "Jörg"}))
		}
		if _, err := st.Ingest(ctx, x.ID, subs, models.IngestOptions{Check: models.CheckNone}); err != nil {
			t.Fatal(err)
		}
	}
	id := strconv.FormatInt(tn.ID, 10)
	out := mustRun(t, e, "export", "--tenant", id)
	r, err := importfile.OpenCSV(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	mail := -1
	for i, h := range r.Header() {
		if h == "mail" {
			mail = i
		}
	}
	var mails []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil || row.Err != nil {
			t.Fatal(err, row.Err)
		}
		mails = append(mails, row.Fields[mail])
	}
	if len(mails) != 7 || mails[0] != fmt.Sprintf("exp%d-0@example.com", tn.ID) {
		t.Fatalf("exported mails %q", mails)
	}

	out = mustRun(t, e, "export", "--tenant", id, "--format", "jsonl", "--updated-since", "0")
	if n := bytes.Count([]byte(out), []byte("\n")); n != 7 || !strings.Contains(out, `"first_name":"Jörg"`) {
		t.Fatalf("jsonl: %d lines: %s", n, out)
	}
	for _, args := range [][]string{
		{"export"},
		{"export", "--tenant", "999999999"},
		{"export", "--tenant", id, "--format", "xml"},
		{"export", "--tenant", id, "--updated-since", "yesterday"},
	} {
		if out, err := runCLI(t, e, args...); err == nil {
			t.Errorf("contacthub %s succeeded: %q", strings.Join(args, " "), out)
		}
	}
}
