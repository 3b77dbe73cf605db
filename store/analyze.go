package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// PostgreSQL plans a tenant's queries from the statistics of the last ANALYZE, and a
// tenant imported after it looks empty: lookups by id and mail are written to be immune
// (byid.go), but a word search walks all of such a tenant (BENCHMARKS.md, issue 3).
// Autovacuum re-analyses after 1 % of a table changed (migration 00008) — if it is on,
// and up to a minute later. The store knows when it has just written many contacts,
// so it analyses the contact tables itself then, in the background.

// defaultAnalyzeEvery is how many new contacts this process writes between two
// ANALYZEs (Config.AnalyzeEvery). ANALYZE reads a sample of 30,000 rows whatever the
// table's size: a fraction of a second, next to the several seconds 50,000 contacts
// take to write.
const defaultAnalyzeEvery = 50_000

// analyzer runs ANALYZE of the contact tables after every `every` new contacts.
type analyzer struct {
	every   int64
	written atomic.Int64 // new contacts since the last ANALYZE began
	running atomic.Bool
	wg      sync.WaitGroup
}

// noteWritten counts n new contacts and starts an ANALYZE when enough were written and
// none runs.
func (s *Store) noteWritten(n int) {
	if s.dialect != Postgres || n == 0 || s.analyzer.written.Add(int64(n)) < s.analyzer.every || !s.analyzer.running.CompareAndSwap(false, true) {
		return
	}
	s.analyzer.written.Store(0)
	s.analyzer.wg.Add(1)
	go func() {
		defer s.analyzer.wg.Done()
		defer s.analyzer.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := s.sqlDB.ExecContext(ctx, "ANALYZE contacts, contact_keys, contact_terms"); err != nil {
			s.log.Warn("analyse contact tables after a big write", "err", err)
			return
		}
		s.log.Debug("analysed contact tables after a big write", "took", time.Since(start))
	}()
}
