package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// scheduleWorker enqueues the syncs that are due. It runs as a periodic
// job, which River runs on the elected leader only: one schedule for the
// whole cluster.
type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	e *Engine
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	e := w.e
	// River inserts a schedule job every ScheduleEvery whether or not the
	// last one has run. When the database is slow they queue up; each would
	// find the same work, so this process runs the schedule at most once per
	// half period and the rest of a backlog is done at once.
	now := time.Now()
	if last := e.lastSchedule.Load(); last != 0 && now.Sub(time.Unix(0, last)) < e.cfg.ScheduleEvery/2 {
		return nil
	}
	e.lastSchedule.Store(now.UnixNano())

	due, err := e.store.DueForSync(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	hinted, err := e.hintedConnections(ctx)
	if err != nil {
		return err
	}
	// Until the sync records when the next one is due, no other is
	// enqueued: one a little slower than its interval is not joined by a
	// queue of others. The claim (store.ScheduleSyncs) holds only if no
	// other node's schedule claimed the automation first and its segment's
	// sync is not running; a sync whose process died is replaced once its
	// lease has run out.
	// Several automations on one segment share one sync: it is read once,
	// and was due when the first of them was (due is in next-sync order).
	bySegment := map[autocred.Trigger]int{}
	var segments []store.DueSync
	for _, a := range due {
		segment := autocred.Trigger{ConnectionID: a.Trigger.ConnectionID, SegmentID: a.Trigger.SegmentID}
		i, ok := bySegment[segment]
		if !ok {
			i = len(segments)
			bySegment[segment] = i
			segments = append(segments, store.DueSync{Trigger: segment, Due: a.NextSyncAt})
		}
		segments[i].Claims = append(segments[i].Claims,
			store.NextSync{AutomationID: a.ID, Was: a.NextSyncAt, At: now.Add(max(e.interval(a, hinted), leaseTTL))})
	}
	return e.store.ScheduleSyncs(ctx, segments)
}

// interval is how often an automation's segment is read: its own setting,
// or the service's, which is longer when hints flow for its connection.
func (e *Engine) interval(a autocred.Automation, hinted map[int64]bool) time.Duration {
	switch {
	case a.PollInterval > 0:
		return a.PollInterval
	case hinted[a.Trigger.ConnectionID]:
		return e.cfg.HintedPollInterval
	}
	return e.cfg.PollInterval
}

// segmentInterval is how often a segment is read: the shortest interval
// of the automations watching it.
func (e *Engine) segmentInterval(autos []autocred.Automation, hinted map[int64]bool) time.Duration {
	var every time.Duration
	for i, a := range autos {
		if d := e.interval(a, hinted); i == 0 || d < every {
			every = d
		}
	}
	return every
}

// PollIntervals are the service's sync intervals, for automations that
// set none: poll, and hinted for a connection whose webhook hints flow.
func (e *Engine) PollIntervals() (poll, hinted time.Duration) {
	return e.cfg.PollInterval, e.cfg.HintedPollInterval
}

// Detection says how an automation's segment is watched now: how often it
// is read, and whether webhook hints flow for its connection (then a
// contact's entry is seen in moments, and reading is the safety net).
func (e *Engine) Detection(ctx context.Context, a autocred.Automation) (every time.Duration, hinted bool, err error) {
	hints, err := e.hintedConnections(ctx)
	if err != nil {
		return 0, false, err
	}
	return e.interval(a, hints), hints[a.Trigger.ConnectionID], nil
}

// hintedConnections lists the connections whose webhook was seen to exist
// recently: for them polling is only the safety net.
func (e *Engine) hintedConnections(ctx context.Context) (map[int64]bool, error) {
	out := map[int64]bool{}
	if !e.hintsEnabled() {
		return out, nil
	}
	hooks, err := e.store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		out[h.ConnectionID] = h.ID != 0 && time.Since(h.CheckedAt) < 3*time.Minute
	}
	return out, nil
}
