package autocred

import (
	"slices"
	"strings"
)

// The inputs every action maps, by the names errors give them; inputDefs
// describes each.
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

// InputDef describes one of the inputs every action maps, custom
// attributes aside: its name, how the form shows it, what it must give and
// what an empty one means. inputDefs is the one list of them. The parser
// (ParseMapping, ParseInputs), the preview, the form and its labels, and
// the API's checks all read it, so that adding or renaming an input is one
// row here; what must stay written elsewhere (Action's JSON tags, the
// OpenAPI document, the Certifier client's wire names) has a test that
// checks it against this list.
type InputDef struct {
	// Field names the input in errors, in the preview and in the form:
	// "action." and its key in an Action's JSON ("action.recipient_name").
	Field string
	// Label is the input's name on screen: "Recipient name".
	Label string
	// Required inputs refuse a save when empty.
	Required bool
	// Default is what a new automation's form starts with, and the
	// example a "required" error and the API document give.
	Default string
	// Empty says what an empty optional input means: "the group's
	// setting".
	Empty string
	// Certifier is the field of Certifier's credential the input fills,
	// as Certifier's API writes it ("recipient.name", "issueDate").
	Certifier string
	kind      inputKind
	text      func(*Action) *string
}

// inputDefs are the inputs every action maps, in the form's order.
var inputDefs = []InputDef{
	{
		Field: InputRecipientName, Label: "Recipient name", Required: true,
		Default: "{{contact.firstName}} {{contact.lastName}}", Certifier: "recipient.name",
		kind: inputName, text: func(a *Action) *string { return &a.RecipientName },
	},
	{
		Field: InputRecipientEmail, Label: "Recipient email", Required: true,
		Default: "{{contact.email}}", Certifier: "recipient.email",
		kind: inputEmail, text: func(a *Action) *string { return &a.RecipientEmail },
	},
	{
		Field: InputIssueDate, Label: "Issue date", Default: "{{today}}",
		Empty: "the day it is issued", Certifier: "issueDate",
		kind: inputDate, text: func(a *Action) *string { return &a.IssueDate },
	},
	{
		Field: InputExpiryDate, Label: "Expiry date",
		Empty: "the group's setting", Certifier: "expiryDate",
		kind: inputDate, text: func(a *Action) *string { return &a.ExpiryDate },
	},
}

// InputDefs lists the inputs every action maps, in the form's order:
// recipient name, recipient email, issue date, expiry date.
func InputDefs() []InputDef { return slices.Clone(inputDefs) }

// InputDefFor finds the input named field ("action.expiry_date"); false
// for any other name, a custom attribute's included.
func InputDefFor(field string) (InputDef, bool) {
	i := slices.IndexFunc(inputDefs, func(d InputDef) bool { return d.Field == field })
	if i < 0 {
		return InputDef{}, false
	}
	return inputDefs[i], true
}

// Key is the input's key in an Action's JSON: "recipient_name".
func (d InputDef) Key() string { return strings.TrimPrefix(d.Field, "action.") }

// IsDate tells whether the input takes a YYYY-MM-DD date.
func (d InputDef) IsDate() bool { return d.kind == inputDate }

// Hint is the short help the form shows beside the label: for a date,
// the format and what empty gives.
func (d InputDef) Hint() string {
	if d.kind != inputDate {
		return ""
	}
	return "YYYY-MM-DD; empty: " + d.Empty
}

// Get returns the input's template in an action, as written.
func (d InputDef) Get(a Action) string { return *d.text(&a) }

// Set writes the input's template into an action.
func (d InputDef) Set(a *Action, src string) { *d.text(a) = src }
