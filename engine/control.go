package engine

import (
	"context"

	"github.com/autocred/autocred"
)

// Activate starts watching a draft automation: its first sync takes the
// baseline (whoever is in the segment now gets nothing), then it is active.
func (e *Engine) Activate(ctx context.Context, id int64) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.ActivateAutomation(ctx, id)
}

// Pause stops an automation: no syncs, no credentials. Runs already
// detected stay pending until it is resumed.
func (e *Engine) Pause(ctx context.Context, id int64) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.SetAutomationStatus(ctx, id, autocred.AutomationPaused, "", autocred.AutomationBaselining, autocred.AutomationActive)
}

// Resume restarts a paused or broken automation. By default it takes a new
// baseline: contacts who entered while it was stopped get nothing, as if it
// were activated anew. With catchUp, the ledger is kept, so the first sync
// issues credentials to everyone who entered in the meantime. Pending runs
// are enqueued again either way.
func (e *Engine) Resume(ctx context.Context, id int64, catchUp bool) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.ResumeAutomation(ctx, id, catchUp)
}

// SyncNow reads an automation's segment now instead of at its next turn.
func (e *Engine) SyncNow(ctx context.Context, id int64) error {
	return e.store.SyncAutomationSoon(ctx, id)
}

// RetryRun makes a failed or skipped run pending and enqueues it again; a
// pending run waiting after a failed attempt is enqueued at once. Two jobs
// of one run never work at once (the run lease), and the one that comes
// second finds the run as the first left it. by is who asked (a user's
// email, "API token <name>"): the run's log says so, written with the
// change.
func (e *Engine) RetryRun(ctx context.Context, runID int64, by string) error {
	return e.store.RetryRun(ctx, runID, "Retry requested by "+by+".")
}

// RetryFailed retries every failed run of an automation and says how many;
// by is who asked, as for RetryRun.
func (e *Engine) RetryFailed(ctx context.Context, automationID int64, by string) (int, error) {
	return e.store.RetryFailedRuns(ctx, automationID, "Retry requested by "+by+" (Retry all failed).")
}

// webhooksChangedLater asks for the webhooks to be reconciled; a failure is
// only logged, since the periodic reconciliation catches up within a minute.
func (e *Engine) webhooksChangedLater(ctx context.Context) {
	if err := e.WebhooksChanged(ctx); err != nil {
		e.log.Warn("asking for webhook reconciliation", "err", err)
	}
}
