package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// A tenant's duplicate model (dedupe.Model) is stored as versions in dedupe_models;
// the active one scores the tenant's submissions. engineFor keeps each tenant's
// engine for modelRecheck and then asks the database which version is active, so a
// training or rollback on one replica reaches every replica within that time.
const modelRecheck = 5 * time.Second

type tenantEngine struct {
	eng     *dedupe.Engine
	version int
	checked time.Time
	// refreshing is set while one caller asks the database; the others keep scoring
	// with eng meanwhile instead of all asking at once when the recheck is due.
	refreshing bool
}

type engineCache struct {
	mu sync.Mutex
	m  map[int64]*tenantEngine
}

// engineFor returns the engine that scores tenantID's contacts: the default engine,
// or one with the tenant's active model. A failed lookup keeps the engine the tenant
// had (the defaults when none was loaded yet) and is logged: scoring must not fail
// because the model table could not be read for a moment.
func (s *Store) engineFor(ctx context.Context, tenantID int64) *dedupe.Engine {
	now := time.Now()
	s.engines.mu.Lock()
	if s.engines.m == nil {
		s.engines.m = map[int64]*tenantEngine{}
	}
	te := s.engines.m[tenantID]
	if te != nil && (now.Sub(te.checked) < modelRecheck || te.refreshing) {
		s.engines.mu.Unlock()
		return te.eng
	}
	current := s.engine
	version := 0
	if te != nil {
		te.refreshing = true
		current, version = te.eng, te.version
	}
	s.engines.mu.Unlock()
	active, err := s.activeModelVersion(ctx, tenantID)
	if err != nil {
		s.log.Warn("dedupe model lookup failed; scoring with the model in use", "tenant", tenantID, "version", version, "err", err)
		s.engines.mu.Lock()
		if te != nil {
			te.refreshing = false
		}
		s.engines.mu.Unlock()
		return current
	}
	if active != version || te == nil {
		current = s.engine
		if active > 0 {
			m, err := s.dedupeModel(ctx, tenantID, active)
			if err == nil {
				current, err = s.engine.WithModel(m)
			}
			if err != nil {
				s.log.Error("dedupe model unusable; scoring with the defaults", "tenant", tenantID, "version", active, "err", err)
				current, active = s.engine, 0
			}
		}
	}
	s.engines.mu.Lock()
	s.engines.m[tenantID] = &tenantEngine{eng: current, version: active, checked: now}
	s.engines.mu.Unlock()
	return current
}

func (s *Store) activeModelVersion(ctx context.Context, tenantID int64) (int, error) {
	var active int
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM dedupe_models WHERE tenant_id = ? AND active", tenantID).Row().Scan(&active)
	return active, err
}

func (s *Store) dedupeModel(ctx context.Context, tenantID int64, version int) (*dedupe.Model, error) {
	var raw string
	err := s.db.WithContext(ctx).Raw("SELECT model FROM dedupe_models WHERE tenant_id = ? AND version = ?", tenantID, version).Row().Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, models.Errorf(models.ENOTFOUND, "dedupe model version %d not found", version)
	}
	if err != nil {
		return nil, translate("read dedupe model", err)
	}
	var m dedupe.Model
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("store: dedupe model %d of tenant %d: %w", version, tenantID, err)
	}
	m.Version = version
	return &m, nil
}

// DedupeModels returns the tenant's model versions, newest first, without their
// tables, and the active version (0: the defaults).
func (s *Store) DedupeModels(ctx context.Context, tenantID int64) ([]models.DedupeModelVersion, int, error) {
	var rows []struct {
		Version   int
		Contacts  int64
		Active    bool
		CreatedAt time.Time
	}
	err := s.db.WithContext(ctx).Raw("SELECT version, contacts, active, created_at FROM dedupe_models WHERE tenant_id = ? ORDER BY version DESC", tenantID).Scan(&rows).Error
	if err != nil {
		return nil, 0, translate("list dedupe models", err)
	}
	out := make([]models.DedupeModelVersion, len(rows))
	active := 0
	for i, r := range rows {
		out[i] = models.DedupeModelVersion{Version: r.Version, Contacts: r.Contacts, Active: r.Active, CreatedAt: r.CreatedAt.UTC()}
		if r.Active {
			active = r.Version
		}
	}
	return out, active, nil
}

// DedupeModel returns version of the tenant's models; 0 is the defaults. A version
// the tenant does not have is ENOTFOUND.
func (s *Store) DedupeModel(ctx context.Context, tenantID int64, version int) (*dedupe.Model, error) {
	if version == 0 {
		return dedupe.DefaultModel(), nil
	}
	return s.dedupeModel(ctx, tenantID, version)
}

// SaveDedupeModel stores m as the tenant's next version and makes it the active one,
// in one transaction; it returns the version.
func (s *Store) SaveDedupeModel(ctx context.Context, tenantID int64, m *dedupe.Model, contacts int64) (int, error) {
	var version int
	err := s.retry(ctx, func(tx *gorm.DB) error {
		tx = tx.WithContext(ctx)
		if err := tx.Raw("SELECT COALESCE(MAX(version), 0) + 1 FROM dedupe_models WHERE tenant_id = ?", tenantID).Row().Scan(&version); err != nil {
			return err
		}
		m.Version = version
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := tx.Exec("UPDATE dedupe_models SET active = false WHERE tenant_id = ? AND active", tenantID).Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO dedupe_models (tenant_id, version, model, contacts, active, created_at) VALUES (?, ?, ?, ?, true, ?)",
			tenantID, version, string(raw), contacts, s.now().UTC()).Error
	})
	if err != nil {
		return 0, translate("save dedupe model", err)
	}
	s.forgetEngine(tenantID)
	return version, nil
}

// ActivateDedupeModel makes version the tenant's active model; 0 activates the
// defaults. A version the tenant does not have is ENOTFOUND.
func (s *Store) ActivateDedupeModel(ctx context.Context, tenantID int64, version int) error {
	err := s.retry(ctx, func(tx *gorm.DB) error {
		tx = tx.WithContext(ctx)
		if version > 0 {
			var n int64
			if err := tx.Raw("SELECT COUNT(*) FROM dedupe_models WHERE tenant_id = ? AND version = ?", tenantID, version).Row().Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return models.Errorf(models.ENOTFOUND, "dedupe model version %d not found", version)
			}
		}
		if err := tx.Exec("UPDATE dedupe_models SET active = false WHERE tenant_id = ? AND active", tenantID).Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE dedupe_models SET active = true WHERE tenant_id = ? AND version = ?", tenantID, version).Error
	})
	if err != nil {
		return translate("activate dedupe model", err)
	}
	s.forgetEngine(tenantID)
	return nil
}

func (s *Store) forgetEngine(tenantID int64) {
	s.engines.mu.Lock()
	delete(s.engines.m, tenantID)
	s.engines.mu.Unlock()
}

// DedupeGrownTenants returns the tenants whose active model is a trained one and
// who now have at least (100+growthPercent)% of the contacts they had at their
// newest training.
func (s *Store) DedupeGrownTenants(ctx context.Context, growthPercent int) ([]int64, error) {
	var tenants []int64
	err := s.db.WithContext(ctx).Raw(`SELECT a.tenant_id FROM dedupe_models a
		WHERE a.active AND a.version > 0
		  AND (SELECT COUNT(*) FROM contacts c WHERE c.tenant_id = a.tenant_id) * 100 >=
		      (SELECT n.contacts FROM dedupe_models n WHERE n.tenant_id = a.tenant_id ORDER BY n.version DESC LIMIT 1) * (100 + ?)
		ORDER BY a.tenant_id`, growthPercent).Scan(&tenants).Error
	return tenants, translate("find grown tenants", err)
}

// CountContacts returns the number of the tenant's contacts.
func (s *Store) CountContacts(ctx context.Context, tenantID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM contacts WHERE tenant_id = ?", tenantID).Row().Scan(&n)
	return n, translate("count contacts", err)
}

// DedupeTrainingData gathers what dedupe.Engine.Train learns from: a random sample
// of at most sample contacts, and for the first seeds of them every contact sharing a
// blocking key (as an auto ingest would find it), as candidate pairs.
func (s *Store) DedupeTrainingData(ctx context.Context, tenantID int64, sample, seeds int) (dedupe.TrainingData, error) {
	var d dedupe.TrainingData
	n, err := s.CountContacts(ctx, tenantID)
	if err != nil {
		return d, err
	}
	d.TenantSize = int(n)
	var cs []*models.Contact
	err = s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("random()").Limit(sample).Find(&cs).Error
	if err != nil {
		return d, translate("sample contacts", err)
	}
	for _, c := range cs {
		d.Contacts = append(d.Contacts, recordOf(c))
	}
	seen := map[[2]int64]bool{}
	for i, c := range cs[:min(seeds, len(cs))] {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		keys := s.lookupKeys(c, models.CheckAuto)
		pool, err := s.loadCandidates(ctx, s.db, tenantID, [][]string{keys}, keys, false)
		if err != nil {
			return d, err
		}
		for _, w := range pool.candidates(keys) {
			if w.c.ID == c.ID {
				continue
			}
			p := [2]int64{min(c.ID, w.c.ID), max(c.ID, w.c.ID)}
			if !seen[p] {
				seen[p] = true
				d.Pairs = append(d.Pairs, [2]dedupe.Record{recordOf(cs[i]), recordOf(w.c)})
			}
		}
	}
	return d, nil
}
