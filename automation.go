package autocred

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AutomationStatus is where an automation is in its life.
type AutomationStatus string

// The automation statuses, named Automation… as the runs' are Run… and the
// connections' Connection…: an automation draft (saved, not watching) is
// not a run's RunDraft (its credential made as a draft in Certifier), nor
// Certifier's own credential status, certifier.StatusDraft.
const (
	AutomationDraft      AutomationStatus = "draft"      // saved, not watching
	AutomationBaselining AutomationStatus = "baselining" // taking the first snapshot; its members get nothing
	AutomationActive     AutomationStatus = "active"     // every new entry gets a credential
	AutomationPaused     AutomationStatus = "paused"     // stopped by a user, or by autocred for the StatusReason it gives (GroupMissing, Reconnected)
	AutomationBroken     AutomationStatus = "broken"     // stopped because a connection's key was refused
	// AutomationArchived: deleted by a user. It watches nothing and leaves the
	// lists; its runs stay readable until its history is deleted, and its
	// ledger stays, so restoring it issues nothing again.
	AutomationArchived AutomationStatus = "archived"
)

// Draft tells whether the automation was never activated: its segment
// can still change.
func (s AutomationStatus) Draft() bool { return s == AutomationDraft }

// Watching tells whether the automation reads its segment: it is active,
// or taking its baseline.
func (s AutomationStatus) Watching() bool { return s == AutomationActive || s == AutomationBaselining }

// Stopped tells whether the automation was stopped, by a user or by a
// refused key, and may be resumed.
func (s AutomationStatus) Stopped() bool { return s == AutomationPaused || s == AutomationBroken }

// Trigger is the watched segment.
type Trigger struct {
	ConnectionID int64  `json:"connection_id"`
	SegmentID    string `json:"segment_id"`
	SegmentName  string `json:"segment_name,omitempty"`
}

// Action is the credential to issue. The text fields are templates.
type Action struct {
	ConnectionID     int64             `json:"connection_id"`
	GroupID          string            `json:"group_id"`
	GroupName        string            `json:"group_name,omitempty"`
	RecipientName    string            `json:"recipient_name"`
	RecipientEmail   string            `json:"recipient_email"`
	IssueDate        string            `json:"issue_date"`
	ExpiryDate       string            `json:"expiry_date"`
	CustomAttributes map[string]string `json:"custom_attributes,omitempty"`
	// CustomAttributeNames are the names Certifier gives the mapped custom
	// attributes, by tag ("custom.course_name": "Course Name"), as they
	// were when the automation was saved: the labels the mapping form
	// shows, for the pages that show what a run sent. Filled by the save.
	CustomAttributeNames map[string]string `json:"custom_attribute_names,omitempty"`
	Issue                bool              `json:"issue"`
	Send                 bool              `json:"send"`
	// TimeZone is the IANA name of the zone in which {{today}}, date
	// offsets and datetime fields are taken ("America/Chicago"); empty is
	// the server's zone (LocalTimeZone).
	TimeZone string `json:"time_zone"`
}

// Progress counts work done of work known.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// FreshStart describes the last baseline an automation took when it was
// resumed with Start fresh (rule R5 applied again): when it was recorded,
// and how many of the contacts in the segment then (Automation's
// Baseline.Total, which leaves out those who entered while it was stopped)
// already had a credential from it, or one on its way (a run issued, sent
// unconfirmed, made a draft, or pending). The others got nothing.
type FreshStart struct {
	At       time.Time `json:"at"`
	Credited int       `json:"credited"`
}

// AutomationInput is what a user gives to create or change an automation
// (service.CreateAutomation, UpdateAutomation), as the REST API reads it
// from a request body and the web UI from its form. It is here, not in
// package service, so that the API's body decoding (internal/jsonbody) can
// fuzz into it without its test build depending on the store and its
// SQLite driver (scripts/test says what instrumenting those costs).
type AutomationInput struct {
	Name    string  `json:"name"`
	Trigger Trigger `json:"trigger"`
	Action  Action  `json:"action"`
	// PollInterval overrides the default sync interval ("5m"); empty uses it.
	PollInterval string `json:"poll_interval,omitempty"`
	// AllowDuplicate confirms that the automation may issue from the same
	// group to the same segment as another: every contact who enters then
	// gets two credentials. Without it, such a save is refused
	// (service's refuseTwin).
	AllowDuplicate bool `json:"allow_duplicate,omitempty"`
}

// Automation watches one segment and issues one credential per entry.
type Automation struct {
	ID      int64            `json:"id"`
	Name    string           `json:"name"`
	Status  AutomationStatus `json:"status"`
	Trigger Trigger          `json:"trigger"`
	Action  Action           `json:"action"`
	// PollInterval overrides the service's default sync interval; 0 uses it.
	PollInterval time.Duration `json:"-"`
	// StatusReason says why an automation is broken or paused by the system.
	StatusReason string    `json:"status_reason,omitempty"`
	Baseline     Progress  `json:"baseline"`
	LastSyncAt   time.Time `json:"last_sync_at,omitzero"`
	// NextSyncAt is when the segment is next due to be read.
	NextSyncAt time.Time `json:"-"`
	// LastSyncError says, in a sentence for the user, why the last sync
	// changed nothing: it failed, or its read was held back as wrong.
	// Empty after a sync that was applied.
	LastSyncError string `json:"last_sync_error,omitempty"`
	// LastSyncOKAt is when the last sync that read the segment without an
	// error started; zero before the first. LastSyncAt is the last one
	// tried, failed or not.
	LastSyncOKAt time.Time `json:"last_sync_ok_at,omitzero"`
	// SyncFailingSince is when the first of the syncs failing in a row
	// (LastSyncError) started; zero while the last sync worked.
	SyncFailingSince time.Time `json:"sync_failing_since,omitzero"`
	// SyncNotice is what users should know about how the segment is read
	// when nothing failed (e.g. a slower fallback way), or "".
	SyncNotice string `json:"sync_notice,omitempty"`
	// ArchivedAt is when a user deleted (archived) the automation; zero
	// when it is not archived.
	ArchivedAt time.Time `json:"archived_at,omitzero"`
	// HistoryDeleted says when the runs of an archived automation were
	// deleted, and how many; zero when they never were.
	HistoryDeleted HistoryDeletion `json:"history_deleted,omitzero"`
	// FreshStart is set once the automation was resumed with Start fresh
	// and its new baseline recorded: Baseline.Total then counts the
	// contacts in the segment at that moment, some of whom may have got
	// their credential before the pause. Nil while its only baseline is
	// the first one, whose contacts all got nothing.
	FreshStart *FreshStart `json:"fresh_start,omitempty"`
	// SnapshotSeq numbers the complete snapshots applied to the ledger.
	SnapshotSeq int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// groupMissingPrefix begins the reason of an automation paused because
// its group is gone; GroupMissing recognises it by it.
const groupMissingPrefix = "Paused: the group "

// GroupMissingReason is the status reason of an automation paused because
// its Certifier group was deleted: said once on the automation, not once
// per run, with what to do.
func GroupMissingReason(groupName string) string {
	return fmt.Sprintf("%s'%s' no longer exists in this workspace: choose another under Edit. Its runs wait and are issued once it has a group.", groupMissingPrefix, groupName)
}

// GroupMissing tells whether the automation was paused by autocred because
// its group is gone (GroupMissingReason): editing it to another group
// resumes it.
func (a Automation) GroupMissing() bool {
	return a.Status == AutomationPaused && strings.HasPrefix(a.StatusReason, groupMissingPrefix)
}

// Reconnected tells whether the automation was stopped by a refused key
// and its connections have been reconnected since: it is paused, and
// resuming it is what is left to do (ReconnectedReason).
func (a Automation) Reconnected() bool {
	return a.Status == AutomationPaused && a.StatusReason == ReconnectedReason
}

// StoppedByAutocred tells whether autocred stopped the automation, not a
// user: a refused key (broken, or reconnected since) or a deleted group.
// Resuming it catches up by default (ResumeCatchesUp).
func (a Automation) StoppedByAutocred() bool {
	return a.Status == AutomationBroken || a.Reconnected() || a.GroupMissing()
}

// ResumeCatchesUp is what resuming the automation does, unless the user
// says otherwise, with the contacts who entered its segment while it was
// stopped. When autocred stopped it (a refused key, a deleted group), they
// get their credentials: nobody chose to skip them, and an API error must
// never lose an entry (rule R9). When a user paused it, a new baseline is
// taken and they get nothing (design §3: catching up is then an explicit
// choice), as at activation.
func (a Automation) ResumeCatchesUp() bool { return a.StoppedByAutocred() }

// RetryBlocked says why no run of the automation can be retried now, or
// "" when they can: a retried run would wait, unworked, until the
// automation watches its segment again, so retrying is refused instead of
// accepted for nothing. It says what to do first, without repeating why
// the automation stopped (its page says that once).
func (a Automation) RetryBlocked() string {
	switch {
	case a.Status.Watching(), a.Status == AutomationDraft:
		// A draft has no runs of its own: runs come from the syncs of an
		// activated automation.
		return ""
	case a.Status == AutomationArchived:
		return "This automation is archived, so its runs cannot be retried and its pending runs wait: restore it (it comes back paused) to retry them or resume it."
	case a.GroupMissing():
		return "Runs are not retried while the automation waits for a group: once another group is chosen under Edit, the waiting runs are issued without a retry, and failed or skipped ones can be retried."
	case a.Status == AutomationBroken:
		return "Runs cannot be retried while the automation is stopped by a refused key: reconnect the connection, resume the automation, then retry them."
	}
	return "This automation is paused, so nothing would work a retried run: resume it first, then retry."
}

// HistoryDeletion records that an automation's runs were deleted: when,
// and how many. The ledger (who was in the segment, and how many times
// each entered) is kept.
type HistoryDeletion struct {
	At   time.Time `json:"at"`
	Runs int       `json:"runs"`
}

// RestoredStatus is the status an archived automation returns to when
// restored, given the status it had when archived: a draft stays a draft
// and a broken one stays broken (its key is still to be fixed); anything
// else comes back paused, so that it watches nothing until a user resumes
// it (and resuming takes a new baseline unless asked to catch up).
func RestoredStatus(archivedFrom AutomationStatus) AutomationStatus {
	switch archivedFrom {
	case AutomationDraft, AutomationBroken:
		return archivedFrom
	}
	return AutomationPaused
}

// Validate checks an automation before it is saved. It does not call the
// outside services: that the segment, group, attributes and fields exist is
// checked by the caller against the accounts. Every mistake is returned at
// once, joined in the form's order (Errors lists them), so that a form can
// show each beside its input; the Mapping holds the inputs that parsed
// (CheckMapping), whose custom fields the caller can still check.
func (a *Automation) Validate() (Mapping, error) {
	var errs []error
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		errs = append(errs, FieldErrorf("name", "is required, e.g. \"Course completion certificates\""))
	} else if utf8.RuneCountInString(a.Name) > 200 {
		errs = append(errs, FieldErrorf("name", "is longer than 200 characters"))
	}
	if a.Trigger.ConnectionID == 0 {
		errs = append(errs, FieldErrorf("trigger.connection_id", "is required: the ActiveCampaign connection to watch"))
	}
	if strings.TrimSpace(a.Trigger.SegmentID) == "" {
		errs = append(errs, FieldErrorf("trigger.segment_id", "is required: the segment whose new members get a credential"))
	}
	if a.Action.ConnectionID == 0 {
		errs = append(errs, FieldErrorf("action.connection_id", "is required: the Certifier connection that issues"))
	}
	if strings.TrimSpace(a.Action.GroupID) == "" {
		errs = append(errs, FieldErrorf("action.group_id", "is required: the Certifier group (credential template) to issue from"))
	}
	if a.Action.Send && !a.Action.Issue {
		errs = append(errs, FieldErrorf("action.send", "needs issue on: Certifier sends only issued credentials"))
	}
	if a.PollInterval != 0 && (a.PollInterval < 10*time.Second || a.PollInterval > 24*time.Hour) {
		errs = append(errs, FieldErrorf("poll_interval", "must be between 10s and 24h"))
	}
	m, err := CheckMapping(a.Action)
	return m, JoinErrors(append(errs, err)...)
}
