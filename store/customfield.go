package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// customFieldTTL is how long a replica trusts its copy of a tenant's definitions
// when it cannot hear of changes (fieldnotify.go): SQLite, or PostgreSQL while the
// listening connection is down. A field defined on another replica is still seen at
// once when it is submitted (want).
const customFieldTTL = 2 * time.Second

// fieldCache spares the definitions query on every contact write.
type fieldCache struct {
	mu      sync.Mutex
	entries map[int64]fieldEntry
	// gen counts drops: a load that began before one is not stored.
	gen uint64
	// listening: changes on other replicas are heard (fieldnotify.go).
	listening bool
}

type fieldEntry struct {
	defs   map[string]*models.CustomField
	stored time.Time
}

func (c *fieldCache) get(tenantID int64, now time.Time) (defs map[string]*models.CustomField, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tenantID]
	ttl := customFieldTTL
	if c.listening {
		ttl = fieldListenTTL
	}
	return e.defs, ok && now.Before(e.stored.Add(ttl)), c.gen
}

// put stores defs loaded after get returned gen, unless a drop came since.
func (c *fieldCache) put(tenantID int64, defs map[string]*models.CustomField, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[int64]fieldEntry{}
	}
	c.entries[tenantID] = fieldEntry{defs: defs, stored: now}
}

func (c *fieldCache) forget(tenantID int64) {
	c.mu.Lock()
	delete(c.entries, tenantID)
	c.gen++
	c.mu.Unlock()
}

func (c *fieldCache) forgetAll() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}

func (c *fieldCache) setListening(on bool) {
	c.mu.Lock()
	c.listening = on
	c.mu.Unlock()
}

// CustomFields returns a tenant's custom field definitions by name. The map is shared:
// callers must not change it. Definitions are cached briefly; naming fields in want
// (the field names a submission uses) forces a reload when one of them is not cached,
// so a field defined a moment ago on another replica is never refused; other changes
// reach the cache by notification (fieldnotify.go).
func (s *Store) CustomFields(ctx context.Context, tenantID int64, want ...string) (map[string]*models.CustomField, error) {
	defs, ok, gen := s.fields.get(tenantID, s.now())
	if ok {
		missing := false
		for _, name := range want {
			if defs[name] == nil {
				missing = true
				break
			}
		}
		if !missing {
			return defs, nil
		}
	}
	var list []*models.CustomField
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Find(&list).Error; err != nil {
		return nil, translate("list custom fields", err)
	}
	m := make(map[string]*models.CustomField, len(list))
	for _, f := range list {
		m[f.Name] = f
	}
	s.fields.put(tenantID, m, s.now(), gen)
	return m, nil
}

// ListCustomFields returns a tenant's custom fields in creation order.
func (s *Store) ListCustomFields(ctx context.Context, tenantID int64) ([]*models.CustomField, error) {
	var list []*models.CustomField
	err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Find(&list).Error
	return list, translate("list custom fields", err)
}

// GetCustomField finds a field by id or by name (with or without the field_ prefix); a
// numeric ref is tried as an id first, then as a name, as for terms. It returns
// ENOTFOUND when the tenant has none.
func (s *Store) GetCustomField(ctx context.Context, tenantID int64, ref string) (*models.CustomField, error) {
	return getCustomField(ctx, s.db, tenantID, ref)
}

func getCustomField(ctx context.Context, db *gorm.DB, tenantID int64, ref string) (*models.CustomField, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		f, err := takeCustomField(ctx, db, ref, "tenant_id = ? AND id = ?", tenantID, id)
		// A label such as "2024" gives a name of digits only, so a numeric ref that
		// is no id may still be a name.
		if models.ErrorCode(err) != models.ENOTFOUND {
			return f, err
		}
	}
	name, _ := strings.CutPrefix(ref, models.CustomFieldPrefix)
	return takeCustomField(ctx, db, ref, "tenant_id = ? AND name = ?", tenantID, name)
}

func takeCustomField(ctx context.Context, db *gorm.DB, ref, where string, args ...any) (*models.CustomField, error) {
	var f models.CustomField
	if err := db.WithContext(ctx).Where(where, args...).Take(&f).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "custom field %s not found", models.Excerpt(ref))
		}
		return nil, translate("get custom field", err)
	}
	return &f, nil
}

// CreateCustomField validates and stores a definition. It returns EINVALID, or ECONFLICT
// when the tenant already has a field of that name.
func (s *Store) CreateCustomField(ctx context.Context, f *models.CustomField) error {
	if err := f.Validate(); err != nil {
		return err
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.CustomField{}).Where("tenant_id = ?", f.TenantID).Count(&n).Error; err != nil {
		return translate("count custom fields", err)
	}
	if n >= models.MaxCustomFieldsCount {
		return models.Errorf(models.ECONFLICT, "a tenant has at most %d custom fields", models.MaxCustomFieldsCount)
	}
	defer s.fields.forget(f.TenantID)
	return s.retry(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(f).Error; err != nil {
			if models.ErrorCode(translate("", err)) == models.ECONFLICT {
				return models.Errorf(models.ECONFLICT, "custom field %s%s already exists", models.CustomFieldPrefix, f.Name)
			}
			return translate("create custom field", err)
		}
		if err := s.notifyFieldsChanged(ctx, tx, f.TenantID); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, f.TenantID, []pendingEvent{{models.EventCustomFieldCreated, eventData(contactwire.CustomFieldFromModel(f))}})
	})
}

// UpdateCustomField stores a changed definition; its name and type cannot change,
// because stored values depend on them. It returns ENOTFOUND or EINVALID.
func (s *Store) UpdateCustomField(ctx context.Context, f *models.CustomField) error {
	if err := f.Validate(); err != nil {
		return err
	}
	defer s.fields.forget(f.TenantID)
	return s.retry(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.CustomField{}).Where("tenant_id = ? AND id = ?", f.TenantID, f.ID).
			Updates(map[string]any{"label": f.Label, "description": f.Description, "max_length": f.MaxLength,
				"options": jsonList(f.Options), "required": f.Required, "multiple": f.Multiple})
		if res.Error != nil {
			return translate("update custom field", res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "custom field %d not found", f.ID)
		}
		if err := s.notifyFieldsChanged(ctx, tx, f.TenantID); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, f.TenantID, []pendingEvent{{models.EventCustomFieldUpdated, eventData(contactwire.CustomFieldFromModel(f))}})
	})
}

// DeleteCustomField deletes a definition and removes its values from every contact
// that has one; those contacts get a new version and updated_at, so undo checks and
// updated_since syncs see the change, and no other contact is touched. It returns
// ENOTFOUND.
func (s *Store) DeleteCustomField(ctx context.Context, tenantID int64, ref string) error {
	defer s.fields.forget(tenantID)
	return s.retry(ctx, func(tx *gorm.DB) error {
		f, err := getCustomField(ctx, tx, tenantID, ref)
		if err != nil {
			return err
		}
		// The column holds a JSON object whose string values are escaped, so `"name":`
		// occurs in it only as a key (customJSON's and jsonb's encodings alike): LIKE,
		// with the name's "_" escaped, narrows the rows cheaply, and the JSON test keeps
		// the contacts that have the field as a top-level key, not inside a value (a
		// checkbox confirmation's "ip", "created" or "source").
		pattern := "%" + likeEscaper.Replace(`"`+f.Name+`":`) + "%"
		strip, holds := "custom_fields = json_remove(custom_fields, ?)", `custom_fields LIKE ? ESCAPE '\' AND json_type(custom_fields, ?) IS NOT NULL`
		stripArg, holdsArg := `$."`+f.Name+`"`, `$."`+f.Name+`"`
		if s.dialect == Postgres {
			strip, holds = "custom_fields = (custom_fields::jsonb - ?::text)::text", "custom_fields LIKE ? AND jsonb_exists(custom_fields::jsonb, ?)"
			stripArg, holdsArg = f.Name, f.Name
		}
		if s.dialect == Postgres {
			// The holders in id order first (locks.go); the UPDATE alone locks them in
			// the order it finds them and may deadlock with a write of several.
			err := tx.Exec("SELECT count(*) FROM (SELECT id FROM contacts WHERE tenant_id = ? AND "+holds+" ORDER BY id FOR "+lockNoKeyUpdate+") AS locked",
				tenantID, pattern, holdsArg).Error
			if err != nil {
				return translate("lock holders of custom field", err)
			}
		}
		touched, err := touchedContacts(tx.Raw("UPDATE contacts SET "+strip+", version = version + 1, updated_at = ? WHERE tenant_id = ? AND "+holds+" RETURNING id",
			stripArg, s.now(), tenantID, pattern, holdsArg))
		if err != nil {
			return err
		}
		if err := s.contactsUpdated(ctx, tx, tenantID, touched); err != nil {
			return err
		}
		if err := tx.Delete(&models.CustomField{}, f.ID).Error; err != nil {
			return translate(fmt.Sprintf("delete custom field %d", f.ID), err)
		}
		if err := s.notifyFieldsChanged(ctx, tx, tenantID); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventCustomFieldDeleted,
			eventData(contactwire.Deleted{V: contactwire.Version, ID: f.ID, Name: f.Name})}})
	})
}

func jsonList(l []string) string {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // a []string always encodes
	}
	return string(b)
}
