package importfile

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// chunkList is a ChunkSource over chunks held in memory, starting at the one holding row from.
type chunkList struct {
	chunks []Chunk
	i      int
}

func (l *chunkList) NextChunk() (Chunk, error) {
	if l.i >= len(l.chunks) {
		return Chunk{}, io.EOF
	}
	l.i++
	return l.chunks[l.i-1], nil
}

// TestStoredRoundTrip stores a file with quoted line breaks, a ragged row and a
// semicolon delimiter in chunks small enough to cut it many times, and reads it back
// from every row: the same rows, numbers, lines and problems as the file gave.
func TestStoredRoundTrip(t *testing.T) {
	t.Parallel()
	text := "Vorname;Notiz\n" + "Jörg;\"zwei\nZeilen\"\n" + "Anna\n" + "\n" + "Zoë;\"\"\"x\"\"\"\n" +
		strings.Repeat("Max;Mustermann, \"der\"\n", 50) + "Ende;\n"
	c, err := OpenCSV(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	_, want := readAll(t, c)
	c, _ = OpenCSV(strings.NewReader(text))
	var chunks []Chunk
	w := NewChunkWriter(64, func(ch Chunk) error {
		ch.Data = append([]byte(nil), ch.Data...)
		chunks = append(chunks, ch)
		return nil
	})
	if err := CopyRows(w, c); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != len(want) || len(chunks) < 10 {
		t.Fatalf("%d rows in %d chunks; want %d rows in many chunks", w.Rows(), len(chunks), len(want))
	}
	for i, ch := range chunks {
		if ch.Seq != i || (i > 0 && ch.FirstRow != chunks[i-1].FirstRow+chunks[i-1].Rows) {
			t.Fatalf("chunk %d: %+v", i, ch)
		}
	}
	for from := 1; from <= len(want); from++ {
		k := 0
		for k+1 < len(chunks) && chunks[k+1].FirstRow <= from {
			k++
		}
		_, got := readAll(t, NewStored(c.Header(), &chunkList{chunks: chunks[k:]}, from))
		if len(got) != len(want)-from+1 {
			t.Fatalf("from %d: %d rows", from, len(got))
		}
		for i, r := range got {
			w := want[from-1+i]
			if r.Num != w.Num || r.Line != w.Line || !reflect.DeepEqual(r.Fields, w.Fields) || (r.Err == nil) != (w.Err == nil) ||
				(r.Err != nil && r.Err.Error() != w.Err.Error()) {
				t.Fatalf("from %d: row %+v, want %+v", from, r, w)
			}
		}
	}
}
