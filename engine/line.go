package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
)

// Fair sharing of the issue workers. Runs are issued at each Certifier
// workspace's pace (8 requests a second by default), and River hands out
// jobs first come, first served. So a batch of 10,000 entries in one
// account used to take every issue worker, each waiting for the
// workspace's next request slot, for the 20 minutes the batch takes, while
// another account's single entry waited behind it in the queue.
//
// Now every new issue job first takes a place in its workspace's line
// (ratelimit.Limiter.Line), paced like the workspace's requests. A job
// whose place comes at once runs; the others are put back in the queue
// until their place comes (a snooze, which is no attempt), holding no
// worker meanwhile. River takes jobs in the order of the time they are
// due, so a batch's jobs come back one by one at the workspace's pace,
// and another workspace's job, due now, runs now. In its own workspace, a
// run that came alone goes ahead of a batch's places: a contact who
// entered alone while an import is being issued is not issued after it.

// lineSlack is how soon a job's place must come for it to run at once:
// it then waits for its request slot in the worker, up to about this long.
const lineSlack = 500 * time.Millisecond

// placeInLine says how long an issue job waits for its place in its
// workspace's line before it runs (0: it runs now). A job that has waited
// already (put back until its place, or retried after an error) runs. A
// line that cannot be read holds nothing back: it is logged, and the job
// runs as it did before lines.
func (e *Engine) placeInLine(ctx context.Context, job *river.Job[issueArgs]) time.Duration {
	if !e.clients.CertifierPaced() || job.ScheduledAt.Sub(job.CreatedAt) > 100*time.Millisecond {
		return 0
	}
	// The run, its automation and the automation's Certifier connection
	// (whose client is kept while it is unchanged) in one query, as the
	// job reads them under its lease: read one by one, they cost two
	// queries more per new issue job.
	run, a, conn, err := e.store.RunAndAutomation(ctx, job.Args.RunID)
	if err != nil || run.Status.Final() || a.Status != autocred.AutomationActive {
		return 0
	}
	// A run of a batch (store.Jobs.Issue: its job's lower priority) takes
	// the line's last place; a run that came alone goes ahead of the
	// batch's places (ratelimit.Limiter.Line), so that a contact entering
	// while an import of the same account is issued is not issued after
	// the import.
	batch := job.Priority > issueArgs{}.InsertOpts().Priority
	wait, err := e.clients.CertifierLine(ctx, readConnection{e.store, conn}, a.Action.ConnectionID, requestsPerRun(a.Action), batch)
	if err != nil {
		e.log.Warn("taking a place in the workspace's line; the run goes on without it", "run", run.ID, "err", err)
		return 0
	}
	if wait <= lineSlack {
		return 0
	}
	return wait
}

// requestsPerRun is how many Certifier requests a new run makes: one
// create-issue-send, or a create followed by the issue and the send it
// asks for.
func requestsPerRun(act autocred.Action) int {
	if act.Issue && act.Send {
		return 1
	}
	n := 1
	if act.Issue {
		n++
	}
	if act.Send {
		n++
	}
	return n
}
