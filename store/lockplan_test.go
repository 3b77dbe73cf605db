package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/contacthub/contacthub/models"
	"github.com/contacthub/contacthub/store"
	"github.com/contacthub/contacthub/store/storetest"
)

// TestAutoCreatesOfOnePersonSharingOnlyAPhoneAndANameYieldOneContact: 50 concurrent
// auto creates of one person, each with a mail of its own (so they share no mail key,
// only the phone and the name), make one contact. The write path no longer locks the
// phone's key exclusive; the family name's sound, locked exclusive, is what
// serialises them (store/candidates.go, lockPlan).
func TestAutoCreatesOfOnePersonSharingOnlyAPhoneAndANameYieldOneContact(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tn := storetest.NewTenant(t, st)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]int64, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{storetest.Submission(t, map[string]any{
				"mail": fmt.Sprintf("race.%d@example%d.com", i, i), "first_name": "Walburga", "family_name": "Kettenhofer",
				"phone": "+49 89 4412 7733"})}, models.IngestOptions{Check: models.CheckAuto, Merge: models.MergeUpdateAdd})
			if err == nil {
				err = res[0].Err
				ids[i] = res[0].ID
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
	}
	page, err := st.ListContacts(ctx, tn.ID, models.ContactFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Contacts) != 1 {
		t.Fatalf("50 concurrent auto creates of one person (one phone, one name, 50 mails) made %d contacts, want 1", len(page.Contacts))
	}
	for i, id := range ids {
		if id != page.Contacts[0].ID {
			t.Fatalf("ingest %d answered id %d, want %d", i, id, page.Contacts[0].ID)
		}
	}
	storetest.AssertConsistent(t, st)
}

// TestColleaguesUnderOnePhoneAndAddressDoNotWait: while a create holds its locks (its
// transaction stopped in BeforeCreate), a colleague's create with the same phone
// number and office address but another name and mail completes, with check auto and
// with check email; a second submission of the held person waits for it (an advisory
// lock not granted in pg_locks) and then, with auto, merges into its contact.
func TestColleaguesUnderOnePhoneAndAddressDoNotWait(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	if st.Dialect() != store.Postgres {
		t.Skip("SQLite has one writer: every write waits for the one before")
	}
	ctx := context.Background()
	office := map[string]any{"phone": "+49 30 9876 5000", "ba_street": "Friedrichstraße 100", "ba_postal_code": "10117", "ba_city": "Berlin", "company": "Muster GmbH"}
	person := func(first, family, mail string) *models.Submission {
		f := map[string]any{"first_name": first, "family_name": family, "mail": mail}
		for k, v := range office {
			f[k] = v
		}
		return storetest.Submission(t, f)
	}
	for _, check := range []models.CheckMethod{models.CheckAuto, models.CheckEmail} {
		tn := storetest.NewTenant(t, st)
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		held := make(chan models.IngestResult, 1)
		go func() {
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{person("Annegret", "Schimmelpfennig", "a.schimmelpfennig@muster.de")},
				models.IngestOptions{Check: check, BeforeCreate: func(context.Context, int, *models.Submission) error {
					once.Do(func() { close(entered) })
					<-release
					return nil
				}})
			if err == nil && res[0].Err != nil {
				err = res[0].Err
			}
			if err != nil {
				t.Errorf("%s: held create: %v", check, err)
			}
			held <- res[0]
		}()
		<-entered
		done := make(chan error, 1)
		go func() {
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{person("Torben", "Wachowiak", "t.wachowiak@muster.de")}, models.IngestOptions{Check: check})
			if err == nil && (res[0].Err != nil || !res[0].Created) {
				err = fmt.Errorf("result %+v", res[0])
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: colleague's create: %v", check, err)
			}
		case <-time.After(10 * time.Second):
			close(release)
			t.Fatalf("%s: a colleague's create (same phone and address, another name) waited for the held create", check)
		}

		// The same person again (another mail: only the name and the office are shared).
		same := make(chan models.IngestResult, 1)
		go func() {
			res, err := st.Ingest(ctx, tn.ID, []*models.Submission{person("Annegret", "Schimmelpfennig", "annegret@privat.example")}, models.IngestOptions{Check: check})
			if err == nil && res[0].Err != nil {
				err = res[0].Err
			}
			if err != nil {
				t.Errorf("%s: second create of the held person: %v", check, err)
			}
			same <- res[0]
		}()
		if check == models.CheckAuto {
			waiting := false
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !waiting; time.Sleep(20 * time.Millisecond) {
				select {
				case r := <-same:
					close(release)
					t.Fatalf("auto: a second submission of the held person finished while the first held its locks: %+v", r)
				default:
				}
				var n int
				if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
					AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				waiting = n > 0
			}
			if !waiting {
				close(release)
				t.Fatal("auto: no advisory lock waited for while a second submission of the held person ran")
			}
		}
		close(release)
		first, second := <-held, <-same
		if check == models.CheckAuto && (second.Created || second.ID != first.ID) {
			t.Fatalf("auto: the second submission of the person answered %+v, want a merge into %d", second, first.ID)
		}
		page, err := st.ListContacts(ctx, tn.ID, models.ContactFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := map[models.CheckMethod]int{models.CheckAuto: 2, models.CheckEmail: 3}[check]
		if len(page.Contacts) != want {
			t.Fatalf("%s: %d contacts, want %d", check, len(page.Contacts), want)
		}
	}
	storetest.AssertConsistent(t, st)
}
