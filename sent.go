package autocred

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SentCredential is what one create call of a run asked Certifier to
// make: the credential as the run rendered it then. The run's log keeps
// one per create call, so that the run's page shows what was sent even
// after the contact or the mapping has changed (Run.Contact is only the
// contact as last read).
type SentCredential struct {
	// Attempt is the run's attempt that made the call (Run.Attempts then).
	Attempt int `json:"attempt"`
	// Call is CallCreateIssueSend (create, issue and email in one call)
	// or CallCreate (a draft, which later calls issue and send).
	Call             Call              `json:"call"`
	GroupID          string            `json:"group_id"`
	RecipientName    string            `json:"recipient_name"`
	RecipientEmail   string            `json:"recipient_email"`
	IssueDate        string            `json:"issue_date,omitempty"`  // empty: the day it is issued
	ExpiryDate       string            `json:"expiry_date,omitempty"` // empty: the group's setting
	CustomAttributes map[string]string `json:"custom_attributes,omitempty"`
}

// SentValue is one input of a SentCredential as a person reads it.
type SentValue struct {
	Label string // "Recipient name", or a custom attribute's name ("Course Name"), else its tag
	Tag   string // a custom attribute's tag ("custom.course_name"); empty for the other inputs
	Value string // as sent; empty when the input was left empty
	Empty string // what an empty value means ("the group's setting"), from the input's row
}

// OneCall tells whether the call created, issued and emailed the credential
// at once (create-issue-send) rather than made a draft.
func (s SentCredential) OneCall() bool { return s.Call == CallCreateIssueSend }

// Values lists what was sent, input by input, in the order and with the
// labels of the mapping table (InputDefs), then the custom attributes in
// the order of their tags, labelled as the mapping form labels them: by
// the name in names (Action.CustomAttributeNames), else by the tag.
func (s SentCredential) Values(names map[string]string) []SentValue {
	a := Action{RecipientName: s.RecipientName, RecipientEmail: s.RecipientEmail, IssueDate: s.IssueDate, ExpiryDate: s.ExpiryDate}
	var out []SentValue
	for _, d := range inputDefs {
		out = append(out, SentValue{Label: d.Label, Value: d.Get(a), Empty: d.Empty})
	}
	for _, tag := range slices.Sorted(maps.Keys(s.CustomAttributes)) {
		out = append(out, SentValue{Label: cmp.Or(names[tag], tag), Tag: tag, Value: s.CustomAttributes[tag]})
	}
	return out
}

// sentPrefix begins the stored log line of a SentCredential; the JSON that
// follows is what the run's page and the API read back (ParseSentEvent).
const sentPrefix = "Sent to Certifier: "

// EventMessage is the SentCredential as the run's log stores it: a
// prefix a person reading the table understands, then JSON.
func (s SentCredential) EventMessage() string {
	b, _ := json.Marshal(s) // strings and a map of strings: cannot fail
	return sentPrefix + string(b)
}

// ParseSentEvent reads a log line written by EventMessage; ok is false for
// any other line.
func ParseSentEvent(message string) (s SentCredential, ok bool) {
	rest, found := strings.CutPrefix(message, sentPrefix)
	if !found || json.Unmarshal([]byte(rest), &s) != nil {
		return SentCredential{}, false
	}
	return s, true
}

// Summary is the log line a person reads for the call.
func (s SentCredential) Summary() string {
	what := "create the credential as a draft"
	if s.OneCall() {
		what = "create, issue and email the credential"
	}
	who := s.RecipientEmail
	if s.RecipientName != "" {
		who = s.RecipientName + " <" + s.RecipientEmail + ">"
	}
	return fmt.Sprintf("Attempt %d: asked Certifier to %s for %s.", s.Attempt, what, who)
}

// DescribeEvents returns a run's log as people and programs read it: a
// line written by SentCredential.EventMessage gets its Summary as message
// and the credential in Sent. It returns the last SentCredential too (nil
// when the run sent none): what the run's credential was made from.
func DescribeEvents(events []RunEvent) ([]RunEvent, *SentCredential) {
	var last *SentCredential
	out := make([]RunEvent, len(events))
	for i, ev := range events {
		out[i] = ev
		if s, ok := ParseSentEvent(ev.Message); ok {
			out[i].Message, out[i].Sent = s.Summary(), &s
			last = &s
		}
	}
	return out, last
}
