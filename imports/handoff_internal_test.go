package imports

import "testing"

// TestHandoffGivesEachPayloadOnce: a held payload is taken once; a bound on the bytes
// held refuses more; dropping an entry replaced meanwhile leaves the new one.
func TestHandoffGivesEachPayloadOnce(t *testing.T) {
	var h handoff
	k := heldKey{1, 7}
	if !h.put(k, []byte("[1,2]")) {
		t.Fatal("put refused a small payload")
	}
	if data, ok := h.take(k); !ok || string(data) != "[1,2]" {
		t.Fatalf("take = %q %v", data, ok)
	}
	if _, ok := h.take(k); ok {
		t.Fatal("a payload was taken twice")
	}
	if h.put(heldKey{1, 8}, make([]byte, heldMaxBytes+1)) {
		t.Fatal("put held more than heldMaxBytes")
	}
	big := make([]byte, heldMaxBytes/2+1)
	if !h.put(heldKey{1, 9}, big) || h.put(heldKey{1, 10}, big) {
		t.Fatal("the bound counted the bytes held wrongly")
	}
	h.take(heldKey{1, 9})
	if n, bytes := h.held(); n != 0 || bytes != 0 {
		t.Fatalf("held %d payloads of %d bytes after taking all", n, bytes)
	}
	h.put(k, []byte("a"))
	old := h.m[k]
	h.put(k, []byte("bb"))
	h.drop(k, old)
	if data, ok := h.take(k); !ok || string(data) != "bb" {
		t.Fatalf("dropping the replaced entry took the new one: %q %v", data, ok)
	}
}
