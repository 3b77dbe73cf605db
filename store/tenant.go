package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// KeyPrefix starts every generated API key, so a leaked key is easy to recognise.
const KeyPrefix = "chk_"

// CreateTenant stores a new tenant and returns it. It returns EINVALID for a bad name.
func (s *Store) CreateTenant(ctx context.Context, name string) (*models.Tenant, error) {
	t := &models.Tenant{Name: name}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, translate("create tenant", err)
	}
	return t, nil
}

// GetTenant returns one tenant or ENOTFOUND.
func (s *Store) GetTenant(ctx context.Context, id int64) (*models.Tenant, error) {
	var t models.Tenant
	if err := s.db.WithContext(ctx).First(&t, id).Error; err != nil {
		return nil, translate(fmt.Sprintf("get tenant %d", id), err)
	}
	return &t, nil
}

// CountTenants returns how many tenants exist (0 on a fresh database).
func (s *Store) CountTenants(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Tenant{}).Count(&n).Error; err != nil {
		return 0, translate("count tenants", err)
	}
	return n, nil
}

// NewKeySecret returns a fresh random API key.
func NewKeySecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateKey stores a key for tenantID. When secret is "" a random one is generated. The
// secret is returned once; only its hash is stored. rate is an optional quota override
// (validated by the caller). It returns ENOTFOUND for an unknown tenant and ECONFLICT
// when the secret is already in use.
func (s *Store) CreateKey(ctx context.Context, tenantID int64, name, secret, rate string) (*models.APIKey, string, error) {
	if _, err := s.GetTenant(ctx, tenantID); err != nil {
		return nil, "", err
	}
	if secret == "" {
		secret = NewKeySecret()
	}
	if len(secret) < 16 {
		return nil, "", models.Errorf(models.EINVALID, "an API key must be at least 16 characters")
	}
	name, reason := models.CleanText(name, 255)
	if reason != "" {
		return nil, "", &models.Error{Code: models.EINVALID, Message: "invalid key", Fields: []models.FieldError{{Field: "name", Error: reason}}}
	}
	k := &models.APIKey{TenantID: tenantID, Name: name, Prefix: secret[:min(len(secret), 8)], Hash: hashKey(secret), RateLimit: rate}
	if err := s.db.WithContext(ctx).Create(k).Error; err != nil {
		return nil, "", translate("create key", err)
	}
	return k, secret, nil
}

// ListKeys returns a tenant's keys (without secrets), oldest first.
func (s *Store) ListKeys(ctx context.Context, tenantID int64) ([]models.APIKey, error) {
	var keys []models.APIKey
	err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Find(&keys).Error
	return keys, translate("list keys", err)
}

// RevokeKey revokes a key of a tenant. It returns ENOTFOUND when the tenant has no such
// key. Other replicas stop accepting it within the key cache's lifetime (30 s).
func (s *Store) RevokeKey(ctx context.Context, tenantID, keyID int64) error {
	res := s.db.WithContext(ctx).Model(&models.APIKey{}).
		Where("tenant_id = ? AND id = ? AND revoked_at IS NULL", tenantID, keyID).
		Update("revoked_at", s.now())
	if res.Error != nil {
		return translate("revoke key", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "tenant %d has no active key %d", tenantID, keyID)
	}
	s.keys.clear()
	return nil
}

// UpdateKeyRate sets a key's quota override ("" restores the default).
func (s *Store) UpdateKeyRate(ctx context.Context, tenantID, keyID int64, rate string) error {
	res := s.db.WithContext(ctx).Model(&models.APIKey{}).
		Where("tenant_id = ? AND id = ?", tenantID, keyID).Update("rate_limit", rate)
	if res.Error != nil {
		return translate("update key", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "tenant %d has no key %d", tenantID, keyID)
	}
	s.keys.clear()
	return nil
}

// Authenticate resolves an API key to its principal. It returns EUNAUTH for an unknown
// or revoked key, or one whose tenant was deleted (its keys go with it). Results are
// cached briefly because every request authenticates; Recheck reads past the cache.
func (s *Store) Authenticate(ctx context.Context, secret string) (*models.Principal, error) {
	h := hashKey(secret)
	if p, ok := s.keys.get(h, s.now()); ok {
		return p, nil
	}
	gen := s.keys.generation()
	p, err := s.readKey(ctx, h)
	if err != nil {
		return nil, err
	}
	s.keys.put(h, p, s.now(), gen)
	return p, nil
}

// Recheck authenticates a key against the database, past the cache, and forgets the
// cached key when it no longer authenticates: a key revoked or whose tenant was deleted
// by another process (another replica, the CLI, SQL) would otherwise be served from
// the cache for up to 30 s. It returns EUNAUTH for such a key.
func (s *Store) Recheck(ctx context.Context, secret string) (*models.Principal, error) {
	h := hashKey(secret)
	p, err := s.readKey(ctx, h)
	if models.ErrorCode(err) == models.EUNAUTH {
		s.keys.forget(h)
	}
	return p, err
}

// readKey reads an active key by the hash of its secret.
func (s *Store) readKey(ctx context.Context, h string) (*models.Principal, error) {
	var k models.APIKey
	err := s.db.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", h).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(models.EUNAUTH, "invalid API key")
	}
	if err != nil {
		return nil, translate("authenticate", err)
	}
	return &models.Principal{TenantID: k.TenantID, KeyID: k.ID, RateLimit: k.RateLimit}, nil
}

// keyCache remembers verified keys for a short time to spare a query per request.
type keyCache struct {
	ttl     time.Duration
	mu      sync.RWMutex
	entries map[string]keyEntry
	// gen grows with every clear, so a key read before a revoke cannot be cached after it.
	gen uint64
}

type keyEntry struct {
	p       *models.Principal
	expires time.Time
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, entries: map[string]keyEntry{}}
}

func (c *keyCache) get(h string, now time.Time) (*models.Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[h]
	c.mu.RUnlock()
	return e.p, ok && now.Before(e.expires)
}

func (c *keyCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *keyCache) put(h string, p *models.Principal, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // cleared (a key revoked) while this one was read
	}
	if len(c.entries) > 10000 {
		clear(c.entries)
	}
	c.entries[h] = keyEntry{p: p, expires: now.Add(c.ttl)}
}

// forget drops one key; like clear, it keeps a read in flight from caching it again.
func (c *keyCache) forget(h string) {
	c.mu.Lock()
	c.gen++
	delete(c.entries, h)
	c.mu.Unlock()
}

func (c *keyCache) clear() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// Bootstrap makes a fresh installation usable: on an empty database it creates a tenant
// (tenant 1 on a new database) with one API key (secret, or a random one when secret is
// ""); with a secret given and tenants present it makes sure that key exists for tenant
// 1 — unless tenant 1 was deleted, which it logs and leaves alone. It returns the key to
// show ("" when nothing was created and no secret was given) and its tenant. Replicas
// starting together run it under one lock, so exactly one creates the tenant.
func (s *Store) Bootstrap(ctx context.Context, secret string) (string, int64, error) {
	var shown string
	var tenantID int64
	err := s.retry(ctx, func(tx *gorm.DB) error {
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext('contacthub.bootstrap'))").Error; err != nil {
				return translate("bootstrap lock", err)
			}
		}
		var n int64
		if err := tx.Model(&models.Tenant{}).Count(&n).Error; err != nil {
			return translate("count tenants", err)
		}
		if n == 0 {
			// Ids are never reused (identity, AUTOINCREMENT): after every tenant was
			// deleted this one gets a new id, and no key cached for an old one fits it.
			t := &models.Tenant{Name: "default"}
			if err := tx.Create(t).Error; err != nil {
				return translate("create tenant", err)
			}
			if secret == "" {
				secret = NewKeySecret()
			}
			shown, tenantID = secret, t.ID
			return tx.Create(&models.APIKey{TenantID: t.ID, Name: "bootstrap", Prefix: secret[:min(len(secret), 8)], Hash: hashKey(secret)}).Error
		}
		if secret == "" {
			return nil
		}
		var k int64
		if err := tx.Model(&models.APIKey{}).Where("hash = ?", hashKey(secret)).Count(&k).Error; err != nil {
			return translate("find bootstrap key", err)
		}
		if k > 0 {
			return nil
		}
		var one int64
		if err := tx.Model(&models.Tenant{}).Where("id = 1").Count(&one).Error; err != nil {
			return translate("find tenant 1", err)
		}
		if one == 0 {
			// The key would be tenant 1's; handing it to another tenant is not ours to
			// decide, and refusing to start would take every other tenant down with it.
			s.log.Warn("bootstrap API key not created: tenant 1 was deleted; create keys with `contacthub keys create --tenant ID`")
			return nil
		}
		shown, tenantID = secret, 1 // shown only when it was created now, never on a restart
		return tx.Create(&models.APIKey{TenantID: 1, Name: "bootstrap", Prefix: secret[:min(len(secret), 8)], Hash: hashKey(secret)}).Error
	})
	if err != nil {
		return "", 0, translate("bootstrap", err)
	}
	return shown, tenantID, nil
}
