package store

import (
	"io/fs"

	"github.com/contacthub/contacthub/migrations"
)

func subFS(dialect string) fs.FS {
	sub, err := fs.Sub(migrations.FS, dialect)
	if err != nil {
		panic(err) // the embedded directories are fixed at build time
	}
	return sub
}
