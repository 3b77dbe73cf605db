package inquiries

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/models"
)

// Inquiries from a file import (type inquiries, docs/file-imports.md): the import
// engine hands each batch of mapped rows to ImportWriter, which writes every row
// through Create (mode store) or Update (mode update) — customer matching, statuses,
// sources, staff and tags created on first use, the score, the inquiry.created or
// inquiry.updated event — exactly as POST and PATCH /api/v1/inquiries do.
//
// Exactly once: a created inquiry carries its import row (models.ImportRowRef) into
// its transaction, where the store marks the row, so a batch written again after a
// crash skips the rows it wrote (found first in one lookup, and refused by the mark's
// key should two workers race). An update is written again as it was: a change that
// leaves an inquiry as it is writes nothing, no event either.

// ImportStore is what an inquiry import needs of the store beside Store.
type ImportStore interface {
	// ImportedInquiries returns, of rows of the tenant's import, those that wrote an
	// inquiry already, with its id.
	ImportedInquiries(ctx context.Context, tenantID, importID int64, rows []int) (map[int]int64, error)
}

// ImportWriter returns the import engine's writer of inquiries, over the service.
func (s *Service) ImportWriter(st ImportStore) imports.Writer { return importWriter{s: s, st: st} }

type importWriter struct {
	s  *Service
	st ImportStore
}

// Write writes a batch of an import's rows (their Fields are the cells by inquiry
// field, as text). A row's problems are its outcome's Err, named by field; errors of
// the database end the batch.
func (w importWriter) Write(ctx context.Context, imp *models.Import, recs []imports.Record) ([]imports.Outcome, error) {
	out := make([]imports.Outcome, len(recs))
	update := imp.Options.UpdateOnly
	var done map[int]int64
	if !update && !imp.Options.DryRun {
		rows := make([]int, len(recs))
		for i, r := range recs {
			rows[i] = r.Row
		}
		var err error
		if done, err = w.st.ImportedInquiries(ctx, imp.TenantID, imp.ID, rows); err != nil {
			return nil, err
		}
	}
	for i, rec := range recs {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		if _, ok := done[rec.Row]; ok {
			out[i].Created = true // written by an earlier run of this batch
			continue
		}
		mode := models.InquiryCreate
		if update {
			mode = models.InquiryPatch
		}
		in, id, err := FromCells(rec.Fields, mode)
		if err != nil {
			out[i].Err = err
			continue
		}
		switch {
		case imp.Options.DryRun:
			out[i].Err = checkTagNames(in)
			out[i].Created = out[i].Err == nil
		case update:
			_, err = w.s.Update(ctx, imp.TenantID, id, in, models.InquiryPatch)
			if models.ErrorCode(err) == models.ENOTFOUND {
				err = &models.Error{Code: models.EINVALID, Message: "no such inquiry", Fields: []models.FieldError{
					{Field: "id", Error: fmt.Sprintf("no inquiry %d; an update changes existing inquiries only", id)}}}
			}
			out[i].Updated = err == nil
			out[i].Err = err
		default:
			in.ImportRow = &models.ImportRowRef{ImportID: imp.ID, Row: rec.Row}
			_, err = w.s.Create(ctx, imp.TenantID, in, Options{})
			if errors.Is(err, models.ErrImportRowWritten) {
				err = nil // another worker wrote the row meanwhile
			}
			out[i].Created = err == nil
			out[i].Err = err
		}
		if out[i].Err != nil && !rowError(out[i].Err) {
			return nil, out[i].Err
		}
	}
	return out, nil
}

// rowError reports whether err is a row's own problem (reported, the import goes
// on) rather than the database's (the batch ends and is tried again).
func rowError(err error) bool {
	switch models.ErrorCode(err) {
	case models.EINVALID, models.ENOTFOUND, models.ECONFLICT:
		return true
	}
	return false
}

// checkTagNames checks the names of in's tags as creating the terms would.
func checkTagNames(in *models.InquiryInput) error {
	if !in.Tags.Has() {
		return nil
	}
	var v models.ValidationError
	for i, t := range *in.Tags.Value {
		term := &models.Term{Name: t.Name}
		if err := term.Validate(); err != nil {
			v.Addf(fmt.Sprintf("tags[%d]", i), "%s is not a valid term name: %s", models.Quote(t.Name), err.Error())
		}
	}
	return v.Err()
}

// germanUrgency reads the urgencies German files spell.
var germanUrgency = map[string]string{"niedrig": models.UrgencyLow, "gering": models.UrgencyLow, "normal": models.UrgencyNormal,
	"mittel": models.UrgencyNormal, "hoch": models.UrgencyHigh, "dringend": models.UrgencyUrgent, "sehr dringend": models.UrgencyUrgent, "eilig": models.UrgencyUrgent}

// FromCells reads an import row's cells (inquiry field → text, as
// importfile.NewInquiryPlan maps them; dates read already) as an inquiry write in
// mode, with the id an update names. Cells as spreadsheets hold them are taken:
// amounts "25.000,50" (German) or "25000.50", a probability "80 %", urgencies in
// German (niedrig, normal, hoch, dringend), tags split at , ; |. It returns EINVALID
// naming every problem by field (Validate with mode, and "id").
func FromCells(cells map[string]any, mode models.InquiryMode) (*models.InquiryInput, int64, error) {
	get := func(f string) string {
		s, _ := cells[f].(string)
		return s
	}
	has := func(fs ...string) bool {
		for _, f := range fs {
			if get(f) != "" {
				return true
			}
		}
		return false
	}
	var v models.ValidationError
	in := &models.InquiryInput{}
	var id int64
	badID := false
	if s := get("id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if badID = err != nil || n <= 0; badID {
			v.Add("id", "must be an inquiry id (a positive integer)")
		}
		id = n
	}
	text := func(f string) models.Field[string] {
		if s := get(f); s != "" {
			return models.Given(s)
		}
		return models.Field[string]{}
	}
	in.Title = text("title")
	if has("contact.name", "contact.first_name", "contact.family_name", "contact.email", "contact.phone") {
		in.Contact = models.Given(models.ContactInput{Name: get("contact.name"), FirstName: get("contact.first_name"),
			FamilyName: get("contact.family_name"), Email: get("contact.email"), Phone: get("contact.phone")})
	}
	if has("address.street", "address.postal_code", "address.city", "address.country") {
		in.Address = models.Given(models.InquiryAddress{Street: get("address.street"), PostalCode: get("address.postal_code"),
			City: get("address.city"), Country: get("address.country")})
	}
	if s := get("status"); s != "" {
		in.Status = models.Given(models.StatusRef{Name: s})
	}
	if s := get("source"); s != "" {
		in.Source = models.Given(models.SourceRef{Name: s})
	}
	if has("expected_value.amount") {
		in.ExpectedValue = models.Given(models.MoneyInput{Amount: amount(get("expected_value.amount")), Currency: get("expected_value.currency")})
	} else if has("expected_value.currency") {
		v.Add("expected_value.currency", "is given without an amount (expected_value.amount)")
	}
	if s := get("probability"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")))
		if err != nil {
			v.Addf("probability", "%s is not a whole number of percent (0 to 100)", models.Quote(s))
		} else {
			in.Probability = models.Given(max(min(n, 1000), -1000))
		}
	}
	if s := get("urgency"); s != "" {
		if u, ok := germanUrgency[strings.ToLower(strings.TrimSpace(s))]; ok {
			s = u
		}
		in.Urgency = models.Given(s)
	}
	if has("assignee.email", "assignee.name") {
		in.Assignee = models.Given(models.StaffRef{Email: get("assignee.email"), Name: get("assignee.name")})
	}
	in.FollowUpOn, in.ExpectedCloseOn, in.DesiredStartOn = text("follow_up_on"), text("expected_close_on"), text("desired_start_on")
	in.Category, in.Notes = text("category"), text("notes")
	if has("budget.min", "budget.max") {
		in.Budget = models.Given(models.BudgetInput{Min: amount(get("budget.min")), Max: amount(get("budget.max")), Currency: get("budget.currency")})
	} else if has("budget.currency") {
		v.Add("budget.currency", "is given without budget.min or budget.max")
	}
	if s := get("tags"); s != "" {
		var tags []models.TagRef
		for _, n := range importfile.SplitTerms(s) {
			tags = append(tags, models.TagRef{Name: n})
		}
		in.Tags = models.Given(tags)
	}
	if mode == models.InquiryPatch && id == 0 && !badID {
		v.Add("id", "is empty: an update names the inquiry it changes by its id")
	}
	if mode != models.InquiryPatch && id != 0 {
		v.Add("id", "inquiry ids are read by mode update; a store import creates inquiries")
	}
	return in, id, models.JoinProblems(v.Err(), in.Validate(mode))
}

// germanThousands is an amount with dots between groups of three digits and no
// decimals ("25.000", "1.250.000"): German thousands separators, not a decimal point.
var germanThousands = regexp.MustCompile(`^-?\d{1,3}(\.\d{3})+$`)

// amount reads an amount cell as the decimal text the inquiry takes: a German amount
// ("25.000,50", "1250,5", "25.000") with its separators swapped, a currency sign
// and spaces dropped; anything else as it is, for Validate to judge.
func amount(s string) string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
	switch {
	case strings.Contains(s, ","):
		if strings.LastIndex(s, ".") < strings.LastIndex(s, ",") {
			s = strings.ReplaceAll(s, ".", "")
			s = strings.Replace(s, ",", ".", 1)
		} else {
			s = strings.ReplaceAll(s, ",", "") // English thousands: 25,000.50
		}
	case germanThousands.MatchString(s):
		s = strings.ReplaceAll(s, ".", "")
	}
	return s
}
