package autocred

import (
	"slices"
	"testing"
	"time"
)

// A create call's log line reads back as what was sent, with a sentence
// for people; any other line, one that only starts like it included, is
// left as it is.
func TestDescribeEvents(t *testing.T) {
	sent := SentCredential{Attempt: 2, Call: "create-issue-send", GroupID: "g1", RecipientName: "Ada Lovelace", RecipientEmail: "ada@example.com",
		IssueDate: "2026-01-02", CustomAttributes: map[string]string{"custom.course": "Engines"}}
	draft := SentCredential{Attempt: 1, Call: "create", RecipientEmail: "bo@example.com"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []RunEvent{
		{At: at, Message: draft.EventMessage()},
		{At: at, Message: "Attempt failed, will retry: no answer"},
		{At: at, Message: sentPrefix + "{not json"},
		{At: at, Message: sent.EventMessage()},
	}
	out, last := DescribeEvents(in)
	want := []string{
		"Attempt 1: asked Certifier to create the credential as a draft for bo@example.com.",
		"Attempt failed, will retry: no answer",
		sentPrefix + "{not json",
		"Attempt 2: asked Certifier to create, issue and email the credential for Ada Lovelace <ada@example.com>.",
	}
	for i, ev := range out {
		if ev.Message != want[i] || !ev.At.Equal(at) {
			t.Errorf("line %d reads %q at %v, want %q", i, ev.Message, ev.At, want[i])
		}
		if (ev.Sent != nil) != (i == 0 || i == 3) {
			t.Errorf("line %d: sent %+v", i, ev.Sent)
		}
	}
	if last == nil || last.Attempt != 2 || last.CustomAttributes["custom.course"] != "Engines" || last.IssueDate != "2026-01-02" {
		t.Errorf("last sent %+v, want attempt 2's", last)
	}
	if in[0].Message != draft.EventMessage() {
		t.Errorf("DescribeEvents changed its input")
	}
	if _, last := DescribeEvents([]RunEvent{{Message: "Issued."}}); last != nil {
		t.Errorf("a log without a create call sent %+v", last)
	}
}

// The run page shows what was sent with the mapping table's labels and
// order, says what an empty optional input meant, and labels a custom
// attribute by its name in Certifier, as the mapping form does (by its
// tag when the name is not known).
func TestSentValuesFollowTheInputTable(t *testing.T) {
	s := SentCredential{RecipientName: "Ada Lovelace", RecipientEmail: "ada@example.com", ExpiryDate: "2030-12-31",
		CustomAttributes: map[string]string{"custom.z": "last", "custom.a": "first"}}
	got := s.Values(map[string]string{"custom.a": "Course Name", "custom.other": "Unused"})
	want := []SentValue{
		{Label: "Recipient name", Value: "Ada Lovelace"},
		{Label: "Recipient email", Value: "ada@example.com"},
		{Label: "Issue date", Empty: "the day it is issued"},
		{Label: "Expiry date", Value: "2030-12-31", Empty: "the group's setting"},
		{Label: "Course Name", Tag: "custom.a", Value: "first"},
		{Label: "custom.z", Tag: "custom.z", Value: "last"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Values() = %+v\nwant %+v", got, want)
	}
}
