package engine

import (
	"errors"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// verdict is a run's outcome decided before any Certifier call: the status
// (skipped or failed), its cause's code, and the sentence the user reads,
// which says what to fix.
type verdict struct {
	status  autocred.RunStatus
	code    autocred.RunErrorCode
	message string
}

// credentialFor renders the credential a run asks Certifier for, from the
// contact (with the field values the mapping uses) and the automation's
// mapping; today is the instant whose date, in the automation's time zone,
// {{today}} gives. Each input is rendered by autocred.Input.Value, as the
// preview shows it: cleaned of hidden and control characters (clean.go),
// by its field's type and time zone. notes says, one sentence a value,
// what was removed, for the run's log. The recipient's email is rendered
// even when a verdict is given, so that the run shows what it was.
//
// The verdict is non-nil when no credential can be made, from the first
// input that stops the run: skipped when the contact lacks what a
// credential needs (a name, a valid email: R7), or its email has a
// character that cannot be removed safely; failed when the mapping gives a
// value Certifier refuses (a date that is not YYYY-MM-DD, spec §3.2).
func credentialFor(c autocred.Contact, a autocred.Automation, m autocred.Mapping, today time.Time) (nc certifier.NewCredential, notes []string, v *verdict) {
	data := autocred.RenderData{Contact: c, Segment: a.Trigger.SegmentName, Automation: a.Name, Today: today}
	nc = certifier.NewCredential{GroupID: a.Action.GroupID}
	for _, in := range m.Inputs() {
		val := in.Value(data)
		notes = append(notes, val.Notes...)
		if val.Stops != "" && v == nil {
			v = &verdict{val.Stops, val.Code, val.Reason}
		}
		// Each input fills the Certifier field its row of
		// autocred.InputDefs names (TestCredentialForFillsCertifierFields).
		switch tag := in.Tag(); {
		case in.Field == autocred.InputRecipientName:
			nc.Recipient.Name = val.Value
		case in.Field == autocred.InputRecipientEmail:
			nc.Recipient.Email = val.Value
		case in.Field == autocred.InputIssueDate:
			nc.IssueDate = val.Value
		case in.Field == autocred.InputExpiryDate:
			nc.ExpiryDate = val.Value
		case tag != "" && val.Value != "":
			if nc.CustomAttributes == nil {
				nc.CustomAttributes = map[string]string{}
			}
			nc.CustomAttributes[tag] = val.Value
		}
	}
	return nc, notes, v
}

// sentCredential is what a create call of the run's attempt sends, for the
// run's log (autocred.SentCredential). k is stepCreate or
// stepCreateIssueSend, whose names are autocred's Call names (stepNames).
func sentCredential(nc certifier.NewCredential, attempt int, k stepKind) autocred.SentCredential {
	return autocred.SentCredential{Attempt: attempt, Call: autocred.Call(k.String()), GroupID: nc.GroupID,
		RecipientName: nc.Recipient.Name, RecipientEmail: nc.Recipient.Email,
		IssueDate: nc.IssueDate, ExpiryDate: nc.ExpiryDate, CustomAttributes: nc.CustomAttributes}
}

// notAnAttempt tells whether a step's call failed without Certifier
// processing it for this run: held back by the circuit, answered 429, or
// refused for the whole workspace (plan, API version). Such a call is no
// attempt (stepFailed puts the run back as it was), and sent nothing.
func notAnAttempt(err error) bool {
	var open *CircuitOpenError
	_, limited := throttled(err)
	return errors.As(err, &open) || limited || errors.Is(err, certifier.ErrRateLimited) || errors.Is(err, certifier.ErrNotSent) ||
		errors.Is(err, certifier.ErrPlan) || errors.Is(err, certifier.ErrVersion)
}
