package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A second automation on the same segment and the same group would give
// every contact who enters two credentials: saving it, moving one there
// under Edit, or activating it is refused with the other named, unless
// the user confirms; another group or another segment is not asked.
func TestSecondAutomationOnTheSameSegmentAndGroup(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	is := startIssuing(t, env, "Course certificate")
	other, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Other certificate"})
	if err != nil {
		t.Fatal(err)
	}
	refusedTwin := func(t *testing.T, err error) {
		t.Helper()
		if autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(err.Error(), `"Certificates"`) ||
			!strings.Contains(err.Error(), "two credentials") || !strings.Contains(err.Error(), "Course certificate") {
			t.Fatalf("not refused as a duplicate naming the other automation and the group: %v", err)
		}
		if fe := autocred.Errors(err); len(fe) != 1 || fe[0].Field != service.AllowDuplicateField {
			t.Errorf("the refusal is not tied to %s: %v", service.AllowDuplicateField, fe)
		}
	}
	twin := is.input
	twin.Name = "Certificates again"
	_, err = env.Service.CreateAutomation(ctx, twin)
	refusedTwin(t, err)

	elsewhere := twin
	elsewhere.Action.GroupID = other.ID
	moved, err := env.Service.CreateAutomation(ctx, elsewhere)
	if err != nil {
		t.Fatalf("another group on the same segment: %v", err)
	}
	_, err = env.Service.UpdateAutomation(ctx, moved.ID, twin)
	refusedTwin(t, err)

	twin.AllowDuplicate = true
	if _, err := env.Service.UpdateAutomation(ctx, moved.ID, twin); err != nil {
		t.Fatalf("confirmed: %v", err)
	}
	err = env.Service.Activate(ctx, moved.ID, false)
	refusedTwin(t, err)
	if err := env.Service.Activate(ctx, moved.ID, true); err != nil {
		t.Fatalf("activating, confirmed: %v", err)
	}
	// Once confirmed, editing something else does not ask again.
	twin.AllowDuplicate, twin.Name = false, "Renamed"
	if _, err := env.Service.UpdateAutomation(ctx, moved.ID, twin); err != nil {
		t.Errorf("renaming a confirmed duplicate: %v", err)
	}
	// An archived automation issues nothing: it is no twin.
	if _, err := env.Service.ArchiveAutomation(ctx, is.automation.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.ArchiveAutomation(ctx, moved.ID); err != nil {
		t.Fatal(err)
	}
	twin.Name = "Third"
	if _, err := env.Service.CreateAutomation(ctx, twin); err != nil {
		t.Errorf("beside archived automations only: %v", err)
	}
}

// Resuming a stopped automation, or restoring an archived one, beside
// another automation that issues from the same group to the same segment
// asks the same confirmation as activating: without it, both would give
// every contact who enters a credential, two in all. Confirmed, it goes
// on; once the other is archived, nothing is asked.
func TestResumeAndRestoreAskAboutASecondAutomation(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	is := startIssuing(t, env, "Course certificate")
	twin := is.input
	twin.Name, twin.AllowDuplicate = "Certificates again", true
	b, err := env.Service.CreateAutomation(ctx, twin)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Service.Activate(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second automation to be active", func() bool {
		v, _ := env.Service.Automation(ctx, b.ID)
		return v.Status == autocred.AutomationActive
	})
	refusedTwin := func(t *testing.T, what string, err error) {
		t.Helper()
		fe := autocred.Errors(err)
		if autocred.ErrorCode(err) != autocred.ECONFLICT || len(fe) != 1 || fe[0].Field != service.AllowDuplicateField ||
			!strings.Contains(err.Error(), `The automation "Certificates" already issues from the group 'Course certificate'`) ||
			!strings.Contains(err.Error(), "confirm that you want two credentials per entry") {
			t.Errorf("%s beside an active twin: %v; want the confirmation activating asks, tied to %s", what, err, service.AllowDuplicateField)
		}
	}
	status := func(t *testing.T, want autocred.AutomationStatus) {
		t.Helper()
		if v, _ := env.Service.Automation(ctx, b.ID); v.Status != want {
			t.Errorf("the second automation is %s, want %s", v.Status, want)
		}
	}

	if err := env.Service.Pause(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	refusedTwin(t, "resuming", env.Service.Resume(ctx, b.ID, nil, false))
	status(t, autocred.AutomationPaused)
	if err := env.Service.Resume(ctx, b.ID, nil, true); err != nil {
		t.Fatalf("resuming, confirmed: %v", err)
	}
	status(t, autocred.AutomationBaselining)

	if _, err := env.Service.ArchiveAutomation(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = env.Service.RestoreAutomation(ctx, b.ID, false)
	refusedTwin(t, "restoring", err)
	status(t, autocred.AutomationArchived)
	if _, err := env.Service.RestoreAutomation(ctx, b.ID, true); err != nil {
		t.Fatalf("restoring, confirmed: %v", err)
	}
	status(t, autocred.AutomationPaused)

	// With the first archived, the second is alone on its segment and
	// group: resuming it asks nothing.
	if _, err := env.Service.ArchiveAutomation(ctx, is.automation.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.Resume(ctx, b.ID, nil, false); err != nil {
		t.Errorf("resuming the only automation on its segment and group: %v", err)
	}
}
