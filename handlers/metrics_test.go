package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/handlers"
)

// TestContactsWrittenMetric: the contact service counts what submissions did, for
// every door: a new contact is created, a submission matching one is merged into it.
func TestContactsWrittenMetric(t *testing.T) {
	t.Parallel()
	b := setup(t, func(a *handlers.API) {
		a.Metrics = handlers.NewMetrics()
		a.ContactService = contacts.New(contacts.Config{Store: b0(a), Metrics: a.Metrics, Log: a.Log})
	})
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "m1@example.com", "first_name": "Ann"}}, http.StatusOK, nil)
	b.call(t, http.MethodPost, "/public/api/V1/contact", map[string]any{"contact": map[string]any{"mail": "m1@example.com", "company": "Acme"}}, http.StatusOK, nil)
	b.call(t, http.MethodPost, "/api/v1/contacts", map[string]any{"contact": map[string]any{"mail": "m2@example.com"}}, http.StatusCreated, nil)
	metrics := b.do(t, http.MethodGet, "/metrics", nil).Body.String()
	for _, line := range []string{
		`contacthub_contacts_written_total{outcome="created"} 2`,
		`contacthub_contacts_written_total{outcome="merged"} 1`,
		`contacthub_contacts_written_total{outcome="joined"} 0`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

// b0 is the store the API was built on.
func b0(a *handlers.API) contacts.Store { return a.Contacts.(contacts.Store) }
