package web

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// TestAutomationPageOffersWhatItsStatusAllows: the automation page offers
// activation to a draft, a sync and a pause to an automation that watches
// its segment, and resuming to a stopped one; once activated, the edit
// form says the segment cannot change. Its failed run offers Retry only
// while something would work it: not while the automation is stopped,
// which the page says once instead.
func TestAutomationPageOffersWhatItsStatusAllows(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := context.Background()
	auto := "/automations/" + itoa(f.automation)
	for _, tt := range []struct {
		status autocred.AutomationStatus
		offers []string
	}{
		{autocred.AutomationDraft, []string{"/activate"}},
		{autocred.AutomationBaselining, []string{"/sync", "/pause"}},
		{autocred.AutomationActive, []string{"/sync", "/pause"}},
		{autocred.AutomationPaused, []string{"/resume"}},
		{autocred.AutomationBroken, []string{"/resume"}},
	} {
		if err := u.env.Store.SetAutomationStatus(ctx, f.automation, tt.status, ""); err != nil {
			t.Fatal(err)
		}
		p := u.do("GET", auto, nil)
		for _, action := range []string{"/activate", "/sync", "/pause", "/resume"} {
			if offered := strings.Contains(p.body, `action="`+auto+action+`"`); offered != slices.Contains(tt.offers, action) {
				t.Errorf("the page of a %s automation offers %s: %v, want %v", tt.status, action, offered, !offered)
			}
		}
		retry := `action="/runs/` + itoa(f.run) + `/retry"`
		blocked := tt.status.Stopped()
		if offered := strings.Contains(p.body, retry); offered == blocked {
			t.Errorf("the page of a %s automation offers Retry: %v, want %v", tt.status, offered, !blocked)
		}
		if says := strings.Count(p.body, "so nothing would work a retried run") + strings.Count(p.body, "stopped by a refused key"); says != map[bool]int{true: 1}[blocked] {
			t.Errorf("the page of a %s automation says %d times why its runs cannot be retried", tt.status, says)
		}
		if run := u.do("GET", "/runs/"+itoa(f.run), nil); strings.Contains(run.body, retry) == blocked {
			t.Errorf("the run page, its automation %s, offers Retry: %v, want %v", tt.status, blocked, !blocked)
		}
		form := u.do("GET", auto+"/edit", nil)
		if locked := strings.Contains(form.body, "its segment cannot change"); locked != (tt.status != autocred.AutomationDraft) {
			t.Errorf("the edit form of a %s automation says the segment cannot change: %v", tt.status, locked)
		}
	}
}
