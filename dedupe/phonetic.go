package dedupe

import "strings"

// letters returns the ASCII letters of the folded form of s (umlauts and
// accents already reduced to their base letter), dropping everything else.
func letters(s string) []byte {
	f := foldText(s)
	out := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		if c := f[i]; c >= 'a' && c <= 'z' {
			out = append(out, c)
		}
	}
	return out
}

// KoelnerPhonetik returns the Kölner Phonetik code of s (Postel 1969), the
// phonetic code designed for German names: "Müller-Lüdenscheidt" ->
// "65752682", "Meier", "Mayr" and "Maier" -> "67". Letters are coded to
// digits, repeated digits collapse, and every 0 except a leading one is
// dropped. Characters that are not letters are ignored; s without letters
// yields "".
func KoelnerPhonetik(s string) string {
	l := letters(s)
	if len(l) == 0 {
		return ""
	}
	const ignore = '-'
	raw := make([]byte, 0, len(l)+2)
	in := func(c byte, set string) bool { return c != 0 && strings.IndexByte(set, c) >= 0 }
	for i, c := range l {
		var prev, next byte
		if i > 0 {
			prev = l[i-1]
		}
		if i+1 < len(l) {
			next = l[i+1]
		}
		switch c {
		case 'a', 'e', 'i', 'j', 'o', 'u', 'y':
			raw = append(raw, '0')
		case 'h':
			raw = append(raw, ignore)
		case 'b':
			raw = append(raw, '1')
		case 'p':
			if next == 'h' {
				raw = append(raw, '3')
			} else {
				raw = append(raw, '1')
			}
		case 'd', 't':
			if in(next, "csz") {
				raw = append(raw, '8')
			} else {
				raw = append(raw, '2')
			}
		case 'f', 'v', 'w':
			raw = append(raw, '3')
		case 'g', 'k', 'q':
			raw = append(raw, '4')
		case 'c':
			switch {
			case i == 0:
				if in(next, "ahkloqrux") {
					raw = append(raw, '4')
				} else {
					raw = append(raw, '8')
				}
			case in(prev, "sz"):
				raw = append(raw, '8')
			case in(next, "ahkoqux"):
				raw = append(raw, '4')
			default:
				raw = append(raw, '8')
			}
		case 'x':
			if in(prev, "ckq") {
				raw = append(raw, '8')
			} else {
				raw = append(raw, '4', '8')
			}
		case 'l':
			raw = append(raw, '5')
		case 'm', 'n':
			raw = append(raw, '6')
		case 'r':
			raw = append(raw, '7')
		case 's', 'z':
			raw = append(raw, '8')
		}
	}
	out := make([]byte, 0, len(raw))
	var last byte
	for i, c := range raw {
		if c == last {
			continue
		}
		last = c
		if c == ignore || c == '0' && i > 0 {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// NYSIIS returns the New York State Identification and Intelligence System
// phonetic code of s (Taft 1970), untruncated: "Catherine", "Katherine" and
// "Katerina" -> "CATARAN", "Jonathan" -> "JANATAN". It is the phonetic key for
// names that are not German; characters that are not letters are ignored and s
// without letters yields "".
func NYSIIS(s string) string {
	l := letters(s)
	if len(l) == 0 {
		return ""
	}
	w := []byte(strings.ToUpper(string(l)))
	// Step 1: prefixes.
	switch {
	case hasPrefix(w, "MAC"):
		w = append([]byte("MCC"), w[3:]...)
	case hasPrefix(w, "KN"):
		w = w[1:]
	case hasPrefix(w, "K"):
		w[0] = 'C'
	case hasPrefix(w, "PH"), hasPrefix(w, "PF"):
		w = append([]byte("FF"), w[2:]...)
	case hasPrefix(w, "SCH"):
		w = append([]byte("SSS"), w[3:]...)
	}
	// Step 2: suffixes.
	switch {
	case hasSuffix(w, "EE"), hasSuffix(w, "IE"):
		w = append(w[:len(w)-2], 'Y')
	case hasSuffix(w, "DT"), hasSuffix(w, "RT"), hasSuffix(w, "RD"), hasSuffix(w, "NT"), hasSuffix(w, "ND"):
		w = append(w[:len(w)-2], 'D')
	}
	isVowel := func(c byte) bool { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' }
	key := []byte{w[0]}
	for i := 1; i < len(w); i++ {
		c := w[i]
		var rep string
		switch {
		case c == 'E' && i+1 < len(w) && w[i+1] == 'V':
			rep = "AF"
			i++
		case isVowel(c):
			rep = "A"
		case c == 'Q':
			rep = "G"
		case c == 'Z':
			rep = "S"
		case c == 'M':
			rep = "N"
		case c == 'K':
			if i+1 < len(w) && w[i+1] == 'N' {
				rep = "N"
			} else {
				rep = "C"
			}
		case c == 'S' && i+2 < len(w) && w[i+1] == 'C' && w[i+2] == 'H':
			rep = "SS"
			i += 2
		case c == 'P' && i+1 < len(w) && w[i+1] == 'H':
			rep = "F"
			i++
		case c == 'H' && (!isVowel(w[i-1]) || i+1 >= len(w) || !isVowel(w[i+1])):
			if isVowel(w[i-1]) {
				rep = "A"
			} else {
				rep = string(w[i-1])
			}
		case c == 'W' && isVowel(w[i-1]):
			rep = string(w[i-1])
		default:
			rep = string(c)
		}
		if rep[len(rep)-1] != key[len(key)-1] {
			key = append(key, rep...)
		}
	}
	if len(key) > 1 && key[len(key)-1] == 'S' {
		key = key[:len(key)-1]
	}
	if hasSuffix(key, "AY") {
		key = append(key[:len(key)-2], 'Y')
	}
	if len(key) > 1 && key[len(key)-1] == 'A' {
		key = key[:len(key)-1]
	}
	return string(key)
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
func hasSuffix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[len(b)-len(p):]) == p
}
