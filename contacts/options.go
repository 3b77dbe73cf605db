package contacts

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// MaxFloodLimit caps the flood_limit a caller may ask for: the limit decides how many
// entries the sliding log per IP may hold.
const MaxFloodLimit = 10000

// Options are the choices of one Submit call, named as the Quentn API names them;
// problems are reported under these names (duplicate_check_method, return_fields[2],
// flood_limit).
type Options struct {
	// DuplicateCheckMethod is auto (""), email or none.
	DuplicateCheckMethod string
	// DuplicateMergeMethod is update_add (""), update or add.
	DuplicateMergeMethod string
	// ReturnFields are readable contact fields the caller will show of each written
	// contact; a custom field among them must be defined.
	ReturnFields []string
	// FloodLimit, when set above 0, is the most contacts created per request_ip per
	// sliding hour (at most MaxFloodLimit).
	FloodLimit *int
	// SpamProtection refuses contacts whose request_ip is spam-listed.
	SpamProtection *bool
	// Identity is what a new contact must at least carry.
	Identity Identity
	// Source labels merge records: "api" (""), "import", "inquiry". An import may
	// also check duplicates by "external_id".
	Source string
	// SkipExisting leaves a contact that matches an existing one alone: its Result is
	// Skipped with the matched contact's ID (models.IngestOptions.SkipExisting).
	SkipExisting bool
	// Targets, when set, names per input the contact id it updates
	// (models.IngestOptions.Targets).
	Targets []int64
	// Within, when set, is called inside the transaction that writes the contacts,
	// with every input's result (ids set), so that what it writes in tx commits with
	// them or not at all (an import's checkpoint and counters). An error from it
	// rolls the write back and is Submit's error. It is not called when no input is
	// valid (nothing is written then), and may be called again when the transaction
	// is run again after losing a race.
	Within func(ctx context.Context, tx *sql.Tx, results []Result) error
	// BeforeTx, when set, is called after the contacts are decoded and keyed and
	// before the transaction that writes them begins (models.IngestOptions.BeforeTx);
	// an error from it writes nothing and is Submit's error. It is not called when no
	// input is valid. The write's time bound starts once it returned: waiting in it is
	// not writing.
	BeforeTx func(ctx context.Context) error
}

// parsedOptions are Options after validation.
type parsedOptions struct {
	ingest         models.IngestOptions
	returnFields   []string
	floodLimit     int
	spamProtection bool
}

// Validate checks the options that need no data: the methods, the return fields'
// names and the flood limit. It returns EINVALID naming every problem. Submit checks
// them too; a caller that has more to check of its own request (POST contacts: the
// size of the list) calls it first to answer option problems first.
func (o Options) Validate() error {
	_, err := o.parse()
	return err
}

// ReturnFieldList is the return fields as Submit reads them (trimmed): the names a
// caller shows of each written contact once Submit accepted the options.
func (o Options) ReturnFieldList() []string {
	out := make([]string, 0, len(o.ReturnFields))
	for _, f := range o.ReturnFields {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

func (o Options) parse() (*parsedOptions, error) {
	var v models.ValidationError
	check, ok := models.ParseCheckMethod(o.DuplicateCheckMethod)
	if !ok && o.Source == "import" && o.DuplicateCheckMethod == string(models.CheckExternalID) {
		check, ok = models.CheckExternalID, true
	}
	if !ok {
		v.Add("duplicate_check_method", "must be auto, email or none")
	}
	merge, ok := models.ParseMergeMethod(o.DuplicateMergeMethod)
	if !ok {
		v.Add("duplicate_merge_method", "must be update_add, update or add")
	}
	source := o.Source
	if source == "" {
		source = "api"
	}
	p := &parsedOptions{ingest: models.IngestOptions{Check: check, Merge: merge, Source: source, SkipExisting: o.SkipExisting}}
	p.returnFields = returnFieldNames(o.ReturnFields, &v)
	if o.FloodLimit != nil {
		if *o.FloodLimit < 0 || *o.FloodLimit > MaxFloodLimit {
			v.Addf("flood_limit", "must be 0 (disabled) or a number of contacts per hour up to %d", MaxFloodLimit)
		}
		p.floodLimit = *o.FloodLimit
	}
	if o.SpamProtection != nil {
		p.spamProtection = *o.SpamProtection
	}
	return p, v.Err()
}

// returnFieldNames returns the trimmed names and adds to v the ones that are no
// readable contact field (return_fields[i]).
func returnFieldNames(fields []string, v *models.ValidationError) []string {
	var out []string
	for i, f := range fields {
		if !models.IsReadableField(strings.TrimSpace(f)) {
			v.Addf(fmt.Sprintf("return_fields[%d]", i), "%s is not a contact field", models.Quote(f))
			continue
		}
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

// CheckReturnFields checks return fields as Submit does, for a caller that writes
// otherwise (PUT contact/{id}): every name a readable contact field, every custom
// field among them defined, so an answer never shows null for a field the tenant does
// not have as if it were empty. It returns the names as they are read (trimmed), or
// EINVALID naming each problem (return_fields[i]), or the store's error.
func (s *Service) CheckReturnFields(ctx context.Context, tenant int64, fields []string) ([]string, error) {
	var v models.ValidationError
	names := returnFieldNames(fields, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.checkDefined(ctx, tenant, names); err != nil {
		return nil, err
	}
	return names, nil
}

// checkDefined refuses trimmed return fields naming an undefined custom field.
func (s *Service) checkDefined(ctx context.Context, tenant int64, fields []string) error {
	undefined, err := s.UndefinedCustomFields(ctx, tenant, fields)
	if err != nil {
		return err
	}
	var v models.ValidationError
	for _, i := range undefined {
		v.Addf(fmt.Sprintf("return_fields[%d]", i), "%s is not a defined custom field", models.Quote(fields[i]))
	}
	return v.Err()
}

// UndefinedCustomFields returns the positions in fields of field_<name> entries the
// tenant has not defined: the one check of custom field names against the
// definitions, for return fields, read field lists and merge choices. It returns the
// store's error.
func (s *Service) UndefinedCustomFields(ctx context.Context, tenant int64, fields []string) ([]int, error) {
	var custom []string
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, models.CustomFieldPrefix); ok {
			custom = append(custom, name)
		}
	}
	if len(custom) == 0 {
		return nil, nil
	}
	defs, err := s.store.CustomFields(ctx, tenant, custom...)
	if err != nil {
		return nil, err
	}
	var out []int
	for i, f := range fields {
		if name, ok := strings.CutPrefix(f, models.CustomFieldPrefix); ok && defs[name] == nil {
			out = append(out, i)
		}
	}
	return out, nil
}
