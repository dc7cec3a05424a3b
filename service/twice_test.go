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
