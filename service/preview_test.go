package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

func TestPreview(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	ac, seg := completers(t, env,
		simac.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"done"}, Fields: map[string]string{"EXPIRES": "31/12/2030", "COURSE": "Engines"}})
	empty := tagSegment(t, env, "Nobody", "none")
	action := autocred.Action{
		RecipientName:    "{{contact.firstName}} {{contact.lastName}}",
		RecipientEmail:   "{{contact.email}}",
		IssueDate:        "{{today}}",
		ExpiryDate:       "{{contact.fields.EXPIRES}}",
		CustomAttributes: map[string]string{"custom.course": "{{contact.fields.COURSE}} in {{segment.name}}", "custom.bad": "{{nope}}"},
	}
	res, err := env.Service.Preview(ctx, ac.ID, seg.ID, action, "Certificates", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.ContactEmail != "ada@example.com" {
		t.Errorf("sample contact: %+v", res)
	}
	want := map[string][2]string{ // field → value, error substring
		"action.recipient_name":                  {"Ada Lovelace", ""},
		"action.recipient_email":                 {"ada@example.com", ""},
		"action.issue_date":                      {time.Now().In(mustZone(t, autocred.LocalTimeZone())).Format(time.DateOnly), ""},
		"action.expiry_date":                     {"31/12/2030", "YYYY-MM-DD"},
		"action.custom_attributes.custom.course": {"Engines in Completers", ""},
		"action.custom_attributes.custom.bad":    {"", "not a known token"},
	}
	if len(res.Fields) != len(want) {
		t.Errorf("fields: %+v", res.Fields)
	}
	for _, f := range res.Fields {
		w := want[f.Field]
		if f.Value != w[0] || (w[1] == "") != (f.Error == "") || !strings.Contains(f.Error, w[1]) {
			t.Errorf("%s: value %q error %q, want %q and an error with %q", f.Field, f.Value, f.Error, w[0], w[1])
		}
	}

	if res, err := env.Service.Preview(ctx, ac.ID, empty.ID, action, "x", ""); err != nil || res.Note == "" || res.ContactID != 0 {
		t.Errorf("empty segment: %+v %v", res, err)
	}
	// Without a segment nobody is rendered for, and what needs nobody is
	// still said: an unknown token, a custom field the account lacks.
	noSegment := action
	noSegment.ExpiryDate = "{{contact.fields.NO_SUCH_FIELD}}"
	res, err = env.Service.Preview(ctx, ac.ID, "", noSegment, "x", "")
	if err != nil || res.ContactID != 0 || !strings.Contains(res.Note, "Pick a segment") {
		t.Errorf("no segment: %+v %v", res, err)
	}
	said := map[string]string{}
	for _, f := range res.Fields {
		said[f.Field] = f.Error
	}
	if !strings.Contains(said["action.custom_attributes.custom.bad"], "not a known token") ||
		!strings.Contains(said["action.expiry_date"], "names no custom field") || said["action.recipient_name"] != "" {
		t.Errorf("no segment: the mapping's mistakes are not said: %+v", res.Fields)
	}
	if _, err := env.Service.Preview(ctx, ac.ID+100, seg.ID, action, "x", ""); autocred.ErrorCode(err) != autocred.EINVALID {
		t.Errorf("unknown connection: %v", err)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// acField creates a typed custom field through the sandbox's v3 API.
func acField(t *testing.T, env *testenv.Env, title, perstag, typ string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"field": map[string]string{"title": title, "perstag": perstag, "type": typ}})
	req, _ := http.NewRequest("POST", env.ACURL+"/api/3/fields", bytes.NewReader(body))
	req.Header.Set("Api-Token", testenv.ACKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating field %s: %d", perstag, resp.StatusCode)
	}
}

// TestPreviewTellsTheTruth: the preview shows each value exactly as a run
// would send it (field types applied, dates in the named time zone), for
// the contact the user picks by name or email, and says why a value would
// fail, a custom field that does not exist included.
func TestPreviewTellsTheTruth(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	acField(t, env, "Courses", "COURSES", "multiselect")
	acField(t, env, "Expires at", "EXPIRES_AT", "datetime")
	acField(t, env, "Expires (typed)", "EXPIRES_TEXT", "text")
	acField(t, env, "Tracks", "TRACKS", "checkbox")
	ac, seg := completers(t, env,
		simac.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"done"},
			Fields: map[string]string{"COURSES": "||Go Basics||Go Advanced||", "EXPIRES_AT": "2027-01-20T05:30:00Z", "EXPIRES_TEXT": "2027-12-31"}},
		simac.ContactInput{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Tags: []string{"done"},
			Fields: map[string]string{"COURSES": "||Go Basics||", "EXPIRES_AT": "2027-06-01T12:00:00-05:00", "EXPIRES_TEXT": "next year"}},
		simac.ContactInput{Email: "alan@example.com", FirstName: "Alan", LastName: "Turing", Fields: map[string]string{"COURSES": "||Go Advanced||"}},
		simac.ContactInput{Email: "zoe.ng@example.com\u200b", FirstName: "Zoe", LastName: "Ng\u202e", Tags: []string{"done"}},
	)
	base := autocred.Action{
		RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}",
		ExpiryDate: "{{contact.fields.EXPIRES_AT}}", TimeZone: "America/Chicago",
		CustomAttributes: map[string]string{"custom.courses": "{{contact.fields.COURSES}}", "custom.missing": "{{contact.fields.NO_SUCH_FIELD}}"},
	}
	type want struct{ value, err, warning, cleaned string }
	tests := []struct {
		name    string
		change  func(a *autocred.Action)
		pick    string
		contact string // the email previewed; "" for none
		note    string // a substring of the note; "" for none
		zone    string
		fields  map[string]want
	}{
		{name: "picked by email", pick: "grace@example.com", contact: "grace@example.com", zone: "America/Chicago", fields: map[string]want{
			"action.custom_attributes.custom.courses": {value: "Go Basics"},
			"action.expiry_date":                      {value: "2027-06-01"},
			"action.custom_attributes.custom.missing": {err: "names no custom field"},
		}},
		{name: "picked by name", pick: "lovelace", contact: "ada@example.com", zone: "America/Chicago", fields: map[string]want{
			"action.custom_attributes.custom.courses": {value: "Go Basics, Go Advanced"},
			"action.expiry_date":                      {value: "2027-01-19"}, // 23:30 on the 19th in Chicago
			"action.recipient_name":                   {value: "Ada Lovelace"},
		}},
		{name: "the same datetime in Tokyo", pick: "Ada Lovelace", contact: "ada@example.com", zone: "Asia/Tokyo",
			change: func(a *autocred.Action) { a.TimeZone = "Asia/Tokyo" },
			fields: map[string]want{"action.expiry_date": {value: "2027-01-20"}}},
		{name: "a text field in a date warns, and fails for a contact without a date", pick: "grace", contact: "grace@example.com", zone: "America/Chicago",
			change: func(a *autocred.Action) { a.ExpiryDate = "{{contact.fields.EXPIRES_TEXT}}" },
			fields: map[string]want{"action.expiry_date": {value: "next year", err: "YYYY-MM-DD", warning: "is a text field, not a date field"}}},
		{name: "a list field in a date is refused", pick: "ada", contact: "ada@example.com", zone: "America/Chicago",
			change: func(a *autocred.Action) { a.ExpiryDate = "{{contact.fields.TRACKS}}" },
			fields: map[string]want{"action.expiry_date": {err: "is a checkbox field"}}},
		{name: "an unknown time zone", pick: "ada", contact: "ada@example.com", zone: "UTC",
			change: func(a *autocred.Action) { a.TimeZone = "Chicago" },
			fields: map[string]want{"action.time_zone": {err: "IANA name"}, "action.expiry_date": {value: "2027-01-20"}}},
		{name: "not a member", pick: "alan@example.com", contact: "alan@example.com", note: "not in the segment", zone: "America/Chicago",
			fields: map[string]want{"action.custom_attributes.custom.courses": {value: "Go Advanced"}}},
		{name: "hidden characters are cleaned as a run cleans them", pick: "Zoe Ng", contact: "zoe.ng@example.com\u200b", zone: "America/Chicago",
			fields: map[string]want{
				"action.recipient_email": {value: "zoe.ng@example.com", cleaned: "zero width space (U+200B) at the end of the email"},
				"action.recipient_name":  {value: "Zoe Ng", cleaned: "(U+202E)"},
			}},
		{name: "nobody matches", pick: "nobody@example.com", note: "No contact", zone: "America/Chicago",
			fields: map[string]want{"action.custom_attributes.custom.missing": {err: "names no custom field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			if tt.change != nil {
				tt.change(&a)
			}
			res, err := env.Service.Preview(ctx, ac.ID, seg.ID, a, "Certificates", tt.pick)
			if err != nil {
				t.Fatal(err)
			}
			if res.ContactEmail != tt.contact || res.TimeZone != tt.zone || (tt.note == "") != (res.Note == "") || !strings.Contains(res.Note, tt.note) {
				t.Errorf("contact %q zone %q note %q; want %q, %q, a note with %q", res.ContactEmail, res.TimeZone, res.Note, tt.contact, tt.zone, tt.note)
			}
			got := map[string]service.PreviewField{}
			for _, f := range res.Fields {
				got[f.Field] = f
			}
			for field, w := range tt.fields {
				f, ok := got[field]
				if !ok {
					t.Errorf("%s: not in the preview", field)
					continue
				}
				if f.Value != w.value || (w.err == "") != (f.Error == "") || !strings.Contains(f.Error, w.err) ||
					(w.warning == "") != (f.Warning == "") || !strings.Contains(f.Warning, w.warning) ||
					(w.cleaned == "") != (f.Cleaned == "") || !strings.Contains(f.Cleaned, w.cleaned) {
					t.Errorf("%s: %+v; want value %q, error with %q, warning with %q, cleaned with %q", field, f, w.value, w.err, w.warning, w.cleaned)
				}
			}
		})
	}
}

// The preview's sample is a member with an email when the segment has one:
// a member without one shows little of what a credential would carry.
func TestPreviewPrefersAMemberWithAnEmail(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	ac, seg := completers(t, env,
		simac.ContactInput{FirstName: "Sam", LastName: "Smith", Phone: "+15550100", Tags: []string{"done"}},
		simac.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"done"}},
	)
	res, err := env.Service.Preview(ctx, ac.ID, seg.ID, autocred.Action{RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}"}, "Certificates", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.ContactEmail != "ada@example.com" || res.ContactName != "Ada Lovelace" {
		t.Errorf("sample contact %q <%s>, want Ada Lovelace <ada@example.com>", res.ContactName, res.ContactEmail)
	}
}

// Several contacts match what the user typed: the preview is for one of
// them, a member when one is, and says how many match, listing them to
// pick another; typing more picks one.
func TestPreviewListsEveryMatch(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	ac, seg := completers(t, env,
		simac.ContactInput{Email: "chloe.adams@example.com", FirstName: "Chloe", LastName: "Adams"},
		simac.ContactInput{Email: "chloe.brown@example.com", FirstName: "Chloe", LastName: "Brown", Tags: []string{"done"}},
		simac.ContactInput{Email: "chloe.chen@example.com", FirstName: "Chloe", LastName: "Chen"},
		simac.ContactInput{Email: "dan@example.com", FirstName: "Dan", LastName: "Dare", Tags: []string{"done"}},
	)
	action := autocred.Action{RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}"}
	res, err := env.Service.Preview(ctx, ac.ID, seg.ID, action, "x", "chloe")
	if err != nil {
		t.Fatal(err)
	}
	if res.ContactEmail != "chloe.brown@example.com" || !res.InSegment {
		t.Errorf("previewed for %q (in the segment: %v), want the member chloe.brown@example.com", res.ContactEmail, res.InSegment)
	}
	if !strings.Contains(res.Note, `3 contacts match "chloe"`) || !strings.Contains(res.Note, "pick another") {
		t.Errorf("note %q does not say that 3 match and how to pick another", res.Note)
	}
	var listed []string
	for _, m := range res.Matches {
		listed = append(listed, m.Name+" <"+m.Email+">")
	}
	if got := strings.Join(listed, ", "); got != "Chloe Adams <chloe.adams@example.com>, Chloe Brown <chloe.brown@example.com>, Chloe Chen <chloe.chen@example.com>" {
		t.Errorf("matches listed: %s", got)
	}
	res, err = env.Service.Preview(ctx, ac.ID, seg.ID, action, "x", "chloe chen")
	if err != nil || res.ContactEmail != "chloe.chen@example.com" || len(res.Matches) != 0 || strings.Contains(res.Note, "match") || res.InSegment {
		t.Errorf("typing more picks one: %+v %v", res, err)
	}
}
