package autocred

import (
	"slices"
	"strings"
	"time"
)

// RunStatus is where one entry's credential stands.
type RunStatus string

// The run statuses. Pending is the only one that is not final; a user may
// retry a failed or skipped run after fixing its cause.
const (
	RunPending RunStatus = "pending" // queued or in progress
	RunIssued  RunStatus = "issued"  // issued, and sent when the automation sends
	RunDraft   RunStatus = "draft"   // its credential created as a draft, as the automation asks (issue off)
	// RunSendUnconfirmed: issued, but the email's send got no answer.
	// autocred never sends twice by itself; the user can resend it
	// (Resend email), which makes the run issued.
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
	ID           int64     `json:"id"`
	AutomationID int64     `json:"automation_id"`
	ContactID    ContactID `json:"contact_id"`
	Entry        int       `json:"entry"`
	Email        string    `json:"email"`
	// Contact is the contact as last read: at entry, then by each attempt
	// that rendered the credential (with the field values the mapping
	// uses), so that it is what the run sent.
	Contact      Contact   `json:"-"`
	Status       RunStatus `json:"status"`
	CredentialID string    `json:"credential_id,omitempty"`
	PublicLink   string    `json:"public_link,omitempty"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"error,omitempty"`
	// ErrorCode is LastError's cause for programs: set with it, cleared
	// with it.
	ErrorCode RunErrorCode `json:"error_code,omitempty"`
	// Step is the Certifier call in progress; with an unknown outcome it
	// tells what must be reconciled before anything is sent again.
	Step Step `json:"-"`
	// StepStartedAt is when the current step's call was made.
	StepStartedAt time.Time `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// NextAttemptAt is when a pending run that waits (a failed attempt,
	// an outage, a rate limit) is tried again by itself: its issue job's
	// time. Zero when nothing is scheduled. Not stored: read from the job
	// queue when the run is shown.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
}

// Waiting tells whether a pending run waits to be tried again by itself,
// after a failed attempt or through an outage or a rate limit: not a
// failure, and shown calmly, with when it goes on.
func (r Run) Waiting() bool {
	return r.Status == RunPending && (r.LastError != "" || !r.NextAttemptAt.IsZero())
}

// Resendable tells whether the credential's email can be sent again: the
// run holds an issued credential.
func (r Run) Resendable() bool {
	return r.CredentialID != "" && (r.Status == RunIssued || r.Status == RunSendUnconfirmed)
}

// RunErrorCode says for programs why a run failed or was skipped, or why a
// pending run waits, as Run.LastError says it for people: the runs list
// filters on it and alerts can count it. The status tells the two apart:
// a code of a final run says what to fix before retrying it; a code of a
// pending run says why it waits, and it goes on by itself.
type RunErrorCode string

// The run error codes. README's table of them says what each means and
// what to do; keep it in step.
const (
	RunCodeNone RunErrorCode = ""

	// Skipped: the contact gives nothing to issue to (R7). Fix the
	// contact in ActiveCampaign (or the mapping), then retry.
	RunCodeNoRecipientName RunErrorCode = "no_recipient_name" // the name mapping renders empty
	RunCodeInvalidEmail    RunErrorCode = "invalid_email"     // no email, or one that is not valid or cannot be cleaned safely
	RunCodeContactDeleted  RunErrorCode = "contact_deleted"   // deleted from ActiveCampaign before its credential was issued
	// RunCodeEnteredWhilePaused: the contact entered while the automation
	// was stopped (paused by a user, or stopped by autocred for a refused
	// key), and it was resumed with Start fresh, which issues them nothing
	// (design §3). The run is a trace, never issued by itself: a retry
	// issues their credential on purpose. The code keeps the word
	// "paused" (it is an API value); what users read says "stopped",
	// true whoever stopped it.
	RunCodeEnteredWhilePaused RunErrorCode = "entered_while_paused"

	// Failed before calling Certifier: what the mapping gives cannot be
	// sent. Fix the mapping (or the contact's field), then retry.
	RunCodeInvalidMapping RunErrorCode = "invalid_mapping" // the automation's mapping does not parse
	RunCodeInvalidDate    RunErrorCode = "invalid_date"    // a date mapping gives something not YYYY-MM-DD

	// Failed: Certifier refused the credential.
	RunCodeCertifierValidation RunErrorCode = "certifier_validation" // a value Certifier refuses (its message says which)
	RunCodeCertifierNotFound   RunErrorCode = "certifier_not_found"  // the group or the credential is gone

	// Pending while it lasts, failed when it lasts too long (the last
	// attempt, about 9 hours of backoff).
	RunCodeUnconfirmed      RunErrorCode = "unconfirmed"       // a create got no answer and no search for it answers
	RunCodePermissionDenied RunErrorCode = "permission_denied" // reading the contact is refused: the key's user lacks a permission

	// Pending: a passing failure, retried with backoff (RunCodeRetrying),
	// until it fails for good (RunCodeGaveUp).
	RunCodeRetrying RunErrorCode = "retrying"
	RunCodeGaveUp   RunErrorCode = "gave_up"

	// Pending: the Certifier connection's circuit is open (Circuit), by
	// its reason; no call is made and no attempt counted, and the run goes
	// on by itself when Certifier answers again.
	RunCodeWaitingOutage  RunErrorCode = "waiting_outage"  // Certifier fails or cannot be reached
	RunCodeWaitingPlan    RunErrorCode = "waiting_plan"    // 402: the workspace's plan does not allow issuing
	RunCodeWaitingVersion RunErrorCode = "waiting_version" // Certifier refuses autocred's API version

	// Pending: the automation's group was deleted in Certifier. The
	// automation is paused with a reason that says so (GroupMissingReason)
	// and its runs wait, without attempts, until the user picks another
	// group under Edit, which resumes it.
	RunCodeGroupMissing RunErrorCode = "group_missing"

	// RunCodeResendUnconfirmed: a send_unconfirmed run (the status stays)
	// whose own resend may have gone out: Certifier did not answer it,
	// or autocred stopped during it. Resend email to all leaves it out,
	// so that nobody gets a third copy; a resend from its run, once the
	// recipient says nothing came, sends it (and clears the code).
	RunCodeResendUnconfirmed RunErrorCode = "resend_unconfirmed"
)

// RunErrorCodes lists every run error code, in the order a filter shows
// them.
var RunErrorCodes = []RunErrorCode{
	RunCodeNoRecipientName, RunCodeInvalidEmail, RunCodeContactDeleted, RunCodeEnteredWhilePaused,
	RunCodeInvalidMapping, RunCodeInvalidDate,
	RunCodeCertifierValidation, RunCodeCertifierNotFound,
	RunCodeUnconfirmed, RunCodePermissionDenied, RunCodeRetrying, RunCodeGaveUp,
	RunCodeWaitingOutage, RunCodeWaitingPlan, RunCodeWaitingVersion, RunCodeGroupMissing,
	RunCodeResendUnconfirmed,
}

// runErrorLabels name the codes for people: the Error code filter lists
// them, and a code shown beside a run says it on hover.
var runErrorLabels = map[RunErrorCode]string{
	RunCodeNoRecipientName:     "No recipient name",
	RunCodeInvalidEmail:        "No valid email",
	RunCodeContactDeleted:      "Contact deleted in ActiveCampaign",
	RunCodeInvalidMapping:      "Mapping cannot be read",
	RunCodeInvalidDate:         "Date not in YYYY-MM-DD form",
	RunCodeCertifierValidation: "Certifier refused a value",
	RunCodeCertifierNotFound:   "Group or credential gone from Certifier",
	RunCodeUnconfirmed:         "Credential not confirmed by Certifier",
	RunCodePermissionDenied:    "ActiveCampaign permission missing",
	RunCodeRetrying:            "Retrying after a failed attempt",
	RunCodeGaveUp:              "Gave up after many attempts",
	RunCodeWaitingOutage:       "Waiting: Certifier not answering",
	RunCodeWaitingPlan:         "Waiting: Certifier plan does not issue",
	RunCodeWaitingVersion:      "Waiting: autocred needs an update",
	RunCodeGroupMissing:        "Group deleted in Certifier",
	RunCodeEnteredWhilePaused:  "Entered while stopped (Start fresh)",
	RunCodeResendUnconfirmed:   "Resend may have gone out",
}

// Label names the code for people: "Retrying after a failed attempt" for
// retrying. A code it does not know is its own label.
func (c RunErrorCode) Label() string {
	if l, ok := runErrorLabels[c]; ok {
		return l
	}
	return string(c)
}

// EnteredWhilePausedReason is the error of a run skipped because its
// contact entered while the automation was stopped, by a user's pause or
// by autocred (RunCodeEnteredWhilePaused): "stopped" is true of both.
const EnteredWhilePausedReason = "Entered while the automation was stopped; it was resumed with Start fresh, so no credential was issued. Retry issues one."

// Valid tells whether c is one of RunErrorCodes.
func (c RunErrorCode) Valid() bool { return slices.Contains(RunErrorCodes, c) }

// WaitingCode is the code of a run that waits for a circuit open for this
// reason.
func (r CircuitReason) WaitingCode() RunErrorCode {
	switch r {
	case CircuitPlan:
		return RunCodeWaitingPlan
	case CircuitVersion:
		return RunCodeWaitingVersion
	}
	return RunCodeWaitingOutage
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

// Call names a run's create call as its log and the API record it
// (SentCredential.Call, "call"). Both are StepCreate while unanswered; the
// engine's create steps go by these names.
type Call string

const (
	CallCreate          Call = "create"            // POST /credentials: a draft, issued and sent by later calls
	CallCreateIssueSend Call = "create-issue-send" // POST /credentials/create-issue-send: created, issued and emailed at once
)

// RunEvent is one line of a run's log: an attempt and its outcome, a wait,
// or what a user asked for (a retry, a resend) and who asked.
type RunEvent struct {
	// ID is the line's id in the store (0 for a line not yet written):
	// a repeated wait rewrites its line (WaitLine) instead of adding one.
	ID      int64     `json:"-"`
	At      time.Time `json:"at"`
	Message string    `json:"message"`
	// Sent is what a create call sent, on its line (DescribeEvents).
	Sent *SentCredential `json:"sent,omitempty"`
}

// RunFilter selects runs, a page at a time, as the runs lists, the API
// and the CSV export ask for them: an automation's, or every
// automation's (the search for a person across automations).
type RunFilter struct {
	AutomationID int64        // zero: every automation's runs
	Status       RunStatus    // empty: all
	ErrorCode    RunErrorCode // empty: all
	// Contact matches a contact id exactly, or else is taken word by word
	// (SearchWords), each word part of a name or of the email, in any
	// order, ignoring case ("ada", "Lovelace", "Lovelace Ada",
	// "@example.com").
	Contact string
	// EnteredFrom and EnteredBefore bound when the contact entered (the
	// run's CreatedAt): from inclusive, before exclusive; zero: no bound.
	EnteredFrom, EnteredBefore time.Time
	// After is the cursor: runs with a smaller id than this come next.
	After int64
	// Before is the cursor back, for a list paged with After: the page
	// is the runs just newer than this (larger ids), still newest first.
	// Used when After is zero.
	Before int64
	Limit  int // default 50, at most 500
}

// Name is the contact's name as the run read it, "First Last", or "" when
// the contact has none, cleaned as a mapping cleans a recipient name
// (CleanName): a name with a line break or a control in ActiveCampaign
// reached Certifier as "Line Break", and the runs list and the run's page
// show it so, not raw (issue 15).
func (r Run) Name() string {
	first, last := r.FirstName(), r.LastName()
	return strings.TrimSpace(first + " " + last)
}

// FirstName and LastName are the contact's names as the run read them,
// cleaned as Name is (the CSV export's columns).
func (r Run) FirstName() string { n, _ := CleanName(r.Contact.FirstName); return n }

func (r Run) LastName() string { n, _ := CleanName(r.Contact.LastName); return n }

// SearchText is what the runs search matches a name or an email against:
// the contact's names and email, lower-cased (Unicode-aware, so that
// "Élodie" is found as "élodie", which SQLite's lower() would miss), one
// space apart. The store keeps it in a column beside the run.
func (r Run) SearchText() string {
	return strings.ToLower(strings.Join(strings.Fields(r.Name()+" "+r.Email), " "))
}
