package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// IdempotencyStore keeps the answers to requests sent with an Idempotency-Key, so a
// retry is answered instead of done again (store/idempotency.go).
type IdempotencyStore interface {
	// BeginIdempotent claims the tenant's key for a request (claimed true), or returns
	// the key's live record: completed, or in progress. It returns ECONFLICT when the
	// key keeps changing hands.
	BeginIdempotent(ctx context.Context, tenantID int64, key, requestHash string) (rec *models.IdempotencyRecord, claimed bool, err error)
	// CompleteIdempotent stores the answer of claim id; ENOTFOUND when the claim is gone.
	CompleteIdempotent(ctx context.Context, tenantID, id int64, resp *models.IdempotentResponse) error
	// ReleaseIdempotent deletes the in-progress claim id, so a retry runs again.
	ReleaseIdempotent(ctx context.Context, tenantID, id int64) error
}

const (
	// idempotencyHeader names the client's key for a request it may retry.
	idempotencyHeader = "Idempotency-Key"
	// replayedHeader marks an answer that is a stored one, sent again.
	replayedHeader = "Idempotent-Replayed"
	// maxIdempotencyKey is the longest key accepted, in bytes (printable ASCII).
	maxIdempotencyKey = 255
	// maxStoredResponse bounds the answer kept for a replay. A 1,000-contact bulk answer
	// with every return field is far below it (README, Idempotent retries).
	maxStoredResponse = 16 << 20
	// defaultIdempotencyWait is how long a retry waits for the request it repeats when
	// API.IdempotencyWait is 0: the time bound of a contact write.
	defaultIdempotencyWait = contacts.WriteTimeout
)

// idempotent makes a route's requests with an Idempotency-Key header happen once per
// key and tenant: the first claims the key and runs; the same request again within
// models.IdempotencyTTL gets the stored answer (status, body, the headers the handler
// set) with Idempotent-Replayed: true, and nothing is written again. A retry that
// arrives while the first still runs waits for its answer up to API.IdempotencyWait,
// then answers 409 with Retry-After. Another request (method, path or body) with a
// used key is a 422 naming the header. Answers 5xx, 429 and 499 say "try again" and
// are not kept: the claim is released, and a retry runs anew. Routes opt in in
// Register; without API.Idempotency the header is ignored.
func (a *API) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values := c.Request().Header.Values(idempotencyHeader)
		if len(values) == 0 || a.Idempotency == nil {
			return next(c)
		}
		key, err := idempotencyKey(values)
		if err != nil {
			return err
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		hash := requestHash(c.Request().Method, c.Request().URL.Path, body)
		tenant := tenantID(c)

		wait := a.IdempotencyWait
		if wait <= 0 {
			wait = defaultIdempotencyWait
		}
		ctx := c.Request().Context()
		deadline := time.Now().Add(wait)
		pause := 5 * time.Millisecond
		for {
			rec, claimed, err := a.Idempotency.BeginIdempotent(ctx, tenant, key, hash)
			switch {
			case err != nil:
				return err
			case rec.RequestHash != hash:
				return invalid(idempotencyHeader, fmt.Sprintf("was used in the last %v for another request (method, path or body); send a new key for a new request", models.IdempotencyTTL))
			case claimed:
				return a.runClaimed(c, next, tenant, rec.ID)
			case rec.Response != nil:
				return replay(c, rec.Response)
			}
			// The first request is in progress. Polling keeps this replica-independent:
			// the first may run on another replica.
			if time.Now().Add(pause).After(deadline) {
				return &models.Error{Code: models.ECONFLICT, RetryAfter: time.Second,
					Message: fmt.Sprintf("a request with this Idempotency-Key is still in progress after %v; retry later to get its answer", wait)}
			}
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			pause = min(2*pause, 200*time.Millisecond)
		}
	}
}

// idempotencyKey returns the one key of the header's values or a 422 naming the header.
func idempotencyKey(values []string) (string, error) {
	if len(values) > 1 {
		return "", invalid(idempotencyHeader, "is given more than once; send it once")
	}
	key := values[0]
	if key == "" || len(key) > maxIdempotencyKey {
		return "", invalid(idempotencyHeader, fmt.Sprintf("must be 1 to %d printable ASCII characters (a UUID, say); got %d", maxIdempotencyKey, len(key)))
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", invalid(idempotencyHeader, fmt.Sprintf("must be printable ASCII characters (a UUID, say); byte %d is 0x%02x", i, key[i]))
		}
	}
	return key, nil
}

// requestHash identifies a request by what it asks for: the same key with another
// method, path or body is another request. The path is the routed one, after
// normalizePath, so /public/api/v1/contact/ and …/V1/contact are the same.
func requestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// runClaimed runs the request that claimed the key and stores its answer.
//
// The request runs to its end even when the client leaves: a client that gives up
// after a timeout retries with the same key, and the retry must find the answer of
// what was done, not an abandoned claim or a second write. The run is bounded by
// models.IdempotencyRunLimit, well inside the claim's lease.
func (a *API) runClaimed(c echo.Context, next echo.HandlerFunc, tenant, claim int64) error {
	req := c.Request()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), models.IdempotencyRunLimit)
	defer cancel()
	c.SetRequest(req.WithContext(ctx))
	defer c.SetRequest(req)

	resp := c.Response()
	capture := &captureWriter{ResponseWriter: resp.Writer, before: resp.Header().Clone()}
	resp.Writer = capture
	defer func() { resp.Writer = capture.ResponseWriter }()

	finished := false
	defer func() {
		if !finished { // a panic: nothing worth replaying
			a.releaseClaim(req.Context(), tenant, claim)
		}
	}()
	if err := next(c); err != nil {
		// The error's answer is written here, not by the outer error handler, so that
		// it is stored as it is sent.
		c.Error(err)
	}
	finished = true

	status := resp.Status
	if status >= 500 || status == http.StatusTooManyRequests || status == StatusClientClosedRequest {
		a.releaseClaim(req.Context(), tenant, claim)
		return nil
	}
	stored := &models.IdempotentResponse{Status: status, Header: capture.header, Body: capture.body.Bytes()}
	if capture.overflow {
		// Storing the beginning would replay a broken answer, and releasing the key
		// would let a retry write again; a retry learns instead that it was done.
		stored = tooLargeToReplay(status, capture.size)
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer scancel()
	if err := a.Idempotency.CompleteIdempotent(sctx, tenant, claim, stored); err != nil {
		// The claim stays in progress until its lease ends: retries wait or get 409,
		// but never run the request a second time.
		a.logFor(ctx).Error("store the answer of an idempotent request", "tenant", tenant, "claim", claim, "err", err)
	}
	return nil
}

// releaseClaim deletes an in-progress claim, so a retry runs the request again.
func (a *API) releaseClaim(rctx context.Context, tenant, claim int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), 10*time.Second)
	defer cancel()
	if err := a.Idempotency.ReleaseIdempotent(ctx, tenant, claim); err != nil {
		a.logFor(rctx).Error("release an idempotency key", "tenant", tenant, "claim", claim, "err", err)
	}
}

// tooLargeToReplay is the answer stored in place of one larger than maxStoredResponse.
func tooLargeToReplay(status, size int) *models.IdempotentResponse {
	body, _ := json.Marshal(errorBody{Error: true, Message: fmt.Sprintf(
		"the request with this Idempotency-Key was done (status %d), but its answer of %d bytes was larger than the %d kept for a replay; read the result instead",
		status, size, maxStoredResponse)})
	return &models.IdempotentResponse{Status: http.StatusConflict, Body: body,
		Header: map[string][]string{echo.HeaderContentType: {echo.MIMEApplicationJSON}}}
}

// replay sends a stored answer again.
func replay(c echo.Context, r *models.IdempotentResponse) error {
	h := c.Response().Header()
	for name, values := range r.Header {
		h[name] = slices.Clone(values)
	}
	h.Set(replayedHeader, "true")
	c.Response().WriteHeader(r.Status)
	_, err := c.Response().Write(r.Body)
	return err
}

// unstoredHeaders are headers of the connection or of this request, never replayed.
var unstoredHeaders = map[string]bool{
	"Content-Length": true, "Date": true, "Connection": true, "Transfer-Encoding": true, replayedHeader: true,
}

// captureWriter passes an answer through and keeps a copy of it to store: the body up
// to maxStoredResponse, and the headers the handler set (those that differ from
// before, so the quota headers of the request that ran are not replayed).
type captureWriter struct {
	http.ResponseWriter
	before   http.Header
	header   map[string][]string
	body     bytes.Buffer
	size     int
	overflow bool
}

func (w *captureWriter) WriteHeader(status int) {
	w.header = map[string][]string{}
	for name, values := range w.ResponseWriter.Header() {
		if !unstoredHeaders[name] && !slices.Equal(values, w.before[name]) {
			w.header[name] = slices.Clone(values)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.size += len(p)
	if !w.overflow {
		if w.size > maxStoredResponse {
			w.overflow = true
			w.body = bytes.Buffer{}
		} else {
			w.body.Write(p)
		}
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
