package engine

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// A group deleted in Certifier's dashboard makes every create refused (the
// sandbox answers 400 'groupId "…" does not match any group in this
// workspace'; the real API's answer is not documented). That is not the
// contact's or the mapping's fault, and retrying a run changes nothing:
// the automation needs another group. So autocred says it once, on the
// automation, which it pauses (GroupMissingReason), and the runs wait for
// it: the create that found it gone is their only attempt, and neither a
// retry nor a resume is accepted meanwhile. Editing the automation to
// another group resumes it and issues them (service.UpdateAutomation). A
// sync checks the group too, at most every groupCheckEvery, so that the
// notice comes before a run needs the group.

// groupCheckEvery is how often a sync checks that each automation's group
// still exists: one cheap GET per automation.
const groupCheckEvery = 10 * time.Minute

// groupChecks remembers when each automation's group was last checked.
type groupChecks struct {
	mu    sync.Mutex
	every time.Duration
	last  map[int64]time.Time
}

// due tells whether automation id's group should be checked now, and if so
// records the check. The first sync this process sees of an automation
// only starts the count: its group was checked when it was saved, and a
// run that needs it checks it anyway.
func (g *groupChecks) due(id int64, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[int64]time.Time{}
	}
	t, ok := g.last[id]
	if !ok || now.Sub(t) < g.every {
		if !ok {
			g.last[id] = now
		}
		return false
	}
	g.last[id] = now
	return true
}

// groupGone tells whether the automation's group no longer exists in its
// Certifier workspace: GET /groups/{id} answers 404. Any other failure is
// not an answer, and says nothing.
func (e *Engine) groupGone(ctx context.Context, a autocred.Automation) bool {
	cert, err := e.clients.Certifier(ctx, e.store, a.Action.ConnectionID)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = cert.Group(ctx, a.Action.GroupID)
	return errors.Is(err, certifier.ErrNotFound)
}

// pauseForGroup pauses a watching automation whose group is gone, with the
// reason users see on it and in Health. Done already (by another run, or a
// sync) is not an error.
func (e *Engine) pauseForGroup(ctx context.Context, a autocred.Automation) error {
	if now, err := e.store.Automation(ctx, a.ID); err != nil || now.Action.GroupID != a.Action.GroupID {
		// Edited meanwhile: its new group is not known to be gone.
		return cmp.Or(err, errGroupChanged)
	}
	err := e.store.SetAutomationStatus(context.WithoutCancel(ctx), a.ID, autocred.AutomationPaused, autocred.GroupMissingReason(a.Action.GroupName),
		autocred.AutomationActive, autocred.AutomationBaselining)
	if autocred.ErrorCode(err) == autocred.ECONFLICT {
		return nil
	}
	if err == nil {
		e.log.Warn("automation paused: its Certifier group is gone", "automation", a.ID, "group", a.Action.GroupID)
	}
	return err
}

// errGroupChanged: the automation was edited to another group while a job
// used the old one. The job is retried, with the new group.
var errGroupChanged = errors.New("the automation's group changed during this attempt; trying again with the new one")

// msgGroupMissing begins what a run says while it waits for its
// automation's group.
const msgGroupMissing = "Waiting for a group"

// waitForGroup leaves a run pending while its automation's group is gone:
// not a failure. The create that found the group gone was sent, and
// Certifier answered it: it counts as an attempt, as the log's "Attempt N"
// line for it says. Resuming the automation (editing it to another group)
// enqueues the run again.
func (e *Engine) waitForGroup(ctx context.Context, run *autocred.Run, a autocred.Automation, mark *stepMark) error {
	err := e.pauseForGroup(ctx, a)
	if mark != nil {
		run.Step, run.StepStartedAt = mark.step, mark.startedAt
	}
	if errors.Is(err, errGroupChanged) {
		if err := e.save(ctx, run); err != nil {
			return err
		}
		return err // River tries again, with the automation as it is now
	}
	if err != nil {
		return err
	}
	run.ErrorCode = autocred.RunCodeGroupMissing
	run.LastError = msgGroupMissing + ": the group '" + a.Action.GroupName + "' no longer exists in this Certifier workspace. Choose another under Edit on the automation; this run is issued then, without a retry."
	if err := e.save(ctx, run); err != nil {
		return err
	}
	e.eventOncePerWait(ctx, run, msgGroupMissing, run.LastError)
	return nil
}

// checkGroups pauses the automations (of one sync) whose group is gone,
// at most every groupCheckEvery each, and returns the others.
func (e *Engine) checkGroups(ctx context.Context, autos []autocred.Automation) []autocred.Automation {
	out := autos[:0:0]
	now := time.Now()
	for _, a := range autos {
		if a.Action.GroupID != "" && e.groups.due(a.ID, now) && e.groupGone(ctx, a) {
			if err := e.pauseForGroup(ctx, a); errors.Is(err, errGroupChanged) {
				continue // edited meanwhile: the next sync has it
			} else if err != nil {
				e.log.Error("pausing an automation whose group is gone", "automation", a.ID, "err", err)
				out = append(out, a)
			}
			continue
		}
		out = append(out, a)
	}
	return out
}
