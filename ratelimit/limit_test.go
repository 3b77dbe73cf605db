package ratelimit

import (
	"errors"
	"testing"
	"time"
)

func TestParseLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Limit
		str  string
	}{
		{"600/m", Limit{600, time.Minute}, "600/m"},
		{"100/1m", Limit{100, time.Minute}, "100/m"},
		{"10/s", Limit{10, time.Second}, "10/s"},
		{"5/h", Limit{5, time.Hour}, "5/h"},
		{"5/hour", Limit{5, time.Hour}, "5/h"},
		{" 7 / minutes ", Limit{7, time.Minute}, "7/m"},
		{"1000/d", Limit{1000, 24 * time.Hour}, "1000/d"},
		{"100/30s", Limit{100, 30 * time.Second}, "100/30s"},
		{"3/1h30m", Limit{3, 90 * time.Minute}, "3/1h30m0s"},
		{"1/500ms", Limit{1, 500 * time.Millisecond}, "1/500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLimit(tt.in)
			if err != nil {
				t.Fatalf("ParseLimit(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseLimit(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
			back, err := ParseLimit(got.String())
			if err != nil || back != got {
				t.Errorf("ParseLimit(String()) = %+v, %v; want %+v", back, err, got)
			}
		})
	}
}

func TestParseLimitInvalid(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "100", "100/", "/m", "x/m", "0/m", "-1/m", "10/fortnight", "10/0s", "10/-1m", "10/1us", "1.5/m"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if l, err := ParseLimit(in); !errors.Is(err, ErrInvalidLimit) {
				t.Errorf("ParseLimit(%q) = %+v, %v; want ErrInvalidLimit", in, l, err)
			}
		})
	}
}

func TestLimitValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		l  Limit
		ok bool
	}{
		{PerMinute(100), true},
		{PerSecond(1), true},
		{PerHour(5), true},
		{Limit{}, false},
		{Limit{Rate: 1}, false},
		{Limit{Period: time.Minute}, false},
		{Limit{Rate: 2_000_000_000, Period: time.Second}, false},
	}
	for _, tt := range tests {
		if err := tt.l.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.l, err, tt.ok)
		}
	}
}
