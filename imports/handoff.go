package imports

import (
	"sync"
	"time"
)

// handoff holds the payloads of imports this process has just accepted, for its own
// worker: the job of an import is most often taken by the replica whose request
// stored it, and that worker then starts on the records in memory instead of reading
// the stored payload back (a 10,000-person body is ~4 MB: reading it back was ~0.1 s
// of the import's start, with nothing else to overlap it). The stored payload stays
// what counts: it was committed with the import before the 202, a worker on another
// replica or after a restart reads it, and the lease and checkpoint work as before —
// the handoff changes where the bytes come from, never which records are written.
//
// An entry is taken once, by the first claim of its import in this process, and is
// dropped after heldFor (the job went to another replica, or waits behind others), so
// the memory it holds is bounded in time and, by heldMaxBytes, in size: beyond it
// a payload is not held and its worker reads it back.
type handoff struct {
	mu    sync.Mutex
	m     map[heldKey]*heldPayload
	bytes int
}

type heldKey struct{ tenant, id int64 }

type heldPayload struct{ data []byte }

const (
	heldFor      = time.Minute
	heldMaxBytes = 64 << 20
)

// put holds data for import k; false when the bound leaves no room for it.
func (h *handoff) put(k heldKey, data []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bytes+len(data) > heldMaxBytes {
		return false
	}
	if h.m == nil {
		h.m = map[heldKey]*heldPayload{}
	}
	if old := h.m[k]; old != nil {
		h.bytes -= len(old.data)
	}
	p := &heldPayload{data: data}
	h.m[k] = p
	h.bytes += len(data)
	time.AfterFunc(heldFor, func() { h.drop(k, p) })
	return true
}

// take returns and forgets the payload held for import k.
func (h *handoff) take(k heldKey) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.m[k]
	if p == nil {
		return nil, false
	}
	delete(h.m, k)
	h.bytes -= len(p.data)
	return p.data, true
}

// drop forgets p if it is still what is held for k.
func (h *handoff) drop(k heldKey, p *heldPayload) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[k] == p {
		delete(h.m, k)
		h.bytes -= len(p.data)
	}
}

// held reports how many payloads and bytes are held (tests).
func (h *handoff) held() (n, bytes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m), h.bytes
}
