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
	t.Parallel()
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

// A run whose own resend may have gone out (resend_unconfirmed) is not
// offered by Resend email to all, which would not send it: the button
// counts only the others, and a line says the rest apart, with a link to
// them. A tester clicked "Resend email to all 20", was told the emails
// were being resent, and none went out.
func TestResendToAllLeavesOutMaybeResent(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	auto := "/automations/" + itoa(f.automation)
	now := time.Now()
	runs := map[string]autocred.Run{}
	for i, name := range []string{"Amy", "Ben", "Cal"} {
		r := u.addRun(f.automation, autocred.ContactID(50+i), name, "Lee", strings.ToLower(name)+"@example.com", autocred.RunSendUnconfirmed, now)
		r.CredentialID = "cred-" + name
		if name == "Cal" {
			r.ErrorCode, r.LastError = autocred.RunCodeResendUnconfirmed, "A resend of its email may have gone out already."
		}
		if err := u.env.Store.SaveRun(t.Context(), &r); err != nil {
			t.Fatal(err)
		}
		runs[name] = r
	}
	p := u.do("GET", auto, nil)
	for _, want := range []string{
		"<strong>3 emails may not have gone out.</strong>",
		"Resend email to all 2</button>",
		"Send the credential email again to all 2 recipients?",
		"1 more: a resend of its email may have gone out already (Certifier's answer never came); ask the recipient and resend each from its run.",
		`<a href="` + auto + `?status=send_unconfirmed&amp;error_code=resend_unconfirmed">Show it</a>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the automation page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "Resend email to all 3") {
		t.Errorf("the button offers the run whose resend may have gone out")
	}

	// Only such runs left: no button, and the line says so.
	for _, name := range []string{"Amy", "Ben"} {
		r := runs[name]
		r.ErrorCode, r.LastError = autocred.RunCodeResendUnconfirmed, "A resend of its email may have gone out already."
		if err := u.env.Store.SaveRun(t.Context(), &r); err != nil {
			t.Fatal(err)
		}
	}
	p = u.do("GET", auto, nil)
	if strings.Contains(p.body, "/resend-unconfirmed") || !strings.Contains(p.body, "All 3: a resend of theirs may have gone out already") {
		t.Errorf("with every run's resend maybe gone out, the page still offers Resend email to all, or does not say why not")
	}
	// A page older than that still posts: nothing is queued, and it
	// says so rather than "being resent".
	p = u.do("POST", auto+"/resend-unconfirmed", url.Values{})
	if p := u.do("GET", p.location, nil); !strings.Contains(p.body, "No email was resent") || strings.Contains(p.body, "being resent") {
		t.Errorf("a Resend email to all that queues nothing does not say so")
	}
}
