package dedupetrain_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/dedupetrain"
	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fill gives a tenant n contacts; every fifth is a Müller, the others have rare
// family names.
func fill(t *testing.T, st *store.Store, tenant int64, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(tenant), 9))
	letters := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	var subs []*models.Submission
	for i := range n {
		family := "Fam" + letters(5)
		if i%5 == 0 {
			family = "Müller"
		}
		subs = append(subs, storetest.Submission(t, map[string]any{
			"first_name": "Given" + letters(4), "family_name": family,
			"mail": fmt.Sprintf("p%d-%s@example.com", i, letters(3)), "ba_city": []string{"Köln", "Bonn", "Berlin", "Hamburg"}[i%4], "ba_postal_code": []string{"50667", "53111", "10115", "20095"}[i%4],
		}))
		if len(subs) == 250 || i == n-1 {
			if _, err := st.Ingest(context.Background(), tenant, subs, models.IngestOptions{Check: models.CheckNone}); err != nil {
				t.Fatal(err)
			}
			subs = subs[:0]
		}
	}
}

func code(err error) string { return models.ErrorCode(err) }

// A tenant's model is trained from its contacts, becomes the active version, scores
// its duplicate checks (explanations name it), and rolls back to the previous version
// and to the defaults; another tenant is untouched and cannot reach it.
func TestTrainActivateRollback(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	svc := dedupetrain.New(st, nil)
	big, small := storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	fill(t, st, big.ID, dedupe.MinTrainingContacts+100)
	fill(t, st, small.ID, 20)

	if _, err := svc.Train(ctx, small.ID); code(err) != models.EINVALID {
		t.Fatalf("training a tenant of 20 contacts: %v, want %s", err, models.EINVALID)
	}
	if _, err := svc.TrainNow(ctx, small.ID); !errors.Is(err, dedupe.ErrTooFewContacts) {
		t.Fatalf("TrainNow on 20 contacts: %v, want ErrTooFewContacts", err)
	}

	probe := &models.Contact{FirstName: "Anna", FamilyName: "Müller", BaCity: "Köln", BaPostalCode: "50667"}
	before, _, err := st.FindDuplicates(ctx, big.ID, probe, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := svc.TrainNow(ctx, big.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v1 != 1 {
		t.Fatalf("first version %d, want 1", v1)
	}
	view, err := svc.Model(ctx, big.ID)
	if err != nil {
		t.Fatal(err)
	}
	if view.ActiveVersion != 1 || view.Model.Version != 1 || view.Model.Training == nil || len(view.Versions) != 1 {
		t.Fatalf("model view after training: active %d, model %d, training %v, versions %+v", view.ActiveVersion, view.Model.Version, view.Model.Training, view.Versions)
	}
	if r := view.Model.Training; r.TenantSize != dedupe.MinTrainingContacts+100 || r.Contacts != r.TenantSize {
		t.Errorf("training report %+v: want the whole tenant of %d sampled", r, dedupe.MinTrainingContacts+100)
	}
	var share float64
	for _, tf := range view.Model.TermFrequencies {
		if tf.Field == "family_name" {
			for _, s := range tf.Values {
				if s > share {
					share = s
				}
			}
		}
	}
	if share < 0.15 || share > 0.25 {
		t.Errorf("commonest family name's share %.3f, want about 0.2 (every fifth contact is a Müller)", share)
	}

	after, _, err := st.FindDuplicates(ctx, big.ID, probe, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 || len(after) == 0 {
		t.Fatalf("no Müller candidates: before %d, after %d", len(before), len(after))
	}
	if before[0].Explanation.ModelVersion != 0 || after[0].Explanation.ModelVersion != 1 {
		t.Errorf("explanations name model versions %d before and %d after training, want 0 and 1", before[0].Explanation.ModelVersion, after[0].Explanation.ModelVersion)
	}
	if fw := familyWeight(after[0].Explanation); !(fw < familyWeight(before[0].Explanation)) {
		t.Errorf("a family name a fifth of the tenant shares weighs %.3f after training, %.3f before; want less", fw, familyWeight(before[0].Explanation))
	}

	// The other tenant: defaults, no versions, and no way to activate the first's.
	if v, err := svc.Model(ctx, small.ID); err != nil || v.ActiveVersion != 0 || len(v.Versions) != 0 {
		t.Errorf("other tenant's model: %+v, %v; want the defaults and no versions", v, err)
	}
	if _, err := svc.Rollback(ctx, small.ID, "", 1); code(err) != models.ENOTFOUND {
		t.Errorf("other tenant activating version 1: %v, want not found", err)
	}
	if c, _, _ := st.FindDuplicates(ctx, small.ID, probe, 0, 5); len(c) > 0 && c[0].Explanation.ModelVersion != 0 {
		t.Errorf("other tenant scored with model version %d", c[0].Explanation.ModelVersion)
	}

	v2, err := svc.TrainNow(ctx, big.ID)
	if err != nil || v2 != 2 {
		t.Fatalf("second training: version %d, %v", v2, err)
	}
	for _, step := range []struct {
		to      string
		version int
		want    int
	}{{"previous", 0, 1}, {"previous", 0, 0}, {"", 2, 2}, {"defaults", 0, 0}, {"", 1, 1}} {
		v, err := svc.Rollback(ctx, big.ID, step.to, step.version)
		if err != nil {
			t.Fatalf("rollback %q/%d: %v", step.to, step.version, err)
		}
		if v.ActiveVersion != step.want || v.Model.Version != step.want {
			t.Fatalf("rollback %q/%d: active %d, model %d; want %d", step.to, step.version, v.ActiveVersion, v.Model.Version, step.want)
		}
		c, _, err := st.FindDuplicates(ctx, big.ID, probe, 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		if c[0].Explanation.ModelVersion != step.want {
			t.Fatalf("after rollback to %d the explanation names version %d", step.want, c[0].Explanation.ModelVersion)
		}
	}
	if _, err := svc.Rollback(ctx, big.ID, "defaults", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Rollback(ctx, big.ID, "previous", 0); code(err) != models.EINVALID {
		t.Errorf("rolling back from the defaults: %v, want %s", err, models.EINVALID)
	}
	if _, err := svc.Rollback(ctx, big.ID, "sideways", 0); code(err) != models.EINVALID {
		t.Errorf(`rollback to "sideways": %v, want %s`, err, models.EINVALID)
	}
	if _, err := svc.Rollback(ctx, big.ID, "", 7); code(err) != models.ENOTFOUND {
		t.Errorf("rollback to version 7: %v, want not found", err)
	}
}

func familyWeight(x models.Explanation) float64 {
	for _, f := range x.Fields {
		if f.Field == "family_name" {
			return f.Weight
		}
	}
	return 0
}

// jobsRecorder is a job engine that remembers what it was asked to queue.
type jobsRecorder struct{ trains []int64 }

func (j *jobsRecorder) Insert(_ context.Context, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if a, ok := args.(dedupetrain.TrainArgs); ok {
		j.trains = append(j.trains, a.TenantID)
	}
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(j.trains))}}, nil
}

// A tenant with a trained model is retrained once it has grown by the configured
// share since its newest training, and not before; a tenant on the defaults (never
// trained, or rolled back to them) is never trained unasked; 0 turns it off.
func TestRetrainOnGrowth(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	jobs := &jobsRecorder{}
	svc := dedupetrain.New(st, nil).WithRetrain(dedupetrain.Retrain{GrowthPercent: 50, CheckEvery: time.Hour})
	svc.Attach(jobs)
	trained, untrained, rolledBack := storetest.NewTenant(t, st), storetest.NewTenant(t, st), storetest.NewTenant(t, st)
	base := dedupe.MinTrainingContacts
	fill(t, st, trained.ID, base)
	fill(t, st, untrained.ID, 2*base)
	fill(t, st, rolledBack.ID, base)
	for _, tn := range []int64{trained.ID, rolledBack.ID} {
		if _, err := svc.TrainNow(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Rollback(ctx, rolledBack.ID, "defaults", 0); err != nil {
		t.Fatal(err)
	}

	check := func(want ...int64) {
		t.Helper()
		jobs.trains = nil
		got, err := svc.RetrainGrown(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(jobs.trains) != fmt.Sprint(want) {
			t.Fatalf("retraining queued for %v (returned %v), want %v", jobs.trains, got, want)
		}
	}
	check() // nobody has grown
	addMore(t, st, trained.ID, base/2-1, 1)
	addMore(t, st, rolledBack.ID, base, 2)
	check() // one contact short of 50 %; the rolled-back tenant stays on the defaults
	addMore(t, st, trained.ID, 1, 3)
	check(trained.ID)

	// Trained again at 1.5 × base: the next retraining waits for 2.25 × base.
	if _, err := svc.TrainNow(ctx, trained.ID); err != nil {
		t.Fatal(err)
	}
	addMore(t, st, trained.ID, base/2, 4)
	check()

	off := dedupetrain.New(st, nil).WithRetrain(dedupetrain.Retrain{})
	off.Attach(jobs)
	addMore(t, st, trained.ID, 2*base, 5)
	if got, err := off.RetrainGrown(ctx); err != nil || len(got) != 0 {
		t.Fatalf("retraining off: queued %v, %v", got, err)
	}
	check(trained.ID)
}

// addMore gives a tenant n more contacts, with mail addresses apart from fill's.
func addMore(t *testing.T, st *store.Store, tenant int64, n, round int) {
	t.Helper()
	var subs []*models.Submission
	for i := range n {
		subs = append(subs, storetest.Submission(t, map[string]any{
			"first_name": "More", "family_name": fmt.Sprintf("Round%d", round), "mail": fmt.Sprintf("more-%d-%d@example.org", round, i),
		}))
	}
	if _, err := st.Ingest(context.Background(), tenant, subs, models.IngestOptions{Check: models.CheckNone}); err != nil {
		t.Fatal(err)
	}
}
