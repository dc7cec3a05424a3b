package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// An automation paused because its group was deleted says so once, on its
// page and in Health's "Automations that need you"; its waiting runs say
// what they wait for, not that autocred retries by itself.
func TestDeletedGroupIsShownOnce(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	u.activate(f)
	ctx := context.Background()
	// The group is gone from the workspace: resuming re-checks it, and a
	// group still there is not missing (service.resumeBlocked).
	req, _ := http.NewRequest("DELETE", u.env.CertifierURL+"/groups/"+f.group, nil)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting the group: %v %v", resp, err)
	}
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
	// The fixture's failed run, issued since: the waiting run is the only
	// one that is not done.
	done, err := u.env.Store.Run(ctx, f.run)
	if err != nil {
		t.Fatal(err)
	}
	done.Status, done.LastError, done.ErrorCode = autocred.RunIssued, "", ""
	if err := u.env.Store.SaveRun(ctx, &done); err != nil {
		t.Fatal(err)
	}
	want := "group 'Course certificate' no longer exists in this workspace: choose another under Edit"
	auto := "/automations/" + itoa(f.automation)
	for _, path := range []string{"/health", auto} {
		body := html.UnescapeString(u.do("GET", path, nil).body)
		if n := strings.Count(body, want); n != 1 {
			t.Errorf("%s says %q %d times, want once", path, want, n)
		}
		// Beside its "Paused" badge, the reason does not say "Paused" again.
		if n := strings.Count(pageText(body), "Paused"); n != 1 {
			t.Errorf("%s says Paused %d times, want once (its badge):\n%s", path, n, pageText(body))
		}
	}
	body := html.UnescapeString(u.do("GET", auto, nil).body)
	row := regexp.MustCompile(`(?s)<a href="/runs/` + itoa(r.ID) + `">.*?</tr>`).FindString(body)
	if !strings.Contains(row, "Waiting for the automation's group") || strings.Contains(row, "no longer exists") || strings.Contains(row, "tries again by itself") {
		t.Errorf("the waiting run's row does not just say it waits for the group: %s", row)
	}
	// Nothing can happen until another group is chosen: nothing says it
	// is issuing, and neither Retry nor Resume is offered, nor a note on
	// retrying (the waiting runs need none): the fix is offered instead.
	if strings.Contains(body, "Issuing") || strings.Contains(body, "Watching") || strings.Contains(body, "not retried") {
		t.Errorf("the page says it is issuing, or why runs are not retried, while the automation has no group:\n%s", pageText(body))
	}
	if strings.Contains(body, "/retry") || strings.Contains(body, auto+"/resume") {
		t.Errorf("the page offers Retry or Resume while the automation has no group:\n%s", body)
	}
	if !strings.Contains(body, `<a class="button primary" href="`+auto+`/edit">Choose another group</a>`) {
		t.Errorf("the page does not offer to choose another group:\n%s", body)
	}
	if p := u.follow(u.do("POST", "/runs/"+itoa(r.ID)+"/retry", url.Values{})); !strings.Contains(html.UnescapeString(p.body), "once another group is chosen under Edit") {
		t.Errorf("retrying a run that waits for a group: %d, want a refusal saying what to do", p.status)
	}
	if p := u.follow(u.do("POST", auto+"/resume", url.Values{})); !strings.Contains(html.UnescapeString(p.body), "choose another group under Edit") {
		t.Errorf("resuming an automation without a group: %d, want a refusal saying what to do", p.status)
	}
	if p := u.do("GET", "/runs/"+itoa(r.ID), nil); strings.Contains(p.body, "/retry") {
		t.Errorf("the waiting run's page offers Retry")
	}
}

// pageText is a page's text without its tags and its scripts, with runs of
// spaces made one, to count what a reader reads.
func pageText(page string) string {
	page = regexp.MustCompile(`(?s)<script.*?</script>|<[^>]*>`).ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(page), " ")
}
