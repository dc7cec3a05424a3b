package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store/storetest"
)

// An automation paused because its group was deleted says so once, on its
// page and in Health's "Automations that need you"; its waiting runs say
// what they wait for, not that autocred retries by itself.
func TestDeletedGroupIsShownOnce(t *testing.T) {
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	ctx := context.Background()
	reason := autocred.GroupMissingReason("Course certificate")
	if err := u.env.Store.SetAutomationStatus(ctx, f.automation, autocred.AutomationPaused, reason); err != nil {
		t.Fatal(err)
	}
	r := autocred.Run{AutomationID: f.automation, ContactID: 5, Entry: 1, Email: "bo@example.com", Status: autocred.RunPending,
		Contact:   autocred.Contact{Email: "bo@example.com", FirstName: "Bo"},
		LastError: "Waiting for a group: the group 'Course certificate' no longer exists in this Certifier workspace. Choose another under Edit on the automation; this run is issued then, without a retry.",
		ErrorCode: autocred.RunCodeGroupMissing}
	if err := storetest.InsertRun(ctx, u.env.Store, &r); err != nil {
		t.Fatal(err)
	}
	want := "the group 'Course certificate' no longer exists in this workspace: choose another under Edit"
	for _, path := range []string{"/health", "/automations/" + itoa(f.automation)} {
		body := html.UnescapeString(u.do("GET", path, nil).body)
		if n := strings.Count(body, want); n != 1 {
			t.Errorf("%s says %q %d times, want once", path, want, n)
		}
	}
	body := html.UnescapeString(u.do("GET", "/automations/"+itoa(f.automation), nil).body)
	row := regexp.MustCompile(`(?s)<a href="/runs/` + itoa(r.ID) + `">.*?</tr>`).FindString(body)
	if !strings.Contains(row, "Waiting for a group: choose another under Edit") || strings.Contains(row, "tries again by itself") {
		t.Errorf("the waiting run's row says: %s", row)
	}
}
