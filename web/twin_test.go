package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// A draft saved beside an automation on the same segment and group (its
// user ticked "I want two credentials per entry") says so before it is
// activated: two credentials per entry, naming the other, and the box to
// confirm it is beside Activate from the start, not after a refusal.
func TestTwinDraftSaysTwoCredentials(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	second, err := u.env.Service.CreateAutomation(ctx, service.AutomationInput{Name: "Certificates again",
		Trigger:        autocred.Trigger{ConnectionID: f.acConn, SegmentID: f.segment},
		Action:         autocred.Action{ConnectionID: f.certConn, GroupID: f.group, RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}", Issue: true, Send: true},
		AllowDuplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	p := u.do("GET", "/automations/"+itoa(second.ID), nil)
	body := html.UnescapeString(p.body)
	if !regexp.MustCompile(`(?s)<form method="post" action="/automations/` + itoa(second.ID) + `/activate" class="twin-choice">.*?name="allow_duplicate".*?</form>`).MatchString(p.body) {
		t.Errorf("Activate comes without the box to confirm two credentials per entry:\n%s", p.body)
	}
	if strings.Contains(body, "gets one credential") || !strings.Contains(body, `every contact that enters the segment gets two credentials: one from this automation and one from "Certificates"`) {
		t.Errorf("the draft does not say two credentials per entry will be issued:\n%s", body)
	}
	// Without a twin, the draft says one credential, with no box.
	p = u.do("GET", "/automations/"+itoa(u.secondAutomation(f, "Workshop badges")), nil)
	if !strings.Contains(p.body, "gets one credential") || strings.Contains(p.body, `name="allow_duplicate"`) {
		t.Errorf("a draft without a twin does not say one credential, or offers the box:\n%s", p.body)
	}
}
