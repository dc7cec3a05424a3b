package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/store/storetest"
)

func (a *apiTest) automations() []automationJSON {
	a.t.Helper()
	var list struct {
		Automations []automationJSON `json:"automations"`
	}
	a.call("GET", "/api/v1/automations", nil).ok(a.t, http.StatusOK, &list)
	return list.Automations
}

func TestCreateAutomation(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()

	r := a.call("POST", "/api/v1/automations", f.automation())
	var got automationJSON
	r.ok(t, http.StatusCreated, &got)
	if got.Status != "draft" || got.Trigger.SegmentName != f.segName || got.Action.GroupName != "Course certificate" || got.Runs == nil {
		t.Errorf("created: %s", r.body)
	}
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/automations/%d", got.ID) {
		t.Errorf("Location %q", loc)
	}

	tests := []struct {
		name   string
		change func(body map[string]any)
		status int
		code   string
		field  string
	}{
		{"unknown token", func(b map[string]any) { action(b)["recipient_name"] = "{{contact.firstName}} {{contact.middleName}}" },
			http.StatusBadRequest, autocred.EINVALID, "action.recipient_name"},
		{"date not YYYY-MM-DD", func(b map[string]any) { action(b)["expiry_date"] = "31/12/2026" },
			http.StatusBadRequest, autocred.EINVALID, "action.expiry_date"},
		{"missing segment", func(b map[string]any) { b["trigger"].(map[string]any)["segment_id"] = "no-such-segment" },
			http.StatusBadRequest, autocred.EINVALID, "trigger.segment_id"},
		{"missing group", func(b map[string]any) { action(b)["group_id"] = "no-such-group" },
			http.StatusBadRequest, autocred.EINVALID, "action.group_id"},
		{"unknown attribute", func(b map[string]any) { action(b)["custom_attributes"] = map[string]any{"custom.nope": "x"} },
			http.StatusBadRequest, autocred.EINVALID, "action.custom_attributes.custom.nope"},
		{"connections swapped", func(b map[string]any) { b["trigger"].(map[string]any)["connection_id"] = f.cert },
			http.StatusBadRequest, autocred.EINVALID, "trigger.connection_id"},
		{"no name", func(b map[string]any) { delete(b, "name") },
			http.StatusBadRequest, autocred.EINVALID, "name"},
		{"bad poll interval", func(b map[string]any) { b["poll_interval"] = "often" },
			http.StatusBadRequest, autocred.EINVALID, "poll_interval"},
		{"id as a string", func(b map[string]any) { action(b)["connection_id"] = "2" },
			http.StatusBadRequest, autocred.EINVALID, "action.connection_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := f.automation()
			tc.change(body)
			a.call("POST", "/api/v1/automations", body).fails(t, tc.status, tc.code, tc.field)
		})
	}
	if all := a.automations(); len(all) != 1 || all[0].ID != got.ID {
		t.Errorf("automations stored: %+v", all)
	}
	a.call("GET", "/api/v1/automations/999", nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
}

func action(body map[string]any) map[string]any { return body["action"].(map[string]any) }

func TestPatchAutomation(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)

	var got automationJSON
	a.call("PATCH", path, `{"name":"Renamed","action":{"expiry_date":"2030-01-31"},"poll_interval":"2m"}`).ok(t, http.StatusOK, &got)
	if got.Name != "Renamed" || got.Action.ExpiryDate != "2030-01-31" || got.PollInterval != "2m0s" ||
		got.Action.RecipientName != "{{contact.firstName}} {{contact.lastName}}" || got.Action.CustomAttributes["custom.course_name"] != "{{segment.name}}" {
		t.Errorf("patched: %+v", got)
	}

	// The time zone: named in every answer (the server's when none was
	// given), changed by name, an unknown one refused on its input.
	if got.Action.TimeZone != autocred.LocalTimeZone() {
		t.Errorf("time_zone %q, want the server's %q", got.Action.TimeZone, autocred.LocalTimeZone())
	}
	got = automationJSON{}
	a.call("PATCH", path, `{"action":{"time_zone":"America/Chicago"}}`).ok(t, http.StatusOK, &got)
	if got.Action.TimeZone != "America/Chicago" || a.automation(auto.ID).Action.TimeZone != "America/Chicago" {
		t.Errorf("time_zone after PATCH: %q", got.Action.TimeZone)
	}
	a.call("PATCH", path, `{"action":{"time_zone":"Central Time"}}`).fails(t, http.StatusBadRequest, autocred.EINVALID, "action.time_zone")

	// null removes: here one custom attribute and the poll interval.
	got = automationJSON{}
	a.call("PATCH", path, `{"action":{"custom_attributes":{"custom.course_name":null}},"poll_interval":null}`).ok(t, http.StatusOK, &got)
	if len(got.Action.CustomAttributes) != 0 || got.PollInterval != "" || got.Name != "Renamed" {
		t.Errorf("after null: %+v", got)
	}

	refused := []struct {
		name, body, field string
	}{
		{"bad mapping", `{"action":{"recipient_name":"{{contact.middleName}}"}}`, "action.recipient_name"},
		{"bad date", `{"action":{"issue_date":"tomorrow"}}`, "action.issue_date"},
		{"unknown field", `{"colour":"red"}`, ""},
		{"unknown nested field", `{"action":{"colour":"red"}}`, ""},
		{"wrong type", `{"trigger":{"connection_id":"one"}}`, "trigger.connection_id"},
		{"not an object", `["name"]`, ""},
		{"null", `null`, ""},
		{"empty", ``, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			a.call("PATCH", path, tc.body).fails(t, http.StatusBadRequest, autocred.EINVALID, tc.field)
			if now := a.automation(auto.ID); now.Name != "Renamed" || now.Action.RecipientName != got.Action.RecipientName {
				t.Errorf("a refused patch changed the automation: %+v", now)
			}
		})
	}
	a.call("PATCH", "/api/v1/automations/999", `{"name":"x"}`).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")

	// Once activated, the segment is fixed.
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.call("PATCH", path, fmt.Sprintf(`{"trigger":{"segment_id":%q}}`, "other")).fails(t, http.StatusConflict, autocred.ECONFLICT, "trigger.segment_id")
}

func TestAutomationLifecycle(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)

	drive := func(action, body string, status int) automationJSON {
		t.Helper()
		var got automationJSON
		a.call("POST", path+"/"+action, body).ok(t, status, &got)
		return got
	}
	a.call("POST", path+"/sync", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	if got := drive("activate", "", http.StatusAccepted); got.Status != "baselining" && got.Status != "active" {
		t.Errorf("after activate: %s", got.Status)
	}
	a.waitStatus(auto.ID, "active")
	a.call("POST", path+"/activate", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	drive("sync", "", http.StatusAccepted)

	if got := drive("pause", "", http.StatusAccepted); got.Status != "paused" {
		t.Errorf("after pause: %s", got.Status)
	}
	a.call("POST", path+"/sync", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	a.call("POST", path+"/pause", nil).fails(t, http.StatusConflict, autocred.ECONFLICT, "")
	// The segment's next reads fail (all the client's tries of one sync),
	// so that the new baseline cannot finish before the answer is read.
	if err := a.env.AC.FailNextMatchRuns(testenv.ACAccount, 3); err != nil {
		t.Fatal(err)
	}
	if got := drive("resume", "", http.StatusAccepted); got.Status != "baselining" {
		t.Errorf("resume without a body: %s, want a new baseline", got.Status)
	}
	a.waitStatus(auto.ID, "active")

	drive("pause", "", http.StatusAccepted)
	if got := drive("resume", `{"catch_up":true}`, http.StatusAccepted); got.Status != "active" {
		t.Errorf("resume with catch_up: %s, want active at once", got.Status)
	}
	drive("pause", "", http.StatusAccepted)
	a.call("POST", path+"/resume", `{"catchup":true}`).fails(t, http.StatusBadRequest, autocred.EINVALID, "")
	if err := a.env.AC.FailNextMatchRuns(testenv.ACAccount, 3); err != nil {
		t.Fatal(err)
	}
	if got := drive("resume", `{"catch_up":false}`, http.StatusAccepted); got.Status != "baselining" {
		t.Errorf("resume with catch_up false: %s", got.Status)
	}

	for _, action := range []string{"activate", "pause", "resume", "sync", "retry-failed"} {
		a.call("POST", "/api/v1/automations/999/"+action, nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	}

	// Deleting archives; an archived automation without history goes
	// for good.
	var archived automationJSON
	a.call("DELETE", path, nil).ok(t, http.StatusOK, &archived)
	if archived.Status != "archived" {
		t.Errorf("after delete: %s, want archived", archived.Status)
	}
	if r := a.call("GET", "/api/v1/automations", nil); strings.TrimSpace(string(r.body)) != `{"automations":[]}` {
		t.Errorf("list after delete: %s", r.body)
	}
	a.call("DELETE", path+"/runs", nil).ok(t, http.StatusOK, nil)
	a.call("DELETE", path, nil).ok(t, http.StatusNoContent, nil)
	a.call("GET", path, nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
	a.call("DELETE", path, nil).fails(t, http.StatusNotFound, autocred.ENOTFOUND, "")
}

// A run left pending while its automation was stopped is issued once the
// automation resumes, even when it starts fresh: its job, enqueued again at
// resume, finds the automation still reading its new baseline and lets it
// be, so the end of the baseline must enqueue it again (the tester's runs
// stayed pending for ever after Restore, then Resume → Start fresh).
func TestPendingRunsFinishAfterAFreshStart(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	auto := a.createAutomation(f.automation())
	path := fmt.Sprintf("/api/v1/automations/%d", auto.ID)
	a.call("POST", path+"/activate", nil).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	a.call("POST", path+"/pause", nil).ok(t, http.StatusAccepted, nil)

	// A run whose job already ran while the automation was paused (and so
	// let it be): a pending run with no job waiting.
	ids, err := a.env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "owed@example.com", FirstName: "Owed"}})
	if err != nil {
		t.Fatal(err)
	}
	id := autocred.ContactID(ids[0])
	run := autocred.Run{AutomationID: auto.ID, ContactID: id, Entry: 1, Email: "owed@example.com",
		Contact: autocred.Contact{ID: id, Email: "owed@example.com", FirstName: "Owed"}}
	if err := storetest.InsertRun(context.Background(), a.env.Store, &run); err != nil {
		t.Fatal(err)
	}
	// The new baseline's first reads fail, so that the jobs enqueued at
	// resume run while it is still being read.
	if err := a.env.AC.FailNextMatchRuns(testenv.ACAccount, 3); err != nil {
		t.Fatal(err)
	}
	a.call("POST", path+"/resume", `{"catch_up":false}`).ok(t, http.StatusAccepted, nil)
	a.waitStatus(auto.ID, "active")
	a.waitRuns(auto.ID, "issued", 1)
	if got := a.runs(auto.ID, "status=issued").Runs; got[0].Email != "owed@example.com" {
		t.Errorf("issued %s, want owed@example.com", got[0].Email)
	}
}

// An automation with several mistakes is refused with every one listed,
// the first also being the error's own, so that a client fixes them all
// before sending again.
func TestCreateAutomationListsEveryMistake(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	body := f.automation()
	delete(body, "name")
	action(body)["group_id"] = "no-such-group"
	action(body)["recipient_email"] = "%EMAIL%"
	action(body)["expiry_date"] = "{{contact.fields.NOPE}}"
	action(body)["custom_attributes"] = map[string]any{"custom.nope": "x"}
	e := a.call("POST", "/api/v1/automations", body).fails(t, http.StatusBadRequest, autocred.EINVALID, "name")
	var got []string
	for _, item := range e.Errors {
		got = append(got, item.Field)
		if item.Code != autocred.EINVALID || item.Message == "" {
			t.Errorf("%s: code %q message %q", item.Field, item.Code, item.Message)
		}
	}
	want := "name action.recipient_email action.expiry_date action.group_id action.custom_attributes.custom.nope"
	if strings.Join(got, " ") != want {
		t.Errorf("errors on %v, want %s", got, want)
	}
	if len(e.Errors) > 0 && e.Errors[0].Message != e.Message {
		t.Errorf("the first of errors is not the error: %q, %q", e.Errors[0].Message, e.Message)
	}
}
