package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// Certifier's message and autocred's advice after it are two sentences.
func TestRefusalAndAdviceAreTwoSentences(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	a := h.automation(h.segment("Done", "Done"), nil)
	ctx := context.Background()
	run := autocred.Run{AutomationID: a.ID, ContactID: 900_001, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
	if err := storetest.InsertRun(ctx, h.store, &run); err != nil {
		t.Fatal(err)
	}
	run.Status = autocred.RunPending
	refused := &certifier.Error{Status: 422, Code: "validation_error", Message: "recipient.name is too long"}
	_ = h.engine.CreateFailed(ctx, &run, a, refused, false)
	got, _ := h.store.Run(ctx, run.ID)
	if !strings.Contains(got.LastError, "recipient.name is too long. Fix the mapping") {
		t.Errorf("run says %q", got.LastError)
	}
}
