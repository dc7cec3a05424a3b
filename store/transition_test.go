package store

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// An automation asked for what its status cannot do is refused in the words
// of what was asked (resume, pause), not in statuses ("it cannot become
// baselining from there", which a client read on a resume), and nothing
// changes.
//
// The refusal names the automation by its name.
func TestRefusedStatusChangesSayWhatWasAsked(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		tests := []struct {
			from, to autocred.AutomationStatus
			says     string
		}{
			{autocred.AutomationActive, autocred.AutomationBaselining, "is already active, watching its segment: there is nothing to resume"},
			{autocred.AutomationBaselining, autocred.AutomationActive, "is already starting (reading who is in its segment), watching its segment: there is nothing to resume"},
			{autocred.AutomationPaused, autocred.AutomationPaused, "is already paused"},
			{autocred.AutomationDraft, autocred.AutomationPaused, "is a draft, so it cannot be paused now"},
		}
		for _, tt := range tests {
			if err := db.SetAutomationStatus(ctx, a.ID, tt.from, ""); err != nil {
				t.Fatal(err)
			}
			err := db.SetAutomationStatus(ctx, a.ID, tt.to, "", autocred.AutomationStatus("none"))
			if autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(autocred.ErrorMessage(err), tt.says) {
				t.Errorf("%s to %s: %v; want a conflict saying %q", tt.from, tt.to, err, tt.says)
			}
			// By its name, which the user knows, not its id (tester 4, finding 10).
			if msg := autocred.ErrorMessage(err); !strings.HasPrefix(msg, `"`+a.Name+`" is `) || strings.Contains(msg, "automation ") {
				t.Errorf("%s to %s: %q does not name the automation by its name", tt.from, tt.to, msg)
			}
			if got, _ := db.Automation(ctx, a.ID); got.Status != tt.from {
				t.Errorf("%s to %s refused, but the automation is %s", tt.from, tt.to, got.Status)
			}
		}
	})
}
