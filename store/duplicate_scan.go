package store

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// Tenant-wide duplicate scans (package dupscan runs them): each batch compares
// contacts in id order with the candidates blocking finds for them, each pair once
// (from its smaller id), records the pairs from the review threshold up in the review
// queue and, for a merge scan, merges the matching ones through the queue's ordinary
// merge. Both are idempotent (a pair is queued once; a pair no longer open is not
// merged again), so the checkpoint can follow the batch.

// scanRow is the duplicate_scans table.
type scanRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	Action     string
	Status     string
	Total      int64
	Processed  int64
	LastID     int64
	Queued     int64
	Merged     int64
	Skipped    int64
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

func (scanRow) TableName() string { return "duplicate_scans" }

func (r *scanRow) model() *models.DuplicateScan {
	s := models.DuplicateScan(*r)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if s.FinishedAt != nil {
		f := s.FinishedAt.UTC()
		s.FinishedAt = &f
	}
	return &s
}

// CreateDuplicateScan starts a scan of the tenant's contacts and enqueues its job in
// the same transaction. A scan already running for the tenant is ECONFLICT.
func (s *Store) CreateDuplicateScan(ctx context.Context, scan *models.DuplicateScan, enqueue func(ctx context.Context, tx *sql.Tx, scan *models.DuplicateScan) error) error {
	now := s.now()
	return s.retry(ctx, func(tx *gorm.DB) error {
		tx = tx.WithContext(ctx)
		if err := requireTenant(tx, s.dialect, scan.TenantID); err != nil {
			return err
		}
		var running []int64
		if err := tx.Raw("SELECT id FROM duplicate_scans WHERE tenant_id = ? AND status = ?", scan.TenantID, models.ScanRunning).Scan(&running).Error; err != nil {
			return translate("find running scans", err)
		}
		if len(running) > 0 {
			return models.Errorf(models.ECONFLICT, "duplicate scan %d is still running", running[0])
		}
		var total int64
		if err := tx.Raw("SELECT COUNT(*) FROM contacts WHERE tenant_id = ?", scan.TenantID).Row().Scan(&total); err != nil {
			return translate("count contacts", err)
		}
		row := &scanRow{TenantID: scan.TenantID, Action: scan.Action, Status: models.ScanRunning, Total: total, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(row).Error; err != nil {
			return translate("create duplicate scan", err)
		}
		*scan = *row.model()
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, scan)
	})
}

// GetDuplicateScan returns a scan of the tenant; ENOTFOUND for another tenant's.
func (s *Store) GetDuplicateScan(ctx context.Context, tenantID, id int64) (*models.DuplicateScan, error) {
	var rows []scanRow
	if err := s.db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).Limit(1).Find(&rows).Error; err != nil {
		return nil, translate("get duplicate scan", err)
	}
	if len(rows) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "duplicate scan %d not found", id)
	}
	return rows[0].model(), nil
}

// FailDuplicateScan ends a running scan as failed with reason.
func (s *Store) FailDuplicateScan(ctx context.Context, tenantID, id int64, reason string) error {
	now := s.now()
	err := s.db.WithContext(ctx).Exec("UPDATE duplicate_scans SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE tenant_id = ? AND id = ? AND status = ?",
		models.ScanFailed, reason, now, now, tenantID, id, models.ScanRunning).Error
	return translate("fail duplicate scan", err)
}

// ScanDuplicatesBatch scans the next limit contacts of a running scan after its
// checkpoint and advances it; it reports whether the scan has ended (completed now, or
// no longer running).
func (s *Store) ScanDuplicatesBatch(ctx context.Context, tenantID, id int64, limit int) (done bool, err error) {
	scan, err := s.GetDuplicateScan(ctx, tenantID, id)
	if err != nil || scan.Status != models.ScanRunning {
		return true, err
	}
	batch, err := s.readScanBatch(ctx, tenantID, scan.LastID, limit)
	if err != nil {
		return false, err
	}
	now := s.now()
	if len(batch) == 0 {
		err := s.db.WithContext(ctx).Exec("UPDATE duplicate_scans SET status = ?, updated_at = ?, finished_at = ? WHERE id = ? AND status = ?",
			models.ScanCompleted, now, now, id, models.ScanRunning).Error
		return true, translate("complete duplicate scan", err)
	}
	eng := s.engineFor(ctx, tenantID)
	ranked, err := s.scoreScanParts(ctx, tenantID, eng, batch)
	if err != nil {
		return false, err
	}
	var review, matches []possibleDuplicate
	for i, c := range batch {
		for _, r := range ranked[i] {
			if r.Explanation.Score < eng.ReviewThreshold() {
				break // ranked by score
			}
			p := possibleDuplicate{a: c.ID, b: r.ID, explanation: explanationOf(r.Explanation)}
			if r.Explanation.Match && scan.Action == models.ScanMerge {
				matches = append(matches, p)
			} else {
				review = append(review, p)
			}
		}
	}
	if err := s.queueDuplicates(ctx, tenantID, append(review, matches...)); err != nil {
		return false, err
	}
	var merged, skipped int64
	for _, p := range matches {
		var pairID int64
		err := s.db.WithContext(ctx).Raw("SELECT id FROM duplicate_pairs WHERE tenant_id = ? AND contact_a = ? AND contact_b = ? AND status = ?",
			tenantID, p.a, p.b, models.DuplicateOpen).Row().Scan(&pairID)
		if errors.Is(err, sql.ErrNoRows) {
			skipped++ // dismissed (never merged automatically) or merged already
			continue
		}
		if err != nil {
			return false, translate("find queued pair", err)
		}
		switch _, _, err := s.MergeDuplicate(ctx, tenantID, pairID, 0); models.ErrorCode(err) {
		case "":
			merged++
		case models.ECONFLICT, models.ENOTFOUND:
			skipped++ // one of the two was merged into a third or deleted meanwhile
		default:
			return false, err
		}
	}
	last := batch[len(batch)-1].ID
	err = s.db.WithContext(ctx).Exec("UPDATE duplicate_scans SET last_id = ?, processed = processed + ?, queued = queued + ?, merged = merged + ?, skipped = skipped + ?, updated_at = ? "+
		"WHERE id = ? AND last_id = ? AND status = ?", last, len(batch), len(review), merged, skipped, now, id, scan.LastID, models.ScanRunning).Error
	return false, translate("advance duplicate scan", err)
}

// scanPart is how many contacts of a scan's batch are read together: each part's
// candidates are read while the part before it is compared. (A variable for tests.)
var scanPart = 125

// scanLoad is a part of a batch read for comparison: each contact's lookup keys and
// the candidates above it.
type scanLoad struct {
	lookup [][]string
	pool   *candidatePool
	err    error
}

// loadScanPart reads the candidates of the contacts part, each only those above its
// id (each pair is compared once, from its smaller id).
func (s *Store) loadScanPart(ctx context.Context, tenantID int64, part []*models.Contact) scanLoad {
	l := scanLoad{lookup: make([][]string, len(part))}
	above := make([]int64, len(part))
	for i, c := range part {
		l.lookup[i], above[i] = s.lookupKeys(c, models.CheckAuto), c.ID
	}
	rows, err := s.keyRows(ctx, s.db, tenantID, lookupUnion(l.lookup))
	if err != nil {
		l.err = err
		return l
	}
	l.pool, l.err = s.candidatesLoaded(ctx, s.db, tenantID, rows, l.lookup, above, nil, func(ids []int64) (map[int64]*working, error) {
		return s.scanCandidates(ctx, s.db, tenantID, ids)
	})
	return l
}

// scoreScanParts compares each contact of the batch with its candidates and returns
// its ranking (nil: no candidates). The batch is read in parts of scanPart contacts,
// the next part while one is compared, so the database and the comparisons work at
// the same time; all is read before the batch writes anything.
func (s *Store) scoreScanParts(ctx context.Context, tenantID int64, eng *dedupe.Engine, batch []*models.Contact) ([][]dedupe.Scored, error) {
	read := func(from int) chan scanLoad {
		ch := make(chan scanLoad, 1)
		go func() { ch <- s.loadScanPart(ctx, tenantID, batch[from:min(from+scanPart, len(batch))]) }()
		return ch
	}
	ranked := make([][]dedupe.Scored, 0, len(batch))
	next := read(0)
	for from := 0; from < len(batch); from += scanPart {
		l := <-next
		if l.err != nil {
			return nil, l.err
		}
		if from+scanPart < len(batch) {
			next = read(from + scanPart)
		}
		part := batch[from:min(from+scanPart, len(batch))]
		ranked = append(ranked, scoreScanPart(eng, part, l.lookup, l.pool)...)
	}
	return ranked, nil
}

// maxScanWorkers bounds the goroutines that compare one part of a scan's batch.
const maxScanWorkers = 4

// scoreScanPart compares each contact of part with its candidates above its id and
// returns each one's ranking (nil: no candidates). The contacts are shared out over
// one goroutine per core (at most maxScanWorkers), each with a Scorer of its own,
// which prepares a candidate that recurs among its contacts once; the rankings are
// those of comparing one by one.
func scoreScanPart(eng *dedupe.Engine, part []*models.Contact, lookup [][]string, pool *candidatePool) [][]dedupe.Scored {
	ranked := make([][]dedupe.Scored, len(part))
	workers := max(1, min(runtime.GOMAXPROCS(0), maxScanWorkers, len(part)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			sc := eng.NewScorer()
			for i := w; i < len(part); i += workers {
				c := part[i]
				var dc []dedupe.Candidate
				for _, cand := range pool.candidates(lookup[i]) {
					if cand.c.ID > c.ID {
						dc = append(dc, dedupe.Candidate{ID: cand.c.ID, Record: recordOf(cand.c), History: cand.history})
					}
				}
				_, ranked[i] = sc.BestOf(c.ID, recordOf(c), dc)
			}
		})
	}
	wg.Wait()
	return ranked
}
