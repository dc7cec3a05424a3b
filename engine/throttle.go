package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/upstream"
)

// Rate limits. ActiveCampaign answers 429 with "Retry-After: 30" (its docs'
// example) when an account goes over 5 requests per second, a budget the
// account shares with its other integrations, so long waits happen that no
// pacing of ours prevents; Certifier answers 429 too. A 429 means "not
// processed": the wait is not an attempt, changes nothing a run knows
// about Certifier, and holds no worker. An issue or hint job that is told
// to wait longer than a tenth of its timeout returns to the queue
// (river.JobSnooze, which in River 0.51 does not count an attempt) until
// the service lets requests through again. Meanwhile the account's limiter
// holds its other requests, in every process (see ratelimit.Limiter.Pause),
// so that they do not each earn a 429 of their own. Syncs wait inside the
// read instead: giving up a half-read snapshot costs more than a worker of
// the sync queue.

// throttleBound is the longest wait told in seconds as routine; a longer
// one, or a run kept waiting longer in all, is told in minutes. Either way
// the run waits and continues: a rate limit never fails a run.
const throttleBound = 5 * time.Minute

// rateLimitNote marks the events of a wait in a run's log.
const rateLimitNote = " (rate limit); "

// waitLimited returns the job context in which calls wait in place only for
// short waits, a tenth of a job's timeout; longer ones end the call with an
// *upstream.ThrottledError for the job to snooze.
func (e *Engine) waitLimited(ctx context.Context) context.Context {
	return upstream.WithWaitLimit(ctx, e.cfg.JobTimeout/10)
}

// throttled tells whether err is a rate limit that the call did not wait
// out, and until when to wait (zero when the service did not say).
func throttled(err error) (*upstream.ThrottledError, bool) {
	var te *upstream.ThrottledError
	if errors.As(err, &te) {
		return te, true
	}
	return nil, errors.Is(err, upstream.ErrThrottled)
}

// snoozeFor is the snooze of a job told to wait until te.Until (15 s when
// the service named no time), with jitter so that the jobs of a batch that
// were told together do not all come back in the same instant.
func snoozeFor(te *upstream.ThrottledError) time.Duration {
	wait := 15 * time.Second
	if te != nil {
		wait = max(time.Until(te.Until), 0)
	}
	return wait + rand.N(min(wait/10, time.Second)+1)
}

// waitThrottled snoozes the job of a run that a service rate limited, says
// so in the run's events once per wait, and saves the run with a message
// that says why it waits ("… asked autocred to slow down"), which the page
// follows with the snoozed job's time ("next attempt at …"). A run whose
// create is unconfirmed keeps that message: it is still true, and says
// more. The run is saved even if the job's context has ended.
func (e *Engine) waitThrottled(ctx context.Context, run *autocred.Run, service string, te *upstream.ThrottledError) error {
	if run.ErrorCode != autocred.RunCodeUnconfirmed {
		run.ErrorCode, run.LastError = autocred.RunCodeRetrying, fmt.Sprintf(msgSlowDown, service)
	}
	e.noteWait(ctx, run, service, te)
	if err := e.save(ctx, run); err != nil {
		return err
	}
	return river.JobSnooze(snoozeFor(te))
}

// msgSlowDown is the message of a run that a service (%s) rate limited: a
// 429 is an answer that changed nothing, never an answer lost.
const msgSlowDown = "%s asked autocred to slow down (rate limit); the call changed nothing, and the wait is not a failed attempt."

// noteWait records a wait in the run's events: once when it starts, and
// once more if, with the waits that follow it without anything else
// happening in between, it grows past throttleBound. A job that comes back
// and is told to wait again is the same wait, not a new event.
func (e *Engine) noteWait(ctx context.Context, run *autocred.Run, service string, te *upstream.ThrottledError) {
	asked := 15 * time.Second
	if te != nil {
		asked = te.RetryAfter
	}
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Warn("reading run events", "run", run.ID, "err", err)
	}
	waiting, since, toldLong := false, time.Time{}, false
	for i := len(events) - 1; i >= 0 && strings.Contains(events[i].Message, rateLimitNote); i-- {
		waiting, since = true, events[i].At
		toldLong = toldLong || strings.Contains(events[i].Message, "so far")
	}
	switch {
	case !waiting && asked > throttleBound:
		e.log.Warn("long rate limit", "service", service, "run", run.ID, "retry_after", asked)
		e.event(ctx, run, fmt.Sprintf("%s asked autocred to wait %s%sthe run continues then.", service, minutes(asked), rateLimitNote))
	case !waiting:
		e.event(ctx, run, fmt.Sprintf("%s asked autocred to wait %s%sthe run continues then; a wait is not a failed attempt.",
			service, inWords(asked), rateLimitNote))
	case !toldLong && time.Since(since)+asked > throttleBound:
		e.log.Warn("long rate limit", "service", service, "run", run.ID, "waited", time.Since(since).Round(time.Second))
		e.event(ctx, run, fmt.Sprintf("%s has kept autocred waiting %s so far%sthe run continues when it lets requests through (next try in %s).",
			service, minutes(time.Since(since)), rateLimitNote, inWords(asked)))
	}
}

// inWords tells a wait in seconds, or in minutes past two.
func inWords(d time.Duration) string {
	if d >= 2*time.Minute {
		return minutes(d)
	}
	s := int((d + time.Second - 1) / time.Second)
	if s == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", s)
}

// minutes tells a wait in whole minutes, rounded up.
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
