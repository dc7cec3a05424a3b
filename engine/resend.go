package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/upstream"
)

// ResendWindow is how long after a resend of a run's email another is
// refused. Certifier's send is not idempotent (every call is another
// email) and has no request id, so a double click, a form posted twice
// or a client that repeats a request must not reach it twice: the run's
// lease keeps two resends from running at once, and this window refuses
// the second of two that come one after the other. A resend that
// Certifier refused outright (nothing was sent) does not count.
const ResendWindow = 5 * time.Minute

// The log lines of a resend. The request is written before the call, so
// that a resend whose answer is lost (or a crash during it) still counts
// for the window; a refusal, after it, says that nothing went out.
const (
	resendAsked   = "Resend of the email requested by "
	resendRefused = "Resending the email was refused"
	// resendUnknown begins the line of a resend that Certifier did not
	// answer (or answered with an error), resendCut that of one
	// that autocred stopped during (the line is written by the next
	// resend, or the rescued job of a bulk resend): either may have sent
	// the email.
	resendUnknown = "Resending the email "
	resendCut     = "The resend requested by "
	resendDone    = "Email resent by "
)

// resendState is what came of the last resend of a run's email.
type resendState int

const (
	resendNone    resendState = iota // none, or the last was refused: nothing went out
	resendSent                       // Certifier confirmed it
	resendMaybe                      // no answer, or an error: it may have gone out
	resendStopped                    // asked, and no outcome written: autocred stopped during it
)

// ResendEmail sends the email of a run's issued credential again, at a
// user's request (by: a user's email, "API token <name>"), and records who
// asked and what came of it in the run's log. A run whose send was
// unconfirmed becomes issued: its email is now known to have gone out.
//
// It is refused, with a message that says why, for a run without an
// issued credential, for a run being worked on (its lease is held: an
// issue job, or another resend), and within ResendWindow of the last
// resend.
func (e *Engine) ResendEmail(ctx context.Context, runID int64, by string) error {
	return e.resend(ctx, runID, by, false)
}

// resend is ResendEmail; onlyUnconfirmed refuses a run whose status is not
// send_unconfirmed (Resend email to all: a run resent on its own since,
// now issued, is not sent a third email).
func (e *Engine) resend(ctx context.Context, runID int64, by string, onlyUnconfirmed bool) error {
	ran, err := e.withLease(ctx, runLease(runID), func(ctx context.Context) error {
		run, err := e.store.Run(ctx, runID)
		if err != nil {
			return err
		}
		if !run.Resendable() {
			return autocred.Errorf(autocred.ECONFLICT, "Run %d has no issued credential whose email could be sent again (it is %s). Only an issued credential, or one whose email is unconfirmed, can be resent.",
				runID, strings.ReplaceAll(string(run.Status), "_", " "))
		}
		if onlyUnconfirmed && run.Status != autocred.RunSendUnconfirmed {
			return autocred.Errorf(autocred.ECONFLICT, "Its email is no longer unconfirmed (the run is %s): it was resent on its own since.",
				strings.ReplaceAll(string(run.Status), "_", " "))
		}
		events, err := e.store.RunEvents(ctx, runID)
		if err != nil {
			return err
		}
		last, who, state := lastResend(events)
		if state == resendStopped {
			// A resend was asked for and nothing says what came of it:
			// autocred stopped during it (the lease, held now, rules out
			// one under way). Certifier may have sent the email: say so,
			// once, so that the log does not end on "sending".
			if err := e.store.AddRunEvent(ctx, runID, interruptedLine(who)); err != nil {
				return fmt.Errorf("recording an interrupted resend of run %d: %w", runID, err)
			}
			state = resendMaybe
		}
		if state == resendMaybe {
			// Also for a run whose log said so before the code existed:
			// Resend email to all stops counting it from now on.
			if err := e.markResendUnconfirmed(ctx, &run); err != nil {
				return err
			}
		}
		if onlyUnconfirmed && state == resendMaybe {
			// Sending again could be the recipient's third email (a
			// tester saw one): the user decides, run by run.
			return autocred.Errorf(autocred.ECONFLICT, "A resend of its email requested by %s may have gone out already (Certifier's answer never came), so Resend email to all does not send it again. If the recipient did not get it, use Resend email on this run.", who)
		}
		if !last.IsZero() && time.Since(last) < ResendWindow {
			// "In N minutes", not a clock time: the page shows times in
			// the browser's zone, and a UTC time would read as wrong.
			if state == resendMaybe {
				return autocred.Errorf(autocred.ECONFLICT, "A resend of the email was requested %s ago (by %s) and Certifier's answer never came, so it may have gone out. Ask the recipient; to keep them from getting it twice by accident, another resend is possible in %s.",
					minutesAgo(time.Since(last)), who, minutes(ResendWindow-time.Since(last)))
			}
			return autocred.Errorf(autocred.ECONFLICT, "The email was resent %s ago (requested by %s). To keep the recipient from getting it twice by accident, another resend is possible in %s.",
				minutesAgo(time.Since(last)), who, minutes(ResendWindow-time.Since(last)))
		}
		a, err := e.store.Automation(ctx, run.AutomationID)
		if err != nil {
			return err
		}
		cert, err := e.clients.Certifier(ctx, e.store, a.Action.ConnectionID)
		if err != nil {
			return err
		}
		if err := e.store.AddRunEvent(ctx, runID, resendAsked+by+": sending the email to "+run.Email+"."); err != nil {
			return fmt.Errorf("recording the resend of run %d: %w", runID, err)
		}
		if _, err := cert.Send(ctx, run.CredentialID); err != nil {
			return recordedError{e.resendFailed(ctx, &run, err)}
		}
		e.event(ctx, &run, resendDone+by+" to "+run.Email+".")
		if run.Status == autocred.RunSendUnconfirmed {
			// Sent, and known to be: an earlier resend that may have
			// gone out (RunCodeResendUnconfirmed) no longer matters.
			run.Status, run.Step = autocred.RunIssued, autocred.StepNone
			run.LastError, run.ErrorCode = "", autocred.RunCodeNone
			return e.save(ctx, &run)
		}
		return nil
	})
	if err == nil && !ran {
		return autocred.Errorf(autocred.ECONFLICT, "Run %d is being worked on right now (its credential is being issued, or its email is being resent); nothing was sent. Look at its log in a moment before resending.", runID)
	}
	return err
}

// lastResend is when the last resend that may have sent an email was
// asked for, by whom, and what came of it; a zero time and resendNone when
// none was, or when the last one was refused. A resend whose request is
// the last line about resends (no outcome after it) is
// resendStopped: only the holder of the run's lease may read it so.
func lastResend(events []autocred.RunEvent) (time.Time, string, resendState) {
	state := resendStopped
	for i := len(events) - 1; i >= 0; i-- {
		msg := events[i].Message
		switch {
		case strings.HasPrefix(msg, resendRefused):
			return time.Time{}, "", resendNone
		case strings.HasPrefix(msg, resendDone):
			if state == resendStopped {
				state = resendSent
			}
		case strings.HasPrefix(msg, resendUnknown), strings.HasPrefix(msg, resendCut):
			if state == resendStopped {
				state = resendMaybe
			}
		}
		if who, ok := strings.CutPrefix(msg, resendAsked); ok {
			who, _, _ = strings.Cut(who, ": ")
			return events[i].At, who, state
		}
	}
	return time.Time{}, "", resendNone
}

// resendMaybeSent is the error of a send_unconfirmed run whose own resend
// may have gone out (RunCodeResendUnconfirmed): the run's page shows it.
const resendMaybeSent = "A resend of its email may have gone out already (Certifier's answer never came, or autocred stopped during it), so Resend email to all leaves it out. Ask the recipient; if it did not arrive, use Resend email on this run."

// markResendUnconfirmed gives a send_unconfirmed run whose own resend may
// have gone out the code RunCodeResendUnconfirmed (the status stays), so
// that Resend email to all neither counts nor queues it
// (store.DB.QueueResends): it would not send it, and must not say it
// would. The caller holds the run's lease. Other runs are left as they
// are: an issued run has no code.
func (e *Engine) markResendUnconfirmed(ctx context.Context, run *autocred.Run) error {
	if run.Status != autocred.RunSendUnconfirmed || run.ErrorCode == autocred.RunCodeResendUnconfirmed {
		return nil
	}
	run.LastError, run.ErrorCode = resendMaybeSent, autocred.RunCodeResendUnconfirmed
	return e.save(ctx, run)
}

// interruptedLine is the log line of a resend asked for by who that
// autocred stopped during.
func interruptedLine(who string) string {
	return resendCut + who + " was interrupted before Certifier answered (autocred stopped during it), so the email may have gone out."
}

// interruptedResendsAfter is how long after the engine starts it looks for
// resends that a process which died left without an outcome: past the
// lease of any resend still under way then (leaseTTL), so that only a
// dead process's are found. The rescued jobs of Resend email to all do
// the same for their own runs, whichever comes first.
const interruptedResendsAfter = leaseTTL + 5*time.Second

// noteInterruptedResends says, in the log of each run whose log ends on a
// resend's request (of the last week, a thousand runs at most), that the
// resend was interrupted and may have gone out: a single resend (from the
// page or the API) has no job that River would run again, and its log
// would otherwise end on "sending the email to …" for good. A run whose
// lease is held (a resend under way) is left alone.
func (e *Engine) noteInterruptedResends(ctx context.Context) error {
	ids, err := e.store.RunsEndingWith(ctx, resendAsked, time.Now().Add(-7*24*time.Hour), 1000)
	if err != nil {
		return fmt.Errorf("looking for interrupted resends: %w", err)
	}
	for _, id := range ids {
		_, err := e.withLease(ctx, runLease(id), func(ctx context.Context) error {
			events, err := e.store.RunEvents(ctx, id)
			if err != nil {
				return err
			}
			if _, who, state := lastResend(events); state == resendStopped {
				if err := e.store.AddRunEvent(ctx, id, interruptedLine(who)); err != nil {
					return err
				}
				run, err := e.store.Run(ctx, id)
				if err != nil {
					return err
				}
				return e.markResendUnconfirmed(ctx, &run)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("recording the interrupted resend of run %d: %w", id, err)
		}
	}
	return nil
}

// resendFailed records and explains a failed resend. A definite refusal
// sent nothing, and says so; a call without an answer may have sent the
// email, and the window stands.
func (e *Engine) resendFailed(ctx context.Context, run *autocred.Run, err error) error {
	var open *CircuitOpenError
	switch {
	case errors.As(err, &open):
		e.event(ctx, run, resendRefused+": Certifier is not called while it fails. Nothing was sent.")
		return autocred.Errorf(autocred.EUPSTREAM, "Nothing was sent: %s Resend once Certifier answers again.", open.Circuit.Notice(-1))
	case errors.Is(err, certifier.ErrUnknownOutcome) || !certifier.Refused(err):
		// No answer, or a 5xx (an answer, but one a proxy may give
		// after the email went out): either way the outcome is unknown.
		what := "got no answer from Certifier (" + certMessage(err) + ")"
		var ce *certifier.Error
		if errors.As(err, &ce) && ce.Status >= 500 {
			what = "was answered by Certifier with an error (" + upstream.StatusText(ce.Status) + ")"
		}
		e.event(ctx, run, "Resending the email "+what+"; it may have gone out.")
		if err := e.markResendUnconfirmed(ctx, run); err != nil {
			e.log.Error("marking a resend that may have gone out", "run", run.ID, "err", err)
		}
		return autocred.Errorf(autocred.EUPSTREAM, "Resending the email %s, so the email may have gone out. Ask the recipient before resending; another resend is possible in %s.",
			what, minutes(ResendWindow))
	}
	e.event(ctx, run, resendRefused+" by Certifier: "+sentence(certMessage(err))+" Nothing was sent.")
	switch {
	case errors.Is(err, certifier.ErrAuth):
		return autocred.Errorf(autocred.ECONNECTION, "Nothing was sent. %s", autocred.KeyRefused(autocred.AppCertifier, "resend"))
	case errors.Is(err, certifier.ErrRateLimited):
		return autocred.Errorf(autocred.EUPSTREAM, "Certifier asked autocred to slow down. Nothing was sent; resend in a minute.")
	case errors.Is(err, certifier.ErrNotFound):
		return autocred.Errorf(autocred.EUPSTREAM, "Certifier does not know credential %s any more (%s). Nothing was sent.", run.CredentialID, certMessage(err))
	}
	return autocred.Errorf(autocred.EUPSTREAM, "Certifier refused to send the email: %s Nothing was sent.", certMessage(err))
}

// minutesAgo says a time passed in whole minutes for people: "4 minutes",
// "1 minute", "less than a minute".
func minutesAgo(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return minutes(d.Truncate(time.Minute))
}

// recordedError is an error of a resend that the run's log already
// explains (resendFailed): Resend email to all adds no line of its own.
type recordedError struct{ error }

func (e recordedError) Unwrap() error { return e.error }

// resendArgs sends again the email of one run whose send is unconfirmed,
// for Resend email to all (store.DB.QueueResends). By is who asked, as the
// run's log names them.
type resendArgs struct {
	RunID int64  `json:"run_id"`
	By    string `json:"by"`
}

func (resendArgs) Kind() string { return "resend" }

// Every send is another email, so a job that ran sends at most once: Work
// always returns nil, and a resend that failed says so in its run's log.
// The second attempt is for a job of a process that died (River rescues it
// after RescueAfter): it goes on where that process stopped. If the dead
// process had asked Certifier, the email may have gone out: the run's log
// says so (resend), and the run is left out of this Resend email to all,
// with a line that says how to resend it by hand. If it had not, the email
// is sent now. (With one attempt, River discarded such jobs, and a tester
// saw the runs' logs end on "sending the email to …" for good.)
func (resendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueIssue, MaxAttempts: 2}
}

// resendJob is the resend job the store enqueues (store.Jobs).
func resendJob(runID int64, by string) river.JobArgs { return resendArgs{RunID: runID, By: by} }

type resendWorker struct {
	river.WorkerDefaults[resendArgs]
	e *Engine
}

// leftOut begins the log line of a run that Resend email to all did not
// send: the reason follows.
const leftOut = "Resend email to all, requested by "

// Work resends one run's email with every guard of a single resend (the
// run's lease, ResendWindow) and only while the run is still
// send_unconfirmed. A refusal is written in the run's log, so that each
// run of a bulk resend says what came of it.
func (w *resendWorker) Work(ctx context.Context, job *river.Job[resendArgs]) error {
	e, id, by := w.e, job.Args.RunID, job.Args.By
	err := e.resend(ctx, id, by+" (Resend email to all)", true)
	var recorded recordedError
	switch {
	case err == nil, errors.As(err, &recorded), autocred.ErrorCode(err) == autocred.ENOTFOUND:
		// Sent; or the log says why not; or the run is gone (its
		// history was deleted).
		if err != nil {
			e.log.Info("resend to all: not sent", "run", id, "err", err)
		}
		return nil
	case autocred.ErrorCode(err) == autocred.EINTERNAL:
		e.log.Error("resend to all", "run", id, "err", err)
		e.event(ctx, &autocred.Run{ID: id}, leftOut+by+", did not send this email: autocred could not prepare it (the server's log says why). Nothing was sent.")
		return nil
	}
	e.event(ctx, &autocred.Run{ID: id}, leftOut+by+", did not send this email: "+autocred.ErrorMessage(err))
	return nil
}
