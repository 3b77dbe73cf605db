package imports

import (
	"cmp"
	"context"
	"slices"

	"github.com/contacthub/contacthub/models"
)

// Writer writes the records of an import whose entity is not contacts — the
// inquiries of a file import — through that entity's own service, the one write path
// of its kind. The engine hands it a batch's valid records and commits the batch's
// checkpoint, counters and error rows once it returns; the records' writes are
// therefore not in that transaction, and a batch is written again after a crash (or
// by a second worker when the first lost its lease). A Writer must keep that exactly
// once: recognise by import id and Row a record it wrote already, and not write it
// again (the inquiry writer marks each row in its inquiry's transaction).
type Writer interface {
	// Write writes recs (or, for a dry run, checks them and writes nothing) and
	// returns one outcome per record, in order. A record's own problem is its
	// outcome's Err (EINVALID naming its fields as the door's records name them, or
	// a message for the record as a whole); an error returned ends the batch
	// unwritten (its checkpoint stays, the job tries again).
	Write(ctx context.Context, imp *models.Import, recs []Record) ([]Outcome, error)
}

// writerBatch caps the batches of an import with a Writer. Its records commit one by
// one, outside the batch's transaction, so a smaller batch costs one more checkpoint
// now and then and buys a progress that moves every few seconds (an inquiry is a
// customer match and a write: a batch of 1,000 took minutes on a busy machine) and
// less to look through again after a crash.
const writerBatch = 100

// Outcome is what a Writer did with one record.
type Outcome struct {
	// Created or Updated, in a dry run what it would do; neither with Err.
	Created, Updated bool
	Err              error
}

// writeWith processes a batch of an import whose entity has a Writer: the records
// the door found bad are error rows, the others go to w; then the checkpoint, the
// counters and the error rows commit in one transaction.
func (p *progress) writeWith(ctx context.Context, w Writer, recs []Record, b models.ImportBatch) error {
	var valid []Record
	for _, rec := range recs {
		if len(rec.Errors) > 0 {
			b.Errors++
			for _, fe := range rec.Errors {
				b.Rows = append(b.Rows, models.ImportRowError{Row: rec.Row, Field: fe.Field, Error: fe.Error})
			}
			continue
		}
		valid = append(valid, rec)
	}
	if len(valid) > 0 {
		outcomes, err := w.Write(ctx, p.imp, valid)
		if err != nil {
			return err
		}
		for j, o := range outcomes {
			switch {
			case o.Err != nil:
				b.Errors++
				b.Rows = append(b.Rows, p.errorRows(valid[j].Row, o.Err)...)
			case o.Created:
				b.Created++
			case o.Updated:
				b.Updated++
			}
		}
	}
	slices.SortStableFunc(b.Rows, func(x, y models.ImportRowError) int { return cmp.Compare(x.Row, y.Row) })
	if err := p.e.store.WriteImportBatch(ctx, nil, b); err != nil {
		return err
	}
	p.pos = b.To
	return nil
}
