package autocred

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A save says every mistake at once, each on its input: an automation with
// five wrong inputs is five messages, not the first of them.
func TestValidateSaysEveryMistake(t *testing.T) {
	a := Automation{
		Name:         " ",
		PollInterval: time.Second,
		Action: Action{
			RecipientName:    "{{contact.nope}}",
			RecipientEmail:   "%EMAIL%",
			ExpiryDate:       "31/12/2030",
			TimeZone:         "Mars/Olympus",
			Send:             true,
			CustomAttributes: map[string]string{"custom.course": "{{contact.fields.COURSE}}", "course": "x"},
		},
	}
	m, err := a.Validate()
	want := []string{"name", "trigger.connection_id", "trigger.segment_id", "action.connection_id", "action.group_id",
		"action.send", "poll_interval", "action.time_zone", "action.recipient_name", "action.recipient_email",
		"action.expiry_date", "action.custom_attributes.course"}
	var got []string
	for _, e := range Errors(err) {
		got = append(got, e.Field)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mistakes on\n %v\nwant\n %v", got, want)
	}
	var first *Error
	if !errors.As(err, &first) || first.Field != "name" || ErrorCode(err) != EINVALID {
		t.Errorf("the first mistake, as one message: %v", first)
	}
	// The inputs that parsed are kept, for the account's checks.
	if f := m.Fields(); len(f) != 1 || f[0] != "COURSE" {
		t.Errorf("fields of the inputs that parsed: %v", f)
	}
}

// An ActiveCampaign personalization tag would reach every credential as
// typed: a save refuses it, saying the token to write instead; a percent
// sign in prose is no tag.
func TestPersonalizationTagsAreRefused(t *testing.T) {
	tests := []struct {
		src, says string // says "": accepted
	}{
		{"%FIRSTNAME%", "Write {{contact.firstName}} instead"},
		{"Dear %firstname% %LASTNAME%", "Write {{contact.firstName}} instead"},
		{"%FULLNAME%", "Write {{contact.firstName}} {{contact.lastName}} instead"},
		{"%COURSE_NAME%", "Write {{contact.fields.COURSE_NAME}} for the custom field"},
		{"%CONTACT.NOPE%", "such as {{contact.firstName}} or {{contact.fields.PERSTAG}}"},
		{"100% online", ""},
		{"Scored 90%-100% in {{contact.fields.COURSE}}", ""},
		{"{{contact.firstName}}", ""},
	}
	for _, tc := range tests {
		_, err := CheckMapping(Action{RecipientName: tc.src, RecipientEmail: "{{contact.email}}"})
		var e *Error
		switch {
		case tc.says == "" && err != nil:
			t.Errorf("%q refused: %v", tc.src, err)
		case tc.says != "" && (!errors.As(err, &e) || e.Field != "action.recipient_name" || !strings.Contains(e.Message, tc.says)):
			t.Errorf("%q: %v, want a message on the recipient name with %q", tc.src, err, tc.says)
		}
		// A mapping saved before the check still runs as it did.
		if _, err := ParseMapping(Action{RecipientName: tc.src, RecipientEmail: "{{contact.email}}"}); err != nil {
			t.Errorf("%q: a run refuses it: %v", tc.src, err)
		}
	}
}

// Errors lists the mistakes of errors joined at any depth, in order.
func TestErrorsListsEveryMistake(t *testing.T) {
	a, b, c := FieldErrorf("a", "1"), FieldErrorf("b", "2"), Errorf(EUPSTREAM, "3")
	err := fmt.Errorf("saving: %w", errors.Join(a, nil, errors.Join(b, errors.New("not an Error")), c))
	got := Errors(err)
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Errorf("Errors = %v", got)
	}
	if Errors(nil) != nil || len(Errors(errors.New("x"))) != 0 {
		t.Error("no *Error: none listed")
	}
}
