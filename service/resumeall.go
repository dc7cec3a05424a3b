package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// ResumeAllResult says what ResumeStoppedBy did with each automation it
// tried, in the order of their ids: those it resumed, and those it could
// not, each with why in plain words (the refusal Resume gives).
type ResumeAllResult struct {
	Resumed    []AutomationOutcome `json:"resumed"`
	NotResumed []AutomationOutcome `json:"not_resumed"`
}

// AutomationOutcome names one automation of a ResumeAllResult; Reason,
// for one not resumed, says why and what to do.
type AutomationOutcome struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// StoppedByKey lists, oldest first, the automations that use connection
// id (as trigger or action) and that a refused key stopped: those paused
// since their connections were reconnected, which wait for a user to
// resume them (autocred.Automation.Reconnected), and those still broken.
// A connection that does not exist is ENOTFOUND.
func (s *Service) StoppedByKey(ctx context.Context, id int64) ([]autocred.Automation, error) {
	if _, err := s.store.Connection(ctx, id); err != nil {
		return nil, err
	}
	all, err := s.store.Automations(ctx, store.AutomationFilter{Statuses: []autocred.AutomationStatus{autocred.AutomationPaused, autocred.AutomationBroken}})
	if err != nil {
		return nil, fmt.Errorf("listing the automations a refused key stopped: %w", err)
	}
	var out []autocred.Automation
	for _, a := range all {
		if (a.Trigger.ConnectionID == id || a.Action.ConnectionID == id) && (a.Reconnected() || a.Status == autocred.AutomationBroken) {
			out = append(out, a)
		}
	}
	return out, nil
}

// ResumeStoppedBy resumes every automation StoppedByKey lists for
// connection id, each through Resume with its default (they were stopped
// by autocred, so each catches up: everyone who entered its segment while
// it was stopped gets a credential), and without confirming a duplicate:
// the same refusals apply as to one resumed by hand (a connection whose
// key is still refused, a group that is gone, a twin on the same segment
// and group), and the result says which resumed and which did not, and
// why. An error other than such a refusal stops it and is returned, with
// what was done until then.
func (s *Service) ResumeStoppedBy(ctx context.Context, id int64) (ResumeAllResult, error) {
	res := ResumeAllResult{Resumed: []AutomationOutcome{}, NotResumed: []AutomationOutcome{}}
	stopped, err := s.StoppedByKey(ctx, id)
	if err != nil {
		return res, err
	}
	for _, a := range stopped {
		err := s.Resume(ctx, a.ID, nil, false)
		switch code := autocred.ErrorCode(err); {
		case err == nil:
			res.Resumed = append(res.Resumed, AutomationOutcome{ID: a.ID, Name: a.Name})
		case code == autocred.ECONFLICT || code == autocred.ENOTFOUND:
			res.NotResumed = append(res.NotResumed, AutomationOutcome{ID: a.ID, Name: a.Name, Reason: notResumedReason(err)})
		default:
			return res, fmt.Errorf("resuming automation %d (%s): %w", a.ID, a.Name, err)
		}
	}
	return res, nil
}

// notResumedReason is a refusal of Resume as a reason in a list: a twin's
// refusal asks to confirm two credentials per entry, which is done on the
// automation's own page, not with all of them at once.
func notResumedReason(err error) string {
	msg := autocred.ErrorMessage(err)
	if fe := autocred.Errors(err); len(fe) == 1 && fe[0].Field == AllowDuplicateField {
		msg = strings.TrimSuffix(msg, " Choose another segment or group, or confirm that you want two credentials per entry.") +
			" Resume it from its own page if you want two credentials per entry, or leave it paused."
	}
	return msg
}
