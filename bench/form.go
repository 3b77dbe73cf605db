package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

// The web form's bodies come from benchkit (form.go there), which bench/webhooks and
// bench/imports use too: one visitor per request, the inquiry of a visitor carrying
// the person of its contact.

// person is one visitor of a web form.
type person = benchkit.Person

func personN(run string, n int64) person { return benchkit.PersonN(run, n) }

func visitorIP(n int64) string { return benchkit.VisitorIP(n) }

// contactForm is POST /public/api/V1/contact's body for p.
func contactForm(p person, ip, check string) []byte {
	body, _ := json.Marshal(benchkit.ContactBody(p, ip, check))
	return body
}

// inquiryForm is POST /api/v1/inquiries's body for an inquiry of p (request n).
func inquiryForm(p person, n int64) []byte {
	body, _ := json.Marshal(benchkit.InquiryBody(p, n))
	return body
}

// postFormContact posts a new visitor's contact through the Quentn API with the
// duplicate check -check (the Quentn SDK sends auto).
func (c *client) postFormContact(ctx context.Context, check string) (int64, error) {
	n := c.seq.Add(1)
	var out struct{ ID int64 }
	if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", contactForm(personN(c.run, n), visitorIP(n), check), &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// postInquiry posts an inquiry of p as request n and checks how its customer was
// found: matched, or new.
func (c *client) postInquiry(ctx context.Context, p person, n int64, wantMatched bool) error {
	var out struct {
		Customer *struct {
			ID      int64 `json:"id"`
			Matched bool  `json:"matched"`
		} `json:"customer"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/inquiries", inquiryForm(p, n), &out); err != nil {
		return err
	}
	if out.Customer == nil || out.Customer.Matched != wantMatched {
		return fmt.Errorf("inquiry %d: customer %+v, want matched %v", n, out.Customer, wantMatched)
	}
	return nil
}

// prepareCustomers creates n known customers (unmeasured) with the form's data, for
// inquiries that match them by e-mail.
func prepareCustomers(ctx context.Context, c *client, n, clients int) ([]person, error) {
	people := make([]person, n)
	errs := make(chan error, 1)
	load(ctx, time.Time{}, clients, n, func(ctx context.Context, _, i int) error {
		seq := c.seq.Add(1)
		p := personN(c.run, seq)
		people[i] = p
		err := c.Do(ctx, http.MethodPost, "/public/api/V1/contact", contactForm(p, visitorIP(seq), "email"), nil)
		if err != nil {
			select {
			case errs <- err:
			default:
			}
		}
		return err
	})
	select {
	case err := <-errs:
		return nil, err
	default:
		return people, nil
	}
}
