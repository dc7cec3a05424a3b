package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
)

// issueWorker makes the credential of one run.
type issueWorker struct {
	river.WorkerDefaults[issueArgs]
	e *Engine
}

func (w *issueWorker) Work(ctx context.Context, job *river.Job[issueArgs]) error {
	e := w.e
	ctx = e.waitLimited(ctx) // a long rate-limit wait snoozes the job
	ran, err := e.withLease(ctx, fmt.Sprintf("run:%d", job.Args.RunID), func(ctx context.Context) error {
		// Read under the lease: another job of the same run may have just
		// finished it, and a run read before would be issued again.
		run, err := e.store.Run(ctx, job.Args.RunID)
		if autocred.ErrorCode(err) == autocred.ENOTFOUND {
			return nil // its automation was deleted
		}
		if err != nil || run.Status.Final() {
			return err
		}
		a, err := e.store.Automation(ctx, run.AutomationID)
		if err != nil {
			return err
		}
		if a.Status != autocred.StatusActive {
			// Paused or broken: the run stays pending, and resuming the
			// automation enqueues it again.
			return nil
		}
		return e.issue(ctx, &run, a, job.Attempt >= job.MaxAttempts)
	})
	if !ran && err == nil {
		// Another job is working on this run (an earlier job still
		// running, or one rescued while its first execution runs): look
		// again when its lease would have lapsed.
		return river.JobSnooze(leaseTTL)
	}
	return err
}

// issue carries a run as far as it can go. Every Certifier call is recorded
// (run.Step) before it is made and after it answers, so that after a crash
// or a lost answer the next attempt knows what may have happened: a create
// is reconciled by search before another is made, and a send whose outcome
// is unknown is never repeated.
func (e *Engine) issue(ctx context.Context, run *autocred.Run, a autocred.Automation, lastAttempt bool) error {
	mapping, err := autocred.ParseMapping(a.Action)
	if err != nil {
		return e.finish(ctx, run, autocred.RunFailed, "The automation's mapping is invalid: "+autocred.ErrorMessage(err)+" Edit the automation, then retry this run.")
	}
	contact, err := e.contactWithFields(ctx, run, a, mapping)
	if err != nil {
		return e.upstreamFailed(ctx, run, a, err, lastAttempt)
	}
	if contact == nil {
		return e.finish(ctx, run, autocred.RunSkipped, "Skipped: the contact was deleted from ActiveCampaign before its credential was issued.")
	}

	data := autocred.RenderData{Contact: *contact, Segment: a.Trigger.SegmentName, Automation: a.Name, Today: time.Now().UTC()}
	email := strings.TrimSpace(mapping.RecipientEmail.Render(data))
	name := strings.TrimSpace(mapping.RecipientName.Render(data))
	run.Email = email
	if err := autocred.CheckEmail(email); err != nil {
		return e.finish(ctx, run, autocred.RunSkipped, "Skipped: "+err.Error()+". Fix the contact's email in ActiveCampaign, then retry this run.")
	}
	if name == "" {
		return e.finish(ctx, run, autocred.RunSkipped, "Skipped: the recipient name mapping gives an empty name for this contact. Fill the contact's name in ActiveCampaign, or change the mapping, then retry this run.")
	}
	nc := certifier.NewCredential{GroupID: a.Action.GroupID, Recipient: certifier.Recipient{Name: name, Email: email}}
	for _, d := range []struct {
		field string
		tpl   autocred.Template
		dst   *string
	}{{"issue date", mapping.IssueDate, &nc.IssueDate}, {"expiry date", mapping.ExpiryDate, &nc.ExpiryDate}} {
		v := strings.TrimSpace(d.tpl.Render(data))
		if v != "" && !autocred.IsDate(v) {
			return e.finish(ctx, run, autocred.RunFailed, fmt.Sprintf("The %s mapping gives %q for this contact, and Certifier takes only YYYY-MM-DD dates. Fix the contact's field or the mapping, then retry this run.", d.field, v))
		}
		*d.dst = v
	}
	for tag, tpl := range mapping.CustomAttributes {
		if v := tpl.Render(data); v != "" {
			if nc.CustomAttributes == nil {
				nc.CustomAttributes = map[string]string{}
			}
			nc.CustomAttributes[tag] = v
		}
	}

	cert, err := e.clients.Certifier(ctx, e.store, a.Action.ConnectionID)
	if err != nil {
		return err
	}
	var (
		cred      certifier.Credential
		issuedNow bool // issued by this execution
	)

	// 1. Create, or adopt what an earlier attempt made.
	if run.CredentialID == "" && run.Step == autocred.StepCreate {
		found, err := e.reconcile(ctx, cert, run, nc)
		if err != nil {
			// A search that failed, was refused or rate limited is no
			// answer: the create's outcome stays unknown (nil: no step
			// of this call to take back).
			return e.certifierFailed(ctx, run, a, err, lastAttempt, nil)
		}
		if found != nil {
			cred = *found
			if a.Action.Issue && a.Action.Send && cred.Status != "draft" {
				// create-issue-send made it; whether its email left is
				// unknown, and an email is never sent twice. The
				// credential and the outcome are saved together.
				e.attach(run, cred)
				return e.finish(ctx, run, autocred.RunSendUnconfirmed, "Issued. The email was probably sent by Certifier, but its answer was lost; if the recipient did not get it, resend it from Certifier.")
			}
			e.adopt(ctx, run, cred)
		}
	}
	if run.CredentialID == "" {
		oneCall := a.Action.Issue && a.Action.Send
		mark, err := e.beginStep(ctx, run, autocred.StepCreate)
		if err != nil {
			return err
		}
		if oneCall {
			cred, err = cert.CreateIssueSend(ctx, nc)
		} else {
			cred, err = cert.Create(ctx, nc)
		}
		if err != nil {
			return e.certifierFailed(ctx, run, a, err, lastAttempt, mark)
		}
		if oneCall {
			// The credential and the outcome are saved together: a run
			// holding a credential but not yet final would, after a
			// crash, look like one still to be sent.
			e.attach(run, cred)
			e.event(ctx, run, "Created, issued and sent in one call (credential "+cred.ID+").")
			return e.finish(ctx, run, autocred.RunIssued, "")
		}
		e.adopt(ctx, run, cred)
		e.event(ctx, run, "Created as a draft (credential "+cred.ID+").")
	} else if cred.ID == "" {
		// Resumed after a crash: learn where the credential stands.
		if cred, err = cert.Get(ctx, run.CredentialID); err != nil {
			return e.certifierFailed(ctx, run, a, err, lastAttempt, nil)
		}
	}

	// 2. Issue a draft. Safe to repeat: Certifier issues only drafts.
	if a.Action.Issue && cred.Status == "draft" {
		mark, err := e.beginStep(ctx, run, autocred.StepIssue)
		if err != nil {
			return err
		}
		issued, err := cert.Issue(ctx, cred.ID)
		if errors.Is(err, certifier.ErrConflict) {
			issued, err = cert.Get(ctx, cred.ID) // issued by a lost earlier call
		}
		if err != nil {
			return e.certifierFailed(ctx, run, a, err, lastAttempt, mark)
		}
		cred, issuedNow = issued, true
		e.event(ctx, run, "Issued.")
	}
	if !a.Action.Issue {
		return e.finish(ctx, run, autocred.RunDraft, "")
	}

	// 3. Send, once, and only a credential this run issued itself: one
	// found already issued with no issue step recorded was made by
	// create-issue-send, which has sent it.
	if a.Action.Send {
		if run.Step == autocred.StepNone && cred.Status != "draft" && !issuedNow {
			return e.finish(ctx, run, autocred.RunSendUnconfirmed, "Issued by create-issue-send, which emails it; autocred does not send it again. Resend it from Certifier if the recipient did not get it.")
		}
		if run.Step == autocred.StepSend {
			return e.finish(ctx, run, autocred.RunSendUnconfirmed, "Issued. Sending its email got no answer, so it may not have gone out; autocred never sends twice. Resend it from Certifier if the recipient did not get it.")
		}
		mark, err := e.beginStep(ctx, run, autocred.StepSend)
		if err != nil {
			return err
		}
		if _, err := cert.Send(ctx, cred.ID); err != nil {
			if errors.Is(err, certifier.ErrUnknownOutcome) {
				return e.finish(ctx, run, autocred.RunSendUnconfirmed, "Issued. Sending its email got no answer ("+certMessage(err)+"), so it may not have gone out; autocred never sends twice. Resend it from Certifier if the recipient did not get it.")
			}
			return e.certifierFailed(ctx, run, a, err, lastAttempt, mark)
		}
		e.event(ctx, run, "Sent by email to "+email+".")
	}
	return e.finish(ctx, run, autocred.RunIssued, "")
}

// contactWithFields returns the run's contact with the custom field values
// the mapping uses, fetched now; nil when the contact no longer exists.
func (e *Engine) contactWithFields(ctx context.Context, run *autocred.Run, a autocred.Automation, m autocred.Mapping) (*autocred.Contact, error) {
	c := run.Contact
	if len(m.Fields()) == 0 {
		return &c, nil
	}
	ac, err := e.clients.ActiveCampaign(ctx, e.store, a.Trigger.ConnectionID)
	if err != nil {
		return nil, err
	}
	values, err := ac.ContactFields(ctx, activecampaign.ID(run.ContactID))
	if errors.Is(err, activecampaign.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Fields = nil
	for _, v := range values {
		c.SetField(v.Field.Perstag, v.Field.Title, v.Value)
	}
	return &c, nil
}

// reconcile looks for the credential an earlier create of this run may have
// made: same recipient and group, created since that attempt started (less
// a margin for clock skew), held by no other run. The oldest one wins.
func (e *Engine) reconcile(ctx context.Context, cert *certifier.Client, run *autocred.Run, nc certifier.NewCredential) (*certifier.Credential, error) {
	found, err := cert.Search(ctx, certifier.Query{Email: nc.Recipient.Email, GroupID: nc.GroupID, CreatedAfter: run.StepStartedAt.Add(-2 * time.Minute)})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(x, y certifier.Credential) int { return x.CreatedAt.Compare(y.CreatedAt) })
	for _, c := range found {
		claimed, err := e.store.CredentialClaimed(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if !claimed {
			e.event(ctx, run, fmt.Sprintf("Found credential %s, made by the attempt of %s whose answer was lost; not creating another.",
				c.ID, run.StepStartedAt.UTC().Format(time.RFC3339)))
			return &c, nil
		}
	}
	e.event(ctx, run, "The earlier attempt made no credential; creating it now.")
	return nil, nil
}

// attach puts the credential on the run, to be saved with its outcome.
func (e *Engine) attach(run *autocred.Run, cred certifier.Credential) {
	run.CredentialID = cred.ID
	run.PublicLink = e.clients.PublicLink(cred.PublicID)
	run.Step = autocred.StepNone
}

// adopt records a draft credential on the run before its next step.
func (e *Engine) adopt(ctx context.Context, run *autocred.Run, cred certifier.Credential) {
	e.attach(run, cred)
	if err := e.store.SaveRun(ctx, run); err != nil {
		e.log.Error("saving credential of run", "run", run.ID, "err", err)
	}
}

// stepMark is what a run knew about Certifier before a step began; a call
// that Certifier did not process (a 429) puts it back.
type stepMark struct {
	step      autocred.Step
	startedAt time.Time
	attempts  int
}

// beginStep records a Certifier call before it is made, and returns what
// the run knew before.
func (e *Engine) beginStep(ctx context.Context, run *autocred.Run, step autocred.Step) (*stepMark, error) {
	mark := &stepMark{step: run.Step, startedAt: run.StepStartedAt, attempts: run.Attempts}
	run.Step, run.StepStartedAt = step, time.Now()
	run.Attempts++
	return mark, e.store.SaveRun(ctx, run)
}

// finish gives a run its final status.
func (e *Engine) finish(ctx context.Context, run *autocred.Run, status autocred.RunStatus, message string) error {
	run.Status, run.LastError = status, ""
	if status == autocred.RunFailed || status == autocred.RunSkipped {
		run.LastError = message
	}
	// Done: nothing left to reconcile. Otherwise the step stays as it is:
	// a call of unknown outcome is reconciled if the user retries the run,
	// and an unconfirmed send is never repeated.
	if status == autocred.RunIssued || status == autocred.RunDraft {
		run.Step = autocred.StepNone
	}
	// Written even if the job's context ended: the outcome must be kept.
	if err := e.store.SaveRun(context.WithoutCancel(ctx), run); err != nil {
		return err
	}
	switch {
	case message != "":
		e.event(ctx, run, message)
	case status == autocred.RunDraft:
		e.event(ctx, run, "Left as a draft, as the automation asks.")
	}
	e.metrics.Credentials.WithLabelValues(string(status)).Inc()
	return nil
}

func (e *Engine) event(ctx context.Context, run *autocred.Run, message string) {
	if err := e.store.AddRunEvent(context.WithoutCancel(ctx), run.ID, message); err != nil {
		e.log.Error("recording run event", "run", run.ID, "err", err)
	}
}

func certMessage(err error) string {
	var ce *certifier.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return err.Error()
}

// certifierFailed decides what a failed Certifier call means for the run.
// mark is what the run knew before the failed call's step began; nil when
// the call was not a step's (a search, a read).
func (e *Engine) certifierFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, err error, lastAttempt bool, mark *stepMark) error {
	if wait, ok := e.circuitWait(ctx, a.Action.ConnectionID, err); ok {
		return e.waitCircuit(ctx, run, mark, wait) // not called, or refused for the whole workspace: not an attempt
	}
	if te, ok := throttled(err); ok || errors.Is(err, certifier.ErrRateLimited) {
		// Not processed, so not an attempt, and the run knows what it
		// knew before the call: a create answered 429 made nothing, a
		// send answered 429 sent nothing. Wait without a worker.
		if mark != nil {
			run.Step, run.StepStartedAt, run.Attempts = mark.step, mark.startedAt, mark.attempts
		}
		if serr := e.store.SaveRun(context.WithoutCancel(ctx), run); serr != nil {
			return serr
		}
		return e.waitThrottled(ctx, run, "Certifier", te)
	}
	if certifier.Refused(err) && mark != nil && run.Step != autocred.StepSend {
		// A definite refusal of the step's own call: it changed nothing,
		// nothing to reconcile. Anything else (no answer, a 5xx, a
		// cancelled wait, an unreadable answer, a search refused) keeps
		// the step, so the next attempt searches before it creates.
		run.Step = autocred.StepNone
	}
	switch {
	case errors.Is(err, certifier.ErrValidation):
		return e.finish(ctx, run, autocred.RunFailed, "Certifier refused the credential: "+certMessage(err)+" Fix the mapping or the contact's data, then retry this run.")
	case errors.Is(err, certifier.ErrNotFound):
		return e.finish(ctx, run, autocred.RunFailed, "Certifier does not know the credential or its group any more ("+certMessage(err)+"). Check the automation's group, then retry this run.")
	case errors.Is(err, certifier.ErrAuth):
		return e.breakConnection(ctx, run, a.Action.ConnectionID, "Certifier refused the access token ("+certMessage(err)+"). Reconnect Certifier with a valid token, then resume the automation.")
	}
	return e.retryLater(ctx, run, err, lastAttempt)
}

// upstreamFailed handles a failure to read the contact from ActiveCampaign.
func (e *Engine) upstreamFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, err error, lastAttempt bool) error {
	if errors.Is(err, activecampaign.ErrAuth) {
		return e.breakConnection(ctx, run, a.Trigger.ConnectionID, "ActiveCampaign refused the API key ("+err.Error()+"). Reconnect the account with a valid key, then resume the automation.")
	}
	if te, ok := throttled(err); ok {
		return e.waitThrottled(ctx, run, "ActiveCampaign", te) // before any Certifier call: the run is as it was
	}
	if denied := activecampaign.PermissionDenied(err); denied != "" {
		return e.permissionDenied(ctx, run, denied, lastAttempt)
	}
	return e.retryLater(ctx, run, err, lastAttempt)
}

// permissionDenied handles a contact read refused for a missing
// permission. The key works, so the connection stays; the run stays
// pending and its job retries with the usual backoff (at most 10 minutes
// apart, for about 9 hours), so that granting the permission issues it
// without anyone retrying by hand. Only then does it fail, and retrying
// it (or the automation's failed runs) after the grant issues it.
func (e *Engine) permissionDenied(ctx context.Context, run *autocred.Run, denied string, lastAttempt bool) error {
	if lastAttempt {
		return e.finish(ctx, run, autocred.RunFailed, "Reading the contact was refused for hours. "+denied+" Once it is granted, retry this run.")
	}
	return e.retryLater(ctx, run, errors.New(denied+" autocred retries by itself (at most 10 minutes apart) until it is granted"), false)
}

// breakConnection marks a connection broken (which stops its automations)
// and leaves the run pending for when the automation is resumed.
func (e *Engine) breakConnection(ctx context.Context, run *autocred.Run, connID int64, reason string) error {
	_ = e.store.SaveRun(context.WithoutCancel(ctx), run)
	e.event(ctx, run, reason)
	return e.store.SetConnectionStatus(context.WithoutCancel(ctx), connID, autocred.ConnectionBroken, reason)
}

// retryLater records a passing failure; River retries the job with backoff.
// On the last attempt the run fails, keeping its step, so that a retry by
// the user still reconciles first.
func (e *Engine) retryLater(ctx context.Context, run *autocred.Run, err error, lastAttempt bool) error {
	msg := err.Error()
	if lastAttempt {
		return e.finish(ctx, run, autocred.RunFailed, "Gave up after "+fmt.Sprint(run.Attempts)+" attempts over several hours: "+msg+". Retry this run when the service is back.")
	}
	run.LastError = msg
	if serr := e.store.SaveRun(context.WithoutCancel(ctx), run); serr != nil {
		return serr
	}
	e.event(ctx, run, "Attempt failed, will retry: "+msg)
	return err
}
