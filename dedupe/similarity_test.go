package dedupe

import (
	"math"
	"testing"
)

func TestJaroWinkler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want float64
	}{
		// Winkler's and the jellyfish library's reference values.
		{"martha", "marhta", 0.961},
		{"dixon", "dicksonx", 0.813},
		{"dwayne", "duane", 0.840},
		{"William", "Williams", 0.975},
		{"abc", "xyz", 0},
		{"a", "a", 1},
		{"", "foo", 0},
		{"", "", 1},
		{"müller", "müler", 0.961},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			t.Parallel()
			if got := JaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 0.0015 {
				t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.3f", tt.a, tt.b, got, tt.want)
			}
			if got, back := JaroWinkler(tt.a, tt.b), JaroWinkler(tt.b, tt.a); got != back {
				t.Errorf("JaroWinkler is not symmetric: %.4f vs %.4f", got, back)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"martha", "marhta", 1}, // adjacent transposition counts once
		{"ca", "abc", 3},        // optimal string alignment, not full Damerau
		{"jones", "jsneo", 2},
		{"müller", "muller", 1},
		{"same", "same", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			t.Parallel()
			if got := EditDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestCompareDates(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want string }{
		{"1980-05-12", "1980-05-12", "exact"},
		{"1980-05-12", "1980-12-05", "dob_day_month_swapped"},
		{"1980-05-12", "1980-05-13", "dob_one_digit"},
		{"1980-05-12", "1908-05-12", "dob_one_digit"}, // adjacent digits exchanged
		{"1980-05-12", "1990-05-12", "dob_one_digit"},
		{"1980-05-12", "1980-05-28", "dob_within_31_days"},
		{"1980-05-12", "1981-02-01", "dob_within_365_days"},
		{"1980-05-12", "1975-05-12", "dob_same_day_month"},
		{"1980-05-12", "1962-11-30", "disagree"},
		{"1980-05-12", "", "missing"},
		{"1980-05-12", "1980-02-30", "missing"}, // not a real date
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			t.Parallel()
			if got := CompareDates(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareDates(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want string
		sim  float64
	}{
		{"4814", "4814", "exact", 1},
		{"4814", "4184", "one_digit", 1 - 630.0/4814},
		{"47", "74", "one_digit", 1 - 27.0/74},
		{"12", "13", "one_digit", 1 - 1.0/13},
		{"5a", "5b", "one_digit", 1},
		{"12", "145", "disagree", 1 - 133.0/145},
		{"12", "", "missing", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			t.Parallel()
			got, sim := CompareNumbers(tt.a, tt.b)
			if got != tt.want || math.Abs(sim-tt.sim) > 1e-9 {
				t.Errorf("CompareNumbers(%q, %q) = %q, %.4f; want %q, %.4f", tt.a, tt.b, got, sim, tt.want, tt.sim)
			}
		})
	}
}
