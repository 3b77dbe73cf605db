package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestDryRunIngestForecastsIngest: under every check a dry run answers what Ingest
// then does with the same batch — created, merged into an existing contact, merged
// into a contact an earlier submission of the batch creates (ID 0), an external_id
// another record holds — although under the email, external_id and none checks it
// computes only the submissions' lookup keys.
func TestDryRunIngestForecastsIngest(t *testing.T) {
	for _, check := range []models.CheckMethod{models.CheckEmail, models.CheckExternalID, models.CheckNone, models.CheckAuto} {
		t.Run(string(check), func(t *testing.T) {
			st := storetest.Open(t)
			tn := storetest.NewTenant(t, st)
			ctx := context.Background()
			existing := map[string]any{"mail": "known@example.com", "first_name": "Known", "family_name": "Person",
				"phone": "+49 30 1234567", "external_id": "E-1"}
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, existing)}, models.IngestOptions{Check: check})
			if err != nil || res[0].Err != nil {
				t.Fatal(err, res)
			}
			known := res[0].ID
			batch := func() []*models.Submission {
				return []*models.Submission{
					storetest.Submission(t, map[string]any{"mail": "Known@Example.com", "first_name": "Known", "family_name": "Person", "phone": "030 1234567"}),
					storetest.Submission(t, map[string]any{"mail": "new@example.com", "first_name": "Neu", "family_name": "Mann", "phone": "+49 40 7654321", "external_id": "E-2"}),
					storetest.Submission(t, map[string]any{"mail": "new@example.com", "first_name": "Neu", "family_name": "Mann", "external_id": "E-2"}),
					storetest.Submission(t, map[string]any{"mail": "other@example.com", "first_name": "Other", "external_id": "E-2"}),
					storetest.Submission(t, map[string]any{"mail": "third@example.com", "first_name": "Third", "external_id": "E-1"}),
					storetest.Submission(t, map[string]any{"first_name": "Nomail", "family_name": "Person"}),
				}
			}
			dry, err := st.DryRunIngest(ctx, tn.ID, batch(), models.IngestOptions{Check: check})
			if err != nil {
				t.Fatal(err)
			}
			wet, err := st.Ingest(ctx, tn.ID, batch(), models.IngestOptions{Check: check})
			if err != nil {
				t.Fatal(err)
			}
			createdInBatch := map[int64]bool{}
			for i := range wet {
				if wet[i].Created {
					createdInBatch[wet[i].ID] = true
				}
			}
			for i := range dry {
				d, w := dry[i], wet[i]
				if (d.Err == nil) != (w.Err == nil) || d.Created != w.Created {
					t.Fatalf("submission %d: dry run %s, Ingest %s", i, outcome(d), outcome(w))
				}
				switch {
				case d.Err != nil || d.Created:
				case d.ID == 0 && !createdInBatch[w.ID]:
					t.Fatalf("submission %d: dry run merges into a contact of the batch, Ingest into %d", i, w.ID)
				case d.ID != 0 && d.ID != w.ID:
					t.Fatalf("submission %d: dry run merges into %d, Ingest into %d", i, d.ID, w.ID)
				}
			}
			if check == models.CheckEmail && (dry[0].ID != known || dry[0].Created) {
				t.Fatalf("the known mail: dry run %s, want a merge into %d", outcome(dry[0]), known)
			}
		})
	}
}

func outcome(r models.IngestResult) string {
	switch {
	case r.Err != nil:
		return "error " + r.Err.Error()
	case r.Created:
		return "created"
	}
	return fmt.Sprintf("merged into %d", r.ID)
}
