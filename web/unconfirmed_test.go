package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// Runs whose email is unconfirmed are explained once, calmly, above the
// runs, with a way to see them and to resend all their emails at once;
// the button queues the resends and says so.
func TestUnconfirmedEmailsOfferResendToAll(t *testing.T) {
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	auto := "/automations/" + itoa(f.automation)
	if p := u.do("GET", auto, nil); strings.Contains(p.body, "may not have gone out") || strings.Contains(p.body, "/resend-unconfirmed") {
		t.Errorf("an automation without unconfirmed emails offers to resend them")
	}
	now := time.Now()
	for i, name := range []string{"Amy", "Ben"} {
		r := u.addRun(f.automation, autocred.ContactID(50+i), name, "Lee", strings.ToLower(name)+"@example.com", autocred.RunSendUnconfirmed, now)
		r.CredentialID = "cred-" + name
		if err := u.env.Store.SaveRun(t.Context(), &r); err != nil {
			t.Fatal(err)
		}
	}
	p := u.do("GET", auto, nil)
	for _, want := range []string{
		"<strong>2 emails may not have gone out.</strong> Their credentials were created in Certifier",
		`<form method="post" action="` + auto + `/resend-unconfirmed"`,
		"Resend email to all 2</button>",
		`<a href="` + auto + `?status=send_unconfirmed">Show them</a>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the automation page lacks %q", want)
		}
	}
	if strings.Count(p.body, "may not have gone out") != 1 {
		t.Errorf("the explanation is not said once")
	}
	// The live refresh keeps the line current as the resends go out.
	var live struct{ Regions map[string]string }
	if err := json.Unmarshal([]byte(u.do("GET", auto+"/live", nil).body), &live); err != nil || !strings.Contains(live.Regions["unconfirmed"], "Resend email to all 2") {
		t.Errorf("the live refresh does not redraw the line (%v): %q", err, live.Regions["unconfirmed"])
	}
	// Filtered to those runs, the line stays, without a link to itself.
	p = u.do("GET", auto+"?status=send_unconfirmed", nil)
	if !strings.Contains(p.body, "Resend email to all 2") || strings.Contains(p.body, "Show them") {
		t.Errorf("the filtered runs do not offer the resend, or link to themselves")
	}
	p = u.do("POST", auto+"/resend-unconfirmed", url.Values{})
	if p.status != http.StatusSeeOther || withoutAt(p.location) != auto+"?done=resending" {
		t.Fatalf("resend to all: %d %s", p.status, p.location)
	}
	if p := u.do("GET", p.location, nil); !strings.Contains(p.body, "The emails are being resent, one after another") {
		t.Errorf("no confirmation that the emails are being resent")
	}
}
