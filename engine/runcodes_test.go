package engine_test

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// Each way a run fails, or waits after a failed attempt, gives it the code
// of its cause beside its message; a run that then succeeds has none.
// (The verdicts' codes, decided from the contact and the mapping, are in
// TestCredentialFor; the circuit's in TestOpenCircuitIsNoAttempt.)
func TestRunErrorCodes(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	a := h.automation(h.segment("Done", "Done"), nil)
	ctx := context.Background()
	refused := func(status int) error {
		return &certifier.Error{Status: status, Message: "refused for the test"}
	}
	tests := []struct {
		name       string
		fail       func(e *engine.Engine, run *autocred.Run) error
		wantStatus autocred.RunStatus
		wantCode   autocred.RunErrorCode
	}{
		{"Certifier refuses the credential", func(e *engine.Engine, run *autocred.Run) error {
			return e.CreateFailed(ctx, run, a, refused(422), false)
		}, autocred.RunFailed, autocred.RunCodeCertifierValidation},
		{"Certifier does not know the group", func(e *engine.Engine, run *autocred.Run) error {
			return e.CreateFailed(ctx, run, a, refused(404), false)
		}, autocred.RunFailed, autocred.RunCodeCertifierNotFound},
		{"a passing failure", func(e *engine.Engine, run *autocred.Run) error {
			return e.CreateFailed(ctx, run, a, refused(503), false)
		}, autocred.RunPending, autocred.RunCodeRetrying},
		{"a passing failure on the last attempt", func(e *engine.Engine, run *autocred.Run) error {
			return e.CreateFailed(ctx, run, a, refused(503), true)
		}, autocred.RunFailed, autocred.RunCodeGaveUp},
		{"a create answered 503", func(e *engine.Engine, run *autocred.Run) error {
			// Certifier said it failed: a passing failure, not an
			// unconfirmed create (though the next attempt asks first).
			run.Step = autocred.StepCreate
			return e.CreateFailed(ctx, run, a, refused(503), false)
		}, autocred.RunPending, autocred.RunCodeRetrying},
		{"a create whose answer was lost", func(e *engine.Engine, run *autocred.Run) error {
			run.Step = autocred.StepCreate
			return e.CreateFailed(ctx, run, a, &certifier.Error{Message: "it did not answer in time"}, false)
		}, autocred.RunPending, autocred.RunCodeUnconfirmed},
		{"a search that Certifier fails while it is down", func(e *engine.Engine, run *autocred.Run) error {
			return e.ReconcileFailed(ctx, run, a, refused(503), false)
		}, autocred.RunPending, autocred.RunCodeRetrying},
		{"a search that Certifier fails after a create whose answer was lost", func(e *engine.Engine, run *autocred.Run) error {
			run.Step = autocred.StepCreate
			_ = e.CreateFailed(ctx, run, a, &certifier.Error{Message: "the connection was reset before an answer came"}, false)
			return e.ReconcileFailed(ctx, run, a, refused(503), false)
		}, autocred.RunPending, autocred.RunCodeUnconfirmed},
		{"a search that Certifier fails on the last attempt", func(e *engine.Engine, run *autocred.Run) error {
			return e.ReconcileFailed(ctx, run, a, refused(500), true)
		}, autocred.RunFailed, autocred.RunCodeGaveUp},
		{"a search that Certifier refuses", func(e *engine.Engine, run *autocred.Run) error {
			return e.ReconcileFailed(ctx, run, a, refused(400), false)
		}, autocred.RunPending, autocred.RunCodeUnconfirmed},
		{"a search that Certifier refuses on the last attempt", func(e *engine.Engine, run *autocred.Run) error {
			return e.ReconcileFailed(ctx, run, a, refused(400), true)
		}, autocred.RunFailed, autocred.RunCodeUnconfirmed},
		{"a missing permission", func(e *engine.Engine, run *autocred.Run) error {
			return e.PermissionDenied(ctx, run, "You do not have permission to view contacts.", false)
		}, autocred.RunPending, autocred.RunCodePermissionDenied},
		{"a missing permission on the last attempt", func(e *engine.Engine, run *autocred.Run) error {
			return e.PermissionDenied(ctx, run, "You do not have permission to view contacts.", true)
		}, autocred.RunFailed, autocred.RunCodePermissionDenied},
		{"a contact deleted from ActiveCampaign", func(e *engine.Engine, run *autocred.Run) error {
			return e.Issue(ctx, run, a, false, false) // no such contact in the account
		}, autocred.RunSkipped, autocred.RunCodeContactDeleted},
		{"an invalid mapping", func(e *engine.Engine, run *autocred.Run) error {
			broken := a
			broken.Action.RecipientEmail = "{{contact.nope}}"
			return e.Issue(ctx, run, broken, true, false)
		}, autocred.RunFailed, autocred.RunCodeInvalidMapping},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(900_000 + i), Entry: 1, Email: "ana@example.com", // contacts the account does not have
				Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
			if err := storetest.InsertRun(ctx, h.store, &run); err != nil {
				t.Fatal(err)
			}
			run.Status = autocred.RunPending
			_ = tc.fail(h.engine, &run) // a passing failure returns its error, for River to retry
			got, err := h.store.Run(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus || got.ErrorCode != tc.wantCode || got.LastError == "" {
				t.Errorf("run %s, code %q, error %q; want %s, %q, with a message", got.Status, got.ErrorCode, got.LastError, tc.wantStatus, tc.wantCode)
			}
			if got.Status.Final() {
				if n := runErrorsCounted(t, h.env.Metrics, tc.wantStatus, tc.wantCode); n < 1 {
					t.Errorf("autocred_run_errors_total{outcome=%q,code=%q} = %v, want it counted", tc.wantStatus, tc.wantCode, n)
				}
				return
			}
			// Issued after the wait: no error, no code.
			if err := h.engine.Finish(ctx, &got, autocred.RunIssued, autocred.RunCodeNone, ""); err != nil {
				t.Fatal(err)
			}
			if got, _ := h.store.Run(ctx, run.ID); got.ErrorCode != "" || got.LastError != "" {
				t.Errorf("issued run keeps code %q, error %q", got.ErrorCode, got.LastError)
			}
		})
	}
}

// runErrorsCounted reads autocred_run_errors_total{outcome,code}.
func runErrorsCounted(t *testing.T, m *metrics.Metrics, outcome autocred.RunStatus, code autocred.RunErrorCode) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "autocred_run_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["outcome"] == string(outcome) && labels["code"] == string(code) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
