package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/testenv"
)

// Certifier's message and autocred's advice after it are two sentences.
func TestRefusalAndAdviceAreTwoSentences(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	a, run := h.anasRun()
	run.Status = autocred.RunPending
	refused := &certifier.Error{Status: 422, Code: "validation_error", Message: "recipient.name is too long"}
	_ = h.engine.CreateFailed(ctx, &run, a, refused, false)
	got, _ := h.store.Run(ctx, run.ID)
	if !strings.Contains(got.LastError, "recipient.name is too long. Fix the mapping") {
		t.Errorf("run says %q", got.LastError)
	}
}
