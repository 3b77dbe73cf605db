package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestBigWritesRefreshStatistics: after AnalyzeEvery new contacts the store analyses
// the contact tables itself, so a tenant it has just imported does not look empty to
// PostgreSQL's planner until autovacuum comes by; fewer contacts leave them alone.
func TestBigWritesRefreshStatistics(t *testing.T) {
	if storetest.Dialect() != store.Postgres {
		t.Skip("PostgreSQL's statistics only")
	}
	cfg := storetest.Config(t)
	cfg.AnalyzeEvery = 100
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	lastAnalyze := func() sql.NullTime {
		var at sql.NullTime
		if err := st.DB().QueryRowContext(ctx, "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'contacts'").Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	ingest := func(n, from int) {
		subs := make([]*models.Submission, n)
		for i := range subs {
			subs[i] = storetest.Submission(t, map[string]any{"mail": fmt.Sprintf("an%d@example.com", from+i)})
		}
		if _, err := st.Ingest(ctx, tn.ID, subs, models.IngestOptions{Check: models.CheckEmail}); err != nil {
			t.Fatal(err)
		}
	}
	before := lastAnalyze()
	ingest(60, 0)
	time.Sleep(200 * time.Millisecond) // an ANALYZE started by mistake would finish
	if got := lastAnalyze(); got != before {
		t.Fatalf("60 contacts analysed the tables (last_analyze %v → %v); want that only after 100", before, got)
	}
	ingest(60, 60)
	deadline := time.Now().Add(10 * time.Second)
	for lastAnalyze() == before {
		if time.Now().After(deadline) {
			t.Fatal("120 new contacts, AnalyzeEvery 100: contacts was not analysed within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
