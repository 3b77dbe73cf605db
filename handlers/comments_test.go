package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

type commentView struct {
	ID        int64  `json:"id"`
	ContactID int64  `json:"contact_id"`
	UID       int64  `json:"uid"`
	Created   int64  `json:"created"`
	Changed   int64  `json:"changed"`
	Comment   string `json:"comment"`
}

type commentsView struct {
	Range          int           `json:"range"`
	Limit          int           `json:"limit"`
	Sort           string        `json:"sort"`
	NumberComments int64         `json:"number_comments"`
	NumberRanges   int64         `json:"number_ranges"`
	Comments       []commentView `json:"comments"`
}

func (v commentsView) ids() []int64 {
	out := []int64{}
	for _, c := range v.Comments {
		out = append(out, c.ID)
	}
	return out
}

// addComment posts a comment and returns its id.
func (b *bundle) addComment(t testing.TB, contactID int64, text string) int64 {
	t.Helper()
	var out struct {
		Success   bool  `json:"success"`
		CommentID int64 `json:"comment_id"`
	}
	b.call(t, http.MethodPost, "/public/api/V1/contact/"+itoa(contactID)+"/comments", map[string]any{"comment": text}, http.StatusOK, &out)
	if !out.Success || out.CommentID <= 0 {
		t.Fatalf("POST comment: %+v", out)
	}
	return out.CommentID
}

func TestCommentsRanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "comments@example.com"})
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	var ids []int64
	for i := range 5 {
		ids = append(ids, b.addComment(t, id, fmt.Sprintf("comment %d", i)))
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	tests := []struct {
		query      string
		rng, limit int
		sort       string
		ranges     int64
		want       []int64
	}{
		{"", 0, 50, "asc", 1, ids},
		{"?sort=desc", 0, 50, "desc", 1, rev},
		{"?sort=DESC", 0, 50, "desc", 1, rev},
		{"?limit=2", 0, 2, "asc", 3, ids[:2]},
		{"?limit=2&range=1", 1, 2, "asc", 3, ids[2:4]},
		{"?limit=2&range=2", 2, 2, "asc", 3, ids[4:]},
		{"?limit=2&range=1&sort=desc", 1, 2, "desc", 3, rev[2:4]},
		{"?limit=2&range=3", 3, 2, "asc", 3, nil},
		{"?limit=500", 0, 50, "asc", 1, ids}, // capped at 50
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var got commentsView
			b.call(t, http.MethodGet, path+tt.query, nil, http.StatusOK, &got)
			if got.Range != tt.rng || got.Limit != tt.limit || got.Sort != tt.sort || got.NumberComments != 5 || got.NumberRanges != tt.ranges {
				t.Errorf("page = range %d limit %d sort %s comments %d ranges %d, want %d %d %s 5 %d",
					got.Range, got.Limit, got.Sort, got.NumberComments, got.NumberRanges, tt.rng, tt.limit, tt.sort, tt.ranges)
			}
			if !slices.Equal(got.ids(), append([]int64{}, tt.want...)) {
				t.Errorf("ids = %v, want %v", got.ids(), tt.want)
			}
		})
	}

	// An empty contact: zero comments, zero ranges, an empty array (not null).
	empty := b.createContact(t, map[string]any{"mail": "nocomments@example.com"})
	rec := b.do(t, http.MethodGet, "/public/api/V1/contact/"+itoa(empty)+"/comments", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"comments":[]`) || !strings.Contains(rec.Body.String(), `"number_ranges":0`) {
		t.Errorf("empty contact: %d %s", rec.Code, rec.Body)
	}
}

func TestCommentsWriteAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "cwrite@example.com", "comment": "from the form"})
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	start := time.Now().Unix()

	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if len(page.Comments) != 1 || page.Comments[0].Comment != "from the form" || page.Comments[0].ContactID != id {
		t.Fatalf("comment of POST contact: %+v", page)
	}
	first := page.Comments[0].ID
	second := b.addComment(t, id, "  line one\nline two  ")
	third := b.addComment(t, id, strings.Repeat("ü", models.MaxCommentLength))

	b.call(t, http.MethodPut, path, map[string]any{"id": second, "comment": "edited"}, http.StatusOK, nil)
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	got := page.Comments[1]
	if got.ID != second || got.Comment != "edited" || got.ContactID != id || got.UID <= 0 {
		t.Errorf("edited comment = %+v", got)
	}
	if got.Created < start-5 || got.Changed < got.Created || got.Changed > time.Now().Unix()+5 {
		t.Errorf("created %d changed %d are not unix seconds around now (%d)", got.Created, got.Changed, start)
	}
	if page.Comments[2].ID != third || len([]rune(page.Comments[2].Comment)) != models.MaxCommentLength {
		t.Errorf("longest comment was not kept whole")
	}

	// Deleting with one unknown id deletes nothing and names it.
	e := b.fail(t, http.MethodDelete, path, []int64{first, 99999999}, http.StatusNotFound)
	if !strings.Contains(e.Message, "99999999") || strings.Contains(e.Message, itoa(first)+" ") {
		t.Errorf("404 message %q should name only the unknown id", e.Message)
	}
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if page.NumberComments != 3 {
		t.Fatalf("failed delete removed comments: %d left", page.NumberComments)
	}
	var ok struct{ Success bool }
	b.call(t, http.MethodDelete, path, []any{first, fmt.Sprint(third)}, http.StatusOK, &ok)
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if !ok.Success || !slices.Equal(page.ids(), []int64{second}) {
		t.Errorf("after delete: %v, want [%d]", page.ids(), second)
	}

	// Comments go with their contact.
	b.call(t, http.MethodDelete, "/public/api/V1/contact/"+itoa(id), nil, http.StatusOK, nil)
	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound)
}

func TestCommentsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "cerr@example.com"})
	otherContact := b.createContact(t, map[string]any{"mail": "cerr2@example.com"})
	foreign := b.addComment(t, otherContact, "on the other contact")
	own := b.addComment(t, id, "mine")
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		field  string
	}{
		{"range negative", http.MethodGet, path + "?range=-1", nil, 422, "range"},
		{"range text", http.MethodGet, path + "?range=first", nil, 422, "range"},
		{"limit zero", http.MethodGet, path + "?limit=0", nil, 422, "limit"},
		{"limit text", http.MethodGet, path + "?limit=x", nil, 422, "limit"},
		{"sort unknown", http.MethodGet, path + "?sort=newest", nil, 422, "sort"},
		{"post without comment", http.MethodPost, path, map[string]any{}, 422, "comment"},
		{"post empty comment", http.MethodPost, path, map[string]any{"comment": "   "}, 422, "comment"},
		{"post too long", http.MethodPost, path, map[string]any{"comment": strings.Repeat("x", models.MaxCommentLength+1)}, 422, "comment"},
		{"post control characters", http.MethodPost, path, map[string]any{"comment": "a\x00b"}, 422, "comment"},
		{"post not a string", http.MethodPost, path, map[string]any{"comment": 5}, 422, "comment"},
		{"post unknown field", http.MethodPost, path, map[string]any{"comment": "x", "author": "me"}, 422, "author"},
		{"post malformed", http.MethodPost, path, `{"comment": }`, 400, ""},
		{"put without id", http.MethodPut, path, map[string]any{"comment": "x"}, 422, "id"},
		{"put without comment", http.MethodPut, path, map[string]any{"id": own}, 422, "comment"},
		{"put empty comment", http.MethodPut, path, map[string]any{"id": own, "comment": ""}, 422, "comment"},
		{"put unknown id", http.MethodPut, path, map[string]any{"id": 99999999, "comment": "x"}, 404, ""},
		{"put other contact's comment", http.MethodPut, path, map[string]any{"id": foreign, "comment": "x"}, 404, ""},
		{"delete other contact's comment", http.MethodDelete, path, []int64{foreign}, 404, ""},
		{"delete not an array", http.MethodDelete, path, map[string]any{"id": own}, 400, ""},
		{"delete bad id", http.MethodDelete, path, []any{"x"}, 422, "ids[0]"},
		{"unknown contact get", http.MethodGet, "/public/api/V1/contact/99999999/comments", nil, 404, ""},
		{"unknown contact post", http.MethodPost, "/public/api/V1/contact/99999999/comments", map[string]any{"comment": "x"}, 404, ""},
		{"unknown contact put", http.MethodPut, "/public/api/V1/contact/99999999/comments", map[string]any{"id": own, "comment": "x"}, 404, ""},
		{"unknown contact delete", http.MethodDelete, "/public/api/V1/contact/99999999/comments", []int64{own}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.fail(t, tt.method, tt.path, tt.body, tt.want)
			if tt.field != "" && !slices.Contains(e.fields(), tt.field) {
				t.Errorf("errors %+v do not name %q", e.Errors, tt.field)
			}
		})
	}
	var page commentsView
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(otherContact)+"/comments", nil, http.StatusOK, &page)
	if len(page.Comments) != 1 || page.Comments[0].Comment != "on the other contact" {
		t.Errorf("the other contact's comment changed: %+v", page.Comments)
	}
}

// TestCommentsTenantIsolation: another tenant's contact and comment ids answer 404 on
// every comment route, and nothing of this tenant changes.
func TestCommentsTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "ciso@example.com"})
	cid := b.addComment(t, id, "private")
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"

	b.fail(t, http.MethodGet, path, nil, http.StatusNotFound, as)
	b.fail(t, http.MethodPost, path, map[string]any{"comment": "intrusion"}, http.StatusNotFound, as)
	b.fail(t, http.MethodPut, path, map[string]any{"id": cid, "comment": "changed"}, http.StatusNotFound, as)
	b.fail(t, http.MethodDelete, path, []int64{cid}, http.StatusNotFound, as)

	// Their own contact, with our comment id.
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "ciso@example.com"}}, http.StatusOK, &theirs, as)
	theirPath := "/public/api/V1/contact/" + itoa(theirs.ID) + "/comments"
	b.fail(t, http.MethodPut, theirPath, map[string]any{"id": cid, "comment": "changed"}, http.StatusNotFound, as)
	b.fail(t, http.MethodDelete, theirPath, []int64{cid}, http.StatusNotFound, as)

	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if len(page.Comments) != 1 || page.Comments[0].Comment != "private" {
		t.Errorf("comments after the other tenant's attempts: %+v", page.Comments)
	}
}

// TestCommentsDefaultAndMaxLimit: with 51 comments a range holds 50 by default and
// at most 50, and the second range holds the 51st.
func TestCommentsDefaultAndMaxLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, map[string]any{"mail": "fifty@example.com"})
	var ids []int64
	for i := range 51 {
		ids = append(ids, b.addComment(t, id, fmt.Sprintf("c%d", i)))
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	tests := []struct {
		query      string
		limit, rng int
		want       []int64
	}{
		{"", 50, 0, ids[:50]},
		{"?limit=51", 50, 0, ids[:50]},
		{"?range=1", 50, 1, ids[50:]},
		{"?range=1&limit=1000", 50, 1, ids[50:]},
		{"?sort=desc", 50, 0, rev[:50]},
		{"?sort=desc&range=1", 50, 1, rev[50:]},
		{"?limit=10&range=5", 10, 5, ids[50:]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var got commentsView
			b.call(t, http.MethodGet, path+tt.query, nil, http.StatusOK, &got)
			wantRanges := int64((51 + tt.limit - 1) / tt.limit)
			if got.Limit != tt.limit || got.Range != tt.rng || got.NumberComments != 51 || got.NumberRanges != wantRanges {
				t.Errorf("limit %d range %d comments %d ranges %d, want %d %d 51 %d", got.Limit, got.Range, got.NumberComments, got.NumberRanges, tt.limit, tt.rng, wantRanges)
			}
			if !slices.Equal(got.ids(), tt.want) {
				t.Errorf("%d ids, want %d (%v…)", len(got.ids()), len(tt.want), tt.want[:min(2, len(tt.want))])
			}
		})
	}
}

// TestCommentsOtherTenantsIDs: a change naming another tenant's comment on one's
// own contact is 404 and all or nothing: one's own comment in the same DELETE stays,
// and the other tenant's comment is unchanged.
func TestCommentsOtherTenantsIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mine := b.createContact(t, map[string]any{"mail": "cmine@example.com"})
	own := b.addComment(t, mine, "own")
	other := storetest.NewTenant(t, b.st)
	as := withKey(other.Key)
	var theirs struct{ ID int64 }
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "ctheirs@example.com"}}, http.StatusOK, &theirs, as)
	var added struct {
		CommentID int64 `json:"comment_id"`
	}
	b.call(t, http.MethodPost, "/public/api/V1/contact/"+itoa(theirs.ID)+"/comments", map[string]any{"comment": "theirs"}, http.StatusOK, &added, as)
	path := "/public/api/V1/contact/" + itoa(mine) + "/comments"

	e := b.fail(t, http.MethodDelete, path, []int64{own, added.CommentID}, http.StatusNotFound)
	if !strings.Contains(e.Message, itoa(added.CommentID)) {
		t.Errorf("404 message %q does not name %d", e.Message, added.CommentID)
	}
	b.fail(t, http.MethodPut, path, map[string]any{"id": added.CommentID, "comment": "changed"}, http.StatusNotFound)

	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if !slices.Equal(page.ids(), []int64{own}) {
		t.Errorf("own comments after the refused delete: %v, want [%d]", page.ids(), own)
	}
	b.call(t, http.MethodGet, "/public/api/V1/contact/"+itoa(theirs.ID)+"/comments", nil, http.StatusOK, &page, as)
	if len(page.Comments) != 1 || page.Comments[0].Comment != "theirs" {
		t.Errorf("the other tenant's comments: %+v", page.Comments)
	}
}

// TestCommentUID: a comment's uid is the id of the API key that wrote it, and 0
// for the comment that came with a created contact (README, Comments).
func TestCommentUID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key, secret, err := b.st.CreateKey(context.Background(), b.tenant.ID, "second", "", "")
	if err != nil {
		t.Fatal(err)
	}
	id := b.createContact(t, map[string]any{"mail": "uid@example.com", "comment": "from the form"})
	path := "/public/api/V1/contact/" + itoa(id) + "/comments"
	b.call(t, http.MethodPost, path, map[string]any{"comment": "by the second key"}, http.StatusOK, nil, withKey(secret))
	var page commentsView
	b.call(t, http.MethodGet, path, nil, http.StatusOK, &page)
	if len(page.Comments) != 2 || page.Comments[0].UID != 0 || page.Comments[1].UID != key.ID {
		t.Errorf("comments %+v, want uid 0 then %d", page.Comments, key.ID)
	}
}
