package autocred

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

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
// does, so that a preview and a save can show every input's own problem at
// once. Each Input has its Template or its Err. The time zone comes first:
// its name, or the error of an unknown one (the inputs are then rendered
// in UTC).
//
// It also refuses what a run would send as typed though the user surely
// meant something else: an ActiveCampaign personalization tag
// (personalizationTag). ParseMapping, which runs read a saved mapping
// with, does not: a mapping saved before this check keeps working.
func ParseInputs(a Action) (inputs []Input, zone string, zoneErr error) {
	zone, loc, zoneErr := LoadTimeZone("action.time_zone", a.TimeZone)
	inputs = actionInputs(a)
	for i := range inputs {
		in := &inputs[i]
		src := in.Template.src
		if in.Template, in.Err = in.parse(loc); in.Err == nil {
			if in.Err = personalizationTag(in.Field, src); in.Err != nil {
				in.Template = Template{src: src}
			}
		}
	}
	return inputs, zone, zoneErr
}

// CheckMapping is ParseMapping as a save checks a mapping: every input's
// own mistake at once, joined in the form's order (Errors lists them),
// with what ParseInputs refuses besides. The Mapping holds the inputs, each
// with its Template or its Err, so that the custom fields of those that
// parsed can still be checked against the account (CheckFields skips the
// others).
func CheckMapping(a Action) (Mapping, error) {
	var errs []error
	if len(a.CustomAttributes) > maxCustomAttributes {
		errs = append(errs, FieldErrorf("action.custom_attributes", "maps %d attributes; the most is %d", len(a.CustomAttributes), maxCustomAttributes))
	}
	inputs, zone, zoneErr := ParseInputs(a)
	errs = append(errs, zoneErr)
	for _, in := range inputs {
		errs = append(errs, in.Err)
	}
	return Mapping{inputs: inputs, TimeZone: zone}, JoinErrors(errs...)
}

// personalizationTagRE matches an ActiveCampaign personalization tag:
// %FIRSTNAME%, %CONTACT.NOPE%, a custom field's %COURSE_NAME%. A percent
// sign in prose ("100% online", "10%-20%") does not match: a tag starts
// with a letter right after the % and has no space.
var personalizationTagRE = regexp.MustCompile(`%[A-Za-z][A-Za-z0-9_.-]*%`)

// standardTags are ActiveCampaign's personalization tags of a contact's
// own details, with the token that gives the same value here.
var standardTags = map[string]string{
	"FIRSTNAME": "contact.firstName", "LASTNAME": "contact.lastName", "FULLNAME": "contact.firstName}} {{contact.lastName",
	"EMAIL": "contact.email", "PHONE": "contact.phone", "SUBSCRIBERID": "contact.id", "CONTACTID": "contact.id",
}

// personalizationTag refuses an ActiveCampaign personalization tag typed
// into an input: ActiveCampaign's own emails fill %FIRSTNAME%, but here a
// credential would carry "%FIRSTNAME%" as typed, to every recipient. The
// message gives the token to write instead.
func personalizationTag(field, src string) error {
	tag := personalizationTagRE.FindString(src)
	if tag == "" {
		return nil
	}
	name := strings.ToUpper(strings.Trim(tag, "%"))
	instead := "{{contact.fields." + name + "}} for the custom field with that personalization tag"
	if token, ok := standardTags[name]; ok {
		instead = "{{" + token + "}}"
	} else if strings.Contains(name, ".") {
		instead = "a token such as {{contact.firstName}} or {{contact.fields.PERSTAG}} (type {{ to pick one)"
	}
	return FieldErrorf(field, "has %s, which is how ActiveCampaign's emails write a personalization tag; autocred does not fill it, and every credential would show it as typed. Write %s instead", tag, instead)
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
//
// Every input's error is returned at once, joined in the form's order
// (Errors lists them).
func (m Mapping) CheckFields(defs []FieldDef) ([]Warning, error) {
	var warnings []Warning
	var errs []error
	for _, in := range m.Inputs() {
		w, err := in.CheckFields(defs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if w != "" {
			warnings = append(warnings, Warning{Field: in.Field, Message: w})
		}
	}
	if len(errs) > 0 {
		return nil, JoinErrors(errs...)
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
