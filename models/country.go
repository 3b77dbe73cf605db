package models

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// CountryCode reads a country as people and CRMs write it — an ISO 3166-1 alpha-2
// (DE) or alpha-3 (DEU, USA) code in any case, or its English or German name
// (Germany, Deutschland, United States) — and returns its alpha-2 code, as ba_country
// stores it. ok is false for anything else.
func CountryCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	up := strings.ToUpper(s)
	switch len(up) {
	case 2:
		return up, countries[up]
	case 3:
		if r, err := language.ParseRegion(up); err == nil && countries[r.String()] {
			return r.String(), true
		}
	}
	code, ok := countryNames()[foldName(s)]
	return code, ok
}

// foldName is a country name as names are compared: lower case, single spaces, no dots.
func foldName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, ".", ""))), " ")
}

// countryNames maps folded English and German country names, and a few common other
// names, to alpha-2 codes.
var countryNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for code := range countries {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		for _, namer := range []display.Namer{display.English.Regions(), display.German.Regions()} {
			if n := namer.Name(r); n != "" {
				m[foldName(n)] = code
			}
		}
	}
	for name, code := range map[string]string{
		"united states of america": "US", "america": "US", "uk": "GB", "great britain": "GB", "england": "GB",
		"holland": "NL", "czech republic": "CZ", "russia": "RU", "south korea": "KR", "schweiz": "CH", "österreich": "AT",
	} {
		m[name] = code
	}
	return m
})
