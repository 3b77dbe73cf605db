package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/jobs"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
)

// errRowsFailed is the error of an import that completed with failed rows: the exit
// code says so to a script.
var errRowsFailed = errors.New("rows failed")

// importCommand is `import FILE --tenant N [--type contacts] [--mode store|update|validate]
// [--map field=header …] [--deduplication email|auto|external_id|none] [--sheet S]`: a
// CSV or .xlsx file imported straight into the database, as POST /api/v1/import, map
// and start would, through the same file door and import engine, run in this process
// with a progress bar on stderr.
func importCommand(cfg *Config, stdout, stderr io.Writer) *cobra.Command {
	var (
		tenant    int64
		typ, mode string
		maps_     []string
		dedupe    string
		sheet     string
	)
	cmd := &cobra.Command{
		Use:   "import FILE --tenant N [--type contacts] [--mode store|update|validate] [--map field=header …]",
		Short: "Import a CSV or Excel file into a tenant, with a progress bar",
		Long: `Imports a CSV or .xlsx file into a tenant's contacts straight through the database,
as the API's file import does (upload, map, start): the same file reading, mapping, modes
and import engine. Without --map the suggested mapping is used (printed first). The
import runs in this process; should it stop, a running server resumes it. The exit code
is 1 when rows failed (the summary names the import, whose error report the API serves).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if tenant <= 0 {
				return fmt.Errorf("--tenant: a tenant id is required")
			}
			mapping, err := parseMapFlags(maps_)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			return withStore(c.Context(), *cfg, stderr, func(st *store.Store) error {
				return runImport(c.Context(), *cfg, st, importRequest{tenant: tenant, typ: typ, mode: mode, mapping: mapping, dedupe: dedupe,
					sheet: sheet, name: filepath.Base(args[0]), file: f}, stdout, stderr)
			})
		},
	}
	cmd.Flags().Int64Var(&tenant, "tenant", 0, "tenant id (required)")
	cmd.Flags().StringVar(&typ, "type", models.FileImportContacts, "contacts (or clients), notes or inquiries")
	cmd.Flags().StringVar(&mode, "mode", models.ImportModeStore, "store, update or validate")
	cmd.Flags().StringArrayVar(&maps_, "map", nil, "field=header, once per column (default: the suggested mapping)")
	cmd.Flags().StringVar(&dedupe, "deduplication", "", "store and validate: email (default), auto, external_id or none")
	cmd.Flags().StringVar(&sheet, "sheet", "", "the worksheet of an .xlsx (default: the first)")
	return cmd
}

// parseMapFlags reads --map field=header flags.
func parseMapFlags(flags []string) (importfile.Mapping, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m := importfile.Mapping{}
	for _, f := range flags {
		field, header, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(field) == "" {
			return nil, fmt.Errorf("--map %q: write field=header (e.g. --map first_name=Vorname)", f)
		}
		if _, dup := m[field]; dup {
			return nil, fmt.Errorf("--map: field %s is mapped twice", field)
		}
		m[strings.TrimSpace(field)] = header
	}
	return m, nil
}

type importRequest struct {
	tenant                   int64
	typ, mode, dedupe, sheet string
	mapping                  importfile.Mapping
	name                     string
	file                     io.Reader
}

// runImport uploads, maps, starts and runs one import, drawing its progress.
func runImport(ctx context.Context, cfg Config, st *store.Store, r importRequest, stdout, stderr io.Writer) error {
	if _, err := st.GetTenant(ctx, r.tenant); err != nil {
		return fmt.Errorf("tenant %d: %w", r.tenant, err)
	}
	if err := models.ValidateFileImportOptions(r.typ, r.mode); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// The contact service without the request guards (spam list, flood limit): they
	// are about web forms, and an operator's file is neither.
	service := contacts.New(contacts.Config{Store: st, Log: log})
	files := fileimports.New(st)
	engine := imports.New(imports.Config{Store: st, Contacts: service, Doors: []imports.Door{imports.JSONDoor{}, files.Door()},
		Writers: importWriters(st, service, log), BatchSize: importBatch(st.Dialect()), Log: log})
	files.Engine = engine
	// Starting stores the import's job as the API does, so that a server resumes it
	// if this process stops; this process only inserts it and works the import itself.
	inserter, err := jobs.New(ctx, jobs.Config{Dialect: st.Dialect(), DB: st.DB(), DatabaseURL: cfg.DatabaseURL, Logger: log})
	if err != nil {
		return err
	}
	defer inserter.Close()
	if err := inserter.Migrate(ctx); err != nil { // a database no server has run on yet
		return err
	}
	engine.Attach(inserter)

	up, err := files.Begin(ctx, r.tenant, r.name, r.sheet, r.file)
	if err != nil {
		return err
	}
	fi, err := up.Finish(ctx, r.typ, r.mode)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "import %s: %s rows of %s (%s)\n", fi.UUID, thousands(fi.TotalRows), r.name, describeFile(fi))
	mapping := r.mapping
	if mapping == nil {
		mapping = importfile.Mapping{}
		for h, f := range fi.Suggested {
			mapping[f] = h
		}
		fmt.Fprintln(stderr, "mapping (suggested; --map field=header to choose):")
	} else {
		fmt.Fprintln(stderr, "mapping:")
	}
	for _, f := range slices.Sorted(maps.Keys(mapping)) {
		fmt.Fprintf(stderr, "  %-20s ← %s\n", f, mapping[f])
	}
	if _, err := files.Map(ctx, r.tenant, fi.UUID, mapping); err != nil {
		return err
	}
	fi, err = files.Start(ctx, r.tenant, fi.UUID, fileimports.StartOptions{Deduplication: r.dedupe})
	if err != nil {
		return err
	}
	bar := newProgressBar(stderr, isTerminal(stderr), time.Now())
	runErr := make(chan error, 1)
	go func() { runErr <- engine.Run(ctx, r.tenant, fi.ImportID) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var imp *models.Import
	for {
		select {
		case err := <-runErr:
			runErr = nil // done here; another worker may still be finishing it
			if err != nil {
				bar.finish()
				return err
			}
		case <-tick.C:
		case <-ctx.Done():
			bar.finish()
			return ctx.Err()
		}
		if imp, err = st.GetImport(ctx, r.tenant, fi.ImportID); err != nil {
			bar.finish()
			return err
		}
		bar.update(time.Now(), int64(imp.Processed), int64(imp.Total), int64(imp.Errors))
		if imp.Done() {
			break
		}
	}
	bar.finish()
	return importSummary(stdout, fi.UUID, imp)
}

func describeFile(fi *models.FileImport) string {
	if fi.Format == models.FileFormatXLSX {
		return "xlsx, sheet " + fi.Sheet
	}
	return fmt.Sprintf("csv, %s, delimiter %q", fi.Encoding, fi.Delimiter)
}

// importSummary prints what the import did; errRowsFailed when rows failed, an
// error when it did not complete.
func importSummary(w io.Writer, uuid string, imp *models.Import) error {
	if imp.Options.DryRun {
		fmt.Fprintf(w, "validated %s rows: would create %s, update %s, merge %s; %s failed\n", thousands(int64(imp.Processed)),
			thousands(int64(imp.Created)), thousands(int64(imp.Updated)), thousands(int64(imp.Merged)), thousands(int64(imp.Errors)))
	} else {
		fmt.Fprintf(w, "imported %s rows: %s created, %s updated; %s failed\n", thousands(int64(imp.Processed)),
			thousands(int64(imp.Created)), thousands(int64(imp.Updated)), thousands(int64(imp.Errors)))
	}
	if imp.Status != models.ImportCompleted {
		return fmt.Errorf("import %s %s: %s", uuid, imp.Status, imp.Reason)
	}
	if imp.Errors > 0 {
		fmt.Fprintf(w, "failed rows: GET /api/v1/import/%s/error-report\n", uuid)
		return fmt.Errorf("import %s: %d %w", uuid, imp.Errors, errRowsFailed)
	}
	return nil
}
