package inquiries

import (
	"testing"

	"github.com/contacthub/contacthub/models"
)

func TestAmountCells(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"25.000,50": "25000.50", "1.250.000": "1250000", "25,000.50": "25000.50", "1250,5": "1250.5",
		"12 €": "12", "8000": "8000", "12.5": "12.5", "1.5": "1.5", "abc": "abc",
	} {
		if got := amount(in); got != want {
			t.Errorf("amount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromCells(t *testing.T) {
	t.Parallel()
	in, id, err := FromCells(map[string]any{"title": "Bad", "probability": "80 %", "urgency": "Dringend", "tags": "a; b, a"}, models.InquiryCreate)
	if err != nil || id != 0 || *in.Probability.Value != 80 || *in.Urgency.Value != models.UrgencyUrgent || len(*in.Tags.Value) != 2 {
		t.Fatalf("FromCells: %+v %d %v", in, id, err)
	}
	_, _, err = FromCells(map[string]any{"probability": "viel", "expected_value.currency": "EUR"}, models.InquiryCreate)
	e, ok := err.(*models.Error)
	if !ok || len(e.Fields) != 3 {
		t.Fatalf("errors %v, want title, probability and expected_value.currency named", err)
	}
	if _, _, err := FromCells(map[string]any{"status": "Neu"}, models.InquiryPatch); err == nil {
		t.Fatal("an update without an id was taken")
	}
}
