package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contacthub/contacthub/models"
)

// decodeFactors reads an inquiry's lead_factors column. The column holds what
// json.Marshal made of []models.ScoreFactor (eventData), so a reader that knows that
// one shape reads it without encoding/json's reflection, which was a third of the
// CPU of a listing page (BENCHMARKS.md, "Inquiries"). Anything else — another key
// order, white space, an escape in a string — goes to encoding/json, which decides.
func decodeFactors(s string) ([]models.ScoreFactor, error) {
	if out, ok := parseFactors(s); ok {
		return out, nil
	}
	var out []models.ScoreFactor
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// parseFactors reads `[{"factor":"…","points":N,"detail":"…"},…]` exactly; ok is
// false for anything else.
func parseFactors(s string) (out []models.ScoreFactor, ok bool) {
	if s == "null" {
		return nil, true
	}
	rest, ok := strings.CutPrefix(s, "[")
	if !ok {
		return nil, false
	}
	out = make([]models.ScoreFactor, 0, 8)
	if rest == "]" {
		return out, true
	}
	for {
		var f models.ScoreFactor
		if rest, ok = strings.CutPrefix(rest, `{"factor":`); !ok {
			return nil, false
		}
		if f.Factor, rest, ok = plainString(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, `,"points":`); !ok {
			return nil, false
		}
		end := strings.IndexByte(rest, ',')
		if end < 0 {
			return nil, false
		}
		n, err := strconv.Atoi(rest[:end])
		if err != nil || strconv.Itoa(n) != rest[:end] {
			return nil, false
		}
		f.Points = n
		if rest, ok = strings.CutPrefix(rest[end:], `,"detail":`); !ok {
			return nil, false
		}
		if f.Detail, rest, ok = plainString(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, "}"); !ok {
			return nil, false
		}
		out = append(out, f)
		switch {
		case rest == "]":
			return out, true
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		default:
			return nil, false
		}
	}
}

// plainString reads a JSON string without escapes at the start of s and returns it
// and what follows; ok is false for an escape or a control character (encoding/json
// reads those).
func plainString(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], s[i+1:], utf8.ValidString(s[1:i])
		case c == '\\' || c < 0x20:
			return "", "", false
		}
	}
	return "", "", false
}
