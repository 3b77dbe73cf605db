package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseFlagsRefusesOtherHostsAndUnboundedRuns(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-key", "k", "-url", "http://example.com"},
		{"-key", "k", "-url", "http://10.0.0.1:8080"},
		{"-key", "k", "-url", "ftp://127.0.0.1"},
		{"-url", "http://127.0.0.1:1"}, // no key
		{"-key", "k", "-duration", "11m"},
		{"-key", "k", "-duration", "0s"},
		{"-key", "k", "-n", "20000000"},
		{"-key", "k", "-c", "0"},
		{"-key", "k", "-c", "1,5000"},
		{"-key", "k", "-scenario", "delete-contact"},
		{"-key", "k", "-check", "fuzzy"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	o, err := parseFlags([]string{"-key", "k", "-url", "http://[::1]:9/", "-c", "1, 16", "-scenario", "all", "-n", "10"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.base != "http://[::1]:9" || len(o.clients) != 2 || o.clients[1] != 16 || len(o.scenarios) != 2 {
		t.Fatalf("options %+v", o)
	}
	o, err = parseFlags([]string{"-key", "k", "-scenario", "inquiries"}, io.Discard)
	if err != nil || strings.Join(o.scenarios, ",") != "post-form-contact,post-inquiry,post-inquiry-new" {
		t.Fatalf("inquiries: %+v, %v", o, err)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(l, p); got != want {
			t.Errorf("p%d = %s, want %s", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 || percentile(l[:1], 99) != time.Millisecond {
		t.Error("percentile of short lists")
	}
}

// TestRunAgainstFakeServer runs both scenarios with -n against a stand-in for the API
// and checks the requests and the table.
func TestRunAgainstFakeServer(t *testing.T) {
	t.Parallel()
	var posts, gets, nextID atomic.Int64
	mails := map[string]bool{}
	mailc := make(chan string, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/public/api/V1/check-credentials":
			io.WriteString(w, `{"success":true}`)
		case r.Method == http.MethodPost && r.URL.Path == "/public/api/V1/contact":
			posts.Add(1)
			var body struct {
				Contact struct{ Mail string }
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			mailc <- body.Contact.Mail
			json.NewEncoder(w).Encode(map[string]int64{"id": nextID.Add(1)})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/public/api/V1/contact/"):
			gets.Add(1)
			io.WriteString(w, `{"id":1}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-key", "secret", "-c", "1,4", "-n", "50", "-warmup", "0s", "-pool", "10"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	close(mailc)
	for m := range mailc {
		if mails[m] {
			t.Fatalf("mail %s posted twice", m)
		}
		mails[m] = true
	}
	// 2 post runs of 50, 2 pools of 10, 2 get runs of 50.
	if posts.Load() != 120 || gets.Load() != 100 {
		t.Fatalf("posts %d gets %d, want 120 and 100", posts.Load(), gets.Load())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "scenario") || !strings.HasPrefix(lines[1], "post-contact") || !strings.HasPrefix(lines[4], "get-contact") {
		t.Fatalf("table:\n%s", out.String())
	}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); f[2] != "50" || f[3] != "0" {
			t.Errorf("row %q: want 50 requests, 0 errors", l)
		}
	}
}

// TestMergeRuns: runs of one scenario taken in rounds are reported as one.
func TestMergeRuns(t *testing.T) {
	t.Parallel()
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	a := &result{Requests: 3, Errors: 1, Elapsed: time.Second, lat: ms(1, 5)}
	a.summarize()
	a.merge(&result{Requests: 2, Elapsed: time.Second, lat: ms(3, 9)})
	if a.Requests != 5 || a.Errors != 1 || a.PerSecond != 2 || a.P50 != 3*time.Millisecond || a.Max != 9*time.Millisecond {
		t.Fatalf("merged %+v", a)
	}
}
