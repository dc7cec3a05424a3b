package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// NextAttempts says when each of these runs is tried again by itself: the
// time its issue job is scheduled for, for a job that waits (after a
// failed attempt: retryable; snoozed through an outage or a rate limit:
// scheduled), and now for a job that is due (available: waiting for a free
// worker, as hundreds are when an outage ends) or under way (running). A
// tester saw runs still say "Certifier is not answering" with no time
// after the outage had ended: their jobs were due, and were left out. A
// run without a job (one whose automation is paused) is not in the map.
//
// It is one query on the job table for all the runs asked (a page of the
// runs list), which reads only the jobs that wait.
func (e *Engine) NextAttempts(ctx context.Context, runIDs []int64) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if len(runIDs) == 0 {
		return out, nil
	}
	ids := make([]string, len(runIDs))
	for i, id := range runIDs {
		ids[i] = strconv.FormatInt(id, 10) // numbers only: nothing to escape
	}
	// args ->> 'run_id' reads the job's run in both SQLite (whose ->>
	// takes a plain label for $.run_id) and PostgreSQL.
	params := river.NewJobListParams().Kinds(issueArgs{}.Kind()).
		States(rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStateAvailable, rivertype.JobStateRunning).
		Where("CAST(args ->> 'run_id' AS BIGINT) IN (" + strings.Join(ids, ", ") + ")").
		First(max(len(runIDs)*4, 100))
	res, err := e.river.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("reading when runs are tried again: %w", err)
	}
	now := time.Now()
	for _, j := range res.Jobs {
		var a issueArgs
		if json.Unmarshal(j.EncodedArgs, &a) != nil {
			continue
		}
		next := j.ScheduledAt
		if j.State == rivertype.JobStateRunning || next.Before(now) {
			next = now // due, or being tried: now, never a time past
		}
		// A run with two waiting jobs (a retry while one waited) is
		// tried at the first.
		if at, ok := out[a.RunID]; !ok || next.Before(at) {
			out[a.RunID] = next
		}
	}
	return out, nil
}
