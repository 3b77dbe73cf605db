package models

import (
	"encoding/json"
	"testing"
)

func TestFloatFieldRefusesNonFiniteNumbers(t *testing.T) {
	t.Parallel()
	f := &CustomField{Label: "Score", FieldType: FieldTypeFloat}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`"NaN"`, `"Inf"`, `"-Infinity"`, `"+inf"`} {
		if v, reason := f.Coerce(json.RawMessage(raw)); reason == "" {
			t.Errorf("Coerce(%s) = %v, want refused", raw, v)
		}
	}
	if v, reason := f.Coerce(json.RawMessage(`"2.5"`)); reason != "" || v != 2.5 {
		t.Errorf("Coerce(2.5) = %v %q", v, reason)
	}
}
