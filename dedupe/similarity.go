package dedupe

import "time"

// JaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1]
// (Winkler 1990; prefix scale 0.1, common prefix of at most 4, the prefix
// bonus applied when the Jaro similarity exceeds 0.7). It compares runes;
// two empty strings are identical (1), one empty string shares nothing (0).
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	j := jaro(ra, rb)
	if j <= 0.7 {
		return j
	}
	prefix := 0
	for prefix < 4 && prefix < len(ra) && prefix < len(rb) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	window := len(b)/2 - 1
	if window < 0 {
		window = 0
	}
	var flagsBuf [64]bool
	var flags []bool
	if len(a)+len(b) <= len(flagsBuf) {
		flags = flagsBuf[:len(a)+len(b)]
	} else {
		flags = make([]bool, len(a)+len(b))
	}
	ma, mb := flags[:len(a)], flags[len(a):]
	matches := 0
	for i, r := range a {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for k := lo; k < hi; k++ {
			if !mb[k] && b[k] == r {
				ma[i], mb[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions := 0
	k := 0
	for i := range a {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions/2))/m) / 3
}

// EditDistance returns the optimal-string-alignment distance of a and b: the
// number of single-rune insertions, deletions, substitutions and transpositions
// of adjacent runes that turn a into b (restricted Damerau-Levenshtein).
func EditDistance(a, b string) int {
	if a == b {
		return 0
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	if len(rb) == 0 {
		return len(ra)
	}
	// Three rolling rows: two back for transpositions. Names and mail
	// addresses fit the buffer on the stack.
	w := len(rb) + 1
	var stack [3 * 48]int
	var buf []int
	if 3*w <= len(stack) {
		buf = stack[:3*w]
	} else {
		buf = make([]int, 3*w)
	}
	prev2, prev, cur := buf[:w], buf[w:2*w], buf[2*w:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// dateLevel is the outcome of comparing two dates of birth.
type dateLevel int

const (
	dateDisagree dateLevel = iota
	dateExact
	dateSwapped  // day and month exchanged (US vs European order)
	dateOneEdit  // one digit mistyped or two adjacent digits transposed
	dateNear     // within 31 days of each other
	dateYear     // within 365 days of each other
	dateDayMonth // same day and month, another year
	dateYearNear // one digit of the year wrong and the day a few weeks off
	dateNotFound // either side missing
)

// CompareDates classifies two dates of birth given as "YYYY-MM-DD":
// "exact", "dob_day_month_swapped" (1980-03-04 vs 1980-04-03),
// "dob_one_digit" (one digit mistyped or two adjacent digits exchanged in
// YYYYMMDD), "dob_within_31_days", "dob_within_365_days",
// "dob_same_day_month" (the year is wrong), "disagree", or "missing" when either date
// is absent or not a real date.
func CompareDates(a, b string) string {
	return dateLevelNames[compareDates(parseDate(a), parseDate(b))]
}

var dateLevelNames = map[dateLevel]string{
	dateDisagree: "disagree", dateExact: "exact", dateSwapped: "dob_day_month_swapped",
	dateOneEdit: "dob_one_digit", dateNear: "dob_within_31_days", dateYear: "dob_within_365_days",
	dateDayMonth: "dob_same_day_month", dateYearNear: "dob_year_digit_near",
	dateNotFound: "missing",
}

func compareDates(a, b date) dateLevel {
	switch {
	case !a.ok || !b.ok:
		return dateNotFound
	case a.digits == b.digits:
		return dateExact
	case a.y == b.y && a.m == b.d && a.d == b.m:
		return dateSwapped
	case EditDistance(a.digits, b.digits) == 1:
		return dateOneEdit
	case abs(a.days-b.days) <= 31:
		return dateNear
	case abs(a.days-b.days) <= 365:
		return dateYear
	case a.m == b.m && a.d == b.d:
		return dateDayMonth
	case yearDigitNear(a, b):
		return dateYearNear
	}
	return dateDisagree
}

// yearDigitNear reports whether a and b differ in exactly one digit of the
// year (1987/1977, 2004/2014, 1979/1970) and, that digit put right, lie
// within 31 days of each other: two slips in one date, not another date.
func yearDigitNear(a, b date) bool {
	diff := 0
	for i := 0; i < 4; i++ {
		if a.digits[i] != b.digits[i] {
			diff++
		}
	}
	if diff != 1 {
		return false
	}
	// b's month and day in a's year, or the year before or after for
	// dates around New Year (a 29 February moves to 1 March).
	for y := a.y - 1; y <= a.y+1; y++ {
		t := time.Date(y, time.Month(b.m), b.d, 0, 0, 0, 0, time.UTC)
		if abs(a.days-int(t.Unix()/86400)) <= 31 {
			return true
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// CompareNumbers classifies two house numbers, postal codes or other short
// numeric strings: "exact", "one_digit" (one digit mistyped, added, dropped
// or two adjacent digits exchanged: 47 vs 74, 4814 vs 4184), "disagree", or
// "missing" when either is empty. The similarity is 1-|a-b|/max(a,b) of the
// leading integers (1 when equal, 0 when either has none).
func CompareNumbers(a, b string) (comparison string, similarity float64) {
	if a == "" || b == "" {
		return "missing", 0
	}
	x, okx := leadingInt(a)
	y, oky := leadingInt(b)
	if okx && oky {
		if hi := max(x, y); hi > 0 {
			similarity = 1 - float64(abs(x-y))/float64(hi)
		} else {
			similarity = 1
		}
	}
	switch {
	case a == b:
		return "exact", 1
	case EditDistance(a, b) == 1:
		return "one_digit", similarity
	}
	return "disagree", similarity
}

func leadingInt(s string) (int, bool) {
	n, i := 0, 0
	for ; i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, i > 0
}
