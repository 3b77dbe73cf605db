package models

import "time"

// SpamEntry is one listed IP address or range of a spam list.
type SpamEntry struct {
	ID        int64
	Entry     string
	Source    string
	CreatedAt time.Time
}
