// Package migrations embeds the versioned SQL schema, one directory per dialect. The two
// sets are kept in step: the same version number makes the same change on both engines.
// Files are append-only: an applied migration is never edited, a change is a new file.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql in goose format.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
