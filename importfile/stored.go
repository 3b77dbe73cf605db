package importfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The stored form of an uploaded file: every row as it was read (its number, its line,
// its problem as a row, its fields), written as UTF-8 CSV and cut into chunks of whole
// rows. Whatever the upload's format, encoding or delimiter, the import reads back
// exactly the rows the upload read, from any row, without sniffing again: a chunk starts
// with a row, so reading from row n means finding the chunk that holds n and skipping
// what comes before it in that chunk.

// Chunk is a stretch of whole rows of a stored file.
type Chunk struct {
	// Seq numbers a file's chunks from 0.
	Seq int
	// FirstRow is the Num of the chunk's first row; Rows how many rows it holds.
	FirstRow, Rows int
	Data           []byte
}

// DefaultChunkSize is the size a chunk is cut at (it ends with the row that reaches it).
const DefaultChunkSize = 1 << 20

// ChunkWriter encodes rows into chunks of about a given size and hands each to emit.
type ChunkWriter struct {
	size  int
	emit  func(Chunk) error
	buf   bytes.Buffer
	cw    *csv.Writer
	cur   Chunk
	rec   []string
	total int
}

// NewChunkWriter returns a writer that cuts a chunk once it holds size bytes (0 means
// DefaultChunkSize) and passes it to emit; emit's error is returned by Write or Close.
// The chunk's Data is only valid during the call.
func NewChunkWriter(size int, emit func(Chunk) error) *ChunkWriter {
	if size <= 0 {
		size = DefaultChunkSize
	}
	w := &ChunkWriter{size: size, emit: emit}
	w.buf.Grow(size + size/8)
	w.cw = csv.NewWriter(&w.buf)
	return w
}

// Write adds a row.
func (w *ChunkWriter) Write(r Row) error {
	if w.cur.Rows == 0 {
		w.cur.FirstRow = r.Num
	}
	errText := ""
	if r.Err != nil {
		errText = r.Err.Error()
	}
	w.rec = append(w.rec[:0], strconv.Itoa(r.Num), strconv.Itoa(r.Line), errText)
	w.rec = append(w.rec, r.Fields...)
	if err := w.cw.Write(w.rec); err != nil {
		return err
	}
	w.cur.Rows++
	w.total++
	w.cw.Flush()
	if w.buf.Len() >= w.size {
		return w.flush()
	}
	return nil
}

// Rows is how many rows were written.
func (w *ChunkWriter) Rows() int { return w.total }

// Close emits the last chunk, if it holds any row.
func (w *ChunkWriter) Close() error {
	if w.cur.Rows == 0 {
		return nil
	}
	return w.flush()
}

func (w *ChunkWriter) flush() error {
	w.cur.Data = w.buf.Bytes()
	err := w.emit(w.cur)
	w.cur = Chunk{Seq: w.cur.Seq + 1}
	w.buf.Reset()
	return err
}

// CopyRows reads every row of r into w. It returns r's error.
func CopyRows(w *ChunkWriter, r Reader) error {
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
}

// ChunkSource hands out a stored file's chunks in order; io.EOF after the last.
type ChunkSource interface {
	NextChunk() (Chunk, error)
}

// Stored reads the rows of a stored file back: a Reader.
type Stored struct {
	header []string
	src    ChunkSource
	from   int
	cr     *csv.Reader
}

// NewStored reads the rows of a stored file with header from the chunks of src,
// starting at the row numbered from (rows before it in the first chunk are skipped;
// src should start with the chunk that holds it).
func NewStored(header []string, src ChunkSource, from int) *Stored {
	return &Stored{header: header, src: src, from: from}
}

// Header is the file's header row.
func (s *Stored) Header() []string { return s.header }

// ErrCorrupt is wrapped by Stored.Next's error for a chunk that is not in the stored form.
var ErrCorrupt = errors.New("stored import file is corrupt")

// Next returns the next row; io.EOF after the last. Errors are the source's, or wrap
// ErrCorrupt.
func (s *Stored) Next() (Row, error) {
	for {
		if s.cr == nil {
			c, err := s.src.NextChunk()
			if err != nil {
				return Row{}, err
			}
			s.cr = csv.NewReader(bytes.NewReader(c.Data))
			s.cr.FieldsPerRecord = -1
			s.cr.ReuseRecord = false
		}
		rec, err := s.cr.Read()
		if err == io.EOF {
			s.cr = nil
			continue
		}
		if err != nil {
			return Row{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if len(rec) < 3 {
			return Row{}, fmt.Errorf("%w: a row of %d fields", ErrCorrupt, len(rec))
		}
		num, err1 := strconv.Atoi(rec[0])
		line, err2 := strconv.Atoi(rec[1])
		if err1 != nil || err2 != nil {
			return Row{}, fmt.Errorf("%w: row number %q, line %q", ErrCorrupt, rec[0], rec[1])
		}
		if num < s.from {
			continue
		}
		row := Row{Num: num, Line: line, Fields: rec[3:]}
		if rec[2] != "" {
			row.Err = errors.New(rec[2])
		}
		return row, nil
	}
}
