package dedupe

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
)

func TestTmpLevels(t *testing.T) {
	for _, ds := range []string{"splink", "febrl2"} {
		var recs []labeled
		if ds == "splink" {
			recs = loadSplink(t, filepath.Join(dataDir, "splink", "fake_1000.csv"))
		} else {
			recs = loadFEBRL(t, filepath.Join(dataDir, "febrl", "dataset2.csv"))
		}
		e := New(Config{})
		ps := make([]prepared, len(recs))
		for i := range recs {
			ps[i] = e.prepare(recs[i].rec)
		}
		m := map[string]int{}
		u := map[string]int{}
		nm, nu := 0, 0
		for i := range recs {
			for j := i + 1; j < len(recs); j++ {
				if ds == "febrl2" && recs[i].entity != recs[j].entity && (i*7+j)%50 != 0 {
					continue
				}
				x := e.compare(&ps[i], &ps[j])
				same := recs[i].entity == recs[j].entity
				if same {
					nm++
				} else {
					nu++
				}
				for _, f := range x.Fields {
					k := f.Field + ":" + f.Comparison
					if same {
						m[k]++
					} else {
						u[k]++
					}
				}
			}
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		for k := range u {
			if m[k] == 0 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%s %-50s m=%.4f u=%.6f\n", ds, k, float64(m[k])/float64(nm), float64(u[k])/float64(nu))
		}
	}
}
