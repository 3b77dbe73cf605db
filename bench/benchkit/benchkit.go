// Package benchkit holds what contacthub's benchmark tools share: the rule that they
// only ever target this machine, and a small JSON client for the API.
package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
)

// CheckLoopback refuses any URL (http://…, postgres://…) whose host is not this
// machine: load tools must never send traffic elsewhere.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q: want a URL such as http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q: only loopback targets (127.0.0.1, ::1, localhost) are allowed", raw)
}

// CheckServer is CheckLoopback for the server under test: an http or https URL.
func CheckServer(base string) error {
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", base)
	}
	return CheckLoopback(base)
}

// Client calls the contacthub API with one API key.
type Client struct {
	Base, Key string
	HTTP      *http.Client
}

// StatusError is an answer with a status of 300 or more; Body holds the JSON error.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// Do sends one request and reads the whole answer, so the connection is reused. body is
// nil, raw JSON ([]byte) or a value to encode; out, when not nil, receives the decoded
// answer. Statuses of 300 and more return a *StatusError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return &StatusError{Status: resp.StatusCode, Body: data}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
