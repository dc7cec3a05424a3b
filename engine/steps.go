package engine

import (
	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// The Certifier steps of a run. What a run does next is decided by next
// from what it knows, and nothing else; the issue loop (issue.go) makes
// the call and learns its answer, then asks again. Every call that
// changes something is recorded (run.Step) before it is made, so that
// after a crash or a lost answer the next attempt knows what may have
// happened:
//
//   - a create of unknown outcome is reconciled (a search) before another
//     create, and only a search that answers and finds nothing allows one;
//   - an issue is safe to repeat (Certifier issues only drafts);
//   - a send of unknown outcome is never repeated: an email is never sent
//     twice.

// stepKind is what a run does next. It is the engine's own vocabulary,
// wider than what a run stores: of the seven, the four that change
// something at Certifier record an autocred.Step while unanswered (both
// create steps record StepCreate); reconcile, read and finish record none.
// The two create steps are named as the run's log names their call
// (autocred.Call).
type stepKind int

const (
	stepReconcile       stepKind = iota // search for what a lost create made
	stepCreate                          // POST /credentials: a draft
	stepCreateIssueSend                 // POST /credentials/create-issue-send
	stepRead                            // GET /credentials/{id}: where the run's credential stands
	stepIssue                           // POST /credentials/{id}/issue
	stepSend                            // POST /credentials/{id}/send
	stepFinish                          // the run's outcome is known
)

var stepNames = [...]string{"reconcile", string(autocred.CallCreate), string(autocred.CallCreateIssueSend), "read", "issue", "send", "finish"}

func (k stepKind) String() string { return stepNames[k] }

// progress is what a run knows about its credential during one execution.
type progress struct {
	// step and credID are the run's own (run.Step, run.CredentialID): the
	// call made last and not seen answered, and the credential it holds.
	step   autocred.Step
	credID string
	// cred is the credential as Certifier last answered in this
	// execution; nil until then.
	cred *certifier.Credential
	// searched: the reconcile search answered in this execution.
	// adopted: it found a credential that a lost create made.
	searched, adopted bool
	// created: create-issue-send answered, so the credential is issued
	// and sent. issued, sent: this execution's issue and send answered.
	created, issued, sent bool
	// mark is what the run knew before the step being taken began its
	// call; nil for a step that changes nothing.
	mark *stepMark
	// lost is what a create of unknown outcome sent (its recipient, as
	// the attempt had it), which the reconcile looks for; the contact may
	// have changed since. nil: the run's credential as rendered now.
	lost *certifier.NewCredential
}

// decision is the next step, and for stepFinish the run's outcome.
type decision struct {
	kind    stepKind
	status  autocred.RunStatus
	message string // the run's event; empty for a plain outcome
}

// The outcomes whose email is not confirmed; each says what to do.
const (
	msgLostOneCall = "Issued. The email was probably sent by Certifier, but its answer was lost; if the recipient did not get it, use Resend email on this run."
	msgOneCallSent = "Issued by create-issue-send, which emails it; autocred does not send it again by itself. Use Resend email on this run if the recipient did not get it."
	msgSendNoReply = "Issued. Sending its email got no answer, so it may not have gone out; autocred never sends twice by itself. Use Resend email on this run if the recipient did not get it."
)

// next decides a run's next step from what it knows and what the
// automation asks for (issue, send). It is the whole step table: each
// step's answer changes p so that next moves on.
func next(p progress, act autocred.Action) decision {
	oneCall := act.Issue && act.Send
	switch {
	case p.credID == "" && p.step == autocred.StepCreate && !p.searched:
		// A create was sent and its answer never seen.
		return decision{kind: stepReconcile}
	case p.credID == "" && oneCall:
		return decision{kind: stepCreateIssueSend}
	case p.credID == "":
		return decision{kind: stepCreate}
	case p.created:
		return decision{kind: stepFinish, status: autocred.RunIssued}
	case p.cred == nil:
		// Resumed with a credential: learn where it stands.
		return decision{kind: stepRead}
	case p.adopted && !p.issued && oneCall && p.cred.Status != certifier.StatusDraft:
		// Found issued: the lost create was create-issue-send, which
		// issued it, and its email may have left. (Found as a draft, it
		// is issued and sent here.)
		return decision{kind: stepFinish, status: autocred.RunSendUnconfirmed, message: msgLostOneCall}
	case act.Issue && p.cred.Status == certifier.StatusDraft:
		return decision{kind: stepIssue}
	case !act.Issue:
		return decision{kind: stepFinish, status: autocred.RunDraft}
	case !act.Send || p.sent:
		return decision{kind: stepFinish, status: autocred.RunIssued}
	case p.step == autocred.StepNone && !p.issued:
		// Issued, and not by an issue step of this run: create-issue-send
		// made it, and it sends.
		return decision{kind: stepFinish, status: autocred.RunSendUnconfirmed, message: msgOneCallSent}
	case p.step == autocred.StepSend:
		// A send was made and its answer never seen.
		return decision{kind: stepFinish, status: autocred.RunSendUnconfirmed, message: msgSendNoReply}
	}
	return decision{kind: stepSend}
}
