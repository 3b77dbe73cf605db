package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// The lean client reads what net/http's server writes — a Content-Length body, a
// chunked one, an error status — over one kept-alive connection, sends exactly the
// request it was given, and reconnects after the server closes.
func TestLeanClientReadsAnswersOnOneConnection(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/small":
			fmt.Fprintf(w, `{"id": 42, "got": %q}`, body)
		case "/big": // beyond net/http's buffer: sent chunked
			w.Write([]byte(`{"id":7,"pad":"` + strings.Repeat("x", 10_000) + `"}`))
		case "/missing":
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte(`{"id":9}`))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	l, err := newLeanClient(srv.URL, "k", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	get := func(path string) []byte {
		return leanRequest(nil, http.MethodGet, l.host, path, l.key, nil)
	}
	var got []byte
	keep := func(b []byte) error { got = append(got[:0], b...); return nil }
	l.bufs[0] = leanRequest(nil, http.MethodPost, l.host, "/small", l.key, []byte(`{"a":1}`))
	if err := l.send(0, l.bufs[0], keep); err != nil || string(got) != `{"id": 42, "got": "{\"a\":1}"}` {
		t.Fatalf("post: %v, %s", err, got)
	}
	for range 3 {
		if err := l.send(0, get("/small"), keep); err != nil || idOf(got) != 42 {
			t.Fatalf("small: %v, %q", err, got)
		}
		if err := l.send(0, get("/big"), keep); err != nil || idOf(got) != 7 || len(got) != 10_017 {
			t.Fatalf("big: %v, %d bytes", err, len(got))
		}
		err := l.send(0, get("/missing"), keep)
		var se *benchkit.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound || !strings.Contains(string(se.Body), "not found") {
			t.Fatalf("missing: %v", err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 10 requests, want 1", n)
	}
	if err := l.send(0, get("/close"), keep); err != nil || idOf(got) != 9 {
		t.Fatalf("close: %v, %q", err, got)
	}
	if err := l.send(0, get("/small"), keep); err != nil || idOf(got) != 42 {
		t.Fatalf("after close: %v, %q", err, got)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want a second one after Connection: close", n)
	}
	l2, _ := newLeanClient(srv.URL, "wrong", 1)
	defer l2.close()
	var se *benchkit.StatusError
	if err := l2.send(0, leanRequest(nil, http.MethodGet, l2.host, "/small", "wrong", nil), nil); !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := newLeanClient("https://127.0.0.1:1", "k", 1); err == nil {
		t.Fatal("https accepted")
	}
}

func TestLeanRequestAndIDOf(t *testing.T) {
	t.Parallel()
	req := string(leanRequest(nil, "POST", "127.0.0.1:80", "/p", "key", []byte(`{"x":"é"}`)))
	want := "POST /p HTTP/1.1\r\nHost: 127.0.0.1:80\r\nAuthorization: Bearer key\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"x\":\"é\"}"
	if req != want {
		t.Fatalf("request %q, want %q", req, want)
	}
	for body, id := range map[string]int64{`{"id":12,"x":{"id":3}}`: 12, `{"id": 5}`: 5, `{"ok":true}`: 0, `{"id":"a"}`: 0} {
		if got := idOf([]byte(body)); got != id {
			t.Errorf("idOf(%s) = %d, want %d", body, got, id)
		}
	}
}
