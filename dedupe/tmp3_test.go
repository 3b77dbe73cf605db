package dedupe

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestTmpBlockRecall(t *testing.T) {
	recs := loadSplink(t, filepath.Join(dataDir, "splink", "fake_1000.csv"))
	e := New(Config{})
	keys := make([]map[string]bool, len(recs))
	for i := range recs {
		keys[i] = map[string]bool{}
		for _, k := range e.BlockingKeys(recs[i].rec) {
			keys[i][k] = true
		}
	}
	n, blocked := 0, 0
	for i := range recs {
		for j := 0; j < i; j++ {
			if recs[i].entity != recs[j].entity {
				continue
			}
			x := e.Compare(recs[i].rec, recs[j].rec)
			if !x.Match {
				continue
			}
			n++
			shared := false
			for k := range keys[i] {
				if keys[j][k] {
					shared = true
				}
			}
			if shared {
				blocked++
			} else {
				fmt.Printf("%+v\n%+v\n%s\n\n", recs[i].rec, recs[j].rec, explain(x))
			}
		}
	}
	fmt.Println("matchable pairs", n, "blocked", blocked)
}
