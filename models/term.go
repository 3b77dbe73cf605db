package models

import "time"

// Term is a tag a tenant puts on contacts. Names are unique per tenant, ignoring case.
type Term struct {
	ID              int64  `gorm:"primaryKey"`
	TenantID        int64  `gorm:"not null"`
	Name            string `gorm:"not null"`
	NameKey         string `gorm:"not null"` // lower-cased name, unique per tenant
	Description     string `gorm:"not null;default:''"`
	DeletionBlocked bool   `gorm:"not null;default:false"`
	CreatedAt       time.Time
}

// Validate checks and trims a term. It returns an EINVALID *Error.
func (t *Term) Validate() error {
	var v ValidationError
	var reason string
	if t.Name, reason = cleanText(t.Name, 255, false); reason != "" {
		v.Add("name", reason)
	} else if t.Name == "" {
		v.Add("name", "is required")
	}
	if t.Description, reason = cleanText(t.Description, 1000, true); reason != "" {
		v.Add("description", reason)
	}
	t.NameKey = TermKey(t.Name)
	return v.Err()
}

// TermKey is the case-insensitive identity of a term name.
func TermKey(name string) string { return lower(name) }

// Comment is a note on a contact.
type Comment struct {
	ID        int64  `gorm:"primaryKey"`
	TenantID  int64  `gorm:"not null"`
	ContactID int64  `gorm:"not null"`
	UID       int64  `gorm:"column:uid;not null;default:0"`
	Comment   string `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks and trims the comment text. It returns an EINVALID *Error.
func (c *Comment) Validate() error {
	var v ValidationError
	var reason string
	if c.Comment, reason = cleanText(c.Comment, MaxCommentLength, true); reason != "" {
		v.Add("comment", reason)
	} else if c.Comment == "" {
		v.Add("comment", "is required")
	}
	return v.Err()
}
