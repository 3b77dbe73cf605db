package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/contacthub/contacthub/logctx"
)

func TestFrom(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, nil))
	fallback := slog.New(slog.DiscardHandler)
	if got := logctx.From(context.Background(), fallback); got != fallback {
		t.Errorf("From(no logger) = %p, want the fallback %p", got, fallback)
	}
	ctx := logctx.With(context.Background(), base.With("request_id", "r1"))
	logctx.From(ctx, fallback).Info("hello")
	var rec struct {
		Msg       string `json:"msg"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("decode %q: %v", buf.String(), err)
	}
	if rec.Msg != "hello" || rec.RequestID != "r1" {
		t.Errorf("logged %+v, want hello with request_id r1", rec)
	}
}
