package handlers

import (
	"encoding/json"
	"testing"
)

// TestArrayLen: the count of a well-formed array's elements is encoding/json's.
func TestArrayLen(t *testing.T) {
	for _, in := range []string{
		`[]`, `[ ]`, "[\n\t]", `[1]`, `[{}]`, `[[]]`, `[{},{}]`, `[ {"a":1} , {"b":[1,2,3]} ]`,
		`["a,b", "c]d", "e\"f,", "g\\", "h\\\"],["]`, `[null,true,false,-1.5e3,"x"]`,
		`[{"a":{"b":[{"c":","}]},"d":"}"},{"e":"\u005b"}]`, `[[1,2],[3,[4,5]],{}]`,
	} {
		var want []json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := arrayLen([]byte(in)); got != len(want) {
			t.Errorf("arrayLen(%s) = %d, want %d", in, got, len(want))
		}
	}
}

// FuzzArrayLen: for every well-formed array, arrayLen counts as encoding/json does.
func FuzzArrayLen(f *testing.F) {
	f.Add(`[1,"a,b",{"c":[2,3]}]`)
	f.Fuzz(func(t *testing.T, in string) {
		var want []json.RawMessage
		if json.Unmarshal([]byte(in), &want) != nil {
			return
		}
		if got := arrayLen([]byte(in)); got != len(want) {
			t.Fatalf("arrayLen(%q) = %d, want %d", in, got, len(want))
		}
	})
}
