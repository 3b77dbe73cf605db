package dedupe

import "testing"

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Müller", "muller"},
		{"Mueller", "muller"},
		{"Muller", "muller"},
		{"MÜLLER", "muller"},
		{"Strauß", "strauss"},
		{"Jäger", "jager"},
		{"Jaeger", "jager"},
		{"Schröder", "schroder"},
		{"Schroeder", "schroder"},
		{"José", "jose"},
		{"François", "francois"},
		{"Łukasz", "lukasz"},
		{"Søren", "soren"},
		{"O'Brien", "obrien"},
		{"Müller-Lüdenscheidt", "muller ludenscheidt"},
		{"  anna   lena ", "anna lena"},
		{"J.", "j"},
		{"Dr. Hans Meier", "hans meier"},
		{"Herr Prof. Dr. Klaus", "klaus"},
		{"Miguel", "miguel"},   // gue is not an umlaut spelling
		{"Jacques", "jacques"}, // nor is que
		{"", ""},
		{"-- !! --", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := NormalizeName(tt.in); got != tt.want {
				t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, region, want string }{
		{"+49 30 1234567", "", "+49301234567"},
		{"030 1234567", "DE", "+49301234567"},
		{"(030) 123 45 67", "de", "+49301234567"},
		{"0049 30 1234567", "DE", "+49301234567"},
		{"0151 23456789", "DE", "+4915123456789"},
		{"+44 20 7946 0958", "DE", "+442079460958"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"030 1234567", "", ""}, // national number without a region
		{"12", "DE", ""},
		{"not a number", "DE", ""},
		{"", "DE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw+"/"+tt.region, func(t *testing.T) {
			t.Parallel()
			if got := NormalizePhone(tt.raw, tt.region); got != tt.want {
				t.Errorf("NormalizePhone(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func TestNormalizePostalCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10115", "10115"},
		{" 10115 ", "10115"},
		{"D-10115", "10115"},
		{"CH-8001", "8001"},
		{"sw1a 1aa", "SW1A1AA"},
		{"12345-6789", "12345"},
		{"1234-567", "1234567"},
		{"0830", "0830"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := NormalizePostalCode(tt.in); got != tt.want {
				t.Errorf("NormalizePostalCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitStreet(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, name, number string }{
		{"Hauptstr. 5a", "hauptstrasse", "5a"},
		{"Hauptstraße 5a", "hauptstrasse", "5a"},
		{"Hauptstrasse 5 a", "hauptstrasse", "5a"},
		{"Hauptstr.5", "hauptstrasse", "5"},
		{"Berliner Str. 12", "berliner strasse", "12"},
		{"Berliner Straße 12-14", "berliner strasse", "12-14"},
		{"Am Bühl 3", "am buhl", "3"},
		{"12 Main St", "main street", "12"},
		{"12 main st.", "main street", "12"},
		{"6 tullaroop street", "tullaroop street", "6"},
		{"221b Baker Street", "baker street", "221b"},
		{"St James Rd 4", "st james road", "4"},
		{"maltby circuit", "maltby circuit", ""},
		{"52", "", "52"},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			name, number := SplitStreet(tt.in)
			if name != tt.name || number != tt.number {
				t.Errorf("SplitStreet(%q) = %q, %q; want %q, %q", tt.in, name, number, tt.name, tt.number)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	t.Parallel()
	plain, folding := New(Config{}), New(Config{FoldPlusTags: true})
	tests := []struct{ in, want, wantFolded string }{
		{" John.Doe@Example.COM ", "john.doe@example.com", "john.doe@example.com"},
		{"john+news@example.com", "john+news@example.com", "john@example.com"},
		{"+tag@example.com", "+tag@example.com", "+tag@example.com"},
		{"no-at-sign", "", ""},
		{"@example.com", "", ""},
		{"john@", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := plain.EmailKey(tt.in); got != tt.want {
				t.Errorf("EmailKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := folding.EmailKey(tt.in); got != tt.wantFolded {
				t.Errorf("EmailKey(%q) with FoldPlusTags = %q, want %q", tt.in, got, tt.wantFolded)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"1980-05-12", true},
		{"19800512", true},
		{"1980-05-12T00:00:00Z", true},
		{"2000-02-29", true},
		{"1999-02-29", false},
		{"1980-13-01", false},
		{"1980-00-10", false},
		{"0000-01-01", false},
		{"12.05.1980", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := parseDate(tt.in).ok; got != tt.ok {
				t.Errorf("parseDate(%q).ok = %v, want %v", tt.in, got, tt.ok)
			}
		})
	}
}
