package engine

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pendingStates are the states in which a job counts as "already there"
// for uniqueness: a duplicate is not inserted while one waits or runs, but
// is once the earlier one has finished.
var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

// scheduleArgs is the periodic job that finds due syncs.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "schedule" }

// One run of the schedule is enough; the next tick is the retry.
func (scheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueSchedule, MaxAttempts: 1}
}

// syncArgs reads one segment of one ActiveCampaign connection.
type syncArgs struct {
	ConnectionID int64  `json:"connection_id"`
	SegmentID    string `json:"segment_id"`
	// DueAt (Unix milliseconds) is when the periodic sync was due, for
	// autocred_sync_start_lag_seconds; zero for a sync asked for.
	DueAt int64 `json:"due_at,omitempty"`
}

func (syncArgs) Kind() string { return "sync" }

// syncJob is the sync job the store enqueues (store.Jobs).
func syncJob(connectionID int64, segmentID string, due time.Time) river.JobArgs {
	args := syncArgs{ConnectionID: connectionID, SegmentID: segmentID}
	if !due.IsZero() {
		args.DueAt = due.UnixMilli()
	}
	return args
}

// A sync that fails is not retried by River beyond a few quick attempts:
// the next periodic sync is the retry, and it reads a fresh snapshot.
//
// Syncs are not unique jobs. One sync of a segment at a time is the lease's
// work (see syncWorker), because River's uniqueness counts a running job:
// the job of a process killed mid-sync stays "running" until the rescuer
// gives up on it, hours later for a job that may rightly run for an hour,
// and it would block every sync of its segment until then.
func (syncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueSync, MaxAttempts: 3}
}

// issueArgs makes the credential of one run.
//
// Not a unique job: River's uniqueness counts a job that is still marked
// running, which it is for a moment after it returns (completions are
// written in batches), so retrying a run just after it failed, or resuming
// an automation just after it broke, would enqueue nothing and leave the
// run pending for good. A run is worked on by one job at a time through
// its lease instead, and a job for a run that is already final does nothing.
type issueArgs struct {
	RunID int64 `json:"run_id"`
	// ContactReadAt (Unix milliseconds) is when the run's contact was
	// read, for the job a new entry enqueues (the sync read it, in bulk,
	// to make the run); zero for every other job (a retry, a resume),
	// whose attempts read it again (see contactNow).
	ContactReadAt int64 `json:"contact_read_at,omitempty"`
	// batch: the run is one of a batch (store.Jobs.Issue); kept as the
	// job's priority, not in its arguments.
	batch bool
}

func (issueArgs) Kind() string { return "issue" }

// issueJob is the issue job the store enqueues (store.Jobs).
func issueJob(runID int64, contactReadAt time.Time, batch bool) river.JobArgs {
	args := issueArgs{RunID: runID, batch: batch}
	if !contactReadAt.IsZero() {
		args.ContactReadAt = contactReadAt.UnixMilli()
	}
	return args
}

// A batch's jobs are taken after those of runs that come alone: River
// takes jobs by priority first. With its workspace's line (line.go), a
// batch of one account then delays no other account's single entry, even
// while the batch's jobs are first taken to find their places.
func (a issueArgs) InsertOpts() river.InsertOpts {
	priority := 1
	if a.batch {
		priority = 2
	}
	return river.InsertOpts{Queue: queueIssue, Priority: priority}
}
