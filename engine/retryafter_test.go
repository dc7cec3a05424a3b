package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Retry-After 30 s during a batch. A batch of entries is being issued, and
// each issue job reads the contact's custom fields from ActiveCampaign
// (the scan of the field's values that a batch would use instead is
// refused here, fieldscan.go), when the account's budget runs out (its
// other integrations used it):
// ActiveCampaign answers every request 429 "Retry-After: 30" for a while.
// Every run must end issued once, none failed, no attempt counted for the
// waits, the wait shown once in each run's events, and no worker held
// while waiting: the jobs are snoozed.
//
// The wait is scaled (RetryAfterScale 0.2: ActiveCampaign's "Retry-After:
// 30", longer than the 20 s an issue job may run, is honoured in 6 s), and
// so is autocred's pace (20 requests/s instead of 4), so that the test
// takes seconds. The job timeout is the real one: a shorter one, in
// proportion, made jobs time out on busy machines for reasons of their own.
func TestRetryAfter30sDuringABatch(t *testing.T) {
	const (
		entries    = 8
		retryAfter = 30 * time.Second
		scale      = 0.2
		throttleOn = 4 * time.Second
	)
	var throttled sync.Once
	h := newHarness(t, testenv.Options{
		WrapAC: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/api/3/fieldValues") {
					http.Error(w, `{"message":"Bad Request"}`, http.StatusBadRequest)
					return
				}
				// The throttle starts with the batch's first field read.
				if strings.HasSuffix(r.URL.Path, "/fieldValues") {
					throttled.Do(func() {
						if err := next.(*simac.Server).Throttle("acme", retryAfter, throttleOn); err != nil {
							t.Error(err)
						}
					})
				}
				next.ServeHTTP(w, r)
			})
		},
		PollInterval: time.Second, // fewer syncs: SQLite's one writer is for the issue jobs
		Clients: func(cc *accounts.Config) {
			cc.RetryAfterScale = scale
			cc.ACPerSecond = 4 / scale // autocred's default pace for an account, scaled
		},
	})
	seg := h.segment("Graduates", "graduated")
	a := h.automation(seg, func(a *autocred.Automation) {
		a.Action.CustomAttributes = map[string]string{"custom.course_name": "{{contact.fields.COURSE}}"}
	})
	in := make([]simac.ContactInput, entries)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("grad%d@example.com", i), FirstName: "Grad", LastName: fmt.Sprint(i),
			Tags: []string{"graduated"}, Fields: map[string]string{"COURSE": "Go 101"}}
	}
	h.importContacts(in...)

	// While ActiveCampaign throttles, the issue jobs wait snoozed, not in
	// a worker: some job is seen scheduled for later, not running.
	var sawSnoozed atomic.Bool
	h.waitFor("the batch to be throttled and the throttle to end", func() bool {
		if jobs := h.issueJobs(); len(jobs) > 0 {
			for _, j := range jobs {
				if j.State != rivertype.JobStateRunning && j.State != rivertype.JobStateCompleted && snoozes(j) > 0 {
					sawSnoozed.Store(true)
				}
			}
		}
		return h.ac.Gate().Stats().Accounts["acme"].Throttled > 0 && h.ac.Gate().Throttling("acme").For == 0
	})
	h.waitFor("every run to be issued", func() bool {
		return len(h.runs(a.ID)[autocred.RunIssued]) == entries
	})

	if !sawSnoozed.Load() {
		t.Error("no issue job was seen snoozed while ActiveCampaign throttled: the waits held workers")
	}
	for status, runs := range h.runs(a.ID) {
		if status != autocred.RunIssued {
			t.Errorf("%d runs %s, want all %d issued", len(runs), status, entries)
		}
	}
	waits, longest := 0, 0
	for _, r := range h.runs(a.ID)[autocred.RunIssued] {
		if n := h.credentialsFor(r.Email); n != 1 {
			t.Errorf("%s has %d credentials, want 1", r.Email, n)
		}
		if r.Attempts != 1 {
			t.Errorf("run %d (%s) counts %d attempts, want 1: a wait is not an attempt", r.ID, r.Email, r.Attempts)
		}
		events, err := h.store.RunEvents(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range events {
			switch {
			case strings.Contains(ev.Message, "Attempt failed"):
				t.Errorf("run %d: %q: a wait must not fail an attempt", r.ID, ev.Message)
			case strings.Contains(ev.Message, "asked autocred to wait"):
				n++
				// 30 s, or what was left of it when the run was held
				// by the pause another request was told.
				var secs int
				if _, err := fmt.Sscanf(ev.Message, "ActiveCampaign asked autocred to wait %d seconds", &secs); err != nil || secs < 1 || secs > 30 {
					t.Errorf("run %d: %q, want the wait ActiveCampaign asked for (at most 30 seconds)", r.ID, ev.Message)
				}
				longest = max(longest, secs)
			}
		}
		if n > 1 {
			t.Errorf("run %d shows the wait %d times, want once per wait", r.ID, n)
		}
		waits += n
	}
	if waits == 0 || longest <= 20 {
		t.Errorf("%d runs show the wait, the longest %d s; want at least one showing ActiveCampaign's wait, longer than the old 20 s job timeout", waits, longest)
	}
	for _, j := range h.issueJobs() {
		if j.Attempt != 1 || len(j.Errors) > 0 {
			t.Errorf("issue job %d: attempt %d, errors %v; want 1 attempt and no error", j.ID, j.Attempt, j.Errors)
		}
	}
	// Every request of the account waited for the pause one of them was
	// told: a handful of 429s, not one (or more) per run.
	if n := h.ac.Gate().Stats().Accounts["acme"].Throttled; n >= entries {
		t.Errorf("%d requests were throttled for %d runs: the other requests of the account did not wait", n, entries)
	}
}

// issueJobs lists the issue jobs River holds, in any state.
func (h *harness) issueJobs() []*rivertype.JobRow {
	h.t.Helper()
	jobs, err := h.engine.Jobs(context.Background(), "issue",
		rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStateRetryable, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateDiscarded, rivertype.JobStatePending)
	if err != nil {
		h.t.Fatal(err)
	}
	return jobs
}

// snoozes is how many times River snoozed a job.
func snoozes(j *rivertype.JobRow) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(j.Metadata, &m)
	return m.Snoozes
}
