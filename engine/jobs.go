package engine

import (
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

func (scheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueSync, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

// syncArgs reads one segment of one ActiveCampaign connection.
type syncArgs struct {
	ConnectionID int64  `json:"connection_id"`
	SegmentID    string `json:"segment_id"`
}

func (syncArgs) Kind() string { return "sync" }

// A sync that fails is not retried by River beyond a few quick attempts:
// the next periodic sync is the retry, and it reads a fresh snapshot.
func (syncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueSync, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

// issueArgs makes the credential of one run.
type issueArgs struct {
	RunID int64 `json:"run_id"`
}

func (issueArgs) Kind() string { return "issue" }

func (issueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueIssue,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}
