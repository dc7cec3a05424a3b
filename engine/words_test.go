package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"recipient.name is too long":  "recipient.name is too long.",
		"recipient.name is too long.": "recipient.name is too long.",
		"Is it? ":                     "Is it?",
		"":                            "",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// Certifier's message and autocred's advice after it are two sentences.
func TestRefusalAndAdviceAreTwoSentences(t *testing.T) {
	h := newHarness(t, "sqlite", simac.Options{}, simcert.Options{})
	a := h.automation(h.segment("Done", "Done"), nil)
	ctx := context.Background()
	run := autocred.Run{AutomationID: a.ID, ContactID: 900_001, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
	if err := h.store.InsertRun(ctx, &run); err != nil {
		t.Fatal(err)
	}
	run.Status = autocred.RunPending
	refused := &certifier.Error{Status: 422, Code: "validation_error", Message: "recipient.name is too long"}
	_ = h.engine.stepFailed(ctx, &run, a, stepCreateIssueSend, refused, nil, false)
	got, _ := h.store.Run(ctx, run.ID)
	if !strings.Contains(got.LastError, "recipient.name is too long. Fix the mapping") {
		t.Errorf("run says %q", got.LastError)
	}
}
