package service_test

import (
	"context"
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
	if _, err := env.AC.Import(testenv.ACAccount, []simac.ContactInput{
		{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Tags: []string{"done"}, Fields: map[string]string{"EXPIRES": "31/12/2030", "COURSE": "Engines"}},
	}); err != nil {
		t.Fatal(err)
	}
	seg, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Completers", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "done"}}})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Nobody", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "none"}}})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	action := autocred.Action{
		RecipientName:    "{{contact.firstName}} {{contact.lastName}}",
		RecipientEmail:   "{{contact.email}}",
		IssueDate:        "{{today}}",
		ExpiryDate:       "{{contact.fields.EXPIRES}}",
		CustomAttributes: map[string]string{"custom.course": "{{contact.fields.COURSE}} in {{segment.name}}", "custom.bad": "{{nope}}"},
	}
	res, err := env.Service.Preview(ctx, ac.ID, seg.ID, action, "Certificates")
	if err != nil {
		t.Fatal(err)
	}
	if res.ContactEmail != "ada@example.com" {
		t.Errorf("sample contact: %+v", res)
	}
	want := map[string][2]string{ // field → value, error substring
		"action.recipient_name":                  {"Ada Lovelace", ""},
		"action.recipient_email":                 {"ada@example.com", ""},
		"action.issue_date":                      {time.Now().UTC().Format(time.DateOnly), ""},
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

	if res, err := env.Service.Preview(ctx, ac.ID, empty.ID, action, "x"); err != nil || res.Note == "" || res.ContactID != 0 {
		t.Errorf("empty segment: %+v %v", res, err)
	}
	if _, err := env.Service.Preview(ctx, ac.ID, "", action, "x"); autocred.ErrorCode(err) != autocred.EINVALID {
		t.Errorf("no segment: %v", err)
	}
	if _, err := env.Service.Preview(ctx, ac.ID+100, seg.ID, action, "x"); autocred.ErrorCode(err) != autocred.EINVALID {
		t.Errorf("unknown connection: %v", err)
	}
}
