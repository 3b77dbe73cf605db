package dedupe

import (
	"strings"
	"sync"
)

// phoneMemoSize bounds the phone memo: at most this many numbers are
// remembered (about 100 bytes each: 6.5 MB). A store compares tens of candidates
// per submission, each with up to two numbers in every state it passes, so this
// holds the numbers of the last few thousand submissions' candidates: the states
// of one candidate, popular contacts, a batch's repeats and the customers who send
// inquiry after inquiry hit it. (8,192 held a few hundred submissions' worth: in a
// tenant of 70,000–100,000 contacts inquiries from known customers missed it for most
// candidates, and parsing their numbers was 12 % of the server's CPU; BENCHMARKS.md,
// "Inquiries".)
const phoneMemoSize = 65536

// phoneMemo remembers NormalizePhone results for one region. Parsing with
// libphonenumber dominates preparing a candidate, and the same stored numbers
// are parsed again for every state of a candidate and every submission that
// finds it. It keeps two generations: lookups promote entries of the older
// one, and when the newer one is full the older one is dropped, so the
// numbers in use stay and the size stays below phoneMemoSize. It is safe for
// concurrent use; the result for a number never depends on the memo.
type phoneMemo struct {
	region   string
	mu       sync.Mutex
	cur, old map[string]string
}

func newPhoneMemo(region string) *phoneMemo {
	return &phoneMemo{region: region, cur: make(map[string]string, phoneMemoSize/2)}
}

// normalize is NormalizePhone(raw, region), remembered.
func (m *phoneMemo) normalize(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	m.mu.Lock()
	e164, ok := m.cur[raw]
	if !ok {
		if e164, ok = m.old[raw]; ok {
			m.put(raw, e164)
		}
	}
	m.mu.Unlock()
	if ok {
		return e164
	}
	e164 = NormalizePhone(raw, m.region) // outside the lock: it is the slow part
	m.mu.Lock()
	m.put(strings.Clone(raw), e164)
	m.mu.Unlock()
	return e164
}

// put adds an entry to the newer generation, starting a new one when it is
// full. The caller holds m.mu.
func (m *phoneMemo) put(raw, e164 string) {
	if len(m.cur) >= phoneMemoSize/2 {
		m.old, m.cur = m.cur, make(map[string]string, phoneMemoSize/2)
	}
	m.cur[raw] = e164
}
