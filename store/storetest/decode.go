package storetest

import (
	"encoding/json"
	"testing"

	"github.com/contacthub/contacthub/models"
)

func mustDecode(t testing.TB, fields map[string]any) *models.Submission {
	t.Helper()
	raw := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %s: %v", k, err)
		}
		raw[k] = b
	}
	sub, err := models.DecodeSubmission(raw, nil, models.ForCreate)
	if err != nil {
		t.Fatalf("decode submission: %v", err)
	}
	return sub
}
