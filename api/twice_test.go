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
	t.Parallel()
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

// Resuming or restoring an automation beside another on the same segment
// and group is refused as activating it is: 409, field allow_duplicate,
// the same words; {"allow_duplicate": true} confirms it.
func TestResumeAndRestoreBesideATwinAre409(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	first := a.createAutomation(f.automation())
	a.call("POST", fmt.Sprintf("/api/v1/automations/%d/activate", first.ID), nil).ok(t, http.StatusAccepted, nil)
	twin := f.automation()
	twin["name"], twin["allow_duplicate"] = "Course completion, again", true
	second := a.createAutomation(twin)
	path := func(action string) string { return fmt.Sprintf("/api/v1/automations/%d/%s", second.ID, action) }
	activating := a.call("POST", path("activate"), nil).fails(t, http.StatusConflict, "conflict", "allow_duplicate")
	a.call("POST", path("activate"), map[string]any{"allow_duplicate": true}).ok(t, http.StatusAccepted, nil)

	a.call("POST", path("pause"), nil).ok(t, http.StatusAccepted, nil)
	for _, body := range []map[string]any{nil, {"catch_up": false}} {
		if e := a.call("POST", path("resume"), body).fails(t, http.StatusConflict, "conflict", "allow_duplicate"); e.Message != activating.Message {
			t.Errorf("resuming %v is refused with\n%s\nwant the words activating uses:\n%s", body, e.Message, activating.Message)
		}
	}
	a.call("POST", path("resume"), map[string]any{"catch_up": false, "allow_duplicate": true}).ok(t, http.StatusAccepted, nil)

	a.call("DELETE", fmt.Sprintf("/api/v1/automations/%d", second.ID), nil).ok(t, http.StatusOK, nil)
	if e := a.call("POST", path("restore"), nil).fails(t, http.StatusConflict, "conflict", "allow_duplicate"); e.Message != activating.Message {
		t.Errorf("restoring is refused with\n%s\nwant the words activating uses:\n%s", e.Message, activating.Message)
	}
	var restored struct {
		Status string `json:"status"`
	}
	a.call("POST", path("restore"), map[string]any{"allow_duplicate": true}).ok(t, http.StatusOK, &restored)
	if restored.Status != "paused" {
		t.Errorf("restored, confirmed: %s, want paused", restored.Status)
	}
}
