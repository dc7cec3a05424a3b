package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A second automation on the same segment and group is refused with 409
// naming the other, on create, on a patch that moves one there and on
// activate, unless allow_duplicate confirms it.
func TestSecondAutomationOnTheSameSegmentAndGroupIs409(t *testing.T) {
	a := newAPITest(t)
	f := a.fixture()
	first := a.createAutomation(f.automation())
	a.call("POST", fmt.Sprintf("/api/v1/automations/%d/activate", first.ID), nil).ok(t, http.StatusAccepted, nil)

	twin := f.automation()
	twin["name"] = "Course completion, again"
	e := a.call("POST", "/api/v1/automations", twin).fails(t, http.StatusConflict, "conflict", "allow_duplicate")
	if !strings.Contains(e.Message, `"Course completion"`) || !strings.Contains(e.Message, "two credentials") {
		t.Errorf("the refusal does not name the other automation and what would happen: %s", e.Message)
	}
	twin["allow_duplicate"] = true
	second := a.createAutomation(twin)
	activate := fmt.Sprintf("/api/v1/automations/%d/activate", second.ID)
	a.call("POST", activate, nil).fails(t, http.StatusConflict, "conflict", "allow_duplicate")
	a.call("POST", activate, map[string]any{"allow_duplicate": true}).ok(t, http.StatusAccepted, nil)
}
