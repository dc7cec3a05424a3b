package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/upstream"
)

// issueWorker makes the credential of one run.
type issueWorker struct {
	river.WorkerDefaults[issueArgs]
	e *Engine
}

func (w *issueWorker) Work(ctx context.Context, job *river.Job[issueArgs]) error {
	e := w.e
	// Its workspace's other runs first, without holding a worker (line.go).
	if wait := e.placeInLine(ctx, job); wait > 0 {
		return river.JobSnooze(wait)
	}
	ctx = e.waitLimited(ctx) // a long rate-limit wait snoozes the job
	ran, err := e.withLease(ctx, runLease(job.Args.RunID), func(ctx context.Context) error {
		ctx, log := withRunLog(ctx, job.Args.RunID)
		defer e.flush(ctx, log)
		// Read under the lease: another job of the same run may have just
		// finished it, and a run read before would be issued again.
		run, a, conn, err := e.store.RunAndAutomation(ctx, job.Args.RunID)
		if autocred.ErrorCode(err) == autocred.ENOTFOUND {
			return nil // its automation was deleted
		}
		if err != nil || run.Status.Final() {
			return err
		}
		log.read(&run, conn)
		if a.Status != autocred.AutomationActive {
			// Paused or broken: the run stays pending, and resuming the
			// automation enqueues it again.
			return nil
		}
		// The contact read at entry serves the entry's first attempt
		// (entryRead); any other attempt reads the contact again.
		return e.issue(ctx, &run, a, entryRead(job), job.Attempt >= job.MaxAttempts)
	})
	if !ran && err == nil {
		// Another job is working on this run (an earlier job still
		// running, or one rescued while its first execution runs): look
		// again when its lease would have lapsed.
		return river.JobSnooze(leaseTTL)
	}
	return err
}

// runLease is the key of the lease that one job at a time holds on a run.
func runLease(runID int64) string { return "run:" + strconv.FormatInt(runID, 10) }

// issue carries a run as far as it can go: until the run holds a
// credential, the contact is read as ActiveCampaign has it now
// (contactNow) and the credential rendered from it (credentialFor); then
// the step table (next, steps.go) says which Certifier call comes next
// until the run's outcome is known. entryFresh: the contact in the run was
// read at entry moments ago and serves as this attempt's read.
//
// A run that holds a credential renders nothing: what it was made from is
// sent already, and its remaining steps (issue, send) need only its id.
func (e *Engine) issue(ctx context.Context, run *autocred.Run, a autocred.Automation, entryFresh, lastAttempt bool) error {
	var (
		nc certifier.NewCredential
		p  progress
		// v: no credential can be made from the contact now. With a
		// create of unknown outcome, the reconcile still runs first: the
		// credential may exist.
		v *verdict
	)
	if run.CredentialID == "" {
		// While Certifier's circuit is open, reading the contact would be
		// an ActiveCampaign request per waiting run per wake-up for
		// nothing: the run waits first, and reads it when it can call.
		if w, err := e.circuitOpen(ctx, a.Action.ConnectionID); err != nil {
			return fmt.Errorf("reading the circuit of connection %d: %w", a.Action.ConnectionID, err)
		} else if w != nil {
			return e.waitCircuit(ctx, run, nil, w)
		}
		mapping, err := autocred.ParseMapping(a.Action)
		if err != nil {
			return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodeInvalidMapping, "The automation's mapping is invalid: "+sentence(autocred.ErrorMessage(err))+" Edit the automation, then retry this run.")
		}
		contact, err := e.contactNow(ctx, run, a, mapping, entryFresh)
		if err != nil {
			return e.upstreamFailed(ctx, run, a, err, lastAttempt)
		}
		if run.Step == autocred.StepCreate {
			// A create of unknown outcome sent what the run holds: the
			// contact as that attempt read it, rendered as of its start,
			// to the address it went to. That is what the reconcile looks
			// for, even if the contact has changed since.
			lost, _, _ := credentialFor(run.Contact, a, mapping, run.StepStartedAt.UTC())
			lost.Recipient.Email = run.Email
			p.lost = &lost
		}
		if contact == nil {
			v = &verdict{autocred.RunSkipped, autocred.RunCodeContactDeleted, "Skipped: the contact was deleted from ActiveCampaign before its credential was issued."}
		} else {
			var notes []string
			nc, notes, v = credentialFor(*contact, a, mapping, time.Now().UTC())
			e.noteContact(ctx, run, *contact, mapping, notes)
			if p.lost == nil {
				run.Email = nc.Recipient.Email
			}
		}
		if v != nil && p.lost == nil {
			return e.finish(ctx, run, v.status, v.code, v.message)
		}
	}
	cert, err := e.clients.Certifier(ctx, e.connections(ctx, run), a.Action.ConnectionID)
	if err != nil {
		return err
	}
	for {
		p.step, p.credID = run.Step, run.CredentialID
		d := next(p, a.Action)
		if d.kind == stepFinish {
			return e.finish(ctx, run, d.status, autocred.RunCodeNone, d.message)
		}
		if v != nil && (d.kind == stepCreate || d.kind == stepCreateIssueSend) {
			return e.finish(ctx, run, v.status, v.code, v.message) // nothing was made, and nothing can be
		}
		p.mark = nil
		if err := e.take(ctx, cert, run, d.kind, nc, &p); err != nil {
			return e.stepFailed(ctx, run, a, d.kind, err, p.mark, lastAttempt)
		}
	}
}

// take makes one step's Certifier call and records what it learnt in p and
// on the run. A step's error is returned as is, for stepFailed; the run
// has then been saved with its step begun, so the outcome stays known to
// be unknown.
func (e *Engine) take(ctx context.Context, cert *certifier.Client, run *autocred.Run, k stepKind, nc certifier.NewCredential, p *progress) error {
	switch k {
	case stepReconcile:
		lost := nc
		if p.lost != nil {
			lost = *p.lost
		}
		found, err := e.reconcile(ctx, cert, run, lost)
		if err != nil {
			return err
		}
		p.searched = true
		if found != nil {
			p.cred, p.adopted = found, true
			e.attach(run, *found)
			return e.save(ctx, run)
		}
		return nil
	case stepCreate, stepCreateIssueSend:
		run.Email = nc.Recipient.Email // a lost create's address, if any, no longer matters
		if err := e.beginStep(ctx, run, autocred.StepCreate, p); err != nil {
			return err
		}
		call, note := cert.Create, "Created as a draft (credential %s)."
		if k == stepCreateIssueSend {
			call, note = cert.CreateIssueSend, "Created, issued and sent in one call (credential %s)."
		}
		cred, err := call(ctx, nc)
		if err == nil || !notAnAttempt(err) {
			// What the call sent, once per call that reached Certifier, so
			// that the run shows what its credential was made from
			// whatever happens to the contact or the mapping later.
			// Stamped with the attempt's start, when it was sent, not
			// when its answer came: the time every later line that
			// names the attempt gives ("attempt 2 (02:25:46Z)").
			e.eventAt(ctx, run, run.StepStartedAt, sentCredential(nc, run.Attempts, k).EventMessage())
		}
		if err != nil {
			return err
		}
		e.attach(run, cred)
		p.cred, p.created = &cred, k == stepCreateIssueSend
		e.event(ctx, run, fmt.Sprintf(note, cred.ID))
		if p.created {
			// Saved with the outcome (finish), not before: a run holding
			// a credential but not final would, after a crash, look like
			// one still to be sent.
			return nil
		}
		return e.save(ctx, run)
	case stepRead:
		cred, err := cert.Get(ctx, run.CredentialID)
		if err != nil {
			return err
		}
		p.cred = &cred
	case stepIssue:
		if err := e.beginStep(ctx, run, autocred.StepIssue, p); err != nil {
			return err
		}
		cred, err := cert.Issue(ctx, run.CredentialID)
		if errors.Is(err, certifier.ErrConflict) {
			cred, err = cert.Get(ctx, run.CredentialID) // issued by a lost earlier call
		}
		if err != nil {
			return err
		}
		p.cred, p.issued = &cred, true
		e.event(ctx, run, "Issued.")
	case stepSend:
		if err := e.beginStep(ctx, run, autocred.StepSend, p); err != nil {
			return err
		}
		if _, err := cert.Send(ctx, run.CredentialID); err != nil {
			return err
		}
		p.sent = true
		e.event(ctx, run, "Sent by email to "+run.Email+".")
	}
	return nil
}

// entryRead tells whether a job is the first attempt of a new entry,
// whose contact the sync (or hint) read in bulk as it recorded the entry:
// that read serves, however long the job then waited in the queue. Reading
// the contact again would cost a request per entry, and the gathered
// reads (one call a second per account, of the runs in flight) would then
// cap a large batch at a few dozen credentials a second. Any later
// attempt, a rescued job, and any retry by the user read the contact
// again.
func entryRead(job *river.Job[issueArgs]) bool {
	return job.Args.ContactReadAt != 0 && job.Attempt == 1
}

// contactNow returns the run's contact as ActiveCampaign has it now (name,
// email, phone, and the custom field values the mapping uses); nil when
// the contact no longer exists. A retried run so uses the contact as the
// user fixed it, not as it entered.
//
// The details come from activecampaign.Client.Contact, which gathers the
// reads of the runs being issued at the same time (a bulk retry) into
// GET /contacts?ids[]= calls of up to 100, at most one a second per
// account; with entryFresh, the run's own contact (read at entry) serves.
// Field values are read only when the mapping uses them: for the entry's
// first attempt, those a scan read for the whole batch at entry serve
// (fieldscan.go); otherwise they are read for this contact
// (GET /contacts/{id}/fieldValues). The run's log says which.
func (e *Engine) contactNow(ctx context.Context, run *autocred.Run, a autocred.Automation, m autocred.Mapping, entryFresh bool) (*autocred.Contact, error) {
	c := run.Contact
	if entryFresh && fieldsReadAtEntry(c, m) {
		e.event(ctx, run, fieldsReadNote(m, c.Scanned))
		c.Scanned = nil
		return &c, nil
	}
	c.Fields, c.FieldTypes, c.Scanned = nil, nil, nil
	if entryFresh && len(m.Fields()) == 0 {
		return &c, nil
	}
	ac, err := e.clients.ActiveCampaign(ctx, e.store, a.Trigger.ConnectionID)
	if err != nil {
		return nil, err
	}
	if !entryFresh {
		got, err := ac.Contact(ctx, run.ContactID)
		if errors.Is(err, activecampaign.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		c = autocred.Contact{ID: got.ID, Email: got.Email, FirstName: got.FirstName, LastName: got.LastName, Phone: got.Phone}
	}
	if len(m.Fields()) == 0 {
		return &c, nil
	}
	values, err := ac.ContactFields(ctx, run.ContactID)
	if errors.Is(err, activecampaign.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		c.SetField(v.Field.Perstag, v.Field.Title, v.Field.Type, v.Value)
	}
	e.noteFieldsRead(ctx, run, fieldsReadNote(m, nil))
	return &c, nil
}

// noteContact puts the contact a credential is rendered from on the run, so
// that the run records what it sent (saved with its next step or
// outcome), and logs what changed since the run last read it and what
// cleaning removed (each such line once).
func (e *Engine) noteContact(ctx context.Context, run *autocred.Run, c autocred.Contact, m autocred.Mapping, notes []string) {
	var changed []string
	for _, f := range []struct{ what, was, now string }{
		{"email", run.Contact.Email, c.Email},
		{"first name", run.Contact.FirstName, c.FirstName},
		{"last name", run.Contact.LastName, c.LastName},
	} {
		if f.was != f.now {
			changed = append(changed, fmt.Sprintf("%s %q (was %q)", f.what, f.now, f.was))
		}
	}
	if len(changed) > 0 {
		notes = append([]string{"Read the contact again from ActiveCampaign: its " + strings.Join(changed, ", ") + "."}, notes...)
	}
	// Keep only the field values the mapping uses: they are what was sent.
	used := c.Fields
	c.Fields = nil
	for _, name := range m.Fields() {
		if v, ok := used[strings.ToLower(name)]; ok {
			if c.Fields == nil {
				c.Fields = map[string]string{}
			}
			c.Fields[strings.ToLower(name)] = v
		}
	}
	run.Contact = c
	if len(notes) == 0 {
		return
	}
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Error("reading run events", "run", run.ID, "err", err)
	}
	for _, n := range notes {
		if !slices.ContainsFunc(events, func(ev autocred.RunEvent) bool { return ev.Message == n }) {
			e.event(ctx, run, n)
		}
	}
}

// reconcileMargin is how much earlier than the lost attempt's start a
// credential may be stamped by Certifier and still be that attempt's: the
// two clocks may disagree.
const reconcileMargin = 2 * time.Minute

// reconcile looks for the credential that a create of this run, whose
// answer was lost, may have made; lost is what that create sent. It asks
// Certifier only what its search reference documents
// (certifier.SearchRecipient: the recipient's email), and picks here: the
// automation's group, the same email in any case, the same recipient name,
// created since the attempt started (less reconcileMargin), held by no
// other run. A credential made by someone else for the same person (by
// hand, another tool, another automation on the group) has another name
// or was made before the attempt: those made at or after its start come
// first, oldest first, then those within the margin before it, nearest
// first. The first is adopted and every candidate is named in the run's
// events. It returns nil and no error only when the search answered in
// full and found nothing: then, and only then, a create may be sent
// again.
func (e *Engine) reconcile(ctx context.Context, cert *certifier.Client, run *autocred.Run, lost certifier.NewCredential) (*certifier.Credential, error) {
	start := run.StepStartedAt
	since := start.Add(-reconcileMargin)
	all, err := cert.SearchRecipient(ctx, lost.Recipient.Email, since)
	if err != nil {
		return nil, err
	}
	var found []certifier.Credential
	for _, c := range all {
		if c.GroupID != lost.GroupID || !strings.EqualFold(c.Recipient.Email, lost.Recipient.Email) ||
			!sameName(c.Recipient.Name, lost.Recipient.Name) || c.CreatedAt.Before(since) {
			continue
		}
		claimed, err := e.store.CredentialClaimed(ctx, c.ID)
		if err != nil {
			return nil, &dbError{err}
		}
		if !claimed {
			found = append(found, c)
		}
	}
	slices.SortFunc(found, func(x, y certifier.Credential) int {
		xBefore, yBefore := x.CreatedAt.Before(start), y.CreatedAt.Before(start)
		switch {
		case xBefore != yBefore && xBefore:
			return 1
		case xBefore != yBefore:
			return -1
		case xBefore:
			return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), strings.Compare(x.ID, y.ID)) // nearest the start first
		}
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), strings.Compare(x.ID, y.ID))
	})
	// The attempt as the run's log names it, with its time in RFC 3339,
	// which the UI shows in the reader's zone. Whether its answer was a
	// 5xx or none at all, it did not confirm a credential: the words say
	// that much, and no more.
	attempt := fmt.Sprintf("attempt %d (%s)", run.Attempts, run.StepStartedAt.UTC().Format(time.RFC3339))
	if len(found) == 0 {
		e.event(ctx, run, "Asked Certifier whether "+attempt+" made the credential after all (searched by recipient email): it has none, so nothing was made; creating it now.")
		return nil, nil
	}
	if len(found) == 1 {
		e.event(ctx, run, fmt.Sprintf("Found credential %s, made by %s although Certifier's answer did not confirm it; not creating another.", found[0].ID, attempt))
		return &found[0], nil
	}
	var list []string
	for _, c := range found {
		list = append(list, fmt.Sprintf("%s (created %s)", c.ID, c.CreatedAt.UTC().Format(time.RFC3339)))
	}
	e.event(ctx, run, fmt.Sprintf("Found %d credentials for this recipient, with this name and group, made around %s, whose answer did not confirm any: %s. "+
		"Adopting %s, the first made since the attempt began; not creating another. If the others are duplicates, delete them in Certifier.",
		len(found), attempt, strings.Join(list, ", "), found[0].ID))
	return &found[0], nil
}

// sameName tells whether two recipient names are the same, as Certifier
// may store them: white space at the ends and case aside.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// attach puts the credential on the run; it is saved with the run's next
// step or outcome.
func (e *Engine) attach(run *autocred.Run, cred certifier.Credential) {
	run.CredentialID = cred.ID
	run.PublicLink = e.clients.PublicLink(cred.PublicID)
	run.Step = autocred.StepNone
}

// dbError is a failure of autocred's own database during a step, not an
// answer from Certifier: the job fails and River runs it again.
type dbError struct{ err error }

func (d *dbError) Error() string { return d.err.Error() }
func (d *dbError) Unwrap() error { return d.err }

// save is the one way a run's progress is written, with the lines of its
// log recorded since (runLog). It is written even if the job's context has
// ended: what a run knows about Certifier must be kept.
func (e *Engine) save(ctx context.Context, run *autocred.Run) error {
	if err := e.saveRun(ctx, run, nil); err != nil {
		return &dbError{fmt.Errorf("saving run %d: %w", run.ID, err)}
	}
	return nil
}

// stepMark is what a run knew about Certifier before a step began; a call
// that Certifier did not process (a 429) puts it back.
type stepMark struct {
	step      autocred.Step
	startedAt time.Time
	attempts  int
}

// beginStep records a Certifier call before it is made, and keeps in p
// what the run knew before. A create is an attempt (Run.Attempts), the
// one its log line "Attempt N: asked Certifier to …" numbers; the issue
// and send that follow a draft's create are steps of the same attempt.
func (e *Engine) beginStep(ctx context.Context, run *autocred.Run, step autocred.Step, p *progress) error {
	p.mark = &stepMark{step: run.Step, startedAt: run.StepStartedAt, attempts: run.Attempts}
	run.Step, run.StepStartedAt = step, time.Now()
	if step == autocred.StepCreate {
		run.Attempts++
	}
	return e.save(ctx, run)
}

// finish gives a run its final status; a failed or skipped run keeps the
// message and its code as its error.
func (e *Engine) finish(ctx context.Context, run *autocred.Run, status autocred.RunStatus, code autocred.RunErrorCode, message string) error {
	run.Status, run.LastError, run.ErrorCode = status, "", autocred.RunCodeNone
	if status == autocred.RunFailed || status == autocred.RunSkipped {
		run.LastError, run.ErrorCode = message, code
	}
	// Done: nothing left to reconcile. Otherwise the step stays as it is:
	// a call of unknown outcome is reconciled if the user retries the run,
	// and an unconfirmed send is never repeated.
	if status == autocred.RunIssued || status == autocred.RunDraft {
		run.Step = autocred.StepNone
	}
	switch {
	case message != "":
		e.event(ctx, run, message)
	case status == autocred.RunDraft:
		e.event(ctx, run, "Left as a draft, as the automation asks.")
	}
	// The run is final: its job's work is done, and the lease on it is
	// given up in the same transaction (nothing follows under it).
	var release *heldLease
	if l := leaseOf(ctx); l != nil && runLogOf(ctx, run) != nil && l.key == runLease(run.ID) {
		release = l
	}
	if err := e.saveRun(ctx, run, release); err != nil {
		return &dbError{fmt.Errorf("saving run %d: %w", run.ID, err)}
	}
	e.metrics.Credentials.WithLabelValues(string(status)).Inc()
	if run.ErrorCode != autocred.RunCodeNone {
		e.metrics.RunErrors.WithLabelValues(string(status), string(run.ErrorCode)).Inc()
	}
	return nil
}

// eventOncePerWait records message unless the run's last event already
// holds marker: a job that wakes again into the same wait adds nothing.
func (e *Engine) eventOncePerWait(ctx context.Context, run *autocred.Run, marker, message string) {
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Warn("reading run events", "run", run.ID, "err", err)
	}
	if len(events) == 0 || !strings.Contains(events[len(events)-1].Message, marker) {
		e.event(ctx, run, message)
	}
}

// event records a line of a run's log: with the run's next save when its
// job keeps the run's log (runLog), at once otherwise.
func (e *Engine) event(ctx context.Context, run *autocred.Run, message string) {
	if l := runLogOf(ctx, run); l != nil {
		l.add(message)
		return
	}
	if err := e.store.AddRunEvent(context.WithoutCancel(ctx), run.ID, message); err != nil {
		e.log.Error("recording run event", "run", run.ID, "err", err)
	}
}

// eventAt is event for a line that says what happened at a time of its own
// (the line of a call, stamped when the call was sent); the log keeps its
// lines in the order they are recorded.
func (e *Engine) eventAt(ctx context.Context, run *autocred.Run, at time.Time, message string) {
	if l := runLogOf(ctx, run); l != nil {
		l.addAt(at, message)
		return
	}
	ev := []autocred.RunEvent{{At: at, Message: message}}
	if err := e.store.AddRunEvents(context.WithoutCancel(ctx), run.ID, ev); err != nil {
		e.log.Error("recording run event", "run", run.ID, "err", err)
	}
}

// sentence ends an upstream message with a full stop, so that autocred's
// advice after it reads as a sentence of its own ("… is too long. Fix the
// mapping …", not "… is too long Fix the mapping …").
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

func certMessage(err error) string {
	var ce *certifier.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return err.Error()
}

// stepFailed decides what a failed step means for the run. p.mark is what
// the run knew before the step's call began; nil for a step that changes
// nothing (a search, a read).
func (e *Engine) stepFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, k stepKind, err error, mark *stepMark, lastAttempt bool) error {
	var db *dbError
	if errors.As(err, &db) {
		return db.err
	}
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
		return e.waitThrottled(ctx, run, "Certifier", te)
	}
	if errors.Is(err, certifier.ErrNotSent) {
		// Never sent (the job's time ran out, or autocred is stopping,
		// while it waited for its turn): the run knows what it knew
		// before, and River runs the job again.
		if mark != nil {
			run.Step, run.StepStartedAt, run.Attempts = mark.step, mark.startedAt, mark.attempts
		}
		if serr := e.save(ctx, run); serr != nil {
			return serr
		}
		return err
	}
	if errors.Is(err, certifier.ErrAuth) {
		// The run keeps its step: once reconnected, a create of unknown
		// outcome is searched for first.
		return e.breakConnection(ctx, run, a.Action.ConnectionID, autocred.AppCertifier, err)
	}
	switch k {
	case stepReconcile:
		return e.unconfirmed(ctx, run, err, lastAttempt)
	case stepSend:
		if errors.Is(err, certifier.ErrUnknownOutcome) {
			return e.finish(ctx, run, autocred.RunSendUnconfirmed, autocred.RunCodeNone, "Issued. Sending its email got no answer ("+certMessage(err)+"), so it may not have gone out; autocred never sends twice by itself. Use Resend email on this run if the recipient did not get it.")
		}
	case stepCreate, stepCreateIssueSend, stepIssue:
		if certifier.Refused(err) {
			// A definite refusal of the step's own call: it changed
			// nothing, nothing to reconcile. Anything else (no answer, a
			// 5xx, a cancelled wait, an unreadable answer) keeps the
			// step, so the next attempt searches before it creates.
			run.Step = autocred.StepNone
		}
	}
	if (k == stepCreate || k == stepCreateIssueSend) && run.Step == autocred.StepCreate && !lastAttempt && answerLost(err) {
		// Sent, and no answer says what came of it: the credential may
		// exist. That, and only that, is an unconfirmed create. (A 5xx
		// is Certifier saying it failed: a passing failure, below,
		// though the next attempt asks before creating all the same.)
		return e.createUnconfirmed(ctx, run, err)
	}
	if (k == stepCreate || k == stepCreateIssueSend) && (errors.Is(err, certifier.ErrValidation) || errors.Is(err, certifier.ErrNotFound)) && e.groupGone(ctx, a) {
		// Not this credential's fault: the automation's group is gone.
		return e.waitForGroup(ctx, run, a, mark)
	}
	switch {
	case errors.Is(err, certifier.ErrValidation):
		return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodeCertifierValidation, "Certifier refused the credential: "+sentence(certMessage(err))+" Fix the mapping or the contact's data, then retry this run.")
	case errors.Is(err, certifier.ErrNotFound):
		return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodeCertifierNotFound, "Certifier does not know the credential or its group any more ("+certMessage(err)+"). Check the automation's group, then retry this run.")
	}
	return e.retryLater(ctx, run, autocred.RunCodeRetrying, err, lastAttempt)
}

// createUnconfirmed handles a create whose answer was lost (none came, or
// none that could be read): the run keeps its step, so that its next
// attempt asks Certifier for the credential before creating one, and it
// says so. River retries the job with backoff.
func (e *Engine) createUnconfirmed(ctx context.Context, run *autocred.Run, err error) error {
	run.ErrorCode = autocred.RunCodeUnconfirmed
	run.LastError = fmt.Sprintf(msgAnswerLost+" %d was lost (%s): the credential may have been created. "+
		"autocred asks Certifier before creating it again, by itself.", run.Attempts, certMessage(err))
	if err := e.save(ctx, run); err != nil {
		return err
	}
	e.event(ctx, run, run.LastError)
	return err
}

// msgAnswerLost begins the line of a run's log that says its create got
// no answer (createUnconfirmed).
const msgAnswerLost = "Certifier's answer to attempt"

// createAnswerLost tells whether the run's last create got no answer, as
// its log says (the line createUnconfirmed writes after the create's
// line), rather than a 5xx: what a failed search then means differs.
func (e *Engine) createAnswerLost(ctx context.Context, run *autocred.Run) bool {
	events, err := e.runEvents(ctx, run)
	if err != nil {
		e.log.Warn("reading run events", "run", run.ID, "err", err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if strings.HasPrefix(events[i].Message, msgAnswerLost) {
			return true
		}
		if _, sent := autocred.ParseSentEvent(events[i].Message); sent {
			return false
		}
	}
	return false
}

// msgUnconfirmed begins what a run says while the outcome of its create is
// unknown and no search has answered.
const msgUnconfirmed = "Still waiting to confirm with Certifier whether the credential was created"

// unconfirmed handles a reconcile search that gave no answer. After a
// create that Certifier answered with a 5xx, a search that fails as any
// call fails while Certifier is down (a 5xx, no answer) is a passing
// failure like the create's, said as such: the run waits for Certifier
// (a tester saw a plain 503 called "unconfirmed"). After a create whose
// answer was lost, or a search refused (4xx) or incomplete, the create
// stays unconfirmed. Either way that is not "nothing was made": the run
// keeps its step, so that the next attempt, or a user's retry, searches
// again, and nothing is created on this basis. The job retries with
// River's backoff; the run's log counts the failed searches on one line.
func (e *Engine) unconfirmed(ctx context.Context, run *autocred.Run, err error, lastAttempt bool) error {
	if errors.Is(err, certifier.ErrServer) && !e.createAnswerLost(ctx, run) {
		return e.retryLater(ctx, run, autocred.RunCodeRetrying, err, lastAttempt)
	}
	why := searchFailure(err)
	if lastAttempt {
		return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodeUnconfirmed, "Could not confirm with Certifier whether the credential was created: its search kept failing ("+why+"). "+
			"Nothing was created again. Retry this run: it searches first, and creates the credential only if Certifier finds none.")
	}
	what := msgUnconfirmed + ": the search for it failed (" + why + ")"
	run.ErrorCode = autocred.RunCodeUnconfirmed
	run.LastError = what + ". autocred creates nothing until a search answers, and searches again by itself."
	if err := e.save(ctx, run); err != nil {
		return err
	}
	e.waitEvent(ctx, run, what)
	return err
}

// searchFailure says in words how a search failed.
func searchFailure(err error) string {
	var ce *certifier.Error
	switch {
	case errors.Is(err, certifier.ErrSearchIncomplete), errors.As(err, &ce) && ce.Status == 0:
		return certMessage(err)
	case ce != nil && ce.Status >= 500:
		return failureWords(err) // a proxy's or server's text is no message for people
	case ce != nil:
		return "Certifier answered " + upstream.StatusText(ce.Status) + ": " + ce.Message
	}
	return err.Error()
}

// upstreamFailed handles a failure to read the contact from ActiveCampaign.
func (e *Engine) upstreamFailed(ctx context.Context, run *autocred.Run, a autocred.Automation, err error, lastAttempt bool) error {
	if errors.Is(err, activecampaign.ErrAuth) {
		return e.breakConnection(ctx, run, a.Trigger.ConnectionID, autocred.AppActiveCampaign, err)
	}
	if te, ok := throttled(err); ok {
		return e.waitThrottled(ctx, run, "ActiveCampaign", te) // before any Certifier call: the run is as it was
	}
	if denied := activecampaign.PermissionDenied(err); denied != "" {
		return e.permissionDenied(ctx, run, denied, lastAttempt)
	}
	return e.retryLater(ctx, run, autocred.RunCodeRetrying, err, lastAttempt)
}

// permissionDenied handles a contact read refused for a missing
// permission. The key works, so the connection stays; the run stays
// pending and its job retries with the usual backoff (at most 10 minutes
// apart, for about 9 hours), so that granting the permission issues it
// without anyone retrying by hand. Only then does it fail, and retrying
// it (or the automation's failed runs) after the grant issues it.
func (e *Engine) permissionDenied(ctx context.Context, run *autocred.Run, denied string, lastAttempt bool) error {
	if lastAttempt {
		return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodePermissionDenied, "Reading the contact was refused for hours. "+sentence(denied)+" Once it is granted, retry this run.")
	}
	return e.waitAndRetry(ctx, run, autocred.RunCodePermissionDenied, sentence(denied)+" autocred retries by itself (at most 10 minutes apart) until it is granted",
		errors.New(denied), false)
}

// breakConnection marks a connection broken (which stops its automations)
// because app refused its key (cause), and leaves the run pending for when
// the automation is resumed. The run and the connection say it in words
// (autocred.KeyRefused); the app's answer goes to the log.
func (e *Engine) breakConnection(ctx context.Context, run *autocred.Run, connID int64, app autocred.App, cause error) error {
	if err := e.save(ctx, run); err != nil {
		return err
	}
	reason := autocred.KeyRefused(app, "resume the automation")
	e.log.Warn("key refused: connection broken", "connection", connID, "run", run.ID, "err", cause)
	e.event(ctx, run, reason)
	return e.store.SetConnectionStatus(context.WithoutCancel(ctx), connID, autocred.ConnectionBroken, reason)
}

// retryLater records a passing failure, whose cause code the pending run
// carries; River retries the job with backoff. On the last attempt the run
// fails (RunCodeGaveUp), keeping its step, so that a retry by the user
// still reconciles first.
func (e *Engine) retryLater(ctx context.Context, run *autocred.Run, code autocred.RunErrorCode, err error, lastAttempt bool) error {
	return e.waitAndRetry(ctx, run, code, failureWords(err), err, lastAttempt)
}

// waitAndRetry is retryLater with the failure said in words (what): the
// run's message, and the line of its log that counts the same failure
// however often it repeats (waitEvent).
func (e *Engine) waitAndRetry(ctx context.Context, run *autocred.Run, code autocred.RunErrorCode, what string, err error, lastAttempt bool) error {
	what = strings.TrimRight(what, ".")
	if lastAttempt {
		return e.finish(ctx, run, autocred.RunFailed, autocred.RunCodeGaveUp, "Gave up after trying again for several hours: "+what+". Retry this run when the service is back.")
	}
	run.LastError, run.ErrorCode = what+".", code
	if err := e.save(ctx, run); err != nil {
		return err
	}
	e.waitEvent(ctx, run, what)
	return err
}
