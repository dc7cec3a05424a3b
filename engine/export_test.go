package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
)

// What the engine's black-box tests (package engine_test, which build the
// engine with internal/testenv like every other package's tests) reach
// inside for: a job or a step driven by hand, a lease taken directly.

// CircuitNote marks the event of a run that waits for its circuit.
const CircuitNote = circuitNote

// WithCallHolder names who makes a context's Certifier calls.
var WithCallHolder = withCallHolder

// WithLease runs fn holding a lease, as a job does.
func (e *Engine) WithLease(ctx context.Context, key string, fn func(context.Context) error) (bool, error) {
	return e.withLease(ctx, key, fn)
}

// Issue works a run as its issue job does.
func (e *Engine) Issue(ctx context.Context, run *autocred.Run, a autocred.Automation, entryFresh, lastAttempt bool) error {
	return e.issue(ctx, run, a, entryFresh, lastAttempt)
}

// CreateFailed records a failed create-issue-send, ReconcileFailed a
// failed search for what a lost create made.
func (e *Engine) CreateFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, err error, lastAttempt bool) error {
	return e.stepFailed(ctx, run, a, stepCreateIssueSend, err, nil, lastAttempt)
}

func (e *Engine) ReconcileFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, err error, lastAttempt bool) error {
	return e.stepFailed(ctx, run, a, stepReconcile, err, nil, lastAttempt)
}

// PermissionDenied records a call ActiveCampaign refused for a missing
// permission.
func (e *Engine) PermissionDenied(ctx context.Context, run *autocred.Run, denied string, lastAttempt bool) error {
	return e.permissionDenied(ctx, run, denied, lastAttempt)
}

// Finish ends a run.
func (e *Engine) Finish(ctx context.Context, run *autocred.Run, status autocred.RunStatus, code autocred.RunErrorCode, message string) error {
	return e.finish(ctx, run, status, code, message)
}

// EnqueueIssue enqueues jobs for a run's issue, n at once in one
// transaction.
func (e *Engine) EnqueueIssue(ctx context.Context, runID int64, n int) error {
	jobs := make([]river.InsertManyParams, n)
	for i := range jobs {
		jobs[i] = river.InsertManyParams{Args: issueArgs{RunID: runID}}
	}
	_, err := e.river.InsertMany(ctx, jobs)
	return err
}

// Jobs lists the jobs of a kind ("issue", "sync", …) in the given states.
func (e *Engine) Jobs(ctx context.Context, kind string, states ...rivertype.JobState) ([]*rivertype.JobRow, error) {
	res, err := e.river.JobList(ctx, river.NewJobListParams().Kinds(kind).States(states...).First(1000))
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

// CheckGroupsEvery sets how often a sync checks its automations' groups.
func (e *Engine) CheckGroupsEvery(d time.Duration) {
	e.groups.mu.Lock()
	defer e.groups.mu.Unlock()
	e.groups.every = d
}

// IssueArgs and SyncArgs are the arguments of an issue and a sync job.
type (
	IssueArgs = issueArgs
	SyncArgs  = syncArgs
)

// PlaceInLine takes an issue job's place in its workspace's line, as the
// job does before it runs, and says how long it waits.
func (e *Engine) PlaceInLine(ctx context.Context, job *river.Job[IssueArgs]) time.Duration {
	return e.placeInLine(ctx, job)
}

// IssueWorker and SyncWorker are the engine's workers of those jobs, and
// RiverConfig the configuration its River client runs them with, for a
// test that works one job with rivertest.
func (e *Engine) IssueWorker() river.Worker[IssueArgs] { return &issueWorker{e: e} }
func (e *Engine) SyncWorker() river.Worker[SyncArgs]   { return &syncWorker{e: e} }
func (e *Engine) RiverConfig() *river.Config           { return e.riverConfig(false) }

// ReconcileWebhooks does what a webhooks job does: registers, renews or
// removes each watched account's hint webhook.
func (e *Engine) ReconcileWebhooks(ctx context.Context) error { return e.reconcileWebhooks(ctx) }

// WorkSync works one sync of a segment by hand, as its job does (on an
// engine left stopped, testenv.Options.Stopped).
func (e *Engine) WorkSync(ctx context.Context, connID int64, segmentID string) error {
	return (&syncWorker{e: e}).Work(ctx, &river.Job[syncArgs]{JobRow: &rivertype.JobRow{CreatedAt: time.Now()},
		Args: syncArgs{ConnectionID: connID, SegmentID: segmentID}})
}

// ResendJob works one job of Resend email to all for a run, as its worker
// does; attempt is the job's attempt (2: rescued from a process that died).
func (e *Engine) ResendJob(ctx context.Context, runID int64, by string, attempt int) error {
	w := &resendWorker{e: e}
	return w.Work(ctx, &river.Job[resendArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: resendArgs{RunID: runID, By: by}})
}

// ResendMaxAttempts is how often a resend job may run: more than once, so
// that River runs again the job of a process that died.
var ResendMaxAttempts = resendArgs{}.InsertOpts().MaxAttempts

// NoteInterruptedResends does what the engine does once, a little after it
// starts: it says in their logs which resends a dead process left without
// an outcome.
func (e *Engine) NoteInterruptedResends(ctx context.Context) error {
	return e.noteInterruptedResends(ctx)
}
