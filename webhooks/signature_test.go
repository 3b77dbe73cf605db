package webhooks_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/webhooks"
)

// The test vectors published with the Standard Webhooks specification
// (github.com/standard-webhooks/standard-webhooks, libraries/*/ tests).
var vectors = []struct {
	name, secret, msgID string
	ts                  int64
	body, want          string
}{
	{"go, js, python, php, ruby, java, c#", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		1614265330, `{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	{"rust", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
		1649367553, `{"email":"test@example.com","username":"test_user"}`, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="},
}

func TestSignMatchesTheSpecificationsVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors {
		got, err := webhooks.Sign([]string{v.secret}, v.msgID, time.Unix(v.ts, 0), []byte(v.body))
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if got != v.want {
			t.Errorf("%s: signature %s, want %s", v.name, got, v.want)
		}
		// The libraries accept the secret without its prefix too.
		bare, err := webhooks.Sign([]string{strings.TrimPrefix(v.secret, "whsec_")}, v.msgID, time.Unix(v.ts, 0), []byte(v.body))
		if err != nil || bare != v.want {
			t.Errorf("%s without whsec_: %s, %v", v.name, bare, err)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	v := vectors[0]
	ts := strconv.FormatInt(v.ts, 10)
	at := time.Unix(v.ts, 0)
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	cases := []struct {
		name      string
		header    string
		body      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", v.want, v.body, at, 5 * time.Minute, nil},
		{"one of several (rotation)", other + " v2,abc " + v.want + " " + other, v.body, at, 5 * time.Minute, nil},
		{"another signature", other, v.body, at, 5 * time.Minute, webhooks.ErrNoSignature},
		{"partial", "v1,", v.body, at, 5 * time.Minute, webhooks.ErrNoSignature},
		{"another body", v.want, v.body + " ", at, 5 * time.Minute, webhooks.ErrNoSignature},
		{"too old", v.want, v.body, at.Add(5*time.Minute + time.Second), 5 * time.Minute, webhooks.ErrTimestamp},
		{"too new", v.want, v.body, at.Add(-5*time.Minute - time.Second), 5 * time.Minute, webhooks.ErrTimestamp},
		{"no tolerance", v.want, v.body, at.Add(24 * time.Hour), 0, nil},
	}
	for _, c := range cases {
		err := webhooks.Verify(v.secret, v.msgID, ts, []byte(c.body), c.header, c.now, c.tolerance)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := webhooks.Verify("whsec_", v.msgID, ts, []byte(v.body), v.want, at, 0); !errors.Is(err, webhooks.ErrBadSecret) {
		t.Errorf("empty secret: %v, want ErrBadSecret", err)
	}
}

// Two secrets (the current one and one rotated out) give two signatures, each
// verifiable on its own.
func TestSignWithTwoSecrets(t *testing.T) {
	t.Parallel()
	a, b := webhooks.NewSecret(), webhooks.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q, %q", a, b)
	}
	now := time.Now()
	header, err := webhooks.Sign([]string{a, b}, "msg_1", now, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(header)); n != 2 {
		t.Fatalf("header %q has %d signatures", header, n)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, s := range []string{a, b} {
		if err := webhooks.Verify(s, "msg_1", ts, []byte("{}"), header, now, time.Minute); err != nil {
			t.Errorf("verify with %s: %v", s[:10], err)
		}
	}
	if err := webhooks.Verify(webhooks.NewSecret(), "msg_1", ts, []byte("{}"), header, now, time.Minute); !errors.Is(err, webhooks.ErrNoSignature) {
		t.Errorf("a third secret verified: %v", err)
	}
}
