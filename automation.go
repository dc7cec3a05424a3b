package autocred

import (
	"strings"
	"time"
)

// AutomationStatus is where an automation is in its life.
type AutomationStatus string

// The automation statuses.
const (
	StatusDraft      AutomationStatus = "draft"      // saved, not watching
	StatusBaselining AutomationStatus = "baselining" // taking the first snapshot; its members get nothing
	StatusActive     AutomationStatus = "active"     // every new entry gets a credential
	StatusPaused     AutomationStatus = "paused"     // stopped by a user
	StatusBroken     AutomationStatus = "broken"     // stopped because a connection's key was refused
)

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
	Issue            bool              `json:"issue"`
	Send             bool              `json:"send"`
}

// Progress counts work done of work known.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
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
	// LastSyncError says, in a sentence for the user, why the last sync
	// changed nothing: it failed, or its read was held back as wrong.
	// Empty after a sync that was applied.
	LastSyncError string `json:"last_sync_error,omitempty"`
	// SyncNotice is what users should know about how the segment is read
	// when nothing failed (e.g. a slower fallback way), or "".
	SyncNotice string `json:"sync_notice,omitempty"`
	// SnapshotSeq numbers the complete snapshots applied to the ledger.
	SnapshotSeq int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Watching tells whether the automation reads its segment.
func (a *Automation) Watching() bool {
	return a.Status == StatusBaselining || a.Status == StatusActive
}

// Mapping is an action's templates, parsed.
type Mapping struct {
	RecipientName    Template
	RecipientEmail   Template
	IssueDate        Template
	ExpiryDate       Template
	CustomAttributes map[string]Template
}

// Fields lists the custom fields the mapping uses.
func (m Mapping) Fields() []string {
	var out []string
	for _, t := range m.all() {
		out = append(out, t.Fields()...)
	}
	return out
}

func (m Mapping) all() []Template {
	out := []Template{m.RecipientName, m.RecipientEmail, m.IssueDate, m.ExpiryDate}
	for _, t := range m.CustomAttributes {
		out = append(out, t)
	}
	return out
}

// maxCustomAttributes bounds the attributes one automation maps.
const maxCustomAttributes = 50

// ParseMapping parses and checks an action's templates: every token known,
// dates that can be dates, a recipient, custom attributes named by their
// custom.* tag.
func ParseMapping(a Action) (Mapping, error) {
	var m Mapping
	var err error
	if strings.TrimSpace(a.RecipientName) == "" {
		return m, FieldErrorf("action.recipient_name", "is required, e.g. {{contact.firstName}} {{contact.lastName}}")
	}
	if m.RecipientName, err = ParseTemplate("action.recipient_name", a.RecipientName); err != nil {
		return m, err
	}
	if strings.TrimSpace(a.RecipientEmail) == "" {
		return m, FieldErrorf("action.recipient_email", "is required, usually {{contact.email}}")
	}
	if m.RecipientEmail, err = ParseTemplate("action.recipient_email", a.RecipientEmail); err != nil {
		return m, err
	}
	if m.IssueDate, err = ParseTemplate("action.issue_date", a.IssueDate); err != nil {
		return m, err
	}
	if err := m.IssueDate.ValidateDate("action.issue_date"); err != nil {
		return m, err
	}
	if m.ExpiryDate, err = ParseTemplate("action.expiry_date", a.ExpiryDate); err != nil {
		return m, err
	}
	if err := m.ExpiryDate.ValidateDate("action.expiry_date"); err != nil {
		return m, err
	}
	if len(a.CustomAttributes) > maxCustomAttributes {
		return m, FieldErrorf("action.custom_attributes", "maps %d attributes; the most is %d", len(a.CustomAttributes), maxCustomAttributes)
	}
	m.CustomAttributes = make(map[string]Template, len(a.CustomAttributes))
	for tag, src := range a.CustomAttributes {
		field := "action.custom_attributes." + tag
		if !strings.HasPrefix(tag, "custom.") || len(tag) == len("custom.") {
			return m, FieldErrorf(field, "is not an attribute tag: Certifier's custom attributes are named custom.<tag>, e.g. custom.course_name")
		}
		if m.CustomAttributes[tag], err = ParseTemplate(field, src); err != nil {
			return m, err
		}
	}
	return m, nil
}

// Validate checks an automation before it is saved. It does not call the
// outside services: that the segment, group, attributes and fields exist is
// checked by the caller against the accounts.
func (a *Automation) Validate() (Mapping, error) {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		return Mapping{}, FieldErrorf("name", "is required, e.g. \"Course completion certificates\"")
	}
	if len(a.Name) > 200 {
		return Mapping{}, FieldErrorf("name", "is longer than 200 characters")
	}
	if a.Trigger.ConnectionID == 0 {
		return Mapping{}, FieldErrorf("trigger.connection_id", "is required: the ActiveCampaign connection to watch")
	}
	if strings.TrimSpace(a.Trigger.SegmentID) == "" {
		return Mapping{}, FieldErrorf("trigger.segment_id", "is required: the segment whose new members get a credential")
	}
	if a.Action.ConnectionID == 0 {
		return Mapping{}, FieldErrorf("action.connection_id", "is required: the Certifier connection that issues")
	}
	if strings.TrimSpace(a.Action.GroupID) == "" {
		return Mapping{}, FieldErrorf("action.group_id", "is required: the Certifier group (credential template) to issue from")
	}
	if a.Action.Send && !a.Action.Issue {
		return Mapping{}, FieldErrorf("action.send", "needs issue on: Certifier sends only issued credentials")
	}
	if a.PollInterval != 0 && (a.PollInterval < 10*time.Second || a.PollInterval > 24*time.Hour) {
		return Mapping{}, FieldErrorf("poll_interval", "must be between 10s and 24h")
	}
	return ParseMapping(a.Action)
}
