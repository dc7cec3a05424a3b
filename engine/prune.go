package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred/internal/upstream"
)

// pruneArgs deletes the run history older than the retention
// (Config.RunRetention, serve --run-retention): the runs that finished
// before it, and their logs, keeping their counts (store.PruneRuns). It is
// a periodic job, which River inserts on the elected leader only, and a
// pass holds the "prune" lease, so one node prunes at a time however the
// jobs are spread. The ledger is never pruned: a contact whose run is gone
// is still in, and gets nothing again (DESIGN §3).
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune" }

// One attempt: the next period is the retry, and a pass that stopped half
// way has committed what it pruned.
func (pruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueMaintenance, MaxAttempts: 1}
}

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	e *Engine
}

// Timeout: a first pass over years of history takes minutes (about
// 100,000 runs in half a minute on SQLite, with the pauses); what a pass
// has not done when it runs out, the next one does.
func (w *pruneWorker) Timeout(*river.Job[pruneArgs]) time.Duration { return time.Hour }

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	if w.e.cfg.RunRetention <= 0 {
		return nil // a job left from a run with a retention: none now
	}
	// Stopping the engine ends a pass at its next step, rather than
	// holding up the shutdown: what it pruned is committed.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.e.stopping, cancel)()
	ok, err := w.e.withLease(ctx, "prune", w.e.prune)
	if err == nil && !ok {
		// Another pass holds the lease: a node pruning now, or one killed
		// in the middle of a pass, whose lease outlives it by up to
		// leaseTTL. Done now, this job would leave the history to the next
		// period, an hour later (a node restarted after a crash does just
		// that): it asks again a few times in each leaseTTL instead, which
		// costs one statement while a live pass goes on.
		w.e.log.Debug("another pass holds the run history's lease; asking again shortly", "in", leaseTTL/3)
		return river.JobSnooze(leaseTTL / 3)
	}
	return err
}

// prune is one pass: from the oldest run up to the first that entered
// after the cut, PruneBatch runs a transaction with PrunePause between
// transactions, so that the engine's own writes (on SQLite, one writer at
// a time) never wait for more than one batch.
func (e *Engine) prune(ctx context.Context) error {
	start := time.Now()
	before := start.Add(-e.cfg.RunRetention)
	pruned, steps, err := e.pruneUntil(ctx, before)
	if err == nil {
		err = e.store.FoldPrunedCounts(ctx)
	}
	took := time.Since(start).Round(time.Millisecond)
	if err != nil && e.stopping.Err() != nil {
		e.log.Info("pruning the run history stopped with the engine; the next pass goes on", "runs", pruned,
			"finished_before", before.UTC().Format(time.RFC3339), "transactions", steps, "took", took)
		return nil
	}
	if err != nil {
		e.metrics.PrunePasses.WithLabelValues("error").Inc()
		e.log.Warn("pruning the run history stopped; the next pass goes on", "runs", pruned, "finished_before", before.UTC().Format(time.RFC3339),
			"transactions", steps, "took", took, "err", err)
		return err
	}
	e.metrics.PrunePasses.WithLabelValues("ok").Inc()
	level := e.log.Info
	if pruned == 0 {
		level = e.log.Debug
	}
	level("run history pruned", "runs", pruned, "finished_before", before.UTC().Format(time.RFC3339), "retention_days", e.cfg.RunRetention.Hours()/24,
		"transactions", steps, "took", took)
	return nil
}

// pruneUntil prunes, step by step, the runs that finished before `before`,
// and says how many in how many transactions.
func (e *Engine) pruneUntil(ctx context.Context, before time.Time) (pruned, steps int, err error) {
	var after int64
	for {
		step, err := e.store.PruneRuns(ctx, before, after, e.cfg.PruneBatch)
		if err != nil {
			return pruned, steps, err
		}
		pruned, steps = pruned+step.Pruned, steps+1
		e.metrics.RunsPruned.Add(float64(step.Pruned))
		if step.Done {
			return pruned, steps, nil
		}
		after = step.Next
		if err := upstream.Sleep(ctx, e.cfg.PrunePause); err != nil {
			return pruned, steps, err
		}
	}
}
