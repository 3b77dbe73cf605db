package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// The inquiry listing pages by keyset: each order has an index that yields it
// (migrations 00018: by score, creation and follow-up date, for the tenant or for one
// status), and a page continues after the last row's (sort value, id) without OFFSET,
// so page 1,000 costs what page 1 costs. Other filters are conditions on that walk.

// followUpKey is the expression the follow-up order sorts by: no date sorts last.
const followUpKey = "coalesce(inquiries.follow_up_on, '" + models.NoDate + "')"

// ListInquiries returns one page of the tenant's inquiries matching f in f.Sort's
// order. A status, source, assignee or tag f names that the tenant does not have
// matches nothing. It returns EINVALID for a bad filter or a cursor it did not issue
// for this order.
//
// A page is one query: the inquiries with their status, source and assignee joined
// (the references f names are resolved inside it) and their tags aggregated.
func (s *Store) ListInquiries(ctx context.Context, tenantID int64, f models.InquiryFilter) (*models.InquiryPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	cur, err := decodeInquiryCursor(f.Cursor, f.Sort)
	if err != nil {
		return nil, err
	}
	empty := &models.InquiryPage{Inquiries: []*models.Inquiry{}}
	q := s.db.WithContext(ctx).Table("inquiries").
		Select(s.inquiryListColumns()).
		Joins("JOIN inquiry_statuses st ON st.id = inquiries.status_id").
		Joins("JOIN inquiry_sources so ON so.id = inquiries.source_id").
		Joins("LEFT JOIN staff a ON a.id = inquiries.assignee_id")
	if status, args := refQuery(tenantID, "inquiry_statuses", "name_key", f.Status, models.NameKey); status != "" {
		// A status belongs to one tenant: its index (status_id, …) yields the page;
		// "+ 0" keeps the planner off the tenant's indexes, which a tenant grown since
		// the last ANALYZE would make look cheap.
		q = q.Where("inquiries.status_id = ("+status+") AND inquiries.tenant_id + 0 = ?", append(args, tenantID)...)
	} else {
		q = q.Where("inquiries.tenant_id = ?", tenantID)
	}
	for _, ref := range []struct {
		value, table, key, column string
		norm                      func(string) string
	}{
		{f.Source, "inquiry_sources", "name_key", "source_id", models.NameKey},
		{f.Assignee, "staff", "email_key", "assignee_id", models.NormalizeMail},
		{f.Tag, "terms", "name_key", "", models.TermKey},
	} {
		sub, args := refQuery(tenantID, ref.table, ref.key, ref.value, ref.norm)
		switch {
		case sub == "":
		case ref.column != "":
			q = q.Where("inquiries."+ref.column+" = ("+sub+")", args...)
		default:
			q = q.Where("inquiries.id IN (SELECT inquiry_id FROM inquiry_terms WHERE term_id = ("+sub+"))", args...)
		}
	}
	if f.StatusKind != "" {
		q = q.Where("inquiries.status_id IN (SELECT id FROM inquiry_statuses WHERE tenant_id = ? AND kind = ?)", tenantID, f.StatusKind)
	}
	if f.CustomerID != 0 {
		q = q.Where("inquiries.customer_id = ?", f.CustomerID)
	}
	if f.Category != "" {
		q = q.Where("lower(inquiries.category) = ?", strings.ToLower(strings.TrimSpace(f.Category)))
	}
	lo, hi, none := f.ScoreRange()
	if none {
		return empty, nil
	}
	if lo > 0 || hi < 100 {
		q = q.Where("inquiries.lead_score BETWEEN ? AND ?", lo, hi)
	}
	if f.FollowUpBy != "" {
		q = q.Where("inquiries.follow_up_on <= ?", f.FollowUpBy)
	}
	if !f.CreatedSince.IsZero() {
		q = q.Where("inquiries.created_at >= ?", f.CreatedSince.UTC())
	}
	if !f.UpdatedSince.IsZero() {
		q = q.Where("inquiries.updated_at >= ?", f.UpdatedSince.UTC())
	}
	escape := ""
	if s.dialect == SQLite {
		escape = ` ESCAPE '\'`
	}
	for _, w := range f.QueryWords() {
		q = q.Where("lower(inquiries.title || ' ' || inquiries.notes) LIKE ?"+escape, "%"+likeEscaper.Replace(w)+"%")
	}
	q = orderInquiries(q, f.Sort, cur)
	rows, err := scanListedInquiries(q.Limit(f.Limit + 1))
	if err != nil {
		return nil, err
	}
	page := &models.InquiryPage{Inquiries: make([]*models.Inquiry, 0, min(len(rows), f.Limit))}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = encodeInquiryCursor(f.Sort, &rows[f.Limit-1].Row)
	}
	for _, r := range rows {
		iq, err := r.model()
		if err != nil {
			return nil, err
		}
		page.Inquiries = append(page.Inquiries, iq)
	}
	return page, nil
}

// listedInquiry is a row of the listing: an inquiry with the references it shows and
// its tags.
type listedInquiry struct {
	Row           inquiryRow
	StatusName    string
	StatusKind    string
	SourceName    string
	AssigneeEmail *string
	AssigneeName  *string
	// Tags is the JSON array of the inquiry's tags as [id, name] pairs, by id; NULL
	// or [] for none.
	Tags *string
}

// inquiryListColumns are the columns of a listed inquiry, in scanListedInquiries'
// order: the inquiry's, its references' names, and its tags aggregated as JSON by a
// subquery — one round trip a page instead of two, which counts on a loaded machine
// where every wait for the database is a wait for a core afterwards (BENCHMARKS.md).
func (s *Store) inquiryListColumns() string {
	var sb strings.Builder
	sb.WriteString("inquiries.id")
	for _, c := range inquiryInsertColumns {
		sb.WriteString(", inquiries." + c)
	}
	sb.WriteString(", st.name, st.kind, so.name, a.email, a.name, ")
	const tagsOf = "FROM inquiry_terms it JOIN terms t ON t.id = it.term_id WHERE it.tenant_id = inquiries.tenant_id AND it.inquiry_id = inquiries.id"
	if s.dialect == Postgres {
		sb.WriteString("(SELECT json_agg(json_build_array(t.id, t.name) ORDER BY t.id)::text " + tagsOf + ")")
	} else {
		sb.WriteString("(SELECT json_group_array(json_array(x.id, x.name)) FROM (SELECT t.id, t.name " + tagsOf + " ORDER BY t.id) x)")
	}
	return sb.String()
}

// scanListedInquiries runs q (selecting inquiryListColumns) and scans its rows by
// position: gorm's scan by reflection was a third of a page's CPU.
func scanListedInquiries(q *gorm.DB) ([]*listedInquiry, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, translate("list inquiries", err)
	}
	defer rows.Close()
	var out []*listedInquiry
	for rows.Next() {
		l := &listedInquiry{}
		r := &l.Row
		dest := append([]any{&r.ID}, r.scanDest()...)
		dest = append(dest, &l.StatusName, &l.StatusKind, &l.SourceName, &l.AssigneeEmail, &l.AssigneeName, &l.Tags)
		if err := rows.Scan(dest...); err != nil {
			return nil, translate("list inquiries", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("list inquiries", err)
	}
	return out, nil
}

// scanDest are pointers to r's fields in the order of inquiryInsertColumns.
func (r *inquiryRow) scanDest() []any {
	return []any{
		&r.TenantID, &r.Title, &r.ContactFirstName, &r.ContactFamilyName, &r.ContactEmail, &r.ContactPhone,
		&r.CustomerID, &r.CustomerMatched, &r.CustomerExplanation, &r.Street, &r.PostalCode, &r.City, &r.Country,
		&r.StatusID, &r.SourceID, &r.ExpectedValue, &r.ExpectedCurrency, &r.Probability, &r.Urgency, &r.AssigneeID,
		&r.FollowUpOn, &r.ExpectedCloseOn, &r.DesiredStartOn, &r.Category, &r.BudgetMin, &r.BudgetMax, &r.BudgetCurrency,
		&r.Notes, &r.LeadScore, &r.LeadBand, &r.LeadFactors, &r.RescoreAt, &r.Version, &r.TouchedAt, &r.CreatedAt, &r.UpdatedAt,
	}
}

// model is the row as an inquiry with its status, source and assignee (as the wire
// form shows them: id, name, kind; id, name; id, e-mail, name).
func (r *listedInquiry) model() (*models.Inquiry, error) {
	q, err := r.Row.model()
	if err != nil {
		return nil, err
	}
	tenant := r.Row.TenantID
	q.Status = &models.InquiryStatus{ID: r.Row.StatusID, TenantID: tenant, Name: r.StatusName, NameKey: models.NameKey(r.StatusName), Kind: r.StatusKind}
	q.Source = &models.InquirySource{ID: r.Row.SourceID, TenantID: tenant, Name: r.SourceName, NameKey: models.NameKey(r.SourceName)}
	if q.Assignee != nil && r.AssigneeEmail != nil {
		q.Assignee = &models.Staff{ID: q.Assignee.ID, TenantID: tenant, Email: *r.AssigneeEmail, EmailKey: models.NormalizeMail(*r.AssigneeEmail), Name: deref(r.AssigneeName)}
	}
	if r.Tags != nil && *r.Tags != "[]" {
		dec := json.NewDecoder(strings.NewReader(*r.Tags))
		dec.UseNumber()
		var pairs [][2]any
		if err := dec.Decode(&pairs); err != nil {
			return nil, fmt.Errorf("store: inquiry %d: tags: %w", r.Row.ID, err)
		}
		for _, p := range pairs {
			n, isNumber := p[0].(json.Number)
			name, isName := p[1].(string)
			id, err := n.Int64()
			if !isNumber || !isName || err != nil {
				return nil, fmt.Errorf("store: inquiry %d: tag %v", r.Row.ID, p)
			}
			q.Tags = append(q.Tags, models.Tag{ID: id, Name: name})
		}
		// SQLite's aggregate keeps its subquery's order in practice, not by promise.
		slices.SortFunc(q.Tags, func(a, b models.Tag) int { return cmp.Compare(a.ID, b.ID) })
	}
	return q, nil
}

// refQuery is the subquery of the id of a reference the listing filters by: "" when
// value is empty (no filter); a number names an id, anything else the normalised key
// column. A reference the tenant does not have yields no id, and the condition on it
// matches nothing.
func refQuery(tenantID int64, table, keyColumn, value string, norm func(string) string) (string, []any) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", nil
	}
	if id, err := strconv.ParseInt(value, 10, 64); err == nil {
		return "SELECT id FROM " + table + " WHERE tenant_id = ? AND id = ?", []any{tenantID, id}
	}
	return "SELECT id FROM " + table + " WHERE tenant_id = ? AND " + keyColumn + " = ?", []any{tenantID, norm(value)}
}

// orderInquiries adds the order of sort and the keyset condition after cur.
func orderInquiries(q *gorm.DB, sort string, cur *inquiryCursor) *gorm.DB {
	desc := strings.HasPrefix(sort, "-")
	dir, cmp := " ASC", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	var key string
	var value any
	switch strings.TrimPrefix(sort, "-") {
	case models.SortScore:
		key = "inquiries.lead_score"
		if cur != nil {
			value = cur.score
		}
	case models.SortFollowUp:
		key = followUpKey
		if cur != nil {
			value = cur.date
		}
	default:
		key = "inquiries.created_at"
		if cur != nil {
			value = cur.created
		}
	}
	if cur != nil {
		q = q.Where("("+key+", inquiries.id) "+cmp+" (?, ?)", value, cur.id)
	}
	return q.Order(key + dir + ", inquiries.id" + dir)
}

// inquiryCursor is the position after a page's last inquiry in one order.
type inquiryCursor struct {
	sort    string
	id      int64
	score   int
	created time.Time
	date    string
}

// inquiryCursorPrefix versions the cursor format.
const inquiryCursorPrefix = "q1:"

func encodeInquiryCursor(sort string, r *inquiryRow) string {
	var value string
	switch strings.TrimPrefix(sort, "-") {
	case models.SortScore:
		value = strconv.Itoa(r.LeadScore)
	case models.SortFollowUp:
		value = models.NoDate
		if r.FollowUpOn != nil {
			value = *r.FollowUpOn
		}
	default:
		value = strconv.FormatInt(r.CreatedAt.UnixNano(), 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(inquiryCursorPrefix + sort + ":" + value + ":" + strconv.FormatInt(r.ID, 10)))
}

func decodeInquiryCursor(s, sort string) (*inquiryCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := func(reason string) error {
		return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{{Field: "cursor", Error: reason}}}
	}
	notOurs := bad("is not a cursor this server issued; pass next_cursor back unchanged")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, notOurs
	}
	rest, ok := strings.CutPrefix(string(b), inquiryCursorPrefix)
	if !ok {
		return nil, notOurs
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return nil, notOurs
	}
	if parts[0] != sort {
		return nil, bad("belongs to a listing sorted by " + parts[0] + "; repeat the sort and filters of the first page")
	}
	c := &inquiryCursor{sort: sort}
	if c.id, err = strconv.ParseInt(parts[2], 10, 64); err != nil || c.id <= 0 {
		return nil, notOurs
	}
	switch strings.TrimPrefix(sort, "-") {
	case models.SortScore:
		c.score, err = strconv.Atoi(parts[1])
	case models.SortFollowUp:
		c.date = parts[1]
		_, err = time.Parse("2006-01-02", c.date)
	default:
		var ns int64
		ns, err = strconv.ParseInt(parts[1], 10, 64)
		c.created = time.Unix(0, ns).UTC()
	}
	if err != nil {
		return nil, notOurs
	}
	return c, nil
}
