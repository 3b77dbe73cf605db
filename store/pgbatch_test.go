package store

import "testing"

func TestPgTextArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want string
	}{
		{nil, `{}`},
		{[]string{"e:a@b.de"}, `{"e:a@b.de"}`},
		{[]string{"a,b", "{x}", "NULL", ""}, `{"a,b","{x}","NULL",""}`},
		{[]string{`say "hi"`, `back\slash`}, `{"say \"hi\"","back\\slash"}`},
	}
	for _, tt := range tests {
		if got := pgTextArray(tt.in); got != tt.want {
			t.Errorf("pgTextArray(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
