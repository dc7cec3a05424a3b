package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/upstream"
)

// waitEvent records in the run's log that the run waits, for the reason
// what says: on one line per reason however often it repeats
// (autocred.WaitLine). The lines looked at are the waits at the end of the
// log, since its last other line (an attempt, a retry asked for): a wait
// that alternates with another (a probe that fails, then the open
// circuit) keeps two lines, each counting itself, and an attempt after
// them starts new ones.
func (e *Engine) waitEvent(ctx context.Context, run *autocred.Run, what string) {
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Warn("reading run events", "run", run.ID, "err", err)
	}
	now := time.Now()
	written := len(events) - len(runLogOf(ctx, run).pending())
	for i := len(events) - 1; i >= 0; i-- {
		if isFieldsReadNote(events[i].Message) {
			continue // read again for the attempt that then waited (noteFieldsRead)
		}
		w, ok := autocred.ParseWaitLine(events[i].Message, events[i].At)
		if !ok {
			break
		}
		if w.What != (autocred.WaitLine{What: what}).Normal() {
			continue
		}
		message := w.Again(now).Message()
		if i >= written {
			runLogOf(ctx, run).replace(i-written, message)
			return
		}
		if err := e.store.SetRunEventMessage(context.WithoutCancel(ctx), run.ID, events[i].ID, message); err != nil {
			e.log.Error("counting a repeated wait in the run's log", "run", run.ID, "err", err)
		}
		return
	}
	e.event(ctx, run, autocred.WaitLine{What: what, Times: 1}.Message())
}

// noteFieldsRead records how the run's custom fields were read (note,
// fieldsReadNote), unless the run's log says so already since its last
// attempt or outcome: an attempt that reads them and then waits, again and
// again through an outage, says it once, and the wait's counted line
// (waitEvent) is not broken by it.
func (e *Engine) noteFieldsRead(ctx context.Context, run *autocred.Run, note string) {
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Warn("reading run events", "run", run.ID, "err", err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		m := events[i].Message
		if m == note {
			return
		}
		if _, wait := autocred.ParseWaitLine(m, events[i].At); !wait && !isFieldsReadNote(m) {
			break
		}
	}
	e.event(ctx, run, note)
}

// isFieldsReadNote tells a line of fieldsReadNote.
func isFieldsReadNote(message string) bool {
	return strings.HasPrefix(message, "Custom field \"")
}

// failureWords says in words why a call failed, for a run that waits
// after it: "Certifier answered with an error (503 Service Unavailable)"
// (it did answer: a tester read "did not answer" as false), "No
// answer from Certifier (it did not answer in time)". ActiveCampaign's
// errors say themselves already ("ActiveCampaign answered 502 Bad
// Gateway: …").
func failureWords(err error) string {
	var ce *certifier.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	switch {
	case ce.Status >= 500:
		return "Certifier answered with an error (" + upstream.StatusText(ce.Status) + ")"
	case ce.Status == 0:
		return "No answer from Certifier (" + ce.Message + ")"
	}
	return "Certifier answered " + upstream.StatusText(ce.Status) + " (" + ce.Message + ")"
}

// answerLost tells whether a call that may have changed something got no
// answer that says what it did: no answer at all, or one that could not
// be read. A 5xx is an answer: Certifier said it failed (though, as a
// proxy's 5xx may follow a create that was made, the run still asks
// before creating again).
func answerLost(err error) bool {
	if _, ok := throttled(err); ok || errors.Is(err, certifier.ErrNotSent) || errors.Is(err, certifier.ErrRateLimited) {
		return false // not processed, or never sent: nothing to lose
	}
	var ce *certifier.Error
	return !errors.As(err, &ce) || ce.Status < 500
}
