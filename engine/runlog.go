package engine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/store"
)

// runLog holds the lines of a run's log that its issue job has recorded
// and not yet written. They are written with the run's next save, in the
// same transaction (save, finish), and whatever is left when the job ends
// (flush): one commit per save instead of one per line, which was most of
// the writes per credential (docs/benchmarks.md, "Where the time goes").
//
// A crash loses the lines recorded since the run's last save, and nothing
// else: what a run knows about Certifier (its step, its credential) is in
// the run, saved before and after every call, never only in its log.
type runLog struct {
	runID int64
	mu    sync.Mutex
	lines []autocred.RunEvent
	// row is the run's row as the job read it and last wrote it, so that
	// a save writes only what changed (store.RunSave.Row).
	row store.RunRow
	// conn is the automation's Certifier connection, read with the run
	// (connections).
	conn autocred.Connection
}

type runLogKey struct{}

// withRunLog gives the work of one run's job a log to record into.
func withRunLog(ctx context.Context, runID int64) (context.Context, *runLog) {
	l := &runLog{runID: runID}
	return context.WithValue(ctx, runLogKey{}, l), l
}

// read notes the run as its job read it, for the job's first save, and
// its automation's Certifier connection as read with it.
func (l *runLog) read(run *autocred.Run, conn autocred.Connection) {
	if row, err := store.RowOf(run); err == nil {
		l.row = row
	}
	l.conn = conn
}

// connections is where the clients of run's job read its connections: the
// Certifier connection read with the run (its client is kept while the
// connection is unchanged since, accounts.Clients), the store for any
// other.
func (e *Engine) connections(ctx context.Context, run *autocred.Run) accounts.Connections {
	if l := runLogOf(ctx, run); l != nil && l.conn.ID != 0 {
		return readConnection{e.store, l.conn}
	}
	return e.store
}

// readConnection answers for one connection already read.
type readConnection struct {
	*store.DB
	conn autocred.Connection
}

func (r readConnection) Connection(ctx context.Context, id int64) (autocred.Connection, error) {
	if id == r.conn.ID {
		return r.conn, nil
	}
	return r.DB.Connection(ctx, id)
}

// runLogOf is the log of run in ctx, or nil when the work in ctx keeps
// none for it (its lines are then written at once).
func runLogOf(ctx context.Context, run *autocred.Run) *runLog {
	l, _ := ctx.Value(runLogKey{}).(*runLog)
	if l == nil || run == nil || l.runID != run.ID {
		return nil
	}
	return l
}

func (l *runLog) add(message string) { l.addAt(time.Now(), message) }

// addAt records a line stamped at.
func (l *runLog) addAt(at time.Time, message string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.lines = append(l.lines, autocred.RunEvent{At: at, Message: message})
	l.mu.Unlock()
}

// take returns the lines not yet written, and forgets them; a write that
// fails gives them back (putBack).
func (l *runLog) take() []autocred.RunEvent {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	l.lines = nil
	return lines
}

func (l *runLog) putBack(lines []autocred.RunEvent) {
	if l == nil || len(lines) == 0 {
		return
	}
	l.mu.Lock()
	l.lines = append(slices.Clone(lines), l.lines...)
	l.mu.Unlock()
}

// replace rewrites the i-th line not yet written (a repeated wait,
// waitEvent).
func (l *runLog) replace(i int, message string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= 0 && i < len(l.lines) {
		l.lines[i].Message = message
	}
}

// pending returns the lines not yet written, for reading a run's log as it
// stands (runEvents).
func (l *runLog) pending() []autocred.RunEvent {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// flush writes what is left of a job's log when the job ends, even if its
// context has ended.
func (e *Engine) flush(ctx context.Context, l *runLog) {
	lines := l.take()
	if len(lines) == 0 {
		return
	}
	if err := e.store.AddRunEvents(context.WithoutCancel(ctx), l.runID, lines); err != nil {
		e.log.Error("recording run events", "run", l.runID, "err", err)
	}
}

// runEvents reads a run's log as it stands: the lines written, then those
// its job has recorded and not yet written.
func (e *Engine) runEvents(ctx context.Context, run *autocred.Run) ([]autocred.RunEvent, error) {
	events, err := e.store.RunEvents(ctx, run.ID)
	return append(events, runLogOf(ctx, run).pending()...), err
}

// saveRun writes the run with the lines of its log not yet written and,
// when release is set, gives up the job's lease on it, in one transaction.
func (e *Engine) saveRun(ctx context.Context, run *autocred.Run, release *heldLease) error {
	l := runLogOf(ctx, run)
	with := store.RunSave{Events: l.take()}
	if l != nil {
		with.Row = &l.row
	}
	if release != nil {
		with.Release = &store.Lease{Key: release.key, Holder: release.holder}
	}
	if err := e.store.SaveRunWith(context.WithoutCancel(ctx), run, with); err != nil {
		l.putBack(with.Events)
		return err
	}
	if release != nil {
		release.released.Store(true)
	}
	return nil
}
