package autocred

import "time"

// RunStatus is where one entry's credential stands.
type RunStatus string

// The run statuses. Pending is the only one that is not final; a user may
// retry a failed or skipped run after fixing its cause.
const (
	RunPending RunStatus = "pending" // queued or in progress
	RunIssued  RunStatus = "issued"  // issued, and sent when the automation sends
	RunDraft   RunStatus = "draft"   // its credential created as a draft, as the automation asks (issue off)
	// RunSendUnconfirmed: issued, but the email's send got no answer.
	// autocred never sends twice; the user can resend from Certifier.
	RunSendUnconfirmed RunStatus = "send_unconfirmed"
	RunSkipped         RunStatus = "skipped" // nothing to issue to, e.g. no valid email (R7)
	RunFailed          RunStatus = "failed"  // Certifier refused; the error says why
)

// RunStatuses lists every run status, in the order a list shows them.
var RunStatuses = []RunStatus{RunPending, RunIssued, RunDraft, RunSendUnconfirmed, RunSkipped, RunFailed}

// Valid tells whether s is one of RunStatuses.
func (s RunStatus) Valid() bool {
	for _, v := range RunStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Final tells whether nothing more will happen to a run on its own.
func (s RunStatus) Final() bool { return s != RunPending }

// Retryable tells whether a user may retry a run of this status.
func (s RunStatus) Retryable() bool { return s == RunFailed || s == RunSkipped }

// Retryable tells whether a user may retry the run: a failed or skipped
// run, or a pending one waiting after a failed attempt (LastError says
// why), which a retry tries at once instead of at its next backoff.
func (r Run) Retryable() bool {
	return r.Status.Retryable() || r.Status == RunPending && r.LastError != ""
}

// Run is one entry of one contact into an automation's segment, and the
// credential it gets. (AutomationID, ContactID, Entry) is unique: that is
// what makes "exactly one credential per entry" hold.
type Run struct {
	ID           int64  `json:"id"`
	AutomationID int64  `json:"automation_id"`
	ContactID    int64  `json:"contact_id"`
	Entry        int    `json:"entry"`
	Email        string `json:"email"`
	// Contact is the contact as last read: at entry, then by each attempt
	// that rendered the credential (with the field values the mapping
	// uses), so that it is what the run sent.
	Contact      Contact   `json:"-"`
	Status       RunStatus `json:"status"`
	CredentialID string    `json:"credential_id,omitempty"`
	PublicLink   string    `json:"public_link,omitempty"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"error,omitempty"`
	// Step is the Certifier call in progress; with an unknown outcome it
	// tells what must be reconciled before anything is sent again.
	Step Step `json:"-"`
	// StepStartedAt is when the current step's call was made.
	StepStartedAt time.Time `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Step is the Certifier call a run made last and has not seen answered.
type Step string

// The steps. A run whose step is not StepNone was interrupted, or got no
// answer, and its next attempt reconciles before it calls again.
const (
	StepNone   Step = ""
	StepCreate Step = "create" // create or create-issue-send sent
	StepIssue  Step = "issue"
	StepSend   Step = "send"
)

// RunEvent is one line of a run's log: an attempt and its outcome.
type RunEvent struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}
