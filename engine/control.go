package engine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/autocred/autocred"
)

// Activate starts watching a draft automation: its first sync takes the
// baseline (whoever is in the segment now gets nothing), then it is active.
func (e *Engine) Activate(ctx context.Context, id int64) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.Tx(ctx, func(tx *sql.Tx) error {
		a, err := e.store.AutomationTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := e.store.SetAutomationStatus(ctx, tx, id, autocred.StatusBaselining, "", autocred.StatusDraft); err != nil {
			return err
		}
		return e.syncSoonTx(ctx, tx, a)
	})
}

// syncSoonTx enqueues a sync of the automation's segment now, and clears
// the progress of a baseline about to be taken.
func (e *Engine) syncSoonTx(ctx context.Context, tx *sql.Tx, a autocred.Automation) error {
	if err := e.store.ClearBaselineProgress(ctx, tx, a.ID); err != nil {
		return err
	}
	return e.insertSyncTx(ctx, tx, a.Trigger.ConnectionID, a.Trigger.SegmentID)
}

// Pause stops an automation: no syncs, no credentials. Runs already
// detected stay pending until it is resumed.
func (e *Engine) Pause(ctx context.Context, id int64) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.Tx(ctx, func(tx *sql.Tx) error {
		return e.store.SetAutomationStatus(ctx, tx, id, autocred.StatusPaused, "", autocred.StatusBaselining, autocred.StatusActive)
	})
}

// Resume restarts a paused or broken automation. By default it takes a new
// baseline: contacts who entered while it was stopped get nothing, as if it
// were activated anew. With catchUp, the ledger is kept, so the first sync
// issues credentials to everyone who entered in the meantime. Pending runs
// are enqueued again either way.
func (e *Engine) Resume(ctx context.Context, id int64, catchUp bool) error {
	defer e.webhooksChangedLater(ctx)
	return e.store.Tx(ctx, func(tx *sql.Tx) error {
		a, err := e.store.AutomationTx(ctx, tx, id)
		if err != nil {
			return err
		}
		from := []autocred.AutomationStatus{autocred.StatusPaused, autocred.StatusBroken}
		// Catching up needs a ledger: an automation stopped before its
		// baseline finished has none.
		if catchUp && a.SnapshotSeq > 0 {
			if err := e.store.SetAutomationStatus(ctx, tx, id, autocred.StatusActive, "", from...); err != nil {
				return err
			}
		} else {
			if err := e.store.SetAutomationStatus(ctx, tx, id, autocred.StatusBaselining, "", from...); err != nil {
				return err
			}
			if err := e.store.ResetLedger(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := e.syncSoonTx(ctx, tx, a); err != nil {
			return err
		}
		return e.requeuePendingTx(ctx, tx, id)
	})
}

// requeuePendingTx enqueues the issue jobs of an automation's pending runs.
// A run whose job still waits gets a second one, which finds the run final
// (or its lease taken) and does nothing.
func (e *Engine) requeuePendingTx(ctx context.Context, tx *sql.Tx, automationID int64) error {
	ids, err := e.store.RunIDsTx(ctx, tx, automationID, autocred.RunPending)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := e.insertIssueTx(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// SyncNow reads an automation's segment now instead of at its next turn.
func (e *Engine) SyncNow(ctx context.Context, id int64) error {
	return e.store.Tx(ctx, func(tx *sql.Tx) error {
		a, err := e.store.AutomationTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Watching() {
			return autocred.Errorf(autocred.ECONFLICT, "automation %d is %s; activate or resume it first", id, a.Status)
		}
		return e.syncSoonTx(ctx, tx, a)
	})
}

// RetryRun makes a failed or skipped run pending and enqueues it again; a
// pending run waiting after a failed attempt is enqueued at once. Two jobs
// of one run never work at once (the run lease), and the one that comes
// second finds the run as the first left it. by is who asked (a user's
// email, "API token <name>"): the run's log says so, written with the
// change.
func (e *Engine) RetryRun(ctx context.Context, runID int64, by string) error {
	return e.store.Tx(ctx, func(tx *sql.Tx) error {
		return e.retryTx(ctx, tx, runID, "Retry requested by "+by+".")
	})
}

// RetryFailed retries every failed run of an automation and says how many;
// by is who asked, as for RetryRun.
func (e *Engine) RetryFailed(ctx context.Context, automationID int64, by string) (int, error) {
	n := 0
	err := e.store.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := e.store.RunIDsTx(ctx, tx, automationID, autocred.RunFailed)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := e.retryTx(ctx, tx, id, "Retry requested by "+by+" (Retry all failed)."); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// retryTx makes one run pending again, records note in its log and
// enqueues its job, in tx.
func (e *Engine) retryTx(ctx context.Context, tx *sql.Tx, runID int64, note string) error {
	if err := e.store.ResetRunForRetry(ctx, tx, runID); err != nil {
		return err
	}
	if err := e.store.AddRunEventTx(ctx, tx, runID, note); err != nil {
		return fmt.Errorf("recording the retry of run %d: %w", runID, err)
	}
	return e.insertIssueTx(ctx, tx, runID)
}

// webhooksChangedLater asks for the webhooks to be reconciled; a failure is
// only logged, since the periodic reconciliation catches up within a minute.
func (e *Engine) webhooksChangedLater(ctx context.Context) {
	if err := e.WebhooksChanged(ctx); err != nil {
		e.log.Warn("asking for webhook reconciliation", "err", err)
	}
}
