package models

import (
	"strings"
	"time"
)

// Tenant is one business; no data crosses tenants.
type Tenant struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"not null"`
	CreatedAt time.Time
}

// Validate checks the tenant's name. It returns an EINVALID *Error.
func (t *Tenant) Validate() error {
	var v ValidationError
	var reason string
	if t.Name, reason = cleanText(t.Name, 255, false); reason != "" {
		v.Add("name", reason)
	} else if t.Name == "" {
		v.Add("name", "is required")
	}
	return v.Err()
}

// APIKey authenticates a client as one tenant. Only a hash of the secret is stored;
// Prefix (the first characters) lets an admin tell keys apart.
type APIKey struct {
	ID       int64  `gorm:"primaryKey"`
	TenantID int64  `gorm:"not null"`
	Name     string `gorm:"not null;default:''"`
	Prefix   string `gorm:"not null"`
	Hash     string `gorm:"not null"`
	// RateLimit overrides the default per-key request quota, e.g. "600/m"; "" = default.
	RateLimit string `gorm:"not null;default:''"`
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Principal is who a request acts as, once its key is verified.
type Principal struct {
	TenantID  int64
	KeyID     int64
	RateLimit string
}

func lower(s string) string { return strings.ToLower(s) }

// TenantSummary is a tenant with what an operator needs to recognise it before
// deleting it: its active keys and its contacts.
type TenantSummary struct {
	Tenant
	ActiveKeys int64
	Contacts   int64
}

// TableRows is how many rows of one table an operation removed.
type TableRows struct {
	Table string
	Rows  int64
}

// TenantDeletion reports what deleting a tenant removed: the keys it revoked first,
// then the rows of every table, in the order they were deleted.
type TenantDeletion struct {
	Tenant      Tenant
	RevokedKeys int64
	Removed     []TableRows
}

// TenantGone is the error of a request whose key belonged to a tenant that no longer
// exists. Its keys went with it, so it is an authentication failure (EUNAUTH, 401),
// whatever the request was about to do.
func TenantGone(id int64) *Error {
	return Errorf(EUNAUTH, "invalid API key: tenant %d no longer exists", id)
}
