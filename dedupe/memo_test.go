package dedupe

import (
	"fmt"
	"sync"
	"testing"
)

func TestPhoneMemo(t *testing.T) {
	t.Parallel()
	m := newPhoneMemo("DE")
	raws := []string{"030 1234567", "+49 (30) 123 45 67", "0049 30 1234567", "12", "", "  0176 12345678 ", "not a number"}
	for range 3 { // the second and third round come from the memo
		for _, raw := range raws {
			if got, want := m.normalize(raw), NormalizePhone(raw, "DE"); got != want {
				t.Errorf("normalize(%q) = %q, NormalizePhone = %q", raw, got, want)
			}
		}
	}

	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		m := newPhoneMemo("DE")
		for i := range 3 * phoneMemoSize {
			m.normalize(fmt.Sprintf("030 %07d", i))
		}
		if n := len(m.cur) + len(m.old); n > phoneMemoSize {
			t.Errorf("memo holds %d numbers, want at most %d", n, phoneMemoSize)
		}
		if got := m.normalize("030 0000001"); got != "+49300000001" {
			t.Errorf("evicted number normalised to %q", got)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		m := newPhoneMemo("DE")
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 2000 {
					raw := fmt.Sprintf("030 %07d", (i*7+g)%3000)
					if got, want := m.normalize(raw), "+4930"+fmt.Sprintf("%07d", (i*7+g)%3000); got != want {
						t.Errorf("normalize(%q) = %q, want %q", raw, got, want)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}
