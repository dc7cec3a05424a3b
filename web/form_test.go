package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// TestFormHasEveryMappingInput: each input of autocred.InputDefs is read
// from the form under its name, starts a new form with its default, takes
// its errors beside it, and is named by its label in a message shown away
// from it.
func TestFormHasEveryMappingInput(t *testing.T) {
	t.Parallel()
	fresh := newAutomationInput()
	for _, d := range autocred.InputDefs() {
		in := parseAutomationInput(url.Values{d.Field: {"{{contact.id}}"}})
		if got := d.Get(in.Action); got != "{{contact.id}}" {
			t.Errorf("%s: the form reads %q", d.Field, got)
		}
		if got := d.Get(fresh.Action); got != d.Default {
			t.Errorf("%s: a new form starts with %q, want %q", d.Field, got, d.Default)
		}
		if !isAutomationInput(d.Field) {
			t.Errorf("%s: an error on it is not shown beside it", d.Field)
		}
		if got := fieldLabel(d.Field); got != d.Label {
			t.Errorf("%s: labelled %q, want %q", d.Field, got, d.Label)
		}
	}
	f := automationForm{In: fresh}
	var names []string
	for _, dates := range []bool{false, true} {
		for _, m := range f.MappingInputs(dates) {
			names = append(names, m.Name)
		}
	}
	if len(names) != len(autocred.InputDefs()) {
		t.Errorf("the form shows %v", names)
	}
}

// A save with mistakes on both steps shows every one at once, each beside
// its input, on step 1 with each step's tab counting its own; the custom
// field the account lacks is said without a segment picked.
func TestAutomationSaveSaysEveryMistakeAtOnce(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	form := url.Values{
		"name": {""}, "trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {""},
		"action.connection_id": {itoa(f.certConn)}, "action.group_id": {""},
		"action.recipient_name": {"%FIRSTNAME%"}, "action.recipient_email": {"{{contact.email}}"},
		"action.issue_date": {"{{today}}"}, "action.expiry_date": {"{{contact.fields.NOPE}}"},
		"action.time_zone": {"Mars/Olympus"}, "action.issue": {"on"}, "action.send": {"on"},
	}
	p := u.do("POST", "/automations", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.status)
	}
	body := html.UnescapeString(p.body)
	for _, c := range []struct{ id, says string }{
		{"name", "is required"},
		{"group", "is required: the Certifier group"},
		{"mapping-recipient-name", "Write {{contact.firstName}} instead"},
		{"mapping-expiry-date", "{{contact.fields.NOPE}} names no custom field"},
		{"time-zone", `"Mars/Olympus" is not a time zone`},
	} {
		if !fieldError(body, c.id, c.says) {
			t.Errorf("no message %q beside #%s", c.says, c.id)
		}
	}
	if !strings.Contains(body, "is required: the segment") {
		t.Error("no message beside the segment")
	}
	if !strings.Contains(body, `data-step="trigger"`) || !strings.Contains(body, `1. Trigger <span class="to-fix">2 to fix</span>`) ||
		!strings.Contains(body, `2. Action <span class="to-fix">4 to fix</span>`) {
		t.Errorf("the form is not on step 1, or the tabs do not count what each step has to fix:\n%s", body)
	}
	if n := strings.Count(body, `class="field-error"`); n != 6 {
		t.Errorf("%d messages, want one per mistake, 6", n)
	}
}

// Before a segment is picked, the preview has nobody to render for, but
// says what it can: an unknown token, a custom field the account lacks.
func TestPreviewWithoutASegmentSaysWhatItCan(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/automations/preview", url.Values{
		"trigger.connection_id": {itoa(f.acConn)}, "trigger.segment_id": {""},
		"action.recipient_name": {"{{contact.nope}}"}, "action.recipient_email": {"{{contact.email}}"},
		"action.expiry_date": {"{{contact.fields.NOPE}}"},
	})
	if p.status != http.StatusOK || !strings.Contains(p.body, "Pick a segment in step 1") ||
		!strings.Contains(p.body, "is not a known token") || !strings.Contains(p.body, "names no custom field") {
		t.Errorf("preview without a segment: %d %s", p.status, p.body)
	}
}
