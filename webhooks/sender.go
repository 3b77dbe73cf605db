package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contacthub/contacthub/models"
)

// sender makes the HTTP requests of deliveries: one POST, no redirects followed, a
// time limit for the whole exchange, the answer read only up to its first 4 KiB, and
// every connection checked by the SSRF guard.
type sender struct {
	client    *http.Client
	timeout   time.Duration
	userAgent string
}

func newSender(guard *Guard, timeout time.Duration) *sender {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: guard.control}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would make the connection the guard
		// checks, and the receiver's address would never be seen.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &sender{
		client: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// A redirect is an answer, not a new address to post to: following it would
			// also step around the URL the tenant registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:   timeout,
		userAgent: "contacthub-webhooks/1 (+https://www.standardwebhooks.com)",
	}
}

// result is what one attempt came to.
type result struct {
	status     int
	latency    time.Duration
	response   string
	err        string
	kind       string // a metrics label: success, http_error, timeout, network_error, blocked
	retryAfter time.Duration
}

func (r result) ok() bool { return r.status >= 200 && r.status < 300 }

// send posts body to rawURL with the Standard Webhooks headers.
func (s *sender) send(ctx context.Context, rawURL, msgID string, at time.Time, body []byte, signature string) result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return result{err: "the URL cannot be requested: " + err.Error(), kind: "network_error"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", signature)
	resp, err := s.client.Do(req)
	if err != nil {
		return s.failure(err, time.Since(start))
	}
	defer resp.Body.Close()
	// One byte more than is kept tells whether the answer was longer; a body read to
	// its end lets the connection be reused.
	excerpt, readErr := io.ReadAll(io.LimitReader(resp.Body, models.MaxWebhookResponseKept+1))
	r := result{status: resp.StatusCode, latency: time.Since(start), response: cleanExcerpt(excerpt)}
	switch {
	case r.ok():
		r.kind = "success"
	default:
		r.kind = "http_error"
		r.err = "HTTP " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			r.err += " (redirects are not followed; register the URL it points to: " + shortURL(resp.Header.Get("Location")) + ")"
		}
		r.retryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	if readErr != nil && r.ok() {
		// The status counts: the receiver accepted the message before the body broke off.
		r.response += " [answer cut off: " + readErr.Error() + "]"
	}
	return r
}

// failure describes a request that got no answer.
func (s *sender) failure(err error, latency time.Duration) result {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the endpoint's, no need to repeat it
	}
	var blocked *BlockedError
	var ne net.Error
	switch {
	case errors.As(err, &blocked):
		return result{latency: latency, err: blocked.Error(), kind: "blocked"}
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return result{latency: latency, err: fmt.Sprintf("no answer within %v", s.timeout), kind: "timeout"}
	default:
		return result{latency: latency, err: err.Error(), kind: "network_error"}
	}
}

// cleanExcerpt keeps at most MaxWebhookResponseKept bytes of an answer as text a
// database column holds: valid UTF-8, without NUL bytes, not cut inside a character.
func cleanExcerpt(b []byte) string {
	b = b[:min(len(b), models.MaxWebhookResponseKept)]
	s := strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
	for len(s) > models.MaxWebhookResponseKept { // a replacement character is longer than the byte it replaces
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 if absent.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func shortURL(s string) string {
	if s == "" {
		return "(no Location)"
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
