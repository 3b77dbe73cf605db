package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/contacthub/contacthub/webhooks"
)

// verified is how a receiver checks a delivery with nothing but the standard
// library; README.md shows the same function.
func verified(r *http.Request, body []byte, secret string) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false // not a timestamp, or a replay
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// A receiver verifies a delivery signed as the server signs it, with either secret
// during a rotation, and refuses one whose body was changed.
func Example() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println("verified:", verified(r, body, secret))
	}))
	defer receiver.Close()

	body := []byte(`{"type":"webhook.ping","timestamp":"2026-12-07T10:00:00Z","data":{}}`)
	now := time.Now()
	for _, sent := range [][]byte{body, append(bytes.Clone(body), ' ')} {
		sig, _ := webhooks.Sign([]string{webhooks.NewSecret(), secret}, "msg_1", now, body)
		req, _ := http.NewRequest(http.MethodPost, receiver.URL, bytes.NewReader(sent))
		req.Header.Set("webhook-id", "msg_1")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}
	// Output:
	// verified: true
	// verified: false
}
