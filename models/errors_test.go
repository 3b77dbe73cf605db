package models_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contacthub/contacthub/models"
)

// TestValidationErrorCapped: a validation keeps the first MaxFieldErrors problems,
// clipped, and counts the others; the error says how many there were.
func TestValidationErrorCapped(t *testing.T) {
	t.Parallel()
	var v models.ValidationError
	long := strings.Repeat("ü", 1000)
	for i := range 250 {
		v.Addf("ids["+strconv.Itoa(i)+"]"+long, "must be an id, got %s", long)
	}
	var de *models.Error
	if !errors.As(v.Err(), &de) {
		t.Fatalf("Err() = %v", v.Err())
	}
	if len(de.Fields) != models.MaxFieldErrors || de.Omitted != 150 || de.Total() != 250 || v.Len() != 250 {
		t.Fatalf("%d fields, %d omitted, total %d; want %d, 150, 250", len(de.Fields), de.Omitted, de.Total(), models.MaxFieldErrors)
	}
	for _, f := range de.Fields {
		if len(f.Field) > models.MaxFieldLen || len(f.Error) > models.MaxReasonLen || !utf8.ValidString(f.Field) || !utf8.ValidString(f.Error) {
			t.Fatalf("field error of %d and %d bytes (valid UTF-8: %v %v)", len(f.Field), len(f.Error), utf8.ValidString(f.Field), utf8.ValidString(f.Error))
		}
	}
	msg := de.Error()
	if strings.Count(msg, "must be an id") != 10 || !strings.HasSuffix(msg, "and 240 more") {
		t.Errorf("Error() = %.200s…, want 10 problems and how many more", msg)
	}
}

// TestErrorBounded: Bounded lists at most n problems and counts the rest, and leaves
// an error within its bounds as it is.
func TestErrorBounded(t *testing.T) {
	t.Parallel()
	e := &models.Error{Code: models.EINVALID, Message: "invalid fields", Omitted: 5,
		Fields: []models.FieldError{{Field: "a", Error: "x"}, {Field: "b", Error: "y"}, {Field: "c", Error: "z"}}}
	if got := e.Bounded(3); got != e {
		t.Errorf("Bounded(3) of 3 fields copied the error")
	}
	got := e.Bounded(2)
	if len(got.Fields) != 2 || got.Omitted != 6 || got.Total() != 8 || len(e.Fields) != 3 {
		t.Errorf("Bounded(2) = %d fields, %d omitted; original %d fields", len(got.Fields), got.Omitted, len(e.Fields))
	}
	long := &models.Error{Code: models.ENOTFOUND, Message: strings.Repeat("m", 5000)}
	if got := long.Bounded(10); len(got.Message) > models.MaxMessageLen {
		t.Errorf("message of %d bytes", len(got.Message))
	}
}

func TestExcerptAndClip(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"nope", "nope"},
		{strings.Repeat("a", models.MaxExcerpt), strings.Repeat("a", models.MaxExcerpt)},
		{strings.Repeat("a", models.MaxExcerpt+1), strings.Repeat("a", models.MaxExcerpt) + "…"},
		{strings.Repeat("€", 100), strings.Repeat("€", models.MaxExcerpt) + "…"},
	} {
		if got := models.Excerpt(tt.in); got != tt.want {
			t.Errorf("Excerpt(%.20q…) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := models.Clip("ab€€", 6); got != "ab…" {
		t.Errorf("Clip cut inside a character: %q", got)
	}
	if got := models.Clip("short", 6); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
}

func TestIDList(t *testing.T) {
	t.Parallel()
	if got := models.IDList([]int64{3, 7}); got != "[3 7]" {
		t.Errorf("IDList = %q", got)
	}
	ids := make([]int64, 1000)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if got := models.IDList(ids); !strings.HasPrefix(got, "[1 2 3") || !strings.HasSuffix(got, "20] and 980 more") {
		t.Errorf("IDList of 1000 = %q", got)
	}
	if got := models.UnknownTerms(ids).Error; len(got) > 200 {
		t.Errorf("UnknownTerms of 1000 ids: %d bytes", len(got))
	}
}

// TestParseIDs: ids are counted before they are read, each bad one is named (at most
// MaxFieldErrors of them), and the good ones come back sorted without repeats.
func TestParseIDs(t *testing.T) {
	t.Parallel()
	list := func(elem string, n int) []byte {
		return []byte("[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]")
	}
	tests := []struct {
		name    string
		body    []byte
		want    []int64
		fields  []string // the fields named, when refused
		omitted int
	}{
		{"numbers and strings", []byte(`[3, "1", 3, 2]`), []int64{1, 2, 3}, nil, 0},
		{"empty", []byte(`[]`), []int64{}, nil, 0},
		{"null", []byte(`null`), nil, []string{"terms"}, 0},
		{"object", []byte(`{"a": 1}`), nil, []string{"terms"}, 0},
		{"bad elements", []byte(`[1, 0, -1, "x", 1.5, [2], {"a": 1}, true]`), nil,
			[]string{"terms[1]", "terms[2]", "terms[3]", "terms[4]", "terms[5]", "terms[6]", "terms[7]"}, 0},
		{"exactly the most", list("7", 1000), []int64{7}, nil, 0},
		{"one more than the most", list("7", 1001), nil, []string{"terms"}, 0},
		{"many more zeros", list("0", 100000), nil, []string{"terms"}, 0},
		{"1000 zeros", list("0", 1000), nil, nil, 900},
		{"truncated", []byte(`[1, 2`), nil, []string{"terms"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := models.ParseIDs(tt.body, "terms", 1000)
			var de *models.Error
			switch {
			case tt.want != nil:
				if err != nil || !slices.Equal(ids, tt.want) {
					t.Fatalf("ParseIDs = %v, %v; want %v", ids, err, tt.want)
				}
			case !errors.As(err, &de) || de.Code != models.EINVALID:
				t.Fatalf("ParseIDs = %v, %v; want an EINVALID error", ids, err)
			case de.Omitted != tt.omitted:
				t.Fatalf("%d problems omitted, want %d", de.Omitted, tt.omitted)
			case tt.fields != nil:
				var names []string
				for _, f := range de.Fields {
					names = append(names, f.Field)
				}
				if !slices.Equal(names, tt.fields) {
					t.Fatalf("problems of %v, want %v (%v)", names, tt.fields, err)
				}
			}
		})
	}
}
