package autocred

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
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
	AutomationPaused     AutomationStatus = "paused"     // stopped by a user
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
	Issue            bool              `json:"issue"`
	Send             bool              `json:"send"`
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
	// SyncNotice is what users should know about how the segment is read
	// when nothing failed (e.g. a slower fallback way), or "".
	SyncNotice string `json:"sync_notice,omitempty"`
	// ArchivedAt is when a user deleted (archived) the automation; zero
	// when it is not archived.
	ArchivedAt time.Time `json:"archived_at,omitzero"`
	// HistoryDeleted says when the runs of an archived automation were
	// deleted, and how many; zero when they never were.
	HistoryDeleted HistoryDeletion `json:"history_deleted,omitzero"`
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

// Watching tells whether the automation reads its segment.
func (a *Automation) Watching() bool {
	return a.Status == AutomationBaselining || a.Status == AutomationActive
}

// Mapping is an action's templates, parsed.
type Mapping struct {
	// inputs are the parsed inputs, in the form's order (see Inputs).
	inputs []Input
	// TimeZone is the IANA name of the zone the templates render in:
	// the action's, or the server's when the action names none.
	TimeZone string
}

// Fields lists the custom fields the mapping uses.
func (m Mapping) Fields() []string {
	var out []string
	for _, in := range m.Inputs() {
		out = append(out, in.Template.Fields()...)
	}
	return out
}

// The inputs every action maps, by the names errors give them; inputDefs
// (inputs.go) describes each.
const (
	InputRecipientName  = "action.recipient_name"
	InputRecipientEmail = "action.recipient_email"
	InputIssueDate      = "action.issue_date"
	InputExpiryDate     = "action.expiry_date"
)

// inputKind is what an input must give for a run to send it.
type inputKind int

const (
	inputText  inputKind = iota // anything, empty included (a custom attribute)
	inputName                   // a name: empty skips the run (R7)
	inputEmail                  // a valid email: otherwise the run is skipped (R7)
	inputDate                   // empty or YYYY-MM-DD: otherwise Certifier refuses it and the run fails
)

// Input is one input of an action's mapping: the name errors give it
// ("action.expiry_date", "action.custom_attributes.custom.course") and
// its template; Err, from ParseInputs, is why the input is refused.
type Input struct {
	Field    string
	Template Template
	Err      error
	kind     inputKind
}

// Inputs lists the mapping's inputs in the form's order: those of
// InputDefs (recipient name, recipient email, issue date, expiry date),
// then the custom attributes by tag.
func (m Mapping) Inputs() []Input { return slices.Clone(m.inputs) }

const attributePrefix = "action.custom_attributes."

// maxCustomAttributes bounds the attributes one automation maps.
const maxCustomAttributes = 50

// actionInputs lists an action's inputs, unparsed, in the form's order.
func actionInputs(a Action) []Input {
	out := make([]Input, 0, len(inputDefs)+len(a.CustomAttributes))
	for _, d := range inputDefs {
		out = append(out, Input{Field: d.Field, Template: Template{src: d.Get(a)}, kind: d.kind})
	}
	for _, tag := range slices.Sorted(maps.Keys(a.CustomAttributes)) {
		out = append(out, Input{Field: attributePrefix + tag, Template: Template{src: a.CustomAttributes[tag]}})
	}
	return out
}

// parse parses one input as a save would: required inputs present, every
// token known, a date input that can be a date, an attribute named by its
// custom.* tag.
func (in Input) parse(loc *time.Location) (Template, error) {
	src := in.Template.src
	if d, ok := InputDefFor(in.Field); ok && d.Required && strings.TrimSpace(src) == "" {
		return Template{}, FieldErrorf(in.Field, "is required, e.g. %s", d.Default)
	}
	if in.kind == inputText {
		tag := strings.TrimPrefix(in.Field, attributePrefix)
		if !strings.HasPrefix(tag, "custom.") || len(tag) == len("custom.") {
			return Template{}, FieldErrorf(in.Field, "is not an attribute tag: Certifier's custom attributes are named custom.<tag>, e.g. custom.course_name")
		}
	}
	t, err := ParseTemplate(in.Field, src)
	if err != nil {
		return Template{}, err
	}
	t.loc = loc
	if in.kind == inputDate {
		t.date = true
		if err := t.ValidateDate(in.Field); err != nil {
			return Template{}, err
		}
	}
	return t, nil
}

// ParseInputs parses each input of an action on its own, as ParseMapping
// does, so that a preview can show every input's own problem at once where
// a save gives the first. Each Input has its Template or its Err. The
// time zone comes first: its name, or the error of an unknown one (the
// inputs are then rendered in UTC).
func ParseInputs(a Action) (inputs []Input, zone string, zoneErr error) {
	zone, loc, zoneErr := LoadTimeZone("action.time_zone", a.TimeZone)
	inputs = actionInputs(a)
	for i := range inputs {
		inputs[i].Template, inputs[i].Err = inputs[i].parse(loc)
	}
	return inputs, zone, zoneErr
}

// ParseMapping parses and checks an action's templates: every token known,
// dates that can be dates, a recipient, custom attributes named by their
// custom.* tag. The error is the first input's, in the form's order.
func ParseMapping(a Action) (Mapping, error) {
	var m Mapping
	if len(a.CustomAttributes) > maxCustomAttributes {
		return m, FieldErrorf("action.custom_attributes", "maps %d attributes; the most is %d", len(a.CustomAttributes), maxCustomAttributes)
	}
	zone, loc, err := LoadTimeZone("action.time_zone", a.TimeZone)
	if err != nil {
		return m, err
	}
	m.TimeZone = zone
	m.inputs = actionInputs(a)
	for i := range m.inputs {
		if m.inputs[i].Template, err = m.inputs[i].parse(loc); err != nil {
			return Mapping{}, err
		}
	}
	return m, nil
}

// Warning is something a user should know about an input that is not
// refused: a text field mapped to a date may not hold a date.
type Warning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// CheckFields checks the custom fields the mapping uses against the
// account's definitions (GET /fields): each must exist, and a date input's
// field must be able to give a date. A list field (checkbox, multiselect,
// listbox) in a date input never can and is refused; a text or one-option
// field may and is allowed with a warning.
func (m Mapping) CheckFields(defs []FieldDef) ([]Warning, error) {
	var warnings []Warning
	for _, in := range m.Inputs() {
		w, err := in.CheckFields(defs)
		if err != nil {
			return nil, err
		}
		if w != "" {
			warnings = append(warnings, Warning{Field: in.Field, Message: w})
		}
	}
	return warnings, nil
}

// CheckFields is Mapping.CheckFields for one input.
func (in Input) CheckFields(defs []FieldDef) (warning string, err error) {
	if in.Err != nil {
		return "", nil
	}
	return in.Template.checkFieldType(in.Field, defs)
}

// Value is what a run would send for one input, or why it would not. It
// is the one rendering of an input: the engine builds the credential from
// it and the preview shows it, so that the preview tells the truth.
type Value struct {
	Field string `json:"field"`
	// Value is the input rendered for the contact, as sent: cleaned of
	// hidden and control characters (clean.go) and trimmed; an empty
	// custom attribute is not sent.
	Value string `json:"value"`
	// Notes say what was removed from the value, one sentence each, for
	// the run's log ("Removed a zero width space (U+200B) at the end of
	// the email. …").
	Notes []string `json:"notes,omitempty"`
	// Problem says why a run would be skipped or would fail with this
	// value, as the preview puts it; "" when it would be sent.
	Problem string `json:"problem,omitempty"`
	// Stops is the outcome a run gets from this value, RunSkipped or
	// RunFailed; "" when the value is sent. Reason is the run's message
	// for it: what is wrong and what to fix; Code is its cause.
	Stops  RunStatus    `json:"-"`
	Reason string       `json:"-"`
	Code   RunErrorCode `json:"-"`
}

// Tag is a custom attribute input's attribute tag ("custom.course");
// empty for the other inputs.
func (in Input) Tag() string {
	if in.kind != inputText {
		return ""
	}
	return strings.TrimPrefix(in.Field, attributePrefix)
}

// Value renders the input for one contact as a run does and says what a
// run would do with it: a name that is empty or an email that is not
// valid skips the run (R7), a date that is not YYYY-MM-DD fails it
// (Certifier refuses it, docs/api-notes/certifier.md §3.2).
func (in Input) Value(d RenderData) Value {
	v := Value{Field: in.Field}
	if in.Err != nil {
		v.Problem = ErrorMessage(in.Err)
		v.Stops, v.Code, v.Reason = RunFailed, RunCodeInvalidMapping, "The automation's mapping is invalid: "+v.Problem+" Edit the automation, then retry this run."
		return v
	}
	raw := in.Template.Render(d)
	var removed []Removal
	switch in.kind {
	case inputName:
		v.Value, removed = CleanName(raw)
		if v.Value == "" {
			v.Problem = "Gives an empty name for this contact: the run would be skipped."
			v.Stops, v.Code, v.Reason = RunSkipped, RunCodeNoRecipientName, "Skipped: the recipient name mapping gives an empty name for this contact."
			if len(removed) > 0 {
				v.Reason = "Skipped: the recipient name mapping gives an empty name for this contact once hidden and control characters are removed (" + ListRemovals(removed) + ")."
			}
			v.Reason += " Fill the contact's name in ActiveCampaign, or change the mapping, then retry this run."
			return v
		}
		v.note(DescribeRemovals("the recipient name", removed))
	case inputEmail:
		email, removed, err := CleanEmail(raw)
		if err != nil {
			v.Value = strings.TrimSpace(raw)
			v.Problem = "This contact would be skipped: " + err.Error() + "."
			v.Stops, v.Code, v.Reason = RunSkipped, RunCodeInvalidEmail, "Skipped: "+err.Error()+". Fix the contact's email in ActiveCampaign, then retry this run."
			return v
		}
		v.Value = email
		if n := DescribeRemovals("the email", slices.DeleteFunc(removed, func(r Removal) bool { return !r.Hidden() })); n != "" {
			v.note(n + " The credential goes to " + email + ".")
		}
	case inputDate:
		v.Value, removed = CleanText(raw)
		v.note(DescribeRemovals("the "+dateLabel(in.Field), removed))
		if v.Value != "" && !IsDate(v.Value) {
			v.Problem = fmt.Sprintf("Gives %q for this contact, and Certifier takes only YYYY-MM-DD dates: the run would fail.", v.Value)
			v.Stops, v.Code, v.Reason = RunFailed, RunCodeInvalidDate, fmt.Sprintf("The %s mapping gives %q for this contact, and Certifier takes only YYYY-MM-DD dates. Fix the contact's field or the mapping, then retry this run.", dateLabel(in.Field), v.Value)
		}
	default:
		v.Value, removed = CleanText(raw)
		v.note(DescribeRemovals("the attribute "+in.Tag(), removed))
	}
	return v
}

func (v *Value) note(n string) {
	if n != "" {
		v.Notes = append(v.Notes, n)
	}
}

// dateLabel names a date input in a sentence: "issue date".
func dateLabel(field string) string {
	d, _ := InputDefFor(field)
	return strings.ToLower(d.Label)
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
